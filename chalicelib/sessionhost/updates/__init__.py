"""The parts of a session host that handle engines' updates (domain.live.LiveUpdate), one
module per family: each is a mixin of ``SessionHost`` whose ``_on_<family>_<what>`` methods
store and publish what the update says."""
