"""``lowStockAlert`` over graphql-transport-ws: a subscriber hears of the alerts raised and
resolved in its scope (in-process events on SQLite, LISTEN/NOTIFY on PostgreSQL) and never
of another dealer's; job-run subscribers are not disturbed by them."""

from __future__ import annotations

from typing import Any

from security.viewer import Role
from settings import Settings
from tests.conftest import token_for
from tests.schema.stock_control_data import make_channel
from tests.schema.test_jobs_graph_subscription import ws_session

FOLLOW = """subscription { lowStockAlert { open minimum onHand resolvedOnHand
  location { code } product { sku } } }"""

SET_STOCK = """mutation($input: SetStockLevelInput!) { setStockLevel(input: $input) {
  __typename } }"""


async def test_a_dealer_hears_of_its_own_alerts_only(
    app: Any, settings: Settings, sessions: Any, gql: Any
) -> None:
    ch = await make_channel(sessions)
    ids = ch.ids()

    async def set_stock(site: str, on_hand: int) -> None:
        stock = {"location": ids[site], "product": ids["product"], "onHand": on_hand}
        done = await gql.data(SET_STOCK, input=stock | {"minQuantity": 5})
        assert done["setStockLevel"]["__typename"] == "StockLevelPayload"

    async with ws_session(app, token_for(settings, Role.DEALER, partner=ch.dealer_a)) as client:
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}})
        await set_stock("siteB", 1)  # another dealer's site: not for this subscriber
        await set_stock("siteA", 2)
        raised = await client.receive()
        await set_stock("siteA", 9)
        resolved = await client.receive()
        await client.send({"id": "1", "type": "complete"})
    assert raised["payload"]["data"]["lowStockAlert"] == {
        "open": True,
        "minimum": 5,
        "onHand": 2,
        "resolvedOnHand": None,
        "location": {"code": "SITE-A"},
        "product": {"sku": "SKU-X"},
    }
    second = resolved["payload"]["data"]["lowStockAlert"]
    assert second["location"] == {"code": "SITE-A"}
    assert (second["open"], second["resolvedOnHand"]) == (False, 9)


async def test_a_region_manager_hears_of_its_regions_alerts(
    app: Any, settings: Settings, sessions: Any, gql: Any
) -> None:
    ch = await make_channel(sessions)
    ids = ch.ids()
    token = token_for(settings, Role.REGION_MANAGER, regions=[ch.south])
    async with ws_session(app, token) as client:
        await client.send({"id": "9", "type": "subscribe", "payload": {"query": FOLLOW}})
        for site in ("warehouse", "siteA", "siteB"):
            stock = {"location": ids[site], "product": ids["product"], "onHand": 0}
            await gql.data(SET_STOCK, input=stock | {"minQuantity": 1})
        heard = await client.receive()
        await client.send({"id": "9", "type": "complete"})
    assert heard["payload"]["data"]["lowStockAlert"]["location"] == {"code": "SITE-B"}
