"""Our message states in the seeds' vocabularies: WAHA-style ack numbers and the status
letters of the WAChat API. One mapping, used by every dialect."""

from __future__ import annotations

from chalicelib.domain.messages import MessageStatus as S

# ERROR=-1, PENDING=0, SERVER=1, DEVICE=2, READ=3, PLAYED=4
ACK: dict[S, int] = {
    S.FAILED: -1, S.EXPIRED: -1, S.CANCELED: -1,
    S.SCHEDULED: 0, S.QUEUED: 0, S.SENDING: 0,
    S.SENT: 1, S.DELIVERED: 2, S.READ: 3, S.PLAYED: 4, S.RECEIVED: 2,
}

# U unsent (not being sent yet), A aborted (will not be sent), Q on queue, S sent,
# D delivered, R read.
LETTER: dict[S, str] = {
    S.SCHEDULED: "U", S.FAILED: "A", S.EXPIRED: "A", S.CANCELED: "A",
    S.QUEUED: "Q", S.SENDING: "Q", S.SENT: "S", S.DELIVERED: "D", S.READ: "R", S.PLAYED: "R",
    S.RECEIVED: "D",
}


def ack(status: S) -> int:
    return ACK[status]


def letter(status: S) -> str:
    return LETTER[status]
