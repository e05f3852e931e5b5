"""The gateway's HTTP API, as the CLI calls it: JSON in and out, our error envelope turned into
``ApiError``, every call bounded by a timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

TIMEOUT_S = 30.0
MAX_PAGES = 100  # a listing follows at most this many pages


class ApiError(Exception):
    """The API said no (or could not be reached): its status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


class Api:
    def __init__(self, url: str, key: str | None, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        self._timeout = timeout_s
        self._http = requests.Session()
        if key:
            self._http.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: Any = None,
             params: dict[str, Any] | None = None) -> Any:
        """One call to ``/v1{path}``; the decoded answer (None when it has no body)."""
        response = self.raw(method, path, body, params)
        return response.json() if response.content else None

    def raw(self, method: str, path: str, body: Any = None,
            params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> requests.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, f"{self.url}/v1{path}", json=body,
                                          params=query, headers=headers,
                                          timeout=self._timeout)
        except requests.RequestException as exc:
            raise ApiError(0, "unreachable", f"cannot reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def pages(self, path: str, params: dict[str, Any] | None = None,
              limit: int = 100) -> Iterator[dict[str, Any]]:
        """Every item of a paged listing, following ``next_cursor`` (bounded)."""
        cursor = None
        for _ in range(MAX_PAGES):
            page = self.call("GET", path, params={**(params or {}), "limit": limit,
                                                  "cursor": cursor})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def put_file(self, url: str, data: Any, headers: dict[str, str]) -> None:
        """PUT a file to a presigned URL (not the API: no Authorization header)."""
        try:
            response = requests.put(url, data=data, headers=headers, timeout=self._timeout * 4)
        except requests.RequestException as exc:
            raise ApiError(0, "upload_failed", str(exc)) from exc
        if response.status_code >= 300:
            raise ApiError(response.status_code, "upload_failed", response.text[:300])


def _error(response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", f"HTTP {response.status_code}: {response.text[:300]}"
    return ApiError(response.status_code, code, message)
