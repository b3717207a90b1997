"""``channelhub connectors``: apply, list, test, discover, schema (arguments and output).

Connectors live in the database (``store.repositories.connectors``); their secrets are
write-only: ``apply`` takes them once and stores them sealed, and no command prints them
back (``list`` shows the config without them; ``test`` scrubs them from error messages).
``apply -f FILE`` is idempotent: the same file twice changes nothing, so it suits GitOps.

Every kind with a config model can be applied, listed, tested and discovered: the built-ins
and the installed plugin kinds (``connectors.registry``); a plugin that fails to load is
reported on stderr, naming it.

Exit codes: 0 done; 1 a failure explained on stderr (``test``: the check failed; a plugin
that fails to load); 2 bad usage or an invalid config file (each problem as
``path: message``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias, TypeVar

from connectors.config import ConfigFileError, json_schema, load_configs
from connectors.errors import ConfigError, ConnectorError, scrub
from connectors.protocol import Connector
from connectors.registry import PluginLoadError, load_registry
from connectors.secrets import secret_values
from jobs.connector_configs import StoredConfig, apply_configs, stored_config, with_connector
from jobs.ratelimit import RateLimits
from security.errors import SecurityError
from security.field_crypto import FieldCrypto
from security.key_service import KeyService, kek_from_settings
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.migrate import upgrade
from store.repositories.connectors import ConnectorRepository

__all__ = ["add_connectors_command"]

T = TypeVar("T")
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
PREFIX = "channelhub connectors"


class NotFoundError(LookupError):
    pass


def _on_store(settings: Settings, work: Callable[[FieldCrypto], Awaitable[T]]) -> T:
    """``work`` on the configured database (migrated first for the embedded default)."""

    async def run() -> T:
        engine = create_engine(settings)
        try:
            if settings.should_auto_migrate:
                await upgrade(engine)
            keys = KeyService(create_sessionmaker(engine), lambda: kek_from_settings(settings))
            return await work(FieldCrypto(keys, index_bits=settings.blind_index_bits))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _apply(args: argparse.Namespace, settings: Settings) -> int:
    try:
        configs = load_configs(Path(args.file))
    except ConfigFileError as error:
        print(f"{PREFIX} apply: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:  # a plugin that fails to load
        print(f"{PREFIX} apply: {error}", file=sys.stderr)
        return 1
    try:
        outcomes = _on_store(settings, lambda crypto: apply_configs(crypto, configs))
    except SecurityError as error:
        print(f"{PREFIX} apply: {error}", file=sys.stderr)
        return 1
    for outcome, name in outcomes:
        print(f"{outcome} {name}")
    return 0


def _names(items: object) -> str:
    if not isinstance(items, list):
        return "-"
    return ", ".join(str(item.get("name")) for item in items if isinstance(item, dict)) or "-"


def _list(_args: argparse.Namespace, settings: Settings) -> int:
    async def rows(crypto: FieldCrypto) -> list[tuple[str, str, str, str]]:
        async with crypto.keys.sessions() as session:
            found = await ConnectorRepository(session, crypto).list_all()
            shown = []
            for row in found:
                public = ConnectorRepository.public_config(row)
                shown.append(
                    (
                        row.name,
                        row.kind,
                        _names(public.get("streams")),
                        _names(public.get("operations")),
                    )
                )
            return shown

    found = _on_store(settings, rows)
    if not found:
        print("No connectors. Add one with `channelhub connectors apply -f FILE`.")
        return 0
    width = max(len("name"), *(len(name) for name, *_ in found))
    kinds = max(5, *(len(kind) for _, kind, *_ in found))
    print(f"{'name':<{width}}  {'kind':<{kinds}}  streams | operations")
    for name, kind, streams, operations in found:
        print(f"{name:<{width}}  {kind:<{kinds}}  {streams} | {operations}")
    return 0


async def _with_connector(
    settings: Settings, config: StoredConfig, work: Callable[[Connector], Awaitable[T]]
) -> T:
    """Build the connector for ``config`` through the registry and run ``work`` on it, drawing
    on the connector's shared rate limit (``jobs.ratelimit``) like the servers and workers."""
    limits = RateLimits(settings)
    try:
        return await with_connector(
            load_registry(), settings.data_dir / "cache", config, work, limits=limits
        )
    finally:
        await limits.aclose()


def _run_on_connector(
    args: argparse.Namespace,
    settings: Settings,
    action: str,
    work: Callable[[Connector], Awaitable[T]],
) -> tuple[T | None, list[str]]:
    """``work`` on the stored connector, and its secrets (to scrub output with).

    On failure the result is None, after printing why on stderr (secrets scrubbed).
    """
    secrets: list[str] = []

    async def run(crypto: FieldCrypto) -> T:
        config = await stored_config(crypto, args.name)
        if config is None:
            raise NotFoundError(f"no connector named {args.name!r}")
        secrets.extend(secret_values(config))
        return await _with_connector(settings, config, work)

    try:
        return _on_store(settings, run), secrets
    except (ConnectorError, SecurityError, NotFoundError) as error:
        kind = getattr(error, "kind", "not_found")
        message = scrub(str(error), secrets)
        print(f"{PREFIX} {action}: {args.name}: {kind}: {message}", file=sys.stderr)
        return None, secrets


def _test(args: argparse.Namespace, settings: Settings) -> int:
    async def check(connector: Connector) -> tuple[bool, str | None, str]:
        result = await connector.check()
        return result.ok, result.failed, result.message

    outcome, secrets = _run_on_connector(args, settings, "test", check)
    if outcome is None:
        return 1
    ok, failed, message = outcome
    if ok:
        print(f"ok {args.name}")
        return 0
    print(
        f"{PREFIX} test: {args.name} failed: {failed or 'check'}: {scrub(message, secrets)}",
        file=sys.stderr,
    )
    return 1


def _discover(args: argparse.Namespace, settings: Settings) -> int:
    async def discover(connector: Connector) -> list[str]:
        lines: list[str] = []
        for endpoint in await connector.discover():
            about = f" - {endpoint.description}" if endpoint.description else ""
            lines.append(f"{endpoint.kind} {endpoint.name}{about}")
            for field in endpoint.fields:
                required = " (required)" if field.required else ""
                lines.append(f"    {field.name}: {field.type}{required}")
        return lines

    lines, secrets = _run_on_connector(args, settings, "discover", discover)
    if lines is None:
        return 1
    print("\n".join(scrub(line, secrets) for line in lines) or "Nothing discovered.")
    return 0


def _schema(_args: argparse.Namespace, _settings: Settings) -> int:
    try:
        schema = json_schema()
    except PluginLoadError as error:
        print(f"{PREFIX} schema: {error}", file=sys.stderr)
        return 1
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0


def add_connectors_command(subparsers: Subparsers) -> None:
    """Register ``channelhub connectors``."""
    parser = subparsers.add_parser(
        "connectors", help="connectors stored in the database: apply, list, test, discover, schema"
    )
    actions = parser.add_subparsers(dest="connectors_action", metavar="ACTION", required=True)
    apply = actions.add_parser(
        "apply", help="create or update connectors from a YAML/JSON file (idempotent)"
    )
    apply.add_argument("-f", "--file", required=True, help="a config file: one connector or a list")
    apply.set_defaults(handler=_apply)
    listing = actions.add_parser("list", help="name, kind, streams and operations (no secrets)")
    listing.set_defaults(handler=_list)
    test = actions.add_parser("test", help="build the connector and check it; exit 1 if it fails")
    test.add_argument("name")
    test.set_defaults(handler=_test)
    discover = actions.add_parser("discover", help="streams, operations and their record fields")
    discover.add_argument("name")
    discover.set_defaults(handler=_discover)
    schema = actions.add_parser("schema", help="print the JSON Schema of a connector config")
    schema.set_defaults(handler=_schema)
