"""Channel health through the graph: a partner's month with its components, the health
report of a region (the partners whose band dropped and the components that fell most),
each role seeing only its scope, and a malformed period refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.health import HealthComponent, health_score
from schema.node import encode_id
from security.viewer import Role
from store.repositories.health import HealthScoreWrites
from tests.factories import create_partner, create_region
from tests.schema.test_statement_count import counting

D = Decimal
C = HealthComponent
NOW = datetime(2026, 4, 1, tzinfo=UTC)
GOOD = dict(target=90, order_stability=80, payment=95, inventory=70, engagement=60, compliance=100)

HEALTH = """query($p: ID!, $period: String!) { partnerHealth(partner: $p, period: $period) {
  period total band partner { code } components { component score weight } } }"""
REPORT = """query($period: String!, $region: ID) { healthReport(period: $period, region: $region) {
  period previousPeriod region { name }
  drops { partner { code } previous { band total } current { band total }
          reasons { component previous current pointsLost } } } }"""


def comps(**changes: int) -> dict[HealthComponent, Decimal]:
    return {C(k): D(v) for k, v in {**GOOD, **changes}.items()}


async def seed(sessions: Any) -> dict[str, Any]:
    async with sessions.begin() as s:
        north = await create_region(s, name="North")
        city = await create_region(s, name="City", parent=north)
        south = await create_region(s, name="South")
        a = await create_partner(s, code="A", region=city)  # green → yellow
        b = await create_partner(s, code="B", region=north)  # green → green
        c = await create_partner(s, code="C", region=south)  # yellow → red
        d = await create_partner(s, code="D", region=north)  # no February: not in the report
        writes = HealthScoreWrites(s)
        scores = {
            a.id: (comps(), comps(target=60, payment=70)),
            b.id: (comps(), comps(target=80)),
            c.id: (comps(target=50, payment=50), comps(target=20, payment=20, compliance=0)),
        }
        for pid, (feb, mar) in scores.items():
            await writes.upsert(pid, "2026-02", health_score(feb), NOW)
            await writes.upsert(pid, "2026-03", health_score(mar), NOW)
        await writes.upsert(d.id, "2026-03", health_score(comps(target=0, payment=0)), NOW)
        return {"north": north.id, "south": south.id, "a": a.id, "c": c.id}


async def test_partner_health_with_components(sessions, gql):
    ids = await seed(sessions)
    data = await gql.data(HEALTH, p=encode_id("Partner", ids["a"]), period="2026-03")
    health = data["partnerHealth"]
    assert (health["total"], health["band"], health["partner"]["code"]) == ("70.50", "YELLOW", "A")
    by = {c["component"]: (D(c["score"]), D(c["weight"])) for c in health["components"]}
    assert by["TARGET"] == (D(60), D(30)) and by["PAYMENT"] == (D(70), D(20))
    assert len(by) == 6
    none = await gql.data(HEALTH, p=encode_id("Partner", ids["a"]), period="2025-01")
    assert none["partnerHealth"] is None


async def test_report_lists_drops_with_reasons(sessions, gql):
    ids = await seed(sessions)
    report = (await gql.data(REPORT, period="2026-03"))["healthReport"]
    assert (report["period"], report["previousPeriod"], report["region"]) == (
        "2026-03",
        "2026-02",
        None,
    )
    drops = {d["partner"]["code"]: d for d in report["drops"]}
    assert [d["partner"]["code"] for d in report["drops"]] == ["C", "A"]  # lowest total first
    a = drops["A"]
    assert (a["previous"]["band"], a["current"]["band"]) == ("GREEN", "YELLOW")
    assert [(r["component"], r["pointsLost"]) for r in a["reasons"]] == [
        ("TARGET", "9.00"),
        ("PAYMENT", "5.00"),
    ]
    c = drops["C"]
    assert (c["previous"]["band"], c["current"]["band"]) == ("YELLOW", "RED")
    assert [r["component"] for r in c["reasons"]] == ["COMPLIANCE", "TARGET", "PAYMENT"]
    north = (await gql.data(REPORT, period="2026-03", region=encode_id("Region", ids["north"])))[
        "healthReport"
    ]
    assert north["region"]["name"] == "North"
    assert [d["partner"]["code"] for d in north["drops"]] == ["A"]  # City is under North


async def test_scopes(sessions, gql_as):
    ids = await seed(sessions)
    south = gql_as(Role.REGION_MANAGER, regions=[ids["south"]])
    report = (await south.data(REPORT, period="2026-03"))["healthReport"]
    assert [d["partner"]["code"] for d in report["drops"]] == ["C"]
    assert (await south.data(HEALTH, p=encode_id("Partner", ids["a"]), period="2026-03"))[
        "partnerHealth"
    ] is None
    dealer = gql_as(Role.DEALER, partner=ids["a"])
    mine = await dealer.data(HEALTH, p=encode_id("Partner", ids["a"]), period="2026-03")
    assert mine["partnerHealth"]["band"] == "YELLOW"
    assert [
        d["partner"]["code"]
        for d in (await dealer.data(REPORT, period="2026-03"))["healthReport"]["drops"]
    ] == ["A"]
    anonymous = await gql_as(None)(REPORT, period="2026-03")
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_period_is_refused(sessions, gql):
    ids = await seed(sessions)
    body = await gql(REPORT, period="2026-3")
    assert body["data"] is None
    message = body["errors"][0]["message"]
    assert "period" in message and "2026-3" not in message  # the input is not echoed
    body = await gql(HEALTH, p=encode_id("Partner", ids["a"]), period="SO-000001")
    assert body["data"] == {"partnerHealth": None}
    assert "SO-000001" not in str(body["errors"])


async def test_report_statements_do_not_grow_with_partners(app, sessions, gql):
    await seed(sessions)
    with counting(app) as statements:
        data = await gql.data(REPORT, period="2026-03")
    assert len(data["healthReport"]["drops"]) == 2
    assert len(statements) == 2  # the joined months, then one batch of partners
