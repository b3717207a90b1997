"""Micro-bench of field encryption: µs per seal and per unseal of a 20-byte value.

Baseline measured in the same run: one bare AES-256-GCM encrypt / decrypt of the same value
and associated data with a prepared ``AESGCM`` object (the floor ``seal``/``unseal`` add their
header, nonce, context encoding, key lookup and per-call key setup to). Printed: best-of-N
µs per operation (each N = ``--iterations`` calls, timed with ``timeit``) and the ratio to the
baseline. Run: ``.venv/bin/python bench/encryption_micro.py [--iterations N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from security.cipher import HEADER_BYTES, FieldContext, seal, unseal
from security.keys import KeyCache, UnwrappedKey, new_data_key_material

VALUE = b"DE12 3704 0044 05320"  # 20 bytes, the size of an IBAN-ish field
assert len(VALUE) == 20


def best_us(operation: Callable[[], object], iterations: int, repeat: int) -> float:
    """Best of ``repeat`` runs of ``iterations`` calls, in µs per call."""
    return min(timeit.repeat(operation, number=iterations, repeat=repeat)) / iterations * 1e6


def measure(iterations: int, repeat: int) -> dict[str, float]:
    key = UnwrappedKey(1, new_data_key_material())
    cache = KeyCache()
    cache.put(key.id, key.material)
    ctx = FieldContext("partners", "bank_account", "12345")
    blob = seal(key, VALUE, ctx)
    assert unseal(blob, ctx, cache.require) == VALUE

    aead = AESGCM(key.material)
    nonce = os.urandom(12)
    aad = blob[:HEADER_BYTES] + ctx.associated_data()
    raw = aead.encrypt(nonce, VALUE, aad)

    results = {
        "seal_us": best_us(lambda: seal(key, VALUE, ctx), iterations, repeat),
        "unseal_us": best_us(lambda: unseal(blob, ctx, cache.require), iterations, repeat),
        "aesgcm_encrypt_us": best_us(lambda: aead.encrypt(nonce, VALUE, aad), iterations, repeat),
        "aesgcm_decrypt_us": best_us(lambda: aead.decrypt(nonce, raw, aad), iterations, repeat),
    }
    results["seal_ratio"] = results["seal_us"] / results["aesgcm_encrypt_us"]
    results["unseal_ratio"] = results["unseal_us"] / results["aesgcm_decrypt_us"]
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = measure(args.iterations, args.repeat)
    if args.json:
        print(json.dumps({key: round(value, 3) for key, value in results.items()}))
        return 0
    print(f"20-byte value, best of {args.repeat} x {args.iterations} calls")
    print(f"seal    {results['seal_us']:7.2f} µs  ({results['seal_ratio']:.2f}x bare AES-GCM)")
    print(f"unseal  {results['unseal_us']:7.2f} µs  ({results['unseal_ratio']:.2f}x bare AES-GCM)")
    print(f"bare AES-GCM encrypt {results['aesgcm_encrypt_us']:.2f} µs")
    print(f"bare AES-GCM decrypt {results['aesgcm_decrypt_us']:.2f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
