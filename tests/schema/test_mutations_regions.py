"""Regions: materialized paths on create, subtree rewrites on move, and no cycles ever."""

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.node import encode_id
from store.models import Region
from tests.factories import create_partner, create_region

Sessions = async_sessionmaker[AsyncSession]

RESULT = """
  __typename
  ... on RegionPayload { region { id code name level parent { code } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on DuplicateError { field value }
"""
CREATE = f"mutation($input: CreateRegionInput!) {{ createRegion(input: $input) {{ {RESULT} }} }}"
UPDATE = f"mutation($input: UpdateRegionInput!) {{ updateRegion(input: $input) {{ {RESULT} }} }}"


def rid(region: Region) -> str:
    return encode_id("Region", region.id)


async def paths(sessions: Sessions) -> dict[str, tuple[str, int, int | None]]:
    async with sessions() as s:
        rows = await s.execute(select(Region.code, Region.path, Region.level, Region.parent_id))
        return {code: (path, level, parent) for code, path, level, parent in rows}


async def test_create_region_sets_path_and_level_from_its_parent(sessions, gql):
    root = (await gql.data(CREATE, input={"code": "CN", "name": "China"}))["createRegion"]
    child = (
        await gql.data(
            CREATE, input={"code": "ZJ", "name": "Zhejiang", "parent": root["region"]["id"]}
        )
    )["createRegion"]
    assert (root["region"]["level"], child["region"]["level"]) == (0, 1)
    assert child["region"]["parent"] == {"code": "CN"}
    async with sessions() as s:
        cn = (await s.scalars(select(Region).where(Region.code == "CN"))).one()
        zj = (await s.scalars(select(Region).where(Region.code == "ZJ"))).one()
    assert cn.path == f"/{cn.id}/"
    assert zj.path == f"/{cn.id}/{zj.id}/"


async def test_create_region_refuses_unknown_parent_and_taken_code(sessions, gql):
    async with sessions.begin() as s:
        await create_region(s)
    missing = encode_id("Region", 999)
    data = await gql.data(CREATE, input={"code": "X", "name": "X", "parent": missing})
    assert (data["createRegion"]["__typename"], data["createRegion"]["field"]) == (
        "NotFoundError",
        "parent",
    )
    async with sessions() as s:
        code = await s.scalar(select(Region.code))
    data = await gql.data(CREATE, input={"code": code, "name": "Again"})
    assert data["createRegion"]["__typename"] == "DuplicateError"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Region)) == 1


async def test_moving_a_region_rewrites_its_subtree_and_partner_filters_follow(sessions, gql):
    async with sessions.begin() as s:
        east = await create_region(s, name="East")
        zhejiang = await create_region(s, name="Zhejiang", parent=east)
        hangzhou = await create_region(s, name="Hangzhou", parent=zhejiang)
        south = await create_region(s, name="South")
        await create_partner(s, code="HZ-1", region=hangzhou)
    data = await gql.data(UPDATE, input={"id": rid(zhejiang), "parent": rid(south)})
    moved = data["updateRegion"]["region"]
    assert (moved["level"], moved["parent"]) == (1, {"code": south.code})
    tree = await paths(sessions)
    assert tree[zhejiang.code] == (f"/{south.id}/{zhejiang.id}/", 1, south.id)
    assert tree[hangzhou.code] == (f"/{south.id}/{zhejiang.id}/{hangzhou.id}/", 2, zhejiang.id)
    assert tree[east.code] == (f"/{east.id}/", 0, None)

    query = "query($r: ID!) { partners(filter: {region: $r}) { nodes { code } } }"
    under_south = await gql.data(query, r=rid(south))
    under_east = await gql.data(query, r=rid(east))
    assert under_south["partners"]["nodes"] == [{"code": "HZ-1"}]
    assert under_east["partners"]["nodes"] == []


async def test_moving_a_region_to_the_root(sessions, gql):
    async with sessions.begin() as s:
        east = await create_region(s)
        zhejiang = await create_region(s, parent=east)
        hangzhou = await create_region(s, parent=zhejiang)
    data = await gql.data(UPDATE, input={"id": rid(zhejiang), "parent": None})
    assert data["updateRegion"]["region"]["level"] == 0
    tree = await paths(sessions)
    assert tree[zhejiang.code] == (f"/{zhejiang.id}/", 0, None)
    assert tree[hangzhou.code] == (f"/{zhejiang.id}/{hangzhou.id}/", 1, zhejiang.id)


async def test_a_region_cannot_move_under_itself_or_its_descendant_and_nothing_changes(
    sessions, gql
):
    async with sessions.begin() as s:
        east = await create_region(s)
        zhejiang = await create_region(s, parent=east)
        hangzhou = await create_region(s, parent=zhejiang)
    before = await paths(sessions)
    for target in (zhejiang, hangzhou):
        data = await gql.data(
            UPDATE, input={"id": rid(zhejiang), "parent": rid(target), "name": "X"}
        )
        assert data["updateRegion"]["__typename"] == "InvalidInputError"
        assert data["updateRegion"]["fields"][0]["field"] == "parent"
    assert await paths(sessions) == before
    async with sessions() as s:
        assert await s.scalar(select(Region.name).where(Region.id == zhejiang.id)) != "X"


async def test_renaming_a_region_keeps_its_place(sessions, gql):
    async with sessions.begin() as s:
        east = await create_region(s)
        zhejiang = await create_region(s, parent=east)
    before = await paths(sessions)
    data = await gql.data(UPDATE, input={"id": rid(zhejiang), "name": "Zhe"})
    assert data["updateRegion"]["region"]["name"] == "Zhe"
    assert await paths(sessions) == before


async def test_two_concurrent_cross_moves_cannot_make_a_cycle(sessions, gql):
    async with sessions.begin() as s:
        a = await create_region(s)
        b = await create_region(s)
    results = await asyncio.gather(
        gql.data(UPDATE, input={"id": rid(a), "parent": rid(b)}),
        gql.data(UPDATE, input={"id": rid(b), "parent": rid(a)}),
    )
    kinds = sorted(r["updateRegion"]["__typename"] for r in results)
    assert kinds == ["InvalidInputError", "RegionPayload"]
    tree = await paths(sessions)
    roots = [code for code, (_path, _level, parent) in tree.items() if parent is None]
    assert len(roots) == 1
    for path, level, _parent in tree.values():
        assert path.startswith(f"/{tree[roots[0]][0].strip('/')}/")
        assert path.count("/") - 2 == level
