"""neonize, loaded late: once, the engine's way (after logging, with the bot marker off)."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@functools.cache
def load_neonize() -> None:
    """Import neonize once, after the host has set up logging (its import calls
    ``logging.basicConfig``), with the bot marker off and its loggers quiet."""
    _bot_tag_off()
    importlib.import_module("neonize")
    # "neonize.utils.log"'s own level is also the log level neonize hands to whatsmeow.
    for name in ("neonize", "neonize.utils.log", "whatsmeow", "Whatsmeow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _bot_tag_off() -> None:
    """Ask neonize not to mark outgoing messages as a bot's.

    neonize's Go code reads the environment the process started with: Python can change a
    variable that was there before neonize loads, but cannot add one. The session-host image
    sets NEONIZE_BOT_TAG=off; say so when a process started without it."""
    os.environ["NEONIZE_BOT_TAG"] = "off"
    with contextlib.suppress(OSError):
        if b"\0NEONIZE_BOT_TAG=" not in b"\0" + Path("/proc/self/environ").read_bytes():
            log.warning("NEONIZE_BOT_TAG=off is not in this process's initial environment: "
                        "neonize will mark outgoing messages as sent by a bot")


def e2e_module() -> Any:
    """neonize's WAWebProtobufsE2E module (loading neonize the engine's way first)."""
    load_neonize()
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2

    return WAWebProtobufsE2E_pb2
