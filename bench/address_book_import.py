"""A 10,000-row CSV imported into the address book: AWS calls and wall time.

    .venv/bin/python bench/address_book_import.py [rows]

In-process on moto: the CSV is put through a presigned URL, then imported by the service the
route calls (``POST /v1/address-book/contacts/import``), first into an empty book (every row a
new contact) and again (every row an update). Prints the calls by operation and the time of
each step; moto answers in-process, so DynamoDB's own latency (a few ms a call) comes on top:
the calls are the figure to carry to AWS.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update(BENCH_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

import requests
from moto import mock_aws

from bench._support import Calls, provision_tenant
from chalicelib import bootstrap
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.domain.audiences import parse_csv


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    serialize_in_process_moto()
    csv = "phone,name,email,plan\n" + "".join(
        f"+1415{5550000 + i:07d},Person {i},p{i}@example.com,gold\n" for i in range(rows))
    started = time.perf_counter()
    audience = parse_csv(csv.encode())
    print(f"parse {rows} rows: {time.perf_counter() - started:.2f} s "
          f"({len(audience.recipients)} valid, {len(audience.errors)} invalid)")
    calls = Calls()
    with mock_aws():
        calls.install()
        provision_tenant([])
        c = bootstrap.container()
        principal = c.auth.authenticate(c.auth.login("bench-admin", "bench-password-1")[0])
        group = c.address_book.create_tag(principal, "group", "bench", None)
        new = c.uploads.create(principal)
        requests.put(new.url, data=csv.encode(), headers={"Content-Type": "text/csv"},
                     timeout=30).raise_for_status()
        for label in ("new contacts", "updates"):
            calls.take()
            started = time.perf_counter()
            result = c.address_book.import_contacts(principal, new.upload.id, [group.id])
            elapsed = time.perf_counter() - started
            taken = calls.take()
            print(f"import ({label}): {elapsed:.2f} s, created {result.created}, updated "
                  f"{result.updated}; {sum(taken.values())} AWS calls: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(taken.items())))
        calls.take()
        started = time.perf_counter()
        audience = c.address_book.audience("bench", [group.id])
        taken = calls.take()
        print(f"audience of the group: {len(audience.recipients)} recipients, "
              f"{time.perf_counter() - started:.2f} s, {sum(taken.values())} AWS calls: "
              + ", ".join(f"{k} {v}" for k, v in sorted(taken.items())))


if __name__ == "__main__":
    main()
