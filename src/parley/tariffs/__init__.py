"""Tariffs: operator-configured quotas and features, assigned to users."""
