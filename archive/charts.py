"""Small server-rendered SVG charts (no JavaScript, no external library)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.html import escape

MAX_MONTHS = 36


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_series(counts: Iterable[tuple[dt.date, int]]) -> list[tuple[dt.date, int]]:
    """Monthly counts with the empty months in between filled in (the last MAX_MONTHS)."""
    given = {dt.date(d.year, d.month, 1): n for d, n in counts if d is not None}
    if not given:
        return []
    month, last = min(given), max(given)
    series = []
    while month <= last:
        series.append((month, given.get(month, 0)))
        month = _next_month(month)
    return series[-MAX_MONTHS:]


def month_bars_svg(counts: Iterable[tuple[dt.date, int]], *, label: str) -> str:
    """A bar chart of monthly counts as an inline SVG element ("" when there is nothing)."""
    series = month_series(counts)
    if not series:
        return ""
    width, height, top, bottom, left = 600, 140, 18, 22, 28
    plot = height - top - bottom
    step = (width - left) / len(series)
    bar = max(step * 0.7, 1)
    peak = max(n for _m, n in series) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" width="100%" '
        'preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{width}" y2="{top + plot}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, (month, n) in enumerate(series):
        h = plot * n / peak
        x = left + i * step + (step - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#0b5394"><title>{month:%Y-%m}: {n}</title></rect>'
        )
    first, last = series[0][0], series[-1][0]
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="11">{first:%Y-%m}</text>'
        f'<text x="{width}" y="{height - 6}" text-anchor="end" font-size="11">{last:%Y-%m}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
