"""The ``channelhub`` command: migrate, seed, serve, demo, token, audit, keys, connectors.

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
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from security.viewer import Role
from settings import Settings
from store.engine import create_engine
from store.migrate import upgrade

if TYPE_CHECKING:
    from demo.banner import DemoTokens
    from security.audit import AuditLog, ChainProblem
    from security.field_crypto import FieldCrypto

Handler = Callable[[argparse.Namespace, Settings], int]
T = TypeVar("T")
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


def _field_crypto(settings: Settings, engine: AsyncEngine) -> FieldCrypto:
    """Field encryption over ``engine`` and the configured KEK (the demo seed seals with it)."""
    from security.field_crypto import FieldCrypto
    from security.key_service import KeyService, kek_from_settings
    from store.engine import create_sessionmaker

    keys = KeyService(create_sessionmaker(engine), lambda: kek_from_settings(settings))
    return FieldCrypto(keys, index_bits=settings.blind_index_bits)


async def _migrate_and_seed(
    settings: Settings,
    scale: str,
    *,
    only_if_empty: bool,
    seeded: Callable[[datetime], object] | None = None,
) -> str:
    """Migrate, then seed ``scale`` with a progress bar; the summary line, or "" if skipped.
    ``seeded`` is told the "now" the data was generated for."""
    from demo import is_empty, seed
    from demo.progress import ProgressBar

    engine = create_engine(settings)
    try:
        await upgrade(engine)
        if only_if_empty and not await is_empty(engine):
            return ""
        bar = ProgressBar(f"seeding {scale}")
        try:
            crypto = _field_crypto(settings, engine)
            report = await seed(engine, scale=scale, progress=bar, crypto=crypto)
        finally:
            bar.close()
        if seeded is not None:
            seeded(report.now)
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


async def _demo_tokens(settings: Settings) -> DemoTokens:
    """A brand admin token and a token for the first active demo dealer (by code)."""
    from demo.banner import DemoTokens
    from domain.enums import PartnerStatus, PartnerType
    from security.tokens import issue_token
    from store.engine import create_sessionmaker
    from store.pagination import Window
    from store.repositories.partners import PartnerFilter, PartnerRepository
    from store.scope import Scope

    dealers = PartnerFilter(types=(PartnerType.DEALER,), statuses=(PartnerStatus.ACTIVE,))
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            page = await PartnerRepository(session, Scope.everything()).page(
                dealers, "CODE_ASC", Window(first=1)
            )
    finally:
        await engine.dispose()
    admin = issue_token(settings, subject="demo-admin", role=Role.BRAND_ADMIN)
    if not page.rows:
        return DemoTokens(admin)
    dealer = page.rows[0]
    token = issue_token(
        settings, subject=f"demo-{dealer.code}", role=Role.DEALER, partner_id=dealer.id
    )
    return DemoTokens(admin, token, f"{dealer.name} ({dealer.code})")


def _demo_seed_now(settings: Settings, seeded: datetime | None) -> datetime | None:
    """The "now" the demo data was seeded with (kept in data_dir), so the demo ERP's books
    match the hub's; None when unknown (codes and SKUs still match)."""
    marker = settings.data_dir / "demo-seed.json"
    if seeded is not None:
        marker.write_text(json.dumps({"now": seeded.isoformat()}), encoding="utf-8")
        return seeded
    try:
        return datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["now"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def demo_app(
    settings: Settings, base_url: str, *, scale: str = "small", seeded_at: datetime | None = None
) -> tuple[Starlette, list[str]]:
    """The hub app with the demo ERP served beside it under ``/demo-erp`` and its connectors
    applied and synced once the server answers at ``base_url``; and the connector names."""
    from app import Hub, create_app
    from demo.erp.configs import demo_connector_configs
    from demo.erp.erp import DemoErp
    from demo.erp.routes import erp_routes
    from jobs.bootstrap import StartupSync, sync_at_startup

    erp = DemoErp.build(scale, now=seeded_at)
    configs = demo_connector_configs(base_url, erp)
    plan = StartupSync(configs, [(c.name, s.name) for c in configs for s in c.streams if s.mapping])

    async def first_sync(hub: Hub) -> None:
        async def ready() -> bool:
            return (await hub.http.get(f"{base_url}/healthz")).status_code == 200

        await sync_at_startup(hub.sessions, hub.fields, plan, ready=ready)

    app = create_app(settings, extra_routes=erp_routes(erp), startup=[first_sync])
    app.state.demo_erp = erp
    return app, [c.name for c in configs]


def _run_demo(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from demo.banner import demo_banner, graphql_url

    settings = settings.model_copy(update={"database_url": ""})  # always the embedded SQLite
    seeded: list[datetime] = []
    summary = asyncio.run(
        _migrate_and_seed(settings, "small", only_if_empty=True, seeded=seeded.append)
    )
    print(summary or f"Using the demo data already in {_shown_url(settings)}.")
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    base_url = graphql_url(host, port).removesuffix("/graphql")
    seeded_at = _demo_seed_now(settings, seeded[0] if seeded else None)
    app, names = demo_app(settings, base_url, seeded_at=seeded_at)
    print(demo_banner(host, port, asyncio.run(_demo_tokens(settings))), flush=True)
    print(
        f"Demo ERP: SOAP sales service at {base_url}/demo-erp/soap?wsdl, REST finance at "
        f"{base_url}/demo-erp/finance; connectors {', '.join(names)} are applied and synced "
        "once the server is up (watch jobRuns), then every 5 minutes.",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port)
    return 0


def _add_demo(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="create the SQLite demo database if needed, seed it, and serve it"
    )
    _add_listen_options(parser)
    parser.set_defaults(handler=_run_demo)


async def _find(session: AsyncSession, what: str, given: str) -> int:
    """The id of the partner or region named by a global id or a code; LookupError if none."""
    from schema.errors import InvalidIdError
    from schema.node import decode_typed_id
    from store.repositories.partners import PartnerRepository
    from store.repositories.regions import RegionRepository
    from store.scope import Scope

    repository = PartnerRepository if what == "Partner" else RegionRepository
    repo = repository(session, Scope.everything())
    try:
        row = (await repo.by_ids([decode_typed_id(given, what)])).get(decode_typed_id(given, what))
    except InvalidIdError:
        row = await repo.by_code(given)
    if row is None:
        raise LookupError(f"no {what.lower()} with the id or code {given!r}")
    return int(row.id)


async def _token_scope(
    settings: Settings, partner: str | None, regions: Sequence[str]
) -> tuple[int | None, tuple[int, ...]]:
    """The partner id and region ids named on the command line, looked up in the database."""
    if partner is None and not regions:
        return None, ()
    from store.engine import create_sessionmaker

    engine = create_engine(settings)
    try:
        if settings.should_auto_migrate:
            await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            partner_id = None if partner is None else await _find(session, "Partner", partner)
            region_ids = tuple([await _find(session, "Region", r) for r in regions])
    finally:
        await engine.dispose()
    return partner_id, region_ids


def _run_token(args: argparse.Namespace, settings: Settings) -> int:
    from security.errors import SecurityError
    from security.tokens import issue_token

    needs = {"dealer": ("--partner", args.partner), "region_manager": ("--region", args.region)}
    if args.role in needs and not needs[args.role][1]:
        print(f"channelhub token: a {args.role} token needs {needs[args.role][0]}", file=sys.stderr)
        return 2
    try:
        partner_id, region_ids = asyncio.run(_token_scope(settings, args.partner, args.region))
        token = issue_token(
            settings,
            subject=args.subject or f"cli:{args.role}",
            role=Role(args.role),
            partner_id=partner_id,
            region_ids=region_ids,
            ttl_seconds=args.ttl,
        )
    except (LookupError, SecurityError) as error:
        print(f"channelhub token: {error}", file=sys.stderr)
        return 1
    print(token)
    return 0


def _ttl(text: str) -> int:
    from security.tokens import parse_ttl

    try:
        return parse_ttl(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_token(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "token", help="print a signed bearer token (HS256) for local use"
    )
    roles = [role.value for role in Role if role is not Role.SERVICE]
    parser.add_argument("--role", required=True, choices=roles, help="the viewer's role")
    parser.add_argument("--partner", help="a dealer's partner: global id or code")
    parser.add_argument(
        "--region", action="append", default=[], help="a region manager's region (repeatable)"
    )
    parser.add_argument("--ttl", type=_ttl, help="lifetime: 3600, 30m, 8h or 2d")
    parser.add_argument("--subject", help="the token's subject (default: cli:ROLE)")
    parser.set_defaults(handler=_run_token)


async def _on_audit_log(settings: Settings, work: Callable[[AuditLog], Awaitable[T]]) -> T:
    """Run ``work`` on the configured audit trail, keyed as ``app.create_app`` keys it."""
    from security.audit import AuditLog
    from security.key_service import KeyService, kek_from_settings
    from store.engine import create_sessionmaker

    engine = create_engine(settings)
    try:
        sessions = create_sessionmaker(engine)
        keys = KeyService(sessions, lambda: kek_from_settings(settings))
        return await work(AuditLog(sessions, lambda: keys.named_secret("audit")))
    finally:
        await engine.dispose()


def _run_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from security.audit_anchor import Anchor, AnchorFileError, check_anchor
    from security.errors import SecurityError

    async def verify(audit: AuditLog) -> tuple[list[ChainProblem], tuple[int, str]]:
        problems = await audit.verify()
        if anchor is not None:
            problems += await check_anchor(audit, anchor)
        return problems, await audit.head()

    try:
        anchor = Anchor.from_json(args.anchor.read_text()) if args.anchor else None
        problems, (position, digest) = asyncio.run(_on_audit_log(settings, verify))
    except (OSError, AnchorFileError, SecurityError) as error:
        print(f"channelhub audit verify: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"channelhub audit verify: {problem.problem}", file=sys.stderr)
    if problems:
        print(f"channelhub audit verify: FAILED with {len(problems)} problem(s)", file=sys.stderr)
        return 1
    held = f"; it still holds the anchor at entry {anchor.position}" if anchor else ""
    print(f"OK: {position} entries, head {digest}{held}")
    return 0


def _run_audit_export(args: argparse.Namespace, settings: Settings) -> int:
    from security.audit_anchor import Anchor, export_anchor
    from security.errors import SecurityError

    async def export(audit: AuditLog) -> tuple[list[ChainProblem], Anchor | None]:
        problems = await audit.verify()
        return problems, None if problems else await export_anchor(audit)

    try:
        problems, anchor = asyncio.run(_on_audit_log(settings, export))
        if anchor is not None and args.output:
            args.output.write_text(anchor.to_json() + "\n")
    except (OSError, SecurityError) as error:
        print(f"channelhub audit export: {error}", file=sys.stderr)
        return 1
    if anchor is None:
        for problem in problems:
            print(f"channelhub audit export: {problem.problem}", file=sys.stderr)
        print("channelhub audit export: the chain is broken; nothing anchored", file=sys.stderr)
        return 1
    shown = f"Anchored entry {anchor.position} in {args.output}." if args.output else None
    print(shown or anchor.to_json())
    return 0


def _add_audit(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("audit", help="verify the audit trail or export its head")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check every entry; exit 1 naming each problem")
    verify.add_argument(
        "--anchor", type=Path, help="an exported head the chain must still hold (JSON file)"
    )
    verify.set_defaults(handler=_run_audit_verify)
    export = actions.add_parser("export", help="write the head, HMAC-sealed, as an anchor")
    export.add_argument("--output", type=Path, help="the anchor file (default: stdout)")
    export.set_defaults(handler=_run_audit_export)


def _add_keys(subparsers: Subparsers) -> None:
    from demo.progress import ProgressBar
    from jobs.key_commands import add_keys_command

    add_keys_command(subparsers, ProgressBar)


def _add_worker(subparsers: Subparsers) -> None:
    from jobs.worker import add_worker_command

    add_worker_command(subparsers)


def _add_connectors(subparsers: Subparsers) -> None:
    from jobs.connector_commands import add_connectors_command

    add_connectors_command(subparsers)


def _add_sync(subparsers: Subparsers) -> None:
    from demo.progress import ProgressBar
    from jobs.sync_commands import add_sync_command

    add_sync_command(subparsers, ProgressBar)


def _add_scheduler(subparsers: Subparsers) -> None:
    from jobs.scheduler_command import add_scheduler_command

    add_scheduler_command(subparsers)


def _add_rebates(subparsers: Subparsers) -> None:
    from jobs.rebate_commands import add_rebates_command

    add_rebates_command(subparsers)


COMMANDS: list[Callable[[Subparsers], None]] = [
    _add_migrate,
    _add_seed,
    _add_serve,
    _add_demo,
    _add_token,
    _add_audit,
    _add_keys,
    _add_connectors,
    _add_sync,
    _add_worker,
    _add_scheduler,
    _add_rebates,
]


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
