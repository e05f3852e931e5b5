"""The neonize engine: real WhatsApp through neonize (whatsmeow underneath).

``engine`` composes the engine from ``connection`` (runs the clients: the engine port) and a
part per family of live operations; ``convert`` translates to and from neonize's
protobufs, ``media`` prepares media without ffmpeg, ``loader`` imports neonize late. Importing
this package does not import neonize itself."""

from chalicelib.sessionhost.engines.neonize.engine import NeonizeEngine

__all__ = ["NeonizeEngine"]
