"""The security exception tree has the shape its module docstring draws."""

from __future__ import annotations

import pytest

from security import errors
from security.errors import (
    AuthenticationError,
    AuthorizationError,
    CiphertextFormatError,
    CryptoError,
    IntegrityError,
    KeyDestroyedError,
    KeyManagementError,
    KeyUnavailableError,
    SecurityError,
)


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (CryptoError, SecurityError),
        (CiphertextFormatError, CryptoError),
        (IntegrityError, CryptoError),
        (KeyUnavailableError, CryptoError),
        (KeyDestroyedError, KeyUnavailableError),
        (KeyManagementError, SecurityError),
        (AuthenticationError, SecurityError),
        (AuthorizationError, SecurityError),
    ],
)
def test_each_error_has_its_documented_parent(error: type[Exception], parent: type[Exception]):
    assert error.__mro__[1] is parent


def test_every_error_is_drawn_in_the_module_docstring():
    assert errors.__doc__ is not None
    for name in errors.__all__:
        assert name in errors.__doc__
