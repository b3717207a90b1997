"""Chart images of the sales analytics, rendered server-side as plain SVG text (no
dependency): a line chart of trend series (``trends_svg``) and a Pareto chart of the partner
ranking (``ranking_svg``: amount bars, cumulative-share line on a 0-100 % axis).

Every value drawn is also written as text: each point and bar carries a ``<title>`` (shown as
a tooltip) and ``data-value`` with its exact Decimal amount, so the image is readable by
screen readers and checkable by tests. All text is XML-escaped. PNG is not offered: it would
need a rasterizer the hub does not ship.

Interface::

    trends_svg(title: str, series: Sequence[Line]) -> str
    ranking_svg(title: str, ranking: resolvers.analytics.Ranking) -> str
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from resolvers.analytics import Ranking

WIDTH, HEIGHT = 800, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 40, 50
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
SVG_CONTENT_TYPE = "image/svg+xml; charset=utf-8"


@dataclass(frozen=True)
class Line:
    """One trend series: its label and (month, amount) points."""

    label: str
    points: Sequence[tuple[date, Decimal]]


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH // 2}" y="24" text-anchor="middle" font-family="sans-serif" '
        f'font-size="16">{escape(title)}</text>',
    ]


def _axes(top_value: Decimal) -> list[str]:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    return [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-family="sans-serif" '
        f'font-size="11">{escape(str(top_value))}</text>',
        f'<text x="{LEFT - 6}" y="{bottom + 4}" text-anchor="end" font-family="sans-serif" '
        f'font-size="11">0</text>',
    ]


def _y(value: Decimal, top_value: Decimal) -> float:
    span = HEIGHT - BOTTOM - TOP
    if top_value <= 0:
        return float(HEIGHT - BOTTOM)
    return round(HEIGHT - BOTTOM - float(value / top_value) * span, 2)


def _x(index: int, count: int) -> float:
    span = WIDTH - RIGHT - LEFT
    return round(LEFT + (index + 0.5) * span / max(count, 1), 2)


def _label(x: float, text: str) -> str:
    return (
        f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
        f'font-family="sans-serif" font-size="11">{escape(text)}</text>'
    )


def _empty(parts: list[str]) -> str:
    parts.append(
        f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
        'font-family="sans-serif" font-size="14">No sales in this period</text>'
    )
    return "\n".join([*parts, "</svg>"]) + "\n"


def trends_svg(title: str, series: Sequence[Line]) -> str:
    """A line per series over the union of their months; amounts on a 0-based axis."""
    parts = _open(title)
    months = sorted({month for line in series for month, _ in line.points})
    if not months:
        return _empty(parts)
    top_value = max(amount for line in series for _, amount in line.points)
    parts += _axes(top_value)
    column = {month: i for i, month in enumerate(months)}
    parts += [_label(_x(i, len(months)), m.strftime("%Y-%m")) for i, m in enumerate(months)]
    for n, line in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        xy = [
            (_x(column[m], len(months)), _y(amount, top_value), m, amount)
            for m, amount in line.points
        ]
        path = " ".join(f"{x},{y}" for x, y, _m, _a in xy)
        parts.append(
            f'<g class="series" data-label={quoteattr(line.label)}>'
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for x, y, month, amount in xy:
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}" data-value="{amount}">'
                f"<title>{escape(line.label)} {month:%Y-%m}: {amount}</title></circle>"
            )
        legend_y = TOP + 16 * n
        parts.append(
            f'<text x="{WIDTH - RIGHT + 10}" y="{legend_y}" fill="{colour}" '
            f'font-family="sans-serif" font-size="12">{escape(line.label)}</text></g>'
        )
    return "\n".join([*parts, "</svg>"]) + "\n"


def ranking_svg(title: str, ranking: Ranking) -> str:
    """Amount bars by rank and the cumulative share as a line on a 0-100 % right axis."""
    parts = _open(title)
    rows = ranking.partners
    if not rows:
        return _empty(parts)
    top_value = max(row.amount for row in rows)
    parts += _axes(top_value)
    right, span = WIDTH - RIGHT, WIDTH - RIGHT - LEFT
    bar = max(span / len(rows) * 0.7, 1.0)
    parts.append(
        f'<text x="{right + 6}" y="{TOP + 4}" font-family="sans-serif" font-size="11">100%</text>'
    )
    curve = []
    for i, row in enumerate(rows):
        x, y = _x(i, len(rows)), _y(row.amount, top_value)
        parts.append(
            f'<rect class="bar" x="{round(x - bar / 2, 2)}" y="{y}" width="{round(bar, 2)}" '
            f'height="{round(HEIGHT - BOTTOM - y, 2)}" fill="{COLOURS[0]}" '
            f'data-value="{row.amount}"><title>{row.rank}. {escape(row.code)}: {row.amount} '
            f"({row.share * 100:.2f}%)</title></rect>"
        )
        parts.append(_label(x, row.code))
        curve.append((x, _y(row.cumulative_share, Decimal(1)), row))
    path = " ".join(f"{x},{y}" for x, y, _row in curve)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[1]}" stroke-width="2"/>')
    for x, y, row in curve:
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="3" fill="{COLOURS[1]}" '
            f'data-value="{row.cumulative_share}"><title>cumulative {escape(row.code)}: '
            f"{row.cumulative_share * 100:.2f}%</title></circle>"
        )
    parts.append(
        f'<text x="{right + 10}" y="{HEIGHT - BOTTOM}" font-family="sans-serif" '
        f'font-size="12">total {escape(str(ranking.total))}</text>'
    )
    return "\n".join([*parts, "</svg>"]) + "\n"
