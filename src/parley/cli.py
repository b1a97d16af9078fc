"""The `parley` command: serve, db, token, apikey, user, openapi, tariff."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Final

from parley.config import Settings, SettingsError, load_settings

OPENAPI_PATH = Path("openapi/openapi.json")
MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
EXIT_SETTINGS: Final = 2
EXIT_UNAVAILABLE: Final = 69
"""A dependency (database, Redis) is unreachable (sysexits.h EX_UNAVAILABLE)."""


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    workers = args.workers or settings.workers
    # Before anything imports prometheus_client, which reads it once: workers
    # share their metrics through files in this directory (parley.metrics).
    metrics_dir = tempfile.mkdtemp(prefix="parley-metrics-") if workers > 1 else None
    if metrics_dir is None:
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
    else:
        os.environ[MULTIPROCESS_DIR_VARIABLE] = metrics_dir
    try:
        return _serve_with(args, settings, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_with(args: argparse.Namespace, settings: Settings, workers: int) -> int:
    from parley import metrics, migrate, server
    from parley.auth.local_issuer import load_or_create_key
    from parley.tariffs.config import TariffCatalogue

    TariffCatalogue.from_settings(settings)  # a bad tariffs file stops start-up here
    host = args.host or settings.host
    port = args.port or settings.port
    # Workers re-read the environment (uvicorn --factory); pass the flags through it.
    os.environ["PARLEY_HOST"], os.environ["PARLEY_PORT"] = host, str(port)
    if workers > 1 and settings.redis_url is None:
        logging.getLogger("parley").warning(
            "%d workers without PARLEY_REDIS_URL: each keeps its own signaling state, "
            "so a ticket from one worker fails on another; set PARLEY_REDIS_URL",
            workers,
        )
    if not _dependencies_reachable(settings, redis=True):
        return EXIT_UNAVAILABLE
    if settings.auto_migrate:
        migrate.upgrade(settings.database_url)
    if settings.uses_local_issuer:
        load_or_create_key(settings.data_dir)  # once, before workers race to create it
    try:
        listener = metrics.start_listener(settings)
    except OSError as exc:
        print(
            f"parley: cannot serve metrics on {settings.metrics_address}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return server.STARTUP_FAILURE
    try:
        return server.run(settings, host=host, port=port, workers=workers)
    finally:
        if listener is not None:
            listener[0].shutdown()


def _dependencies_reachable(settings: Settings, *, redis: bool) -> bool:
    """Whether the database (and Redis) answer; one line on stderr if not."""
    from parley import preflight

    try:
        preflight.check_dependencies(settings, redis=redis)
    except preflight.DependencyUnreachable as exc:
        print(f"parley: {exc}", file=sys.stderr)
        return False
    return True


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from parley import migrate

    if not _dependencies_reachable(settings, redis=False):
        return EXIT_UNAVAILABLE
    if args.action == "upgrade":
        migrate.upgrade(settings.database_url, args.revision or "head")
    elif args.action == "downgrade":
        migrate.downgrade(settings.database_url, args.revision or "-1")
    else:
        migrate.current(settings.database_url)
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from parley.auth.local_issuer import LocalIssuer

    if not settings.uses_local_issuer:
        print(
            "parley token: PARLEY_OIDC_ISSUER is set, so tokens come from that issuer",
            file=sys.stderr,
        )
        return 2
    issuer = LocalIssuer.from_data_dir(
        issuer=settings.issuer_url,
        data_dir=settings.data_dir,
        audience=settings.oidc_audience,
    )
    token = issuer.mint(
        args.email,
        name=args.name,
        ttl_seconds=args.ttl or settings.local_token_ttl_seconds,
        roles=args.role,
    )
    print(token)
    return 0


def _apikey(args: argparse.Namespace, settings: Settings) -> int:
    from parley.apikeys import cli as apikeys_cli

    return apikeys_cli.run(args, settings)


def _user(args: argparse.Namespace, settings: Settings) -> int:
    from parley.users import cli as users_cli

    return users_cli.run(args, settings)


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    from parley.main import create_app
    from parley.openapi import render

    # The embedded issuer's JSON endpoints are part of the document; its key goes to
    # a scratch directory (the document holds no key) and is thrown away.
    with tempfile.TemporaryDirectory() as scratch:
        document = render(
            create_app(Settings(oidc_issuer=None, data_dir=Path(scratch)))
        )
    path = Path(args.output)
    if args.check:
        if not path.exists() or path.read_text() != document:
            print(f"{path} is out of date: run `parley openapi`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document)
    return 0


def _tariff(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from parley.tariffs import cli as tariffs_cli

    if args.action == "list":
        return asyncio.run(tariffs_cli.list_tariffs(settings, as_json=args.json))
    return asyncio.run(
        tariffs_cli.assign_tariff(
            settings, args.email, None if args.default else args.name
        )
    )


def build_parser() -> argparse.ArgumentParser:
    from parley.apikeys.models import KEY_KINDS

    parser = argparse.ArgumentParser(
        prog="parley", description="Parley conference controller"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="apply migrations (PARLEY_AUTO_MIGRATE) and serve"
    )
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(handler=_db)

    token = commands.add_parser(
        "token", help="print a bearer token from the local issuer"
    )
    token.add_argument("email")
    token.add_argument("--name", help="display name (default: the e-mail's local part)")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    token.add_argument(
        "--role", action="append", default=[], help="realm role (repeatable)"
    )
    token.set_defaults(handler=_token)

    apikey = commands.add_parser(
        "apikey", help="manage API keys (generate-token, EasyCalendar, Videsk)"
    )
    apikey_actions = apikey.add_subparsers(dest="action", required=True)
    create = apikey_actions.add_parser(
        "create", help="create a key; prints its secret once"
    )
    create.add_argument("--owner", required=True, help="the owner's e-mail or user id")
    create.add_argument("--name", default="", help="a label for the key")
    create.add_argument(
        "--kind",
        choices=KEY_KINDS,
        default="sariska",
        help="which API accepts it: sariska (generate-token, default), "
        "easycalendar (prints api_key:api_secret), videsk (the VPaaS api-token)",
    )
    listing = apikey_actions.add_parser("list", help="list keys")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    revoke = apikey_actions.add_parser(
        "revoke", help="revoke a key; its tokens stop working"
    )
    revoke.add_argument("key_id", help="the key's id (from `parley apikey list`)")
    apikey.set_defaults(handler=_apikey)

    user = commands.add_parser(
        "user", help="manage local accounts (sign-in at the embedded issuer)"
    )
    user_actions = user.add_subparsers(dest="action", required=True)
    user_add = user_actions.add_parser("add", help="create an account")
    user_add.add_argument("email")
    user_add.add_argument("--name", help="full name (default: the e-mail's local part)")
    user_actions.add_parser("list", help="list accounts")
    for action, text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable a disabled account"),
    ):
        user_actions.add_parser(action, help=text).add_argument("email")
    reset = user_actions.add_parser(
        "reset-password", help="set a new password and end the account's sessions"
    )
    reset.add_argument("email")
    for parser_with_password in (user_add, reset):
        parser_with_password.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password as one line from standard input",
        )
    user.set_defaults(handler=_user)

    openapi = commands.add_parser(
        "openapi", help="write (or --check) the OpenAPI document"
    )
    openapi.add_argument("--output", default=str(OPENAPI_PATH))
    openapi.add_argument("--check", action="store_true")
    openapi.set_defaults(handler=_openapi)

    tariff = commands.add_parser("tariff", help="show tariffs, assign them to users")
    tariff_actions = tariff.add_subparsers(dest="action", required=True)
    tariff_list = tariff_actions.add_parser(
        "list", help="the configured tariffs and how many users each has"
    )
    tariff_list.add_argument("--json", action="store_true", help="print JSON")
    assign = tariff_actions.add_parser("assign", help="give a user a tariff")
    assign.add_argument("email")
    target = assign.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?", help="a configured tariff's name")
    target.add_argument(
        "--default", action="store_true", help="back to the default tariff"
    )
    tariff.set_defaults(handler=_tariff)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"parley: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    from parley import logs

    logs.configure(settings)
    handler = args.handler
    try:
        return int(handler(args, settings))
    except SettingsError as exc:
        print(f"parley: {exc}", file=sys.stderr)
        return EXIT_SETTINGS


if __name__ == "__main__":
    sys.exit(main())
