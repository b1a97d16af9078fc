"""Namespace handlers: one module per signaling namespace the runner serves."""
