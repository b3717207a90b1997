"""Bearer JWTs: what verifies into which viewer, and every way a token is refused."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from security.errors import (
    KeyManagementError,
    MalformedCredentialsError,
    TokenAudienceError,
    TokenClaimsError,
    TokenExpiredError,
    TokenIssuerError,
    TokenNotYetValidError,
    TokenSignatureError,
)
from security.tokens import hs256_secret, issue_token, parse_ttl, verify_token
from security.viewer import Permission, Role, Viewer
from settings import Settings

SECRET = SecretStr("unit-test-secret-" + "s" * 40)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, jwt_secret=SECRET)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base = {
        "iss": "channelhub",
        "aud": "channelhub",
        "sub": "someone",
        "role": "brand_admin",
        "iat": now,
        "exp": now + 600,
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET.get_secret_value()) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def test_hs256_round_trip_gives_the_viewer_the_token_describes(settings):
    token = issue_token(
        settings, subject="ann", role=Role.REGION_MANAGER, region_ids=(3, 7), ttl_seconds=60
    )
    viewer = verify_token(settings, token)
    assert viewer == Viewer(subject="ann", role=Role.REGION_MANAGER, region_ids=(3, 7))
    assert viewer.can(Permission.ORDERS_MANAGE) and not viewer.can(Permission.CATALOG_WRITE)
    dealer = verify_token(
        settings, issue_token(settings, subject="bo", role=Role.DEALER, partner_id=42)
    )
    assert (dealer.role, dealer.partner_id) == (Role.DEALER, 42)


def test_expired_beyond_the_leeway_is_refused_within_it_accepted(settings):
    assert settings.jwt_leeway_seconds == 30
    now = datetime.now(UTC)
    late = issue_token(
        settings,
        subject="x",
        role=Role.BRAND_ADMIN,
        ttl_seconds=60,
        now=now - timedelta(seconds=80),
    )
    assert verify_token(settings, late).subject == "x"  # expired 20 s ago: within the skew
    too_late = issue_token(
        settings,
        subject="x",
        role=Role.BRAND_ADMIN,
        ttl_seconds=60,
        now=now - timedelta(seconds=95),
    )
    with pytest.raises(TokenExpiredError, match="expired") as refused:
        verify_token(settings, too_late)
    assert refused.value.reason == "expired"


def test_issued_in_the_future_beyond_the_leeway_is_refused(settings):
    future = int((datetime.now(UTC) + timedelta(minutes=10)).timestamp())
    with pytest.raises(TokenNotYetValidError):
        verify_token(settings, hs256(claims(iat=future, exp=future + 60)))


def test_a_token_signed_with_another_secret_is_refused(settings):
    forged = hs256(claims(), secret="another-secret-" + "z" * 40)
    with pytest.raises(TokenSignatureError) as refused:
        verify_token(settings, forged)
    assert refused.value.reason == "bad_signature"
    assert forged not in str(refused.value)


def test_wrong_audience_and_wrong_issuer_are_refused(settings):
    with pytest.raises(TokenAudienceError):
        verify_token(settings, hs256(claims(aud="someone-else")))
    with pytest.raises(TokenIssuerError):
        verify_token(settings, hs256(claims(iss="https://evil.example")))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30"])
def test_malformed_tokens_are_refused(settings, token):
    with pytest.raises(MalformedCredentialsError):
        verify_token(settings, token)


def test_alg_none_is_refused(settings):
    unsigned = jwt.encode(claims(), "", algorithm="none")
    with pytest.raises(TokenSignatureError, match="'none' are not accepted"):
        verify_token(settings, unsigned)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sub": None}, "missing_claim"),
        ({"exp": None}, "missing_claim"),
        ({"aud": None}, "missing_claim"),
        ({"role": None}, "missing_claim"),
        ({"role": "root"}, "unknown_role"),
        ({"role": "service"}, "unknown_role"),
        ({"role": "dealer"}, "missing_claim"),
        ({"role": "dealer", "partner": "7"}, "invalid_claim"),
        ({"role": "region_manager"}, "missing_claim"),
        ({"role": "region_manager", "regions": [1, "x"]}, "invalid_claim"),
    ],
)
def test_missing_or_invalid_claims_are_refused(settings, overrides, reason):
    with pytest.raises(TokenClaimsError) as refused:
        verify_token(settings, hs256(claims(**overrides)))
    assert refused.value.reason == reason


def test_the_generated_secret_file_is_private_and_reused(tmp_path):
    settings = Settings(data_dir=tmp_path / "fresh")
    first = hs256_secret(settings)
    path = tmp_path / "fresh" / "jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and hs256_secret(settings) == first
    token = issue_token(settings, subject="x", role=Role.ERP_ADMIN)
    assert verify_token(Settings(data_dir=tmp_path / "fresh"), token).role is Role.ERP_ADMIN
    with pytest.raises(TokenSignatureError):
        verify_token(Settings(data_dir=tmp_path / "other"), token)


def pem(public_key: Any) -> bytes:
    return public_key.public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_rs256_with_a_pem_public_key(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "idp.pem").write_bytes(pem(key.public_key()))
    settings = Settings(
        data_dir=tmp_path, jwt_algorithm="RS256", jwt_public_key_file=tmp_path / "idp.pem"
    )
    token = jwt.encode(claims(sub="idp-user", role="security_auditor"), key, algorithm="RS256")
    assert verify_token(settings, token).role is Role.SECURITY_AUDITOR
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenSignatureError):
        verify_token(settings, jwt.encode(claims(), other, algorithm="RS256"))
    # HS256 signed with the public key itself (the classic algorithm confusion) is refused.
    confused = jwt.encode(claims(), "confusion-" + "k" * 40, algorithm="HS256")
    with pytest.raises(TokenSignatureError, match="'HS256' are not accepted"):
        verify_token(settings, confused)
    with pytest.raises(KeyManagementError, match="HS256 tokens only"):
        issue_token(settings, subject="x", role=Role.BRAND_ADMIN)


def test_es256_with_a_jwks_file_chooses_the_key_by_kid(tmp_path):
    keys = {kid: ec.generate_private_key(ec.SECP256R1()) for kid in ("k1", "k2")}
    jwks = {
        "keys": [
            {
                **json.loads(jwt.algorithms.ECAlgorithm.to_jwk(k.public_key())),
                "kid": kid,
                "alg": "ES256",
                "use": "sig",
            }
            for kid, k in keys.items()
        ]
    }
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    settings = Settings(
        data_dir=tmp_path, jwt_algorithm="ES256", jwt_jwks_file=tmp_path / "jwks.json"
    )
    for kid, key in keys.items():
        token = jwt.encode(claims(sub=kid), key, algorithm="ES256", headers={"kid": kid})
        assert verify_token(settings, token).subject == kid
    swapped = jwt.encode(claims(), keys["k1"], algorithm="ES256", headers={"kid": "k2"})
    with pytest.raises(TokenSignatureError, match="does not verify"):
        verify_token(settings, swapped)
    unknown = jwt.encode(claims(), keys["k1"], algorithm="ES256", headers={"kid": "k9"})
    with pytest.raises(TokenSignatureError, match="kid"):
        verify_token(settings, unknown)


def test_a_missing_key_file_is_a_configuration_error_not_a_401(tmp_path):
    settings = Settings(
        data_dir=tmp_path, jwt_algorithm="RS256", jwt_public_key_file=tmp_path / "missing.pem"
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(KeyManagementError, match="cannot be read"):
        verify_token(settings, jwt.encode(claims(), key, algorithm="RS256"))


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600), ("45s", 45), ("30m", 1800), ("8h", 28800), ("2d", 172800)]
)
def test_parse_ttl(text, seconds):
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "8x", "h"])
def test_parse_ttl_refuses_nonsense(text):
    with pytest.raises(ValueError, match="not a lifetime"):
        parse_ttl(text)
