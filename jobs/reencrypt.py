"""Re-encryption: move every encrypted value onto its purpose's ACTIVE key, batch by batch.

After ``keys rotate``, values still name DECRYPT_ONLY keys. ``reencrypt`` walks each table of
``store.encrypted`` in id order, ``batch`` rows at a time:

1. read the rows' ciphertexts (no transaction held);
2. decrypt the values under non-ACTIVE keys (RETIRED allowed: this is re-encryption) and
   seal them again under the ACTIVE key of the same purpose (same row, same column);
3. in one transaction: write each with compare-and-set (``WHERE id = :id AND <col>_ct =
   :old``) and save the checkpoint (last id done).

A concurrent update wins the compare-and-set and keeps its value (it was sealed under the
ACTIVE key anyway). A killed run resumes after its last committed batch; a finished run
clears its checkpoint, and a second run moves nothing. At the end, DECRYPT_ONLY keys that no
value names any more become RETIRED. Values that cannot be opened (tampered: UNREADABLE) are
counted and left alone; shredded ones (key DESTROYED) are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from security.cipher import encode_text, header, seal
from security.errors import CryptoError
from security.field_crypto import FieldCrypto
from security.fields import EncryptedColumn, EncryptedValue
from security.key_lifecycle import retire
from security.keys import KeyState
from store.encrypted import ENCRYPTED_COLUMNS
from store.repositories.encrypted_fields import (
    count_rows,
    rows_after,
    swap_ciphertext,
    values_per_key,
)
from store.repositories.key_jobs import clear_checkpoint, load_checkpoint, save_checkpoint

__all__ = ["ReencryptReport", "key_usage", "reencrypt"]

Progress = Callable[[int, int], None]
"""Called after each committed batch with (rows scanned, rows in all)."""
MOVABLE = frozenset({KeyState.DECRYPT_ONLY, KeyState.RETIRED})


@dataclass
class ReencryptReport:
    scanned: int = 0
    moved: int = 0
    lost_to_concurrent_writes: int = 0
    unreadable: int = 0
    remaining: int = 0
    resumed_after: dict[str, int] = field(default_factory=dict)
    retired: list[int] = field(default_factory=list)


def _tables(columns: Sequence[EncryptedColumn]) -> dict[str, tuple[EncryptedColumn, ...]]:
    grouped: dict[str, list[EncryptedColumn]] = defaultdict(list)
    for column in columns:
        grouped[column.table].append(column)
    return {table: tuple(cols) for table, cols in grouped.items()}


async def key_usage(crypto: FieldCrypto, columns: Sequence[EncryptedColumn]) -> dict[int, int]:
    """How many stored values name each data key id, over ``columns``."""
    usage: dict[int, int] = defaultdict(int)
    async with crypto.keys.sessions() as session:
        for column in columns:
            for key_id, count in (await values_per_key(session, column)).by_key.items():
                usage[key_id] += count
    return dict(usage)


async def reencrypt(
    crypto: FieldCrypto,
    *,
    batch: int = 500,
    progress: Progress | None = None,
    columns: Sequence[EncryptedColumn] = ENCRYPTED_COLUMNS,
) -> ReencryptReport:
    """Move every value under a non-ACTIVE key onto the ACTIVE key; retire emptied keys."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    report = ReencryptReport()
    for table, table_columns in _tables(columns).items():
        resumed = await _pass(crypto, table, table_columns, batch, progress, report)
        if resumed and await _remaining(crypto, table_columns):
            # Rows before the checkpoint may have moved back to old keys meanwhile (a rotation
            # between the kill and this run): one more pass from the start covers them.
            await _pass(crypto, table, table_columns, batch, progress, report, restart=True)
    keys = crypto.keys
    usage = await key_usage(crypto, columns)
    states = await keys.states(usage)
    report.remaining = sum(n for k, n in usage.items() if states.get(k) in MOVABLE)
    emptied = [k for k in await keys.ids_in_state(KeyState.DECRYPT_ONLY) if not usage.get(k)]
    report.retired = await retire(keys, emptied)
    return report


async def _remaining(crypto: FieldCrypto, columns: Sequence[EncryptedColumn]) -> int:
    usage = await key_usage(crypto, columns)
    states = await crypto.keys.states(usage)
    return sum(n for key_id, n in usage.items() if states.get(key_id) in MOVABLE)


async def _pass(
    crypto: FieldCrypto,
    table: str,
    columns: tuple[EncryptedColumn, ...],
    batch: int,
    progress: Progress | None,
    report: ReencryptReport,
    *,
    restart: bool = False,
) -> bool:
    """One walk over ``table``; True when it resumed from a checkpoint."""
    keys = crypto.keys
    name = f"reencrypt:{table}"
    started = keys.clock()
    async with keys.sessions() as session:
        checkpoint = None if restart else await load_checkpoint(session, name)
        last = checkpoint.last_id if checkpoint else 0
        total = await count_rows(session, table)
        done = total - await count_rows(session, table, after_id=last)
    if checkpoint is not None:
        started = checkpoint.started_at
        report.resumed_after[table] = last
    while True:
        async with keys.sessions() as session:
            rows = await rows_after(session, columns, last, batch)
        if not rows:
            break
        moves = await _reseal(crypto, columns, rows, report)
        async with keys.sessions.begin() as session:
            for column, row_id, old, new in moves:
                if await swap_ciphertext(session, column, row_id, old, new):
                    report.moved += 1
                else:
                    report.lost_to_concurrent_writes += 1
            last = int(rows[-1][0])
            await save_checkpoint(session, name, last, started, keys.clock())
        report.scanned += len(rows)
        done += len(rows)
        if progress is not None:
            progress(min(done, total), total)
    async with keys.sessions.begin() as session:
        await clear_checkpoint(session, name)
    return checkpoint is not None


async def _reseal(
    crypto: FieldCrypto,
    columns: tuple[EncryptedColumn, ...],
    rows: list[tuple[Any, ...]],
    report: ReencryptReport,
) -> list[tuple[EncryptedColumn, int, bytes, bytes]]:
    """(column, row id, old ciphertext, new ciphertext) for each value to move in ``rows``."""
    stored: list[EncryptedValue] = []
    for row in rows:
        row_id = int(row[0])
        for column, ciphertext in zip(columns, row[1:], strict=True):
            if ciphertext is not None:
                stored.append(EncryptedValue(column, row_id, bytes(ciphertext), None))
    key_ids = {v: _key_id(v) for v in stored}
    states = await crypto.keys.states(k for k in key_ids.values() if k is not None)
    movable = [v for v in stored if states.get(key_ids[v] or -1) in MOVABLE]
    report.unreadable += sum(1 for v in stored if key_ids[v] is None or key_ids[v] not in states)
    if not movable:
        return []
    opened = await crypto.open_many(movable, for_reencryption=True)
    targets = await crypto.keys.active_keys(v.column.purpose(v.row_id) for v in movable)
    moves: list[tuple[EncryptedColumn, int, bytes, bytes]] = []
    for value, plaintext in zip(movable, opened, strict=True):
        if isinstance(plaintext, CryptoError):
            report.unreadable += 1
            continue
        assert value.ciphertext is not None
        key = targets[value.column.purpose(value.row_id)]
        new = seal(key, encode_text(plaintext), value.column.context(value.row_id))
        moves.append((value.column, value.row_id, value.ciphertext, new))
    return moves


def _key_id(value: EncryptedValue) -> int | None:
    try:
        return header(value.ciphertext or b"").key_id
    except CryptoError:
        return None
