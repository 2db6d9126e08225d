"""Static SVG charts, written by hand: no JavaScript, no network, same file in HTML and PDF.

A trend chart shows one metric by year: the agreed (median) value as a
point, the spread between sources as a vertical bar, the value above the
point and the sources behind it (S1, S2, ... as numbered on the sources
page) below it. For screen readers the chart has a <title> and a <desc> that
says every value in words; each point has its own <title> (value, spread,
sources), which browsers show on hover where the SVG is inline in the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from reports.markup import format_value

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 28, 56
FONT = "Liberation Sans, Arial, Helvetica, DejaVu Sans, sans-serif"
Scale = Callable[[float], float]
INK, MUTED, GRID, ACCENT, SPREAD = "#1f2937", "#6b7280", "#e5e7eb", "#1d4e89", "#9db7d5"


@dataclass(frozen=True)
class ChartPoint:
    year: int
    value: float
    low: float
    high: float
    qualifier: str          # exact | more_than | ... | mixed
    sources: Sequence[str]  # short markers, e.g. ("S1", "S4")


def trend_svg(title: str, unit: str, points: Sequence[ChartPoint]) -> str:
    """One metric over the years as a standalone SVG document."""
    if not points:
        raise ValueError(f"trend chart {title!r}: no points to draw")
    ordered = sorted(points, key=lambda p: p.year)
    y_low, y_high, ticks = _value_axis(unit, [v for p in ordered for v in (p.low, p.high)])
    x_of = _year_scale([p.year for p in ordered])

    def y_of(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - y_low) / (y_high - y_low))

    parts = [_open(title, chart_description(unit, ordered))]
    parts += _grid(ticks, unit, y_of)
    parts += _year_axis(ordered, x_of)
    parts.append(_line([(x_of(p.year), y_of(p.value)) for p in ordered]))
    for point in ordered:
        parts += _marker(point, unit, x_of(point.year), y_of)
    parts.append("</svg>\n")
    return "\n".join(parts)


def chart_description(unit: str, points: Sequence[ChartPoint]) -> str:
    """The chart in words: 'Agreed value by year, 2018 to 2022: 2018: 59 % (S3, S4); ...'."""
    years = [p.year for p in points]
    said = "; ".join(point_summary(p, unit) for p in points)
    return f"Agreed value by year, {min(years)} to {max(years)}: {said}."


def point_summary(point: ChartPoint, unit: str) -> str:
    """One point as its hover text says it: year, value, spread between sources, sources."""
    qualifier = point.qualifier if point.qualifier != "mixed" else "exact"
    text = f"{point.year}: {format_value(point.value, unit, qualifier)}"
    if point.high - point.low > 1e-9:
        text += (f", sources range from {format_value(point.low, unit)} to "
                 f"{format_value(point.high, unit)}")
    if point.sources:
        text += f" ({', '.join(point.sources)})"
    return text


def _open(title: str, description: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family={quoteattr(FONT)} role="img">\n'
            f"<title>{escape(title)}</title>\n<desc>{escape(description)}</desc>\n"
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>')


def _value_axis(unit: str, values: list[float]) -> tuple[float, float, list[float]]:
    """Axis range and ticks; shares use 0-100 % so charts compare at a glance."""
    low, high = min(values + [0.0]), max(values)
    if unit == "percent" and low >= 0 and high <= 100:
        return 0.0, 100.0, [0.0, 25.0, 50.0, 75.0, 100.0]
    step = _nice_step((high - low) or abs(high) or 1.0)
    bottom = math.floor(low / step) * step
    top = math.ceil(high * 1.12 / step) * step if high > 0 else step
    if top <= bottom:
        top = bottom + step
    ticks = [bottom + i * step for i in range(int(round((top - bottom) / step)) + 1)]
    return bottom, top, ticks


def _nice_step(span: float) -> float:
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _year_scale(years: list[int]) -> Scale:
    first, last = min(years), max(years)
    inner = WIDTH - LEFT - RIGHT - 80  # room so end labels stay inside

    def x_of(year: float) -> float:
        if first == last:
            return LEFT + 40 + inner / 2
        return LEFT + 40 + inner * (year - first) / (last - first)

    return x_of


def _grid(ticks: list[float], unit: str, y_of: Scale) -> list[str]:
    lines = []
    for tick in ticks:
        y = y_of(tick)
        lines.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        lines.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" font-size="12" fill="{MUTED}" '
                     f'text-anchor="end">{escape(format_value(tick, unit))}</text>')
    return lines


def _year_axis(points: list[ChartPoint], x_of: Scale) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" '
             f'stroke="{MUTED}" stroke-width="1"/>']
    for point in points:
        x = x_of(point.year)
        parts.append(f'<text x="{x:.1f}" y="{base + 20}" font-size="13" fill="{INK}" '
                     f'text-anchor="middle" font-weight="bold">{point.year}</text>')
        parts.append(f'<text x="{x:.1f}" y="{base + 38}" font-size="11" fill="{MUTED}" '
                     f'text-anchor="middle">{escape(" · ".join(point.sources))}</text>')
    return parts


def _line(coords: list[tuple[float, float]]) -> str:
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return (f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2.5" '
            'stroke-linejoin="round"/>')


def _marker(point: ChartPoint, unit: str, x: float, y_of: Scale) -> list[str]:
    parts = [f"<g><title>{escape(point_summary(point, unit))}</title>"]
    if point.high - point.low > 1e-9:
        top, bottom = y_of(point.high), y_of(point.low)
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                     f'stroke="{SPREAD}" stroke-width="8" stroke-linecap="round"/>')
    y = y_of(point.value)
    hollow = point.qualifier not in ("exact", "mixed")
    fill = "#ffffff" if hollow else ACCENT
    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{fill}" stroke="{ACCENT}" '
                 'stroke-width="2.5"/>')
    qualifier = point.qualifier if point.qualifier != "mixed" else "exact"
    label = format_value(point.value, unit, qualifier)
    parts.append(f'<text x="{x:.1f}" y="{y - 14:.1f}" font-size="13" fill="{INK}" '
                 f'text-anchor="middle" font-weight="bold">{escape(label)}</text>')
    parts.append("</g>")
    return parts
