"""Sinks whose rows are matched by a pair of columns (``insert_key``), e.g. a stock level by
(location, product) or a shipment by (carrier, tracking number).

A record whose pair a row already holds is linked to that row and updated, never duplicated;
two records of one page with the same pair, or an update that would move a row onto a pair
another row holds, are rejected with the sink's messages. Lookups go in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from sqlalchemy import and_, or_, select

from jobs.sync.references import CHUNK
from jobs.sync.sinks.base import Plan, Sink, SinkContext

Pair = tuple[Any, Any]


class PairKeyedSink(Sink):
    """A ``Sink`` matched by the two columns of ``insert_key``."""

    pair_cast: ClassVar[type[int] | type[str]]
    """How each value of the pair is compared (``int`` for ids, ``str`` for codes)."""
    clash_in_page: ClassVar[str]
    """The reason for a record whose pair another record of the page has."""
    clash_in_store: ClassVar[str]
    """The reason for a record whose pair another stored row holds."""

    def pair(self, plan: Plan) -> Pair | None:
        first, second = (plan.values.get(name) for name in self.insert_key)
        if first is None or second is None:
            return None
        return self.pair_cast(first), self.pair_cast(second)

    async def holders(self, ctx: SinkContext, pairs: Iterable[Pair]) -> dict[Pair, int]:
        """The id of the row holding each pair that one holds."""
        first, second = (getattr(self.model, name) for name in self.insert_key)
        ordered = sorted(set(pairs))
        found: dict[Pair, int] = {}
        step = CHUNK // 2
        for start in range(0, len(ordered), step):
            condition = or_(
                *(and_(first == a, second == b) for a, b in ordered[start : start + step])
            )
            rows = await ctx.session.execute(select(first, second, self.model.id).where(condition))
            cast = self.pair_cast
            found.update(((cast(a), cast(b)), int(row_id)) for a, b, row_id in rows)
        return found

    async def match(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        wanted = {pair: plan for plan in plans if (pair := self.pair(plan)) is not None}
        for pair, row_id in (await self.holders(ctx, wanted)).items():
            wanted[pair].row_id, wanted[pair].linked = row_id, True

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        claimed: dict[Pair, Plan] = {}
        for plan in plans:
            pair = self.pair(plan)
            if pair is None or plan.reason is not None:
                continue
            if pair in claimed:
                plan.reject(self.clash_in_page)
            else:
                claimed[pair] = plan
        for pair, row_id in (await self.holders(ctx, claimed)).items():
            if claimed[pair].row_id != row_id:
                claimed[pair].reject(self.clash_in_store)
