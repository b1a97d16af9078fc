"""Parley: an open conference controller speaking the OpenTalk frontend API."""

__version__ = "0.1.0"
