"""Thin adapters between a call protocol and ``voice.session.CallSession``."""
