"""Videsk's VPaaS rooms API over the rooms domain (a VPaaS room is a room)."""
