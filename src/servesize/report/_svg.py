"""Small, dependency-free SVG charts (inline in the HTML report, no JavaScript).

Only what the report needs: x/y line charts with linear or log axes, dashed
reference lines, shaded bands and labelled markers, and horizontal bar charts.
Every string that reaches the SVG goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 600, 280
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 34, 44

Point = tuple[float, float]


@dataclass(frozen=True)
class Line:
    """One data series; ``labels`` (same length as ``points``) annotate the dots."""

    name: str
    points: Sequence[Point]
    color: str
    dots: bool = False
    labels: Sequence[str] = ()
    width: float = 2.0


@dataclass(frozen=True)
class Rule:
    """A dashed horizontal (``axis="y"``) or vertical (``axis="x"``) reference line."""

    value: float
    label: str
    color: str
    axis: str = "y"


@dataclass(frozen=True)
class Band:
    """A shaded x range, e.g. a phase of the profile."""

    start: float
    end: float
    label: str
    color: str


@dataclass(frozen=True)
class Marker:
    """A highlighted point with a label, e.g. the chosen operating point."""

    x: float
    y: float
    label: str
    color: str
    shape: str = "circle"


@dataclass(frozen=True)
class Axis:
    title: str
    log: bool = False
    zero: bool = True  # include 0 in a linear range


@dataclass
class Chart:
    x: Axis
    y: Axis
    lines: list[Line] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    y_max: float | None = None  # a fixed top, e.g. 1.0 for a CDF


# -- ticks ----------------------------------------------------------------------


def nice_step(span: float, count: int = 5) -> float:
    """The smallest 1-2-2.5-5 step that cuts ``span`` into at most ``count + 1`` parts."""
    magnitude: float = 10.0 ** math.floor(math.log10(span / max(count, 1)))
    for step in (m * magnitude for m in (0.5, 1, 2, 2.5, 5, 10, 20)):
        if math.ceil(span / step - 1e-9) <= count + 1:
            return step
    return 20 * magnitude


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (the first and last bound the axis)."""
    if not hi > lo:
        hi = lo + (abs(lo) * 0.5 or 1.0)
    step = nice_step(hi - lo, count)
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    n = round((end - start) / step)
    return [round(start + i * step, 12) for i in range(n + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Decades (and 2, 5 between them when the range is short) covering ``[lo, hi]``."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if last == first:
        last += 1
    multiples = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [m * 10.0**e for e in range(first, last) for m in multiples]
    ticks.append(10.0**last)
    return [t for t in ticks if t >= 10.0**first]


def tick_label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.6g}"
    return text


# -- rendering -----------------------------------------------------------------


def no_data(message: str = "no data") -> str:
    """What a chart shows when there is nothing to draw."""
    return f'<div class="nodata">{escape(message)}</div>'


class _Scale:
    def __init__(self, ticks: list[float], log: bool, lo_px: float, hi_px: float) -> None:
        self.ticks, self.log, self.lo_px, self.hi_px = ticks, log, lo_px, hi_px
        self.lo = math.log10(ticks[0]) if log else ticks[0]
        self.hi = math.log10(ticks[-1]) if log else ticks[-1]

    def __call__(self, value: float) -> float:
        v = math.log10(max(value, 10.0**self.lo)) if self.log else value
        share = (v - self.lo) / ((self.hi - self.lo) or 1.0)
        return round(self.lo_px + share * (self.hi_px - self.lo_px), 1)


def _range(values: list[float], axis: Axis, fixed_top: float | None) -> list[float]:
    if axis.log:
        positive = [v for v in values if v > 0] or [1.0]
        return log_ticks(min(positive), max(positive))
    lo, hi = min(values), max(values)
    if axis.zero:
        lo = min(lo, 0.0)
    if fixed_top is not None:
        hi = fixed_top
    elif hi > lo:
        hi += (hi - lo) * 0.04  # keep the top of a line off the frame
    return nice_ticks(lo, hi)


def render(chart: Chart, *, aria: str) -> str:
    """The chart as an ``<svg>`` element, or a "no data" note when it has no points."""
    drawn = [line for line in chart.lines if line.points]
    xs = [p[0] for line in drawn for p in line.points] + [m.x for m in chart.markers]
    ys = [p[1] for line in drawn for p in line.points] + [m.y for m in chart.markers]
    if not xs:
        return no_data()
    ys += [r.value for r in chart.rules if r.axis == "y"]
    xs += [r.value for r in chart.rules if r.axis == "x"]
    xs += [v for b in chart.bands for v in (b.start, b.end)]
    sx = _Scale(_range(xs, chart.x, None), chart.x.log, LEFT, WIDTH - RIGHT)
    sy = _Scale(_range(ys, chart.y, chart.y_max), chart.y.log, HEIGHT - BOTTOM, TOP)
    out = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(aria)}" '
        'xmlns="http://www.w3.org/2000/svg" class="chart">'
    ]
    out += _bands(chart.bands, sx)
    out += _grid(sx, sy, chart)
    out += _rules(chart.rules, sx, sy)
    for line in drawn:
        out += _line(line, sx, sy)
    out += _markers(chart.markers, sx, sy)
    out.append(_legend(drawn, chart.rules))
    out.append("</svg>")
    return "".join(out)


def _grid(sx: _Scale, sy: _Scale, chart: Chart) -> list[str]:
    out = []
    bottom, top = HEIGHT - BOTTOM, TOP
    for t in sy.ticks:
        y = sy(t)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        out.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">'
            f"{tick_label(t)}</text>"
        )
    for t in sx.ticks:
        x = sx(t)
        out.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{top}" y2="{bottom}"/>')
        out.append(
            f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">'
            f"{tick_label(t)}</text>"
        )
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>')
    out.append(
        f'<text class="axis-title" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(chart.x.title)}</text>'
    )
    out.append(
        f'<text class="axis-title" transform="translate(14 {(top + bottom) / 2}) '
        f'rotate(-90)" text-anchor="middle">{escape(chart.y.title)}</text>'
    )
    return out


def _bands(bands: list[Band], sx: _Scale) -> list[str]:
    out = []
    for band in bands:
        x0, x1 = sx(band.start), sx(band.end)
        if x1 - x0 < 0.5:
            continue
        out.append(
            f'<rect x="{x0}" y="{TOP}" width="{round(x1 - x0, 1)}" '
            f'height="{HEIGHT - BOTTOM - TOP}" fill="{band.color}" opacity="0.10"/>'
        )
        if x1 - x0 > 8 * len(band.label) * 0.75:
            out.append(
                f'<text class="band" x="{x0 + 4}" y="{TOP + 12}">{escape(band.label)}</text>'
            )
    return out


def _rules(rules: list[Rule], sx: _Scale, sy: _Scale) -> list[str]:
    out = []
    for rule in rules:
        if rule.axis == "y":
            y = sy(rule.value)
            out.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" '
                f'stroke="{rule.color}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
            out.append(
                f'<text class="rule" x="{WIDTH - RIGHT - 4}" y="{y - 5}" '
                f'text-anchor="end" fill="{rule.color}">{escape(rule.label)}</text>'
            )
        else:
            x = sx(rule.value)
            out.append(
                f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
                f'stroke="{rule.color}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
            out.append(
                f'<text class="rule" x="{x + 4}" y="{TOP + 24}" '
                f'fill="{rule.color}">{escape(rule.label)}</text>'
            )
    return out


def _line(line: Line, sx: _Scale, sy: _Scale) -> list[str]:
    coords = " ".join(f"{sx(x)},{sy(y)}" for x, y in line.points)
    out = [
        f'<polyline points="{coords}" fill="none" stroke="{line.color}" '
        f'stroke-width="{line.width}" stroke-linejoin="round" stroke-linecap="round"/>'
    ]
    if line.dots or len(line.points) == 1:
        for i, (x, y) in enumerate(line.points):
            out.append(
                f'<circle cx="{sx(x)}" cy="{sy(y)}" r="3.5" fill="#fff" '
                f'stroke="{line.color}" stroke-width="2"/>'
            )
            if i < len(line.labels) and line.labels[i]:
                out.append(
                    f'<text class="dot" x="{sx(x)}" y="{sy(y) - 8}" '
                    f'text-anchor="middle">{escape(line.labels[i])}</text>'
                )
    return out


def _markers(markers: list[Marker], sx: _Scale, sy: _Scale) -> list[str]:
    out = []
    for m in markers:
        x, y = sx(m.x), sy(m.y)
        if m.shape == "diamond":
            out.append(
                f'<path d="M{x} {y - 7}L{x + 7} {y}L{x} {y + 7}L{x - 7} {y}Z" '
                f'fill="{m.color}" stroke="#fff" stroke-width="1.5"/>'
            )
        else:
            out.append(
                f'<circle cx="{x}" cy="{y}" r="6.5" fill="{m.color}" '
                'stroke="#fff" stroke-width="2"/>'
            )
        if not m.label:  # an unlabelled point (many trials at one x would overlap)
            continue
        anchor = "end" if x > WIDTH * 0.7 else "start"
        dx = -10 if anchor == "end" else 10
        out.append(
            f'<text class="marker" x="{x + dx}" y="{y + 16}" text-anchor="{anchor}" '
            f'fill="{m.color}">{escape(m.label)}</text>'
        )
    return out


def _legend(lines: list[Line], rules: list[Rule]) -> str:
    items = [(line.name, line.color, False) for line in lines if line.name]
    items += [(r.label, r.color, True) for r in rules if r.axis == "y" and r.label]
    x, out = LEFT, []
    for name, color, dashed in items:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(
            f'<line x1="{x}" x2="{x + 18}" y1="14" y2="14" stroke="{color}" '
            f'stroke-width="2.5"{dash}/>'
        )
        out.append(f'<text class="legend" x="{x + 24}" y="18">{escape(name)}</text>')
        x += 24 + 7 * len(name) + 18
    return "".join(out)


def bars(items: Sequence[tuple[str, float]], color: str, *, aria: str) -> str:
    """Horizontal bars, largest first (errors by status or kind)."""
    items = [(label, value) for label, value in items if value > 0]
    if not items:
        return no_data("no errors")
    row, left = 26, 150
    height = TOP // 2 + row * len(items) + 8
    top = max(v for _, v in items)
    out = [
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(aria)}" '
        'xmlns="http://www.w3.org/2000/svg" class="chart bars">'
    ]
    for i, (label, value) in enumerate(items):
        y = 8 + i * row
        w = max(2.0, round((WIDTH - left - 90) * value / top, 1))
        out.append(
            f'<text class="tick" x="{left - 8}" y="{y + 14}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        out.append(f'<path d="M{left} {y + 2}h{w}v16h{-w}Z" fill="{color}" rx="3"/>')
        out.append(f'<text class="dot" x="{left + w + 6}" y="{y + 14}">{tick_label(value)}</text>')
    out.append("</svg>")
    return "".join(out)
