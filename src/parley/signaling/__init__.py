"""Signaling: the websocket protocol spoken after ``POST /v1/rooms/{id}/start``.

``messages`` holds the wire format (envelope plus one discriminated union of
commands and events per namespace), ``state`` the shared state behind it
(tickets, resumption, presence, fan-out; in memory or in Redis) and ``tokens``
the ticket and resumption token generator.
"""
