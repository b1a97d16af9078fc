"""exp / nbf of generate-token: spans, timestamps, ISO date-times; the lifetime rules."""

from __future__ import annotations

import pytest

from parley.apikeys.service import InvalidExp, InvalidNbf, token_lifetime
from parley.apikeys.timespec import TimeSpecError, parse_time_spec

NOW = 1_900_000_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24 hours", NOW + 86_400),
        ("30 minutes", NOW + 1_800),
        ("30 Minutes", NOW + 1_800),
        ("1 hour", NOW + 3_600),
        ("10h", NOW + 36_000),
        ("7d", NOW + 604_800),
        ("2 days", NOW + 172_800),
        ("1.5 hours", NOW + 5_400),
        ("90 s", NOW + 90),
        ("90secs", NOW + 90),
        ("2 weeks", NOW + 1_209_600),
        ("1y", NOW + 31_557_600),
        ("500 ms", NOW + 0.5),
        (" 1 day ", NOW + 86_400),
        # Bare numbers are Unix timestamps (the NumericDate the claim ends up as).
        (1_900_003_600, 1_900_003_600),
        (1_900_003_600.5, 1_900_003_600.5),
        ("1900003600", 1_900_003_600),
        ("2030-03-17T17:46:40Z", 1_900_000_000),
        ("2030-03-17T18:46:40+01:00", 1_900_000_000),
    ],
)
def test_parses(value: object, expected: float) -> None:
    assert parse_time_spec(value, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_means_not_given(value: object) -> None:
    assert parse_time_spec(value, now=NOW) is None


@pytest.mark.parametrize(
    "value",
    [
        "soon",
        "24 parsecs",
        "-1 hour",
        "hours",
        "2030-03-17T17:46:40",  # no offset: ambiguous
        "2030-02-30T00:00:00Z",
        True,
        [1],
        {"hours": 1},
        float("inf"),
        -5,
        10**13,
    ],
)
def test_rejects(value: object) -> None:
    with pytest.raises(TimeSpecError):
        parse_time_spec(value, now=NOW)


def lifetime(exp: object, nbf: object = None) -> tuple[int, int | None]:
    return token_lifetime(
        exp, nbf, now=NOW, default_ttl_seconds=86_400, max_ttl_seconds=2_592_000
    )


def test_default_expiry_and_no_nbf() -> None:
    assert lifetime(None) == (NOW + 86_400, None)


def test_nbf_as_a_span_and_as_a_timestamp() -> None:
    assert lifetime("2 hours", "30 minutes") == (NOW + 7_200, NOW + 1_800)
    assert lifetime("2 hours", NOW - 60) == (NOW + 7_200, NOW - 60)


@pytest.mark.parametrize(
    ("exp", "message"),
    [
        (3600, "not in the future"),  # jsonwebtoken would read "one hour": 1970 here
        (NOW, "not in the future"),
        ("31 days", "more than 2592000 seconds"),
        ("whenever", "exp must be"),
    ],
)
def test_bad_exp_is_invalid_exp(exp: object, message: str) -> None:
    with pytest.raises(InvalidExp, match=message) as raised:
        lifetime(exp)
    assert (raised.value.status_code, raised.value.code) == (400, "invalid_exp")


@pytest.mark.parametrize("nbf", ["2 hours", "3 hours", "yesterday"])
def test_bad_nbf_is_invalid_nbf(nbf: object) -> None:
    with pytest.raises(InvalidNbf) as raised:
        lifetime("2 hours", nbf)
    assert (raised.value.status_code, raised.value.code) == (400, "invalid_nbf")
