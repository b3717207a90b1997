"""The local keyring: created 0600, refused when others can read it, wraps and rotates KEKs."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from security.errors import CiphertextFormatError, IntegrityError, KeyManagementError
from security.kek import LocalKeyring, rewrap
from security.keys import new_data_key_material

CONTEXT = {"purpose": "partner:42", "key_id": "3"}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 000: a file written with default permissions would come out 0666."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_keyring_is_created_on_first_use_with_mode_0600(tmp_path: Path):
    path = tmp_path / "var" / "keyring.json"
    keyring = LocalKeyring(path)
    assert path.exists()
    assert mode_of(path) == 0o600
    assert keyring.kek_id == "local-1"
    assert keyring.kek_ids == ("local-1",)
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]  # no temporary left


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_keyring_readable_by_group_or_others_is_refused(tmp_path: Path, mode: int):
    path = tmp_path / "keyring.json"
    LocalKeyring(path)
    path.chmod(mode)
    with pytest.raises(KeyManagementError, match="chmod 600") as caught:
        LocalKeyring(path)
    assert f"{mode:04o}" in str(caught.value)


def test_keyring_is_reloaded_not_overwritten(tmp_path: Path):
    path = tmp_path / "keyring.json"
    first = LocalKeyring(path)
    before = path.read_bytes()
    wrapped = first.wrap(b"k" * 32, context=CONTEXT)
    second = LocalKeyring(path)
    assert path.read_bytes() == before
    assert second.unwrap(wrapped, context=CONTEXT) == b"k" * 32


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"{}",
        b'{"active": "local-1", "keks": {}}',
        b'{"active": "local-1", "keks": {"local-1": "c2hvcnQ="}}',
        b'{"active": "local-1", "keks": {"local-1": "***"}}',
        b'{"active": "local-1", "keks": []}',
    ],
)
def test_malformed_keyring_is_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "keyring.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
    with pytest.raises(KeyManagementError, match="malformed"):
        LocalKeyring(path)


def test_wrap_round_trips_and_hides_the_data_key(tmp_path: Path):
    keyring = LocalKeyring(tmp_path / "keyring.json")
    dek = new_data_key_material()
    wrapped = keyring.wrap(dek, context=CONTEXT)
    assert dek not in wrapped
    assert keyring.unwrap(wrapped, context=CONTEXT) == dek
    assert keyring.wrap(dek, context=CONTEXT) != wrapped  # fresh nonce each time


@pytest.mark.parametrize(
    "other_context",
    [
        {"purpose": "partner:43", "key_id": "3"},
        {"purpose": "partner:42"},
        {"purpose": "partner:42", "key_id": "3", "extra": ""},
        {"purpose": "partner:42key_id", "": "3"},
    ],
)
def test_unwrap_with_another_context_fails(tmp_path: Path, other_context: dict[str, str]):
    keyring = LocalKeyring(tmp_path / "keyring.json")
    wrapped = keyring.wrap(new_data_key_material(), context=CONTEXT)
    with pytest.raises(IntegrityError):
        keyring.unwrap(wrapped, context=other_context)


def test_tampered_or_truncated_wrapped_key_is_rejected(tmp_path: Path):
    keyring = LocalKeyring(tmp_path / "keyring.json")
    wrapped = keyring.wrap(new_data_key_material(), context=CONTEXT)
    for position in range(len(wrapped)):
        altered = bytearray(wrapped)
        altered[position] ^= 0x01
        with pytest.raises((CiphertextFormatError, IntegrityError, KeyManagementError)):
            keyring.unwrap(bytes(altered), context=CONTEXT)
    for length in range(len(wrapped)):
        with pytest.raises((CiphertextFormatError, IntegrityError, KeyManagementError)):
            keyring.unwrap(wrapped[:length], context=CONTEXT)


@pytest.mark.usefixtures("permissive_umask")
def test_rotate_adds_an_active_kek_and_keeps_the_old_ones(tmp_path: Path):
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring(path)
    dek = new_data_key_material()
    old_wrapped = keyring.wrap(dek, context=CONTEXT)
    assert keyring.rotate() == "local-2"
    assert keyring.kek_id == "local-2"
    assert keyring.kek_ids == ("local-1", "local-2")
    assert keyring.unwrap(old_wrapped, context=CONTEXT) == dek
    assert mode_of(path) == 0o600
    assert json.loads(path.read_text())["active"] == "local-2"
    assert LocalKeyring(path).kek_id == "local-2"


def test_rewrap_changes_the_wrapped_bytes_but_not_the_data_key(tmp_path: Path):
    keyring = LocalKeyring(tmp_path / "keyring.json")
    dek = new_data_key_material()
    wrapped = keyring.wrap(dek, context=CONTEXT)
    keyring.rotate()
    rewrapped = rewrap(wrapped, keyring, keyring, CONTEXT)
    assert rewrapped != wrapped
    assert b"local-2" in rewrapped
    assert keyring.unwrap(rewrapped, context=CONTEXT) == dek


def test_rewrap_between_two_keyrings(tmp_path: Path):
    old = LocalKeyring(tmp_path / "old.json")
    new = LocalKeyring(tmp_path / "new.json")
    dek = new_data_key_material()
    rewrapped = rewrap(old.wrap(dek, context=CONTEXT), old, new, CONTEXT)
    assert new.unwrap(rewrapped, context=CONTEXT) == dek
    with pytest.raises(IntegrityError):
        old.unwrap(rewrapped, context=CONTEXT)  # same KEK id, another KEK


def test_a_rotation_elsewhere_is_seen_and_never_lost(tmp_path: Path):
    path = tmp_path / "keyring.json"
    here = LocalKeyring(path)
    there = LocalKeyring(path)
    assert there.rotate() == "local-2"
    wrapped_there = there.wrap(b"d" * 32, context=CONTEXT)
    assert here.unwrap(wrapped_there, context=CONTEXT) == b"d" * 32  # reloads on unknown KEK
    assert here.rotate() == "local-3"  # re-reads the file: local-2 survives
    assert LocalKeyring(path).kek_ids == ("local-1", "local-2", "local-3")


def test_unknown_kek_is_a_key_management_error(tmp_path: Path):
    other = LocalKeyring(tmp_path / "other.json")
    other.rotate()
    wrapped = other.wrap(b"d" * 32, context=CONTEXT)  # wrapped by "local-2"
    keyring = LocalKeyring(tmp_path / "keyring.json")
    with pytest.raises(KeyManagementError, match="local-2"):
        keyring.unwrap(wrapped, context=CONTEXT)


def test_keyring_repr_and_errors_hold_no_key_material(tmp_path: Path):
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring(path)
    encoded = json.loads(path.read_text())["keks"]["local-1"]
    assert encoded not in repr(keyring)
    path.chmod(0o644)
    with pytest.raises(KeyManagementError) as caught:
        LocalKeyring(path)
    assert encoded not in str(caught.value)
