"""``channelhub keys``: status, rotate, reencrypt, shred, rotate-kek (arguments and output).

The work is in ``jobs.key_admin``; this module parses arguments, runs it on the configured
database (migrating the embedded SQLite default first, as ``serve`` does) and prints. Exit
codes: 0 done; 1 a failure explained on stderr (for ``reencrypt``, also values left on old
keys); 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeAlias, TypeVar

from jobs.key_admin import KeyTools, PartnerNotFoundError, StatusReport
from security.errors import SecurityError
from settings import Settings
from store.migrate import upgrade

__all__ = ["add_keys_command"]

T = TypeVar("T")
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Bar(Protocol):
    def __call__(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


BarFactory = Callable[[str], Bar]


def _run(settings: Settings, action: str, work: Callable[[KeyTools], Awaitable[T]]) -> T | None:
    """``work`` on the configured database; None (message on stderr) when it failed."""

    async def run() -> T:
        tools = KeyTools(settings)
        try:
            if settings.should_auto_migrate:
                await upgrade(tools.engine)
            return await work(tools)
        finally:
            await tools.close()

    try:
        return asyncio.run(run())
    except (SecurityError, PartnerNotFoundError) as error:
        print(f"channelhub keys {action}: {error}", file=sys.stderr)
        return None


def _status_lines(report: StatusReport, by_key: bool) -> list[str]:
    states = ", ".join(f"{s} {n}" for s, n in sorted(report.keys_by_state.items())) or "none"
    keks = ", ".join(f"{k} {n}" for k, n in sorted(report.keys_by_kek.items())) or "none"
    lines = [f"KEK {report.kek_id}; data keys: {states} (wrapped by: {keks})", ""]
    lines.append(f"{'column':<24} {'values':>7} {'empty':>6} {'not ciphertext':>15}  by key state")
    for name, column in report.columns.items():
        values = sum(column.by_key.values())
        states = ", ".join(f"{s} {n}" for s, n in sorted(column.by_state.items())) or "-"
        lines.append(
            f"{name:<24} {values:>7} {column.empty:>6} {column.not_ciphertext:>15}  {states}"
        )
        if by_key:
            lines += [f"    key {k}: {n}" for k, n in sorted(column.by_key.items())]
    return lines


def _status(args: argparse.Namespace, settings: Settings) -> int:
    report = _run(settings, "status", lambda tools: tools.status())
    if report is None:
        return 1
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print("\n".join(_status_lines(report, args.by_key)))
    return 0


def _rotate(_args: argparse.Namespace, settings: Settings) -> int:
    rotations = _run(settings, "rotate", lambda tools: tools.rotate())
    if rotations is None:
        return 1
    print(
        f"Rotated {len(rotations)} data key(s): new writes use the new keys. "
        "Run `channelhub keys reencrypt` to move the stored values."
    )
    return 0


def _reencrypt(args: argparse.Namespace, settings: Settings, *, bar: BarFactory) -> int:
    progress = bar("re-encrypting")
    try:
        report = _run(settings, "reencrypt", lambda tools: tools.reencrypt(args.batch, progress))
    finally:
        progress.close()
    if report is None:
        return 1
    resumed = "".join(f" (resumed {t} after id {i})" for t, i in report.resumed_after.items())
    print(
        f"Re-encrypted {report.moved} value(s) in {report.scanned} row(s){resumed}; "
        f"{report.lost_to_concurrent_writes} changed concurrently (kept), "
        f"{report.unreadable} unreadable; retired key(s): {len(report.retired)}; "
        f"left on old keys: {report.remaining}."
    )
    return 0 if report.remaining == 0 else 1


def _shred(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes and sys.stdin.isatty():
        answer = input(f"Destroy the data key of partner {args.partner} for good? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing shredded.")
            return 1
    report = _run(settings, "shred", lambda tools: tools.shred_partner(args.partner))
    if report is None:
        return 1
    print(
        f"Shredded partner {report.code} (id {report.partner_id}): destroyed data key(s) "
        f"{', '.join(map(str, report.destroyed_keys)) or 'none (already shredded)'}; its "
        "encrypted fields are unreadable for good."
    )
    return 0


def _rotate_kek(args: argparse.Namespace, settings: Settings) -> int:
    report = _run(settings, "rotate-kek", lambda tools: tools.rotate_kek(args.to_kms_key))
    if report is None:
        return 1
    failed = f"; {len(report.failed)} could not be unwrapped: {list(report.failed)}"
    print(
        f"Rewrapped {report.rewrapped} data key(s) under KEK {report.kek_id}"
        f"{failed if report.failed else ''}; stored values are unchanged."
    )
    return 1 if report.failed else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_keys_command(subparsers: Subparsers, bar: BarFactory) -> None:
    """Register ``channelhub keys``; ``bar(label)`` makes the re-encryption progress bar."""
    parser = subparsers.add_parser(
        "keys", help="field encryption keys: status, rotate, reencrypt, shred, rotate-kek"
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="values per data key and key state, per column")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    status.add_argument("--by-key", action="store_true", help="list every data key id")
    status.set_defaults(handler=_status)
    rotate = actions.add_parser("rotate", help="a new active data key for every purpose")
    rotate.set_defaults(handler=_rotate)
    reencrypt = actions.add_parser(
        "reencrypt", help="move stored values onto the active keys (checkpointed, resumable)"
    )
    reencrypt.add_argument("--batch", type=_positive, default=500, help="rows per transaction")
    handler: Any = partial(_reencrypt, bar=bar)
    reencrypt.set_defaults(handler=handler)
    shred = actions.add_parser(
        "shred", help="destroy one partner's data key: its encrypted fields are gone for good"
    )
    shred.add_argument("--partner", required=True, metavar="ID_OR_CODE")
    shred.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    shred.set_defaults(handler=_shred)
    kek = actions.add_parser(
        "rotate-kek", help="wrap every data key under a new KEK (stored values unchanged)"
    )
    kek.add_argument("--to-kms-key", help="move the data keys to this AWS KMS key id or ARN")
    kek.set_defaults(handler=_rotate_kek)
