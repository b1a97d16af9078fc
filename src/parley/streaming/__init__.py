"""Streaming targets: where a room's meeting is streamed to (RTMP ingest and public page)."""
