"""Booking profiles: pure availability, duration and template logic (no I/O)."""
