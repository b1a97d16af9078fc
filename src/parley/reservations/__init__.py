"""Reservations: time windows for named rooms, the Sariska scheduler API, and the
conference allocations Jitsi's reservation protocol asks for."""
