"""The `parley apikey` subcommand's arguments; the work is in parley.apikeys.commands
(imported only when the subcommand runs, so other commands start fast)."""

from __future__ import annotations

import argparse
from typing import Any

from parley.config import Settings


def add_parser(commands: Any) -> None:
    """Register `parley apikey` on the CLI's subcommands."""
    apikey = commands.add_parser("apikey", help="manage API keys (generate-token)")
    actions = apikey.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key; prints its secret once")
    create.add_argument("--owner", required=True, help="the owner's e-mail or user id")
    create.add_argument("--name", default="", help="a label for the key")
    listing = actions.add_parser("list", help="list keys")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    revoke = actions.add_parser("revoke", help="revoke a key; its tokens stop working")
    revoke.add_argument("key_id", help="the key's id (from `parley apikey list`)")
    apikey.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from parley.apikeys import commands

    return commands.run(args, settings)
