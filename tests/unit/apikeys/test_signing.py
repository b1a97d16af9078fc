"""The API-token key: created once and atomically, ES256 pinned, kid and issuer checked."""

from __future__ import annotations

import base64
import hmac
import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

from parley.apikeys.signing import (
    KEY_FILE_NAME,
    TokenSigner,
    load_or_create_signing_key,
)
from parley.auth.errors import AuthenticationFailed, TokenExpired

BASE = "http://parley.test"


def new_pem(curve: ec.EllipticCurve | None = None) -> bytes:
    return ec.generate_private_key(curve or ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(new_pem(), base_url=BASE + "/", leeway_seconds=0)


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "owner", "iat": now, "exp": now + 60, **overrides}


def test_round_trip(signer: TokenSigner) -> None:
    token = signer.sign(claims(api_key_id="k"))
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": signer.kid, "typ": "JWT"}
    verified = signer.verify(token)
    assert verified["iss"] == "http://parley.test/api/v1/misc/generate-token"
    assert verified["api_key_id"] == "k"
    assert signer.recognises(token)


def test_kid_is_the_rfc7638_thumbprint_and_stable(signer: TokenSigner) -> None:
    pem = new_pem()
    assert TokenSigner(pem, base_url=BASE).kid == TokenSigner(pem, base_url=BASE).kid
    assert len(signer.kid) == 43
    assert TokenSigner(new_pem(), base_url=BASE).kid != signer.kid


def test_tokens_of_another_key_with_the_same_kid_fail(signer: TokenSigner) -> None:
    forged = jwt.encode(
        {**claims(), "iss": signer.issuer},
        new_pem().decode(),
        algorithm="ES256",
        headers={"kid": signer.kid},
    )
    assert signer.recognises(forged)
    with pytest.raises(AuthenticationFailed):
        signer.verify(forged)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_algorithm_is_pinned(signer: TokenSigner) -> None:
    # HS256 keyed with the public key (the classic confusion) and alg "none".
    signing_input = (
        _b64({"alg": "HS256", "kid": signer.kid})
        + "."
        + _b64({**claims(), "iss": signer.issuer})
    )
    mac = hmac.new(signer._public_pem.encode(), signing_input.encode(), "sha256")
    confused = (
        signing_input
        + "."
        + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    )
    unsigned = (
        _b64({"alg": "none", "kid": signer.kid})
        + "."
        + _b64({**claims(), "iss": signer.issuer})
        + "."
    )
    for token in (confused, unsigned):
        with pytest.raises(AuthenticationFailed):
            signer.verify(token)


def test_issuer_expiry_and_subject_are_checked(signer: TokenSigner) -> None:
    other = TokenSigner(signer._private_pem.encode(), base_url="http://elsewhere")
    with pytest.raises(AuthenticationFailed, match="Invalid issuer"):
        signer.verify(other.sign(claims()))
    with pytest.raises(TokenExpired):
        signer.verify(signer.sign(claims(exp=int(time.time()) - 5)))
    without_sub = claims()
    del without_sub["sub"]
    with pytest.raises(AuthenticationFailed):
        signer.verify(signer.sign(without_sub))
    with pytest.raises(AuthenticationFailed, match="not yet valid"):
        signer.verify(signer.sign(claims(nbf=int(time.time()) + 30)))


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_garbage_is_not_recognised(signer: TokenSigner, token: str) -> None:
    assert not signer.recognises(token)


def test_only_p256_keys_are_accepted() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_pem.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for bad in (pem, new_pem(ec.SECP384R1())):
        with pytest.raises(ValueError, match="P-256"):
            TokenSigner(bad, base_url=BASE)


def test_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / KEY_FILE_NAME
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_signing_key(path) == first
    assert os.listdir(path.parent) == [KEY_FILE_NAME]


def test_concurrent_creation_agrees_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(load_or_create_signing_key(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert set(results) == {path.read_bytes()}
    assert os.listdir(tmp_path) == [KEY_FILE_NAME]
