"""Key-encryption keys (KEKs): providers that wrap and unwrap data keys, and KEK rotation.

A ``KekProvider`` wraps a data key under its active KEK, bound to a context (for example
``{"purpose": "partner:42", "key_id": "7"}``); unwrapping needs the same context. The KEK
itself never leaves its provider. Two providers:

- ``LocalKeyring``: a JSON file of KEKs (32 random bytes each, base64) and the active KEK id,
  created on first use with mode 0600 and refused when group or others may access it.
  Wrapped format: version byte (1), length-prefixed KEK id, 12-byte nonce, AES-256-GCM
  ciphertext and tag; AAD = length-prefixed KEK id and sorted context. ``rotate`` holds an
  flock on ``<keyring>.lock`` and re-reads the file, so concurrent rotations lose no KEK;
  ``unwrap`` re-reads the file once when it meets a KEK id it does not hold yet.
- ``AwsKmsKek``: AWS KMS ``Encrypt``/``Decrypt`` with the context as EncryptionContext.
  boto3 is optional (``pip install 'channelhub[aws]'``) and imported only when used.

Rotating a KEK rewraps data keys (``rewrap``); values sealed with those keys are untouched.
Nothing here logs, and no error carries a KEK, a data key or wrapped bytes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import importlib
import json
import os
import secrets
import stat
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security.cipher import KEY_BYTES, NONCE_BYTES, TAG_BYTES, length_prefixed
from security.errors import CiphertextFormatError, IntegrityError, KeyManagementError

__all__ = ["AwsKmsKek", "KekProvider", "LocalKeyring", "rewrap"]

_WRAP_VERSION = 1
_LENGTH = struct.Struct(">I")
_KEYRING_FORMAT = 1


class KekProvider(Protocol):
    """Wraps data keys under a key-encryption key that never leaves the provider."""

    @property
    def kek_id(self) -> str:
        """The KEK new wraps use; stored next to each wrapped data key."""
        ...

    def wrap(self, dek: bytes, *, context: Mapping[str, str]) -> bytes: ...

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes: ...


def rewrap(
    wrapped: bytes,
    old_provider: KekProvider,
    new_provider: KekProvider,
    context: Mapping[str, str],
) -> bytes:
    """Move a data key from one KEK to another: same key material, new wrapped bytes."""
    return new_provider.wrap(old_provider.unwrap(wrapped, context=context), context=context)


def _context_bytes(context: Mapping[str, str]) -> bytes:
    parts: list[bytes] = []
    for name in sorted(context):
        parts += [name.encode("utf-8"), context[name].encode("utf-8")]
    return length_prefixed(*parts)


class LocalKeyring:
    """KEKs kept in a local JSON file readable by its owner only."""

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        self._keks: dict[str, bytes] = {}
        self._active = ""
        if not self._load():
            self._keks = {"local-1": os.urandom(KEY_BYTES)}
            self._active = "local-1"
            try:
                self._write(exclusive=True)
            except FileExistsError:  # another process created it first: use theirs
                self._load()

    def __repr__(self) -> str:
        return f"LocalKeyring(path={str(self._path)!r}, active={self._active!r})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def kek_id(self) -> str:
        return self._active

    @property
    def kek_ids(self) -> tuple[str, ...]:
        """Every KEK this keyring can unwrap with, oldest first."""
        return tuple(self._keks)

    def rotate(self) -> str:
        """Add a new active KEK, keep the old ones for unwrapping; returns the new KEK id.

        Holds an exclusive lock on ``<keyring>.lock`` and re-reads the file first, so two
        concurrent rotations never drop each other's KEKs.
        """
        with self._locked():
            self._load()
            number = len(self._keks) + 1
            while f"local-{number}" in self._keks:
                number += 1
            new_id = f"local-{number}"
            previous = (self._keks, self._active)
            self._keks, self._active = {**self._keks, new_id: os.urandom(KEY_BYTES)}, new_id
            try:
                self._write(exclusive=False)
            except BaseException:
                self._keks, self._active = previous
                raise
        return new_id

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self._path.with_name(self._path.name + ".lock")
        fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def wrap(self, dek: bytes, *, context: Mapping[str, str]) -> bytes:
        kek_id = self._active.encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        aad = length_prefixed(kek_id) + _context_bytes(context)
        body = AESGCM(self._keks[self._active]).encrypt(nonce, dek, aad)
        return bytes([_WRAP_VERSION]) + length_prefixed(kek_id) + nonce + body

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes:
        if len(wrapped) < 1 + _LENGTH.size or wrapped[0] != _WRAP_VERSION:
            raise CiphertextFormatError("wrapped data key has an unknown format")
        (id_length,) = _LENGTH.unpack_from(wrapped, 1)
        id_end = 1 + _LENGTH.size + id_length
        if len(wrapped) < id_end + NONCE_BYTES + TAG_BYTES:
            raise CiphertextFormatError("wrapped data key is truncated")
        kek_id = wrapped[1 + _LENGTH.size : id_end]
        name = kek_id.decode("utf-8", errors="replace")
        if name not in self._keks:
            self._load()  # another process may have rotated since this one loaded
        kek = self._keks.get(name)
        if kek is None:
            raise KeyManagementError(f"keyring {self._path} has no KEK {name!r}")
        nonce = wrapped[id_end : id_end + NONCE_BYTES]
        aad = length_prefixed(kek_id) + _context_bytes(context)
        try:
            return AESGCM(kek).decrypt(nonce, wrapped[id_end + NONCE_BYTES :], aad)
        except InvalidTag:
            raise IntegrityError(
                "wrapped data key failed authentication (altered, or another context)"
            ) from None

    def _load(self) -> bool:
        """Read the keyring file; False when it does not exist yet."""
        try:
            fd = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        with os.fdopen(fd, "rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise KeyManagementError(
                    f"keyring file {self._path} has mode {mode:04o}: group or others can "
                    f"access it. Restrict it to its owner with: chmod 600 {self._path}"
                )
            raw = file.read()
        try:
            document = json.loads(raw)
            keks = {
                str(kek_id): base64.b64decode(encoded, validate=True)
                for kek_id, encoded in document["keks"].items()
            }
            active = str(document["active"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise KeyManagementError(f"keyring file {self._path} is malformed") from None
        if active not in keks or any(len(kek) != KEY_BYTES for kek in keks.values()):
            raise KeyManagementError(f"keyring file {self._path} is malformed")
        self._keks, self._active = keks, active
        return True

    def _write(self, *, exclusive: bool) -> None:
        """Write the whole keyring to a new 0600 file, then move it into place atomically.

        The file is created with mode 0600 from the start (never chmod-ed afterwards).
        ``exclusive`` links it in only if no keyring exists yet (``FileExistsError`` if one
        does), so a concurrent first use never sees a half-written file.
        """
        document = {
            "format": _KEYRING_FORMAT,
            "active": self._active,
            "keks": {
                kek_id: base64.b64encode(kek).decode("ascii") for kek_id, kek in self._keks.items()
            },
        }
        data = json.dumps(document, indent=2).encode("utf-8") + b"\n"
        folder = self._path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".{self._path.name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if exclusive:
                os.link(temporary, self._path)
            else:
                os.replace(temporary, self._path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(folder)


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AwsKmsKek:
    """A KEK held in AWS KMS; wrapping and unwrapping are KMS calls."""

    def __init__(self, key_id: str, region: str, *, client: Any = None) -> None:
        self._key_id = key_id
        if client is None:
            try:
                boto3 = importlib.import_module("boto3")
            except ImportError:
                raise KeyManagementError(
                    "AWS KMS needs boto3: pip install 'channelhub[aws]'"
                ) from None
            client = boto3.client("kms", region_name=region)
        self._client = client

    def __repr__(self) -> str:
        return f"AwsKmsKek(key_id={self._key_id!r})"

    @property
    def kek_id(self) -> str:
        return f"aws-kms:{self._key_id}"

    def wrap(self, dek: bytes, *, context: Mapping[str, str]) -> bytes:
        response = self._call(
            "encrypt", KeyId=self._key_id, Plaintext=dek, EncryptionContext=dict(context)
        )
        return bytes(response["CiphertextBlob"])

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes:
        response = self._call(
            "decrypt", KeyId=self._key_id, CiphertextBlob=wrapped, EncryptionContext=dict(context)
        )
        return bytes(response["Plaintext"])

    def _call(self, operation: str, **kwargs: Any) -> Any:
        exceptions = importlib.import_module("botocore.exceptions")
        try:
            return getattr(self._client, operation)(**kwargs)
        except exceptions.ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "unknown"))
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise IntegrityError(
                    "KMS refused the wrapped data key (altered, another key, or another context)"
                ) from None
            raise KeyManagementError(f"KMS {operation} failed: {code}") from None
        except exceptions.BotoCoreError as error:
            raise KeyManagementError(f"KMS {operation} failed: {type(error).__name__}") from None
