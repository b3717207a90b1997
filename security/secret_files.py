"""Local secret files (the HS256 JWT secret, the provisional audit key): made once, 0600.

A file is created with ``os.open(..., O_CREAT | O_EXCL, 0o600)``, so it never exists with
looser permissions, and two processes starting at once agree on one value (the loser of the
race reads the winner's file). Values are URL-safe text; callers decide how long they are.
"""

from __future__ import annotations

import os
from pathlib import Path

from security.errors import KeyManagementError


def read_or_create(path: Path, make: str, *, min_length: int) -> str:
    """The stripped text of ``path``, first writing ``make`` into it if it does not exist."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as error:
        raise KeyManagementError(f"{path} cannot be created: {error.strerror}") from None
    else:
        with os.fdopen(fd, "w") as file:
            file.write(make + "\n")
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise KeyManagementError(f"{path} cannot be read: {error.strerror}") from None
    if len(text) < min_length:
        raise KeyManagementError(f"{path} holds no usable secret (too short)")
    return text
