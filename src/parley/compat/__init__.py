"""Thin adapters speaking other systems' dialects over the same domain services."""
