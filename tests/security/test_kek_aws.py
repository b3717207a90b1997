"""The AWS KMS KEK provider against moto's in-process KMS (no network, fake credentials)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from security.errors import IntegrityError, KeyManagementError
from security.kek import AwsKmsKek, LocalKeyring, rewrap
from security.keys import new_data_key_material
from tests.kms import REGION, fake_kms_key

CONTEXT = {"purpose": "default", "key_id": "1"}


@pytest.fixture
def kms_key_id(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A symmetric KMS key in moto's fake account."""
    with fake_kms_key(monkeypatch, "channelhub test KEK") as arn:
        yield arn


def test_wrap_and_unwrap_through_kms(kms_key_id: str):
    kek = AwsKmsKek(kms_key_id, REGION)
    dek = new_data_key_material()
    wrapped = kek.wrap(dek, context=CONTEXT)
    assert dek not in wrapped
    assert kek.unwrap(wrapped, context=CONTEXT) == dek
    assert kek.kek_id == f"aws-kms:{kms_key_id}"
    assert kms_key_id in repr(kek)


def test_wrong_encryption_context_fails_to_unwrap(kms_key_id: str):
    kek = AwsKmsKek(kms_key_id, REGION)
    wrapped = kek.wrap(new_data_key_material(), context=CONTEXT)
    with pytest.raises(IntegrityError):
        kek.unwrap(wrapped, context={"purpose": "partner:42", "key_id": "1"})
    with pytest.raises(IntegrityError):
        kek.unwrap(wrapped, context={})


def test_tampered_blob_fails_to_unwrap(kms_key_id: str):
    kek = AwsKmsKek(kms_key_id, REGION)
    wrapped = bytearray(kek.wrap(new_data_key_material(), context=CONTEXT))
    wrapped[-1] ^= 0x01
    with pytest.raises((IntegrityError, KeyManagementError)):
        kek.unwrap(bytes(wrapped), context=CONTEXT)


def test_kms_errors_become_key_management_errors(kms_key_id: str):
    missing = kms_key_id.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(KeyManagementError, match="encrypt failed: NotFoundException"):
        AwsKmsKek(missing, REGION).wrap(b"d" * 32, context=CONTEXT)


def test_rewrap_from_local_keyring_to_kms_and_back(kms_key_id: str, tmp_path: Path):
    local = LocalKeyring(tmp_path / "keyring.json")
    kms = AwsKmsKek(kms_key_id, REGION)
    dek = new_data_key_material()
    in_kms = rewrap(local.wrap(dek, context=CONTEXT), local, kms, CONTEXT)
    assert kms.unwrap(in_kms, context=CONTEXT) == dek
    back = rewrap(in_kms, kms, local, CONTEXT)
    assert local.unwrap(back, context=CONTEXT) == dek


def test_missing_boto3_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(KeyManagementError, match=r"channelhub\[aws\]"):
        AwsKmsKek("alias/channelhub", REGION)
