"""`parley user add|list|disable|enable|reset-password`, in process, on a scratch
database; the account then signs in through the provider."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from parley import cli, migrate
from parley.config import Settings
from tests.api.oidc.conftest import EMAIL, WebApp, provider_settings
from tests.api.reservations.helpers import committing_client
from tests.conftest import in_thread, project_root


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    in_thread(lambda: migrate.upgrade(url))
    monkeypatch.setenv("PARLEY_DATABASE_URL", url)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PARLEY_OIDC_ISSUER", raising=False)
    return url


def parley(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = in_thread(lambda: cli.main(list(args)))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_disable_enable_reset(
    scratch: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = parley(
        capsys,
        monkeypatch,
        "user",
        "add",
        "Ada@Example.com",
        "--name",
        "Ada Lovelace",
        "--password-stdin",
        stdin="first password\n",
    )
    assert (code, err.strip()) == (0, "created account ada@example.com (Ada Lovelace)")
    code, out, _ = parley(capsys, monkeypatch, "user", "list")
    header, row = out.strip().splitlines()
    assert header.split("\t") == ["email", "name", "status", "created", "last sign-in"]
    assert row.split("\t")[:3] == ["ada@example.com", "Ada Lovelace", "active"]
    assert row.split("\t")[4] == "-"

    again = parley(
        capsys, monkeypatch, "user", "add", EMAIL, "--password-stdin", stdin="x" * 9
    )
    assert again[0] == 1
    assert again[2].strip() == (
        "parley user: An account with the e-mail address ada@example.com exists"
    )
    assert parley(capsys, monkeypatch, "user", "disable", EMAIL)[0] == 0
    assert "\tdisabled\t" in parley(capsys, monkeypatch, "user", "list")[1]
    assert parley(capsys, monkeypatch, "user", "enable", EMAIL)[0] == 0
    code, _, err = parley(
        capsys,
        monkeypatch,
        "user",
        "reset-password",
        EMAIL,
        "--password-stdin",
        stdin="second password\n",
    )
    assert code == 0
    assert "its sessions have ended" in err


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "a@example.com", "--password-stdin"), "short\n", "at least 8"),
        (
            ("add", "not-an-address", "--password-stdin"),
            "long enough\n",
            "is not an e-mail",
        ),
        (("disable", "nobody@example.com"), "", "No account has the e-mail address"),
        (
            ("reset-password", "nobody@example.com", "--password-stdin"),
            "long enough\n",
            "No account",
        ),
    ],
)
def test_errors_are_one_line_and_exit_1(
    scratch: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    code, out, err = parley(capsys, monkeypatch, "user", *args, stdin=stdin)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("parley user: ")
    assert message in err


def test_refused_with_an_external_issuer(
    scratch: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_OIDC_ISSUER", "https://id.example.com")
    code, _, err = parley(capsys, monkeypatch, "user", "list")
    assert code == 2
    assert "PARLEY_OIDC_ISSUER" in err


async def test_an_added_account_signs_in(
    scratch: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (
        parley(
            capsys,
            monkeypatch,
            "user",
            "add",
            EMAIL,
            "--name",
            "Ada Lovelace",
            "--password-stdin",
            stdin="pass word 1\n",
        )[0]
        == 0
    )
    settings = Settings(database_url=scratch, data_dir=tmp_path / "data").model_copy(
        update=provider_settings()
    )
    async with committing_client(settings) as (http, _):
        web_app = WebApp(http)
        await web_app.open_sign_in()
        response = await web_app.submit(password="pass word 1")
        assert response.status_code == 302, response.text
    listed = parley(capsys, monkeypatch, "user", "list")[1]
    assert listed.strip().splitlines()[1].split("\t")[4] != "-"


def test_password_prompt_does_not_echo(tmp_path: Path, scratch: str) -> None:
    """On a terminal the password is asked twice and never shown."""
    env = {**os.environ, "PYTHONPATH": str(project_root() / "src")}
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "parley.cli", "user", "add", "tty@example.com"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(child)
    transcript = b""

    def read_until(marker: bytes) -> None:
        nonlocal transcript
        while marker not in transcript:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:
                raise AssertionError(f"no {marker!r} in {transcript!r}")
            chunk = os.read(main, 1024)
            if not chunk:
                raise AssertionError(transcript.decode(errors="replace"))
            transcript += chunk

    try:
        read_until(b"Password: ")
        os.write(main, b"typed secret 1\n")
        read_until(b"Password (again): ")
        os.write(main, b"typed secret 1\n")
        read_until(b"created account")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert b"typed secret" not in transcript
