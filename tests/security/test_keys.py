"""Data key lifecycle: allowed transitions, what each state may do, and the key cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from security.errors import KeyDestroyedError, KeyManagementError, KeyUnavailableError
from security.keys import (
    ALLOWED_TRANSITIONS,
    DataKey,
    KeyCache,
    KeyState,
    UnwrappedKey,
    can_transition,
    new_data_key_material,
    require_decrypt,
    require_encrypt,
    transition,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)
EXPECTED_TRANSITIONS = {
    (KeyState.ACTIVE, KeyState.DECRYPT_ONLY),
    (KeyState.DECRYPT_ONLY, KeyState.RETIRED),
    (KeyState.RETIRED, KeyState.DESTROYED),
    (KeyState.ACTIVE, KeyState.DESTROYED),
    (KeyState.DECRYPT_ONLY, KeyState.DESTROYED),
}


def make_key(state: KeyState = KeyState.ACTIVE, *, key_id: int = 1) -> DataKey:
    return DataKey(
        id=key_id,
        purpose="partner:42",
        state=state,
        wrapped=b"wrapped-bytes",
        kek_id="local-1",
        created_at=NOW,
    )


@pytest.mark.parametrize("current", list(KeyState))
@pytest.mark.parametrize("target", list(KeyState))
def test_only_the_documented_transitions_are_allowed(current: KeyState, target: KeyState):
    allowed = (current, target) in EXPECTED_TRANSITIONS
    assert can_transition(current, target) is allowed
    assert (target in ALLOWED_TRANSITIONS[current]) is allowed
    if allowed:
        assert transition(make_key(current), target).state is target
    else:
        with pytest.raises(KeyManagementError):
            transition(make_key(current), target)


def test_destroying_a_key_drops_its_wrapped_bytes():
    destroyed = transition(make_key(KeyState.ACTIVE), KeyState.DESTROYED)
    assert destroyed.wrapped == b""
    assert transition(make_key(), KeyState.DECRYPT_ONLY).wrapped == b"wrapped-bytes"


def test_only_an_active_key_encrypts():
    require_encrypt(make_key(KeyState.ACTIVE))
    for state in (KeyState.DECRYPT_ONLY, KeyState.RETIRED):
        with pytest.raises(KeyUnavailableError):
            require_encrypt(make_key(state))
    with pytest.raises(KeyDestroyedError):
        require_encrypt(make_key(KeyState.DESTROYED))


def test_decrypt_rules_per_state():
    require_decrypt(make_key(KeyState.ACTIVE))
    require_decrypt(make_key(KeyState.DECRYPT_ONLY))
    with pytest.raises(KeyUnavailableError, match="re-encryption"):
        require_decrypt(make_key(KeyState.RETIRED))
    require_decrypt(make_key(KeyState.RETIRED), for_reencryption=True)
    for reencrypting in (False, True):
        with pytest.raises(KeyDestroyedError):
            require_decrypt(make_key(KeyState.DESTROYED), for_reencryption=reencrypting)


@pytest.mark.parametrize(
    "created_at",
    [datetime(2025, 1, 1), datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=1)))],
)
def test_data_key_needs_an_aware_utc_creation_time(created_at: datetime):
    with pytest.raises(ValueError, match="UTC"):
        DataKey(1, "default", KeyState.ACTIVE, b"w", "local-1", created_at)


@pytest.mark.parametrize("key_id", [-1, 2**32])
def test_data_key_id_must_fit_the_ciphertext_header(key_id: int):
    with pytest.raises(ValueError, match="32 bits"):
        make_key(key_id=key_id)


def test_wrapped_bytes_are_not_in_the_repr():
    assert "wrapped-bytes" not in repr(make_key())


def test_new_material_is_32_fresh_random_bytes():
    keys = {new_data_key_material() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(key) == 32 for key in keys)


def test_unwrapped_key_refuses_material_of_the_wrong_size():
    with pytest.raises(ValueError, match="32 bytes"):
        UnwrappedKey(1, b"short")


def test_cache_evicts_the_least_recently_used_key():
    cache = KeyCache(max_size=2)
    cache.put(1, b"a" * 32)
    cache.put(2, b"b" * 32)
    assert cache.get(1) == b"a" * 32  # 1 is now more recent than 2
    cache.put(3, b"c" * 32)
    assert 2 not in cache
    assert 1 in cache
    assert 3 in cache
    assert len(cache) == 2


def test_cache_forget_and_require():
    cache = KeyCache()
    cache.put(5, b"k" * 32)
    assert cache.require(5) == b"k" * 32
    assert cache.unwrapped(5) == UnwrappedKey(5, b"k" * 32)
    cache.forget(5)
    with pytest.raises(KeyUnavailableError, match="not loaded"):
        cache.require(5)
    cache.forget(5)  # forgetting twice is harmless


def test_cache_refuses_destroyed_keys_for_good():
    cache = KeyCache()
    cache.put(9, b"k" * 32)
    cache.mark_destroyed(9)
    with pytest.raises(KeyDestroyedError):
        cache.require(9)
    with pytest.raises(KeyDestroyedError):
        cache.put(9, b"k" * 32)


def test_cache_clear_and_repr_show_no_material():
    cache = KeyCache(max_size=3)
    cache.put(1, b"\xab" * 32)
    assert "ab" not in repr(cache)
    assert repr(b"\xab" * 32) not in repr(cache)
    cache.clear()
    assert len(cache) == 0


def test_cache_checks_its_inputs():
    with pytest.raises(ValueError, match="max_size"):
        KeyCache(max_size=0)
    with pytest.raises(ValueError, match="32 bytes"):
        KeyCache().put(1, b"short")
