"""/v1/sessions/{session_id}/groups: a session's WhatsApp groups, live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json
from chalicelib.api.v1.sessions import LIVE_ERRORS

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal
    from chalicelib.domain.live.groups import Group

bp = Blueprint(__name__)
GROUP = "/sessions/{session_id}/groups/{group_id}"
ERRORS = {**LIVE_ERRORS, 501: "not_supported (by the session's engine)"}
GROUP_ERRORS = {**ERRORS, 403: "not_participant, not_admin", 404: "not_found",
                422: "validation_failed (group_id is not a group id)"}


def _group(group: Group) -> Any:
    from chalicelib.api.v1.schemas.groups import GroupOut

    return GroupOut.model_validate({**group.model_dump(), "size": len(group.participants)})


def _summary(group: Group) -> Any:
    from chalicelib.api.v1.schemas.groups import GroupSummaryOut

    return GroupSummaryOut.model_validate({**group.model_dump(exclude={"participants"}),
                                           "size": len(group.participants)})


@bp.route("/sessions/{session_id}/groups", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:GroupIn", out="groups:GroupOut", status=201,
          responses=ERRORS)
def create_group(request: Request, principal: Principal, session_id: str) -> Any:
    """Create a group with the session as its owner (participants not on WhatsApp are left
    out: see the answer's participants)."""
    body = request.body()
    return _group(container().group_service.create(principal, session_id, body.subject,
                                                   body.participants))


@bp.route("/sessions/{session_id}/groups", methods=["GET"])
@endpoint(bp, scope="groups:read", out="groups:Page[GroupSummaryOut]",
          query=("limit", "cursor", "participant"), responses=ERRORS)
def list_groups(request: Request, principal: Principal, session_id: str) -> Any:
    """The groups the session is in, asked live, by id. ``participant`` (a number or JID):
    only the groups that person is in too (one page)."""
    limit, cursor = request.page_args()
    person = request.query("participant")
    if person is not None:
        from chalicelib.domain.paging import Page

        common = container().group_service.common(principal, session_id, person)
        return page_json(Page(items=common[:limit]), _summary)
    return page_json(container().group_service.list(principal, session_id, limit, cursor),
                     _summary)


@bp.route("/sessions/{session_id}/groups/join", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:JoinIn", out="groups:JoinedOut",
          responses={**ERRORS, 404: "invalid_invite"})
def join_group(request: Request, principal: Principal, session_id: str) -> Any:
    """Join a group by its invite link."""
    return container().group_service.join(principal, session_id, request.body().invite)


@bp.route("/sessions/{session_id}/groups/invite-info", methods=["GET"])
@endpoint(bp, scope="groups:read", out="groups:GroupOut", query=("invite",),
          responses={**ERRORS, 404: "invalid_invite"})
def invite_info(request: Request, principal: Principal, session_id: str) -> Any:
    """What an invite link leads to, without joining."""
    from chalicelib.domain.errors import ValidationFailed

    invite = request.query("invite")
    if not invite:
        raise ValidationFailed.field("invite", "is required")
    return _group(container().group_service.invite_info(principal, session_id, invite))


@bp.route(GROUP, methods=["GET"])
@endpoint(bp, scope="groups:read", out="groups:GroupOut", responses=GROUP_ERRORS)
def get_group(request: Request, principal: Principal, session_id: str, group_id: str) -> Any:
    """A group's subject, description, owner, settings and participants (with admin flags)."""
    return _group(container().group_service.info(principal, session_id, group_id))


@bp.route(GROUP, methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:GroupPatch", out="groups:GroupOut",
          responses=GROUP_ERRORS)
def update_group(request: Request, principal: Principal, session_id: str,
                 group_id: str) -> Any:
    """Change the subject and/or the description (an empty description removes it)."""
    body = request.body()
    return _group(container().group_service.update(principal, session_id, group_id,
                                                   body.subject, body.description))


@bp.route(GROUP + "/settings", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:SettingsIn", out="groups:GroupOut",
          responses=GROUP_ERRORS)
def group_settings(request: Request, principal: Principal, session_id: str,
                   group_id: str) -> Any:
    """Only admins send messages (``announce``); only admins edit the info (``locked``)."""
    body = request.body()
    return _group(container().group_service.settings(principal, session_id, group_id,
                                                     body.announce, body.locked))


@bp.route(GROUP + "/picture", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:PictureIn", out="groups:PictureOut",
          responses=GROUP_ERRORS)
def set_group_picture(request: Request, principal: Principal, session_id: str,
                      group_id: str) -> Any:
    """Set the group's picture: a JPEG by ``url`` or ``base64``."""
    from chalicelib.services.media import MediaSource

    body = request.body()
    return container().group_service.set_picture(principal, session_id, group_id,
                                                 MediaSource(url=body.url, base64=body.base64))


@bp.route(GROUP + "/picture", methods=["DELETE"])
@endpoint(bp, scope="groups:write", out="groups:DoneOut", responses=GROUP_ERRORS)
def remove_group_picture(request: Request, principal: Principal, session_id: str,
                         group_id: str) -> Any:
    """Remove the group's picture."""
    return container().group_service.remove_picture(principal, session_id, group_id)


_PARTICIPANT_DOCS = {
    "add": "Add participants (each answered: ok, or why not, e.g. not_on_whatsapp).",
    "remove": "Remove participants (each answered: ok, or why not).",
    "promote": "Make participants admins (each answered: ok, or why not).",
    "demote": "Make admins plain participants again (each answered: ok, or why not).",
}


def _participants_route(action: str) -> None:
    """Register ``POST …/groups/{group_id}/participants/<action>``."""

    def change(request: Request, principal: Principal, session_id: str, group_id: str) -> Any:
        return container().group_service.participants(
            principal, session_id, group_id, action,  # type: ignore[arg-type]
            request.body().participants)

    change.__name__ = f"{action}_participants"
    change.__doc__ = _PARTICIPANT_DOCS[action]
    view = endpoint(bp, scope="groups:write", body="groups:ParticipantsIn",
                    out="groups:ParticipantsOut", responses=GROUP_ERRORS)(change)
    bp.route(f"{GROUP}/participants/{action}", methods=["POST"],
             content_types=JSON_TYPES)(view)


for _action in _PARTICIPANT_DOCS:
    _participants_route(_action)


@bp.route(GROUP + "/invite", methods=["GET"])
@endpoint(bp, scope="groups:read", out="groups:InviteOut", responses=GROUP_ERRORS)
def group_invite(request: Request, principal: Principal, session_id: str,
                 group_id: str) -> Any:
    """The group's invite link (admins only)."""
    return container().group_service.invite(principal, session_id, group_id)


@bp.route(GROUP + "/invite/revoke", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", out="groups:InviteOut", responses=GROUP_ERRORS)
def revoke_group_invite(request: Request, principal: Principal, session_id: str,
                        group_id: str) -> Any:
    """Revoke the invite link: the old one stops working; the answer is the new one."""
    return container().group_service.invite(principal, session_id, group_id, revoke=True)


@bp.route(GROUP + "/leave", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", out="groups:DoneOut", responses=GROUP_ERRORS)
def leave_group(request: Request, principal: Principal, session_id: str,
                group_id: str) -> Any:
    """Leave the group."""
    return container().group_service.leave(principal, session_id, group_id)


# --- the sandbox: someone else in a group, someone calling ---

SANDBOX_ERRORS = {403: "not_admin", 404: "not_found, sandbox_disabled",
                  409: "not_sandbox, and the sandbox's refusals", 503: "session_unavailable",
                  504: "outcome_unknown"}


@bp.route("/sandbox/sessions/{session_id}/groups/act", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="groups:write", body="groups:GroupActIn", out="groups:PlayedOut",
          responses=SANDBOX_ERRORS)
def sandbox_group_act(request: Request, principal: Principal, session_id: str) -> Any:
    """Someone else (``by``) creates a group (with the session among ``participants`` to add
    it), adds, removes, promotes or demotes participants, or changes the subject or
    description: the session's tenant gets the ``group.*`` events WhatsApp would cause."""
    from chalicelib.api.v1.sandbox import _require_enabled

    _require_enabled()
    played = container().group_service.play(principal, session_id,
                                            **request.body().model_dump())
    return played.model_dump(mode="json", include={"status", "group_id"})


@bp.route("/sandbox/sessions/{session_id}/call", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="groups:CallIn", out="groups:PlayedOut",
          responses=SANDBOX_ERRORS)
def sandbox_call(request: Request, principal: Principal, session_id: str) -> Any:
    """Someone calls the session (voice, or ``video``): the tenant gets ``call.received``,
    and the session rejects it when its ``calls`` settings say so."""
    from chalicelib.api.v1.sandbox import _require_enabled
    from chalicelib.domain.jids import parse_jid
    from chalicelib.domain.live.calls import PlayCall
    from chalicelib.domain.live.groups import parse_group_id

    _require_enabled()
    body = request.body()
    caller = parse_jid(body.caller, "from")
    if not caller.is_user:
        from chalicelib.domain.errors import ValidationFailed

        raise ValidationFailed.field("from", "must be a phone number")
    group = str(parse_group_id(body.group_id)) if body.group_id else None
    played = container().live.run(principal, session_id, PlayCall(
        caller=str(caller), video=body.video, group_id=group))
    return played.model_dump(mode="json", include={"status", "call_id"})
