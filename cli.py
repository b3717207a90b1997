"""The ``channelhub`` command: migrate, seed, serve and demo (more subcommands plug in).

Each subcommand is added by one small ``_add_<name>(subparsers)`` function listed in
``COMMANDS``: it declares the subcommand's arguments and sets ``handler``, a function of the
parsed arguments and the loaded ``Settings`` that returns the exit code. To add a command
(token, keys, audit, connectors, sync, worker, scheduler), write such a function, possibly in
the module that owns the feature, and append it to ``COMMANDS``.

Exit codes: 0 success; 1 a failure explained on stderr; 2 bad usage (argparse).
Heavy imports (uvicorn, the app) happen inside the handlers, so ``channelhub migrate`` needs
neither.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import TypeAlias

from sqlalchemy.engine import make_url

from settings import Settings
from store.engine import create_engine
from store.migrate import upgrade

Handler = Callable[[argparse.Namespace, Settings], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _shown_url(settings: Settings) -> str:
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _run_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> None:
        engine = create_engine(settings)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"Migrated {_shown_url(settings)} to the latest revision.")
    return 0


def _add_migrate(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("migrate", help="apply database migrations")
    parser.set_defaults(handler=_run_migrate)


async def _migrate_and_seed(settings: Settings, scale: str, *, only_if_empty: bool) -> str:
    """Migrate, then seed ``scale`` with a progress bar; the summary line, or "" if skipped."""
    from demo import is_empty, seed
    from demo.progress import ProgressBar

    engine = create_engine(settings)
    try:
        await upgrade(engine)
        if only_if_empty and not await is_empty(engine):
            return ""
        bar = ProgressBar(f"seeding {scale}")
        try:
            report = await seed(engine, scale=scale, progress=bar)
        finally:
            bar.close()
    finally:
        await engine.dispose()
    counts = ", ".join(f"{name} {count:,}" for name, count in report.counts.items())
    return (
        f"Seeded {report.total_rows:,} rows in {report.elapsed_seconds:.1f} s "
        f"(scale {report.scale}): {counts}"
    )


def _run_seed(args: argparse.Namespace, settings: Settings) -> int:
    from demo import DemoSeedError

    try:
        summary = asyncio.run(_migrate_and_seed(settings, args.scale, only_if_empty=False))
    except DemoSeedError as error:
        print(f"channelhub seed: {error}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def _add_seed(subparsers: Subparsers) -> None:
    from demo.scales import SCALES

    parser = subparsers.add_parser(
        "seed", help="migrate, then load demo data into the (empty) configured database"
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="small", help="data volume")
    parser.set_defaults(handler=_run_seed)


def _add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default: settings.host)")
    parser.add_argument("--port", type=int, help="port to bind (default: settings.port)")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app import create_app

    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    uvicorn.run(create_app(settings), host=host, port=port)
    return 0


def _add_serve(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("serve", help="serve the GraphQL API over the database")
    _add_listen_options(parser)
    parser.set_defaults(handler=_serve)


def _run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from demo.banner import demo_banner

    settings = settings.model_copy(update={"database_url": ""})  # always the embedded SQLite
    summary = asyncio.run(_migrate_and_seed(settings, "small", only_if_empty=True))
    print(summary or f"Using the demo data already in {_shown_url(settings)}.")
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    print(demo_banner(host, port), flush=True)
    return _serve(argparse.Namespace(host=host, port=port), settings)


def _add_demo(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="create the SQLite demo database if needed, seed it, and serve it"
    )
    _add_listen_options(parser)
    parser.set_defaults(handler=_run_demo)


COMMANDS: list[Callable[[Subparsers], None]] = [_add_migrate, _add_seed, _add_serve, _add_demo]


def build_parser() -> argparse.ArgumentParser:
    """The ``channelhub`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="channelhub", description="One GraphQL graph over a brand's sales channel."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``channelhub`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args, Settings())


if __name__ == "__main__":
    sys.exit(main())
