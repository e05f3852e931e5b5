"""The neonize engine: real WhatsApp through neonize (whatsmeow underneath).

``connection`` runs the clients (the engine port), ``convert`` translates to and from neonize's
protobufs, ``media`` prepares media without ffmpeg, ``loader`` imports neonize late. Importing
this package does not import neonize itself."""

from chalicelib.sessionhost.engines.neonize.connection import NeonizeEngine

__all__ = ["NeonizeEngine"]
