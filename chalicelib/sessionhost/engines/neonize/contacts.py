"""The neonize engine's contacts: profile pictures, about texts and the blocklist (number
checks are in ``connection``).

neonize 0.5.2 reports no push-name or contact app-state events (its event list has no
PushName/Contact), so contacts are learned from messages (push names, ``SenderAlt``'s LIDs)
and number checks only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalicelib.domain.live import Done
from chalicelib.domain.live.contacts import (
    BLOCKED_MAX,
    About,
    BlockContact,
    Blocked,
    ContactAbout,
    ContactPicture,
    ListBlocked,
    Picture,
    UnblockContact,
)
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.convert import (
    engine_error,
    jid_from_proto,
    jid_to_proto,
    lenient_jid,
)

if TYPE_CHECKING:
    from neonize.proto.Neonize_pb2 import Blocklist, ProfilePictureInfo, UserInfo

# whatsmeow's answers for a picture that is not there or not shown to us.
_NO_PICTURE = ("not set", "item-not-found", "not-authorized", "404", "401")


def picture_from(info: ProfilePictureInfo) -> Picture:
    return Picture(url=info.URL or None, id=info.ID or None)


def no_picture(message: str) -> bool:
    """Whether a get_profile_picture error means "no picture (for us)" rather than a fault."""
    return any(text in message.lower() for text in _NO_PICTURE)


def about_from(infos: Iterable[UserInfo]) -> About:
    return About(about=next((info.Status for info in infos if info.Status), None))


def blocked_from(blocklist: Blocklist) -> Blocked:
    return Blocked(jids=[str(jid_from_proto(jid)) for jid in blocklist.JIDs][:BLOCKED_MAX])


class ContactOps(NeonizeCore):
    def contacts_picture(self, session: EngineSession, op: ContactPicture) -> Picture:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                info = connection.client.get_profile_picture(jid_to_proto(lenient_jid(op.jid)))
            except NeonizeError as exc:
                if no_picture(str(exc)):
                    return Picture()
                raise engine_error(exc, "picture_failed") from exc
        return picture_from(info)

    def contacts_about(self, session: EngineSession, op: ContactAbout) -> About:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                found = connection.client.get_user_info(jid_to_proto(lenient_jid(op.jid)))
            except NeonizeError as exc:
                raise engine_error(exc, "about_failed") from exc
        return about_from(single.UserInfo for single in found)

    def contacts_block(self, session: EngineSession, op: BlockContact) -> Done:
        return self._blocklist(session, op.jid, block=True)

    def contacts_unblock(self, session: EngineSession, op: UnblockContact) -> Done:
        return self._blocklist(session, op.jid, block=False)

    def _blocklist(self, session: EngineSession, jid: str, block: bool) -> Done:
        from neonize.exc import NeonizeError
        from neonize.utils.enum import BlocklistAction

        action = BlocklistAction.BLOCK if block else BlocklistAction.UNBLOCK
        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                connection.client.update_blocklist(jid_to_proto(lenient_jid(jid)), action)
            except NeonizeError as exc:
                raise engine_error(exc, "block_failed") from exc
        return Done()

    def contacts_blocked(self, session: EngineSession, op: ListBlocked) -> Blocked:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                return blocked_from(connection.client.get_blocklist())
            except NeonizeError as exc:
                raise EngineError("blocklist_failed", str(exc)) from exc
