"""Chart images over HTTP on the hand-checked dataset of ``tests.schema.analytics_data``:
401 without or with a bad credential, 403 without channel access, 400 for bad parameters,
valid SVG carrying the series values, and the viewer's scope applied to what is drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from security.viewer import Role
from tests.conftest import bearer, token_for
from tests.schema.analytics_data import make_sales

SVG = "{http://www.w3.org/2000/svg}"
SPRING = {"from": "2026-03-01", "to": "2026-04-30"}


def values(svg_text: str, tag: str) -> list[str]:
    """``data-value`` of each ``tag`` element of a well-formed SVG document."""
    root = ET.fromstring(svg_text)
    assert root.tag == f"{SVG}svg"
    return [e.attrib["data-value"] for e in root.iter(f"{SVG}{tag}") if "data-value" in e.attrib]


async def get(client: Any, path: str, params: Any, headers: dict[str, str] | None = None) -> Any:
    request = client.build_request("GET", path, params=params, headers=headers or {})
    if headers is not None and "Authorization" not in headers:
        request.headers.pop("Authorization", None)
    return await client.send(request)


async def test_charts_need_a_valid_credential(sessions, client, settings):
    await make_sales(sessions)
    for path in ("/charts/trends.svg", "/charts/ranking.svg"):
        anonymous = await get(client, path, SPRING, headers={})
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert "<svg" not in anonymous.text
        forged = await get(client, path, SPRING, headers=bearer("not-a-token"))
        assert forged.status_code == 401
    erp = bearer(token_for(settings, Role.ERP_ADMIN))
    assert (await get(client, "/charts/ranking.svg", SPRING, headers=erp)).status_code == 403


async def test_trends_svg_draws_each_series_values(sessions, client):
    data = await make_sales(sessions)
    regions = [data.region_id(data.north), data.region_id(data.south)]
    response = await get(client, "/charts/trends.svg", {**SPRING, "region": regions})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    labels = [g.attrib["data-label"] for g in root.iter(f"{SVG}g")]
    assert labels == ["North", "South"]
    assert values(response.text, "circle") == ["210.00", "50.00", "100.00", "20.00"]
    assert "North 2026-03: 210.00" in response.text


async def test_trends_svg_by_category_and_empty_period(sessions, client):
    await make_sales(sessions)
    response = await get(client, "/charts/trends.svg", {**SPRING, "byCategory": "true"})
    root = ET.fromstring(response.text)
    assert [g.attrib["data-label"] for g in root.iter(f"{SVG}g")] == [
        "All / Drinks",
        "All / Snacks",
    ]
    assert values(response.text, "circle") == ["110.00", "50.00", "200.00", "20.00"]
    empty = await get(client, "/charts/trends.svg", {"from": "2020-01-01", "to": "2020-02-01"})
    assert empty.status_code == 200 and values(empty.text, "circle") == []
    assert "No sales in this period" in empty.text


async def test_ranking_svg_bars_and_cumulative_share(sessions, client):
    await make_sales(sessions)
    response = await get(client, "/charts/ranking.svg", SPRING)
    assert response.status_code == 200
    assert values(response.text, "rect") == ["160.00", "120.00", "50.00", "50.00"]
    assert values(response.text, "circle") == ["0.4211", "0.7368", "0.8684", "1.0000"]
    assert "1. DA: 160.00 (42.11%)" in response.text


async def test_chart_follows_the_viewer_scope(sessions, client, settings):
    data = await make_sales(sessions)
    dealer = bearer(token_for(settings, Role.DEALER, partner=data.db))
    response = await get(client, "/charts/ranking.svg", SPRING, headers=dealer)
    assert values(response.text, "rect") == ["120.00"]
    assert ">DA<" not in response.text
    manager = bearer(token_for(settings, Role.REGION_MANAGER, regions=[data.north]))
    trends = await get(client, "/charts/trends.svg", SPRING, headers=manager)
    assert values(trends.text, "circle") == ["210.00", "50.00"]


async def test_bad_parameters_are_400_with_the_reason(sessions, client):
    await make_sales(sessions)
    cases = [
        ({"to": "2026-04-30"}, "from: required (YYYY-MM-DD)"),
        ({"from": "2026-13-01", "to": "2026-04-30"}, "from: not a date (YYYY-MM-DD)"),
        ({"from": "2026-05-01", "to": "2026-04-30"}, "to: must not be before from"),
        ({**SPRING, "first": "x"}, "first: not an integer"),
        ({**SPRING, "region": "nonsense"}, None),
    ]
    for params, reason in cases:
        response = await get(client, "/charts/ranking.svg", params)
        assert response.status_code == 400, (params, response.text)
        if reason is not None:
            assert response.text == reason
