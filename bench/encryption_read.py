"""Encrypted-field read bench: 1,000 partners with three encrypted fields (masked) through the
graph, against the same query on three plain columns, measured in the same run.

    encrypted  { partners(first: 1000) { nodes { taxId { masked } bankAccount { masked }
                                                  contactEmail { masked } } } }
    plain      { partners(first: 1000) { nodes { code name creditRating } } }

Both read the same 1,000 rows through the same path (ASGI app in process, scoped repository,
one page). Masks are computed at write time, so the encrypted query decrypts nothing: what it
costs over the plain one is the object per field. The two queries alternate request by
request so drift hits both alike. Printed: ms per request (mean, p50, p95, process CPU) of
each, the ratio encrypted/plain (target ≤ 1.15), and µs per encrypt and decrypt of one
20-byte value — bare ``seal``/``unseal`` (``bench/encryption_micro.py``) and the full write
path (ciphertext + mask + blind index).

Run: ``.venv/bin/python bench/encryption_read.py [--requests N] [--json]`` (or ``make
bench``). The database (default: ``channelhub_bench_encryption`` next to the bench database;
``--database-url`` for another, e.g. a SQLite file) is seeded once with 1,000 demo partners
whose fields are sealed; its keyring lives in ``var/bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import timeit
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench import encryption_micro
from bench._common import (
    DEFAULT_DATABASE_URL,
    BenchSetupError,
    Log,
    Stopwatch,
    Timings,
    ensure_database,
    log_to_stderr,
)

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = 1_000
ENCRYPTED = """query($n: Int!) { partners(first: $n) { nodes {
  taxId { masked } bankAccount { masked } contactEmail { masked } } } }"""
PLAIN = "query($n: Int!) { partners(first: $n) { nodes { code name creditRating } } }"
DEFAULT_URL = make_url(DEFAULT_DATABASE_URL).set(database="channelhub_bench_encryption")


def bench_settings(database_url: str, data_dir: Path, partners: int = PARTNERS) -> Any:
    from pydantic import SecretStr

    from settings import Settings

    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        auto_migrate=False,
        graphiql=False,
        max_page_size=max(partners, 500),
        jwt_secret=SecretStr("bench-secret-" + "0" * 40),
    )


async def ensure_partners(settings: Any, count: int, *, reseed: bool, log: Log) -> None:
    """Migrate and seed ``count`` partners with sealed fields unless they are there already."""
    from bench._common import _reset_schema
    from demo import seed
    from demo.scales import Scale
    from jobs.key_admin import KeyTools
    from store.migrate import upgrade
    from store.models import Partner

    tools = KeyTools(settings)
    try:
        if reseed:
            await _reset_schema(tools.engine)
        await upgrade(tools.engine)
        async with tools.sessions() as session:
            partners = await session.scalar(select(func.count()).select_from(Partner))
            sealed = await session.scalar(
                select(func.count()).where(Partner.tax_id_ct.is_not(None))
            )
        if partners == count and sealed == count:
            return
        if partners:
            raise BenchSetupError(
                f"the database holds {partners} partners ({sealed} sealed), not the "
                f"{count} this bench seeds; pass --reseed to drop it and seed again"
            )
        log(f"seeding {count:,} partners with sealed fields …")
        scale = Scale("encryption-bench", 4, 3, partners=count, products=20, orders=100)
        await seed(tools.engine, scale=scale, now=datetime.now(UTC), crypto=tools.crypto)
    finally:
        await tools.close()


@dataclass
class Report:
    database: str
    partners: int
    encrypted: Timings
    plain: Timings
    micro: dict[str, float]

    @property
    def ratio_mean(self) -> float:
        return self.encrypted.mean_ms / self.plain.mean_ms

    @property
    def ratio_p50(self) -> float:
        return self.encrypted.p50_ms / self.plain.p50_ms

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "partners": self.partners,
            "encrypted_ms": self.encrypted.summary(),
            "plain_ms": self.plain.summary(),
            "ratio_mean": round(self.ratio_mean, 3),
            "ratio_p50": round(self.ratio_p50, 3),
            **{key: round(value, 3) for key, value in self.micro.items()},
        }

    def as_text(self) -> str:
        def row(name: str, t: Timings) -> str:
            return (
                f"{name:<10} mean {t.mean_ms:7.2f} ms  p50 {t.p50_ms:7.2f}  "
                f"p95 {t.p95_ms:7.2f}  cpu {t.cpu_mean_ms:7.2f}"
            )

        m = self.micro
        return "\n".join(
            [
                f"{self.partners:,} partners on {self.database}, "
                f"{len(self.plain.wall)} requests each",
                row("encrypted", self.encrypted),
                row("plain", self.plain),
                f"ratio encrypted/plain: mean {self.ratio_mean:.3f}, p50 {self.ratio_p50:.3f} "
                "(target <= 1.15)",
                f"encrypt {m['seal_us']:.2f} µs, decrypt {m['unseal_us']:.2f} µs per 20-byte "
                f"value (bare AES-GCM {m['aesgcm_encrypt_us']:.2f} / "
                f"{m['aesgcm_decrypt_us']:.2f} µs)",
                f"full field write (ciphertext + mask + blind index) {m['field_seal_us']:.2f} µs",
            ]
        )


def field_seal_us(iterations: int, repeat: int) -> float:
    """µs per ``FieldCrypto.seal`` (what a write does per value) with a prepared index key."""
    from security.field_crypto import FieldCrypto
    from security.keys import UnwrappedKey, new_data_key_material
    from store.encrypted import TAX_ID

    crypto = FieldCrypto(None, index_bits=32)  # type: ignore[arg-type]
    crypto._root = new_data_key_material()  # the blind-index key, without a database
    key = UnwrappedKey(1, new_data_key_material())
    timer = timeit.repeat(
        lambda: crypto.seal(key, TAX_ID, 12345, "91330100MA2B3C4D5E"),
        number=iterations,
        repeat=repeat,
    )
    return min(timer) / iterations * 1e6


async def run(
    database_url: str,
    *,
    requests: int,
    warmup: int,
    reseed: bool = False,
    partners: int = PARTNERS,
    data_dir: Path = ROOT / "var" / "bench",
    micro_iterations: int = 20_000,
    log: Log = log_to_stderr,
) -> Report:
    from app import create_app
    from security.tokens import issue_token
    from security.viewer import Role

    if await ensure_database(database_url):
        log(f"created database {make_url(database_url).database}")
    settings = bench_settings(database_url, data_dir, partners)
    await ensure_partners(settings, partners, reseed=reseed, log=log)
    app = create_app(settings)
    token = issue_token(settings, subject="bench", role=Role.BRAND_ADMIN)
    encrypted, plain = Timings(), Timings()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            check(await post(client, ENCRYPTED, partners), await post(client, PLAIN, partners))
            log(f"measuring {requests} requests of each after {warmup} warm-up …")
            for n in range(warmup + requests):
                first, second = ((ENCRYPTED, encrypted), (PLAIN, plain))[:: 1 if n % 2 else -1]
                for query, timings in (first, second):
                    with Stopwatch(timings if n >= warmup else None):
                        await post(client, query, partners)
    finally:
        await app.state.hub.engine.dispose()
    micro = encryption_micro.measure(iterations=micro_iterations, repeat=5)
    micro["field_seal_us"] = field_seal_us(iterations=max(micro_iterations // 4, 1), repeat=5)
    shown = make_url(database_url).render_as_string(hide_password=True)
    return Report(shown, partners, encrypted, plain, micro)


async def post(client: httpx.AsyncClient, query: str, partners: int) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": {"n": partners}})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchSetupError(f"the graph answered {response.status_code}: {body}")
    return body


def check(encrypted: dict[str, Any], plain: dict[str, Any]) -> None:
    """Both queries return the same number of partners, and the masks are really there."""
    sealed = encrypted["data"]["partners"]["nodes"]
    rows = plain["data"]["partners"]["nodes"]
    if not sealed or len(sealed) != len(rows):
        raise BenchSetupError(f"the queries returned {len(sealed)} and {len(rows)} partners")
    if not all(node["taxId"]["masked"] for node in sealed):
        raise BenchSetupError("some partners have no sealed tax id: seed with --reseed")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_URL.render_as_string(False))
    parser.add_argument("--requests", type=int, default=60, help="measured requests per query")
    parser.add_argument("--warmup", type=int, default=6, help="unmeasured requests first")
    parser.add_argument("--reseed", action="store_true", help="drop the bench data, seed again")
    parser.add_argument("--partners", type=int, default=PARTNERS, help="partners per request")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(
            run(
                args.database_url,
                requests=args.requests,
                warmup=args.warmup,
                reseed=args.reseed,
                partners=args.partners,
            )
        )
    except BenchSetupError as exc:
        print(f"encryption_read: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_json()) if args.json else report.as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
