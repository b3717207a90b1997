"""``channelhub rebates accrue``: run the rebate accrual in this process and print a summary.

``channelhub rebates accrue [--year Y --month M]`` accrues every active agreement for year Y
up to the end of month M (default: the month before today, UTC), exactly as the month-end
``rebate_accrual`` job does (``jobs.accrual.accrue``); running it twice changes nothing.
Exit 0 on success, 1 with the reason on stderr for a bad year or month.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from settings import Settings

__all__ = ["add_rebates_command"]

PROG = "channelhub rebates"


def add_rebates_command(subparsers: Any) -> None:
    parser = subparsers.add_parser("rebates", help="rebate accruals")
    actions = parser.add_subparsers(dest="rebates_action", metavar="ACTION", required=True)
    accrue = actions.add_parser(
        "accrue", help="accrue every agreement for a year up to a month (year-to-date true-up)"
    )
    accrue.add_argument("--year", type=int, help="default: the year of last month")
    accrue.add_argument("--month", type=int, help="1-12; default: last month")
    accrue.set_defaults(handler=_accrue)


def _accrue(args: argparse.Namespace, settings: Settings) -> int:
    from domain.rebates import RebateRuleError
    from jobs.accrual import accrue, previous_month
    from store.base import utcnow
    from store.engine import create_engine, create_sessionmaker

    year, month = previous_month(utcnow().date())
    year = args.year if args.year is not None else year
    month = args.month if args.month is not None else month

    async def run() -> str:
        engine = create_engine(settings)
        try:
            report = await accrue(
                create_sessionmaker(engine), year=year, month=month, actor="cli:rebates"
            )
        finally:
            await engine.dispose()
        totals = ", ".join(f"{amount} {currency}" for currency, amount in report.accrued.items())
        return (
            f"Accrued {report.agreements} agreements"
            + (f" and {report.promotions} promotions" if report.promotions else "")
            + f" for {year}-{month:02d}: "
            f"{report.inserted} new, {report.updated} changed, {report.unchanged} unchanged, "
            f"{report.frozen} settled; ledger {report.ledger_entries} entries"
            + (f" ({totals})" if totals else "")
        )

    try:
        print(asyncio.run(run()))
    except RebateRuleError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    return 0
