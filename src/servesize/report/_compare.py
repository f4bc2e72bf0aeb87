"""Two profiles side by side, and whether the second one regressed (a CI gate)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from servesize.errors import InvalidInputError
from servesize.report._facts import fmt
from servesize.report._view import ProfileView
from servesize.report._view import as_number as _num
from servesize.workspace import Figures

# (Figures field, label, unit, direction): +1 bigger is worse, -1 smaller is worse,
# 0 shown only.  Only the gated ones (p99, sustainable throughput, CPU, memory, replicas,
# rate within the objective) can regress.
METRICS: tuple[tuple[str, str, str, int], ...] = (
    ("latency_percentile99_in_ms", "p99 latency", "ms", +1),
    ("latency_percentile50_in_ms", "p50 latency", "ms", 0),
    ("max_sustainable_queries_per_second", "max sustainable rate", "q/s", -1),
    ("measured_queries_per_second", "measured rate", "q/s", 0),
    ("recommended_cpu", "recommended CPU", "cores", +1),
    ("recommended_memory_in_gb", "recommended memory", "GB", +1),
    ("recommended_replicas", "recommended replicas", "", +1),
    ("max_queries_per_second_within_slo", "max rate within the objective", "q/s", -1),
    ("recommendation_latency_in_ms", "objective percentile, confirmed", "ms", 0),
    ("cpu_seconds_per_query", "CPU seconds per query", "s", 0),
    ("max_utilized_memory_in_gb", "peak memory", "GB", 0),
    ("cold_start_seconds", "cold start", "s", 0),
)
# the rows carry the details' key (JSON output); a misspelt field fails here, at import
_KEYS = {name: Figures.key(name) for name, *_ in METRICS}


def parse_threshold(text: str | float) -> float:
    """``"10%"``, ``"150%"``, ``"0.1"`` or ``2.5`` as a share (0.1, 1.5, 0.1, 2.5).

    Any share >= 0 is accepted: a gate that lets a latency double (``100%``) is as
    legitimate as a 10% one.  A bare number is a share, so ``2.5`` allows +250%.  A
    decreasing figure (throughput) can fall by at most 100%, so shares >= 1 never flag
    it.
    """
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise InvalidInputError(f"--max-regression {raw!r}: use a share >= 0 like 10%, 150% or 0.1")
    return value


@dataclass(frozen=True)
class ComparisonRow:
    metric: str
    label: str
    unit: str
    a: float | None
    b: float | None
    ratio: float | None  # b / a
    worse: bool  # only ever True for a gated metric beyond the threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "unit": self.unit,
            "a": self.a,
            "b": self.b,
            "ratio": self.ratio,
            "worse": self.worse,
        }


@dataclass(frozen=True)
class Comparison:
    """``compare(a, b)``: rows of metrics; ``regressed`` when B is worse than A."""

    a: str
    b: str
    max_regression: float
    rows: list[ComparisonRow]
    notes: list[str] = field(default_factory=list)
    b_failed: bool = False

    @property
    def regressed(self) -> bool:
        return self.b_failed or any(row.worse for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "maxRegression": self.max_regression,
            "regressed": self.regressed,
            "notes": list(self.notes),
            "rows": [row.to_dict() for row in self.rows],
        }

    def to_markdown(self) -> str:
        lines = [f"| metric | {self.a} | {self.b} | B / A |", "|---|--:|--:|--:|"]
        for r in self.rows:
            ratio = "—" if r.ratio is None else f"{r.ratio:.2f}x" + (" ⚠" if r.worse else "")
            lines.append(f"| {r.label} | {fmt(r.a, r.unit)} | {fmt(r.b, r.unit)} | {ratio} |")
        lines += [f"\n- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _worse(a: float | None, b: float | None, direction: int, limit: float) -> bool:
    if a is None or b is None or direction == 0:
        return False
    if direction > 0:
        return b > a * (1 + limit) if a > 0 else b > 0
    return b < a * (1 - limit)


def compare(a: ProfileView, b: ProfileView, max_regression: float = 0.10) -> Comparison:
    """Compare profile ``b`` (candidate) against ``a`` (baseline).

    >>> base = ProfileView("a", "Succeeded", {"latencyPercentile99InMs": 10.0})
    >>> compare(base, ProfileView("b", "Succeeded", {"latencyPercentile99InMs": 12.0})).regressed
    True
    """
    rows = []
    for name, label, unit, direction in METRICS:
        va, vb = _num(getattr(a.figures, name)), _num(getattr(b.figures, name))
        ratio = vb / va if va and vb is not None else None
        rows.append(
            ComparisonRow(
                _KEYS[name], label, unit, va, vb, ratio, _worse(va, vb, direction, max_regression)
            )
        )
    notes = []
    for view, role in ((a, "A"), (b, "B")):
        if view.state != "Succeeded":
            notes.append(f"{role} ({view.name}) is {view.state}: {view.headline()}")
        elif view.validity == "INVALID":
            notes.append(f"{role} ({view.name}) is INVALID: " + "; ".join(view.validity_reasons))
    objectives = (a.figures.latency_objective, b.figures.latency_objective)
    if all(objectives) and objectives[0] != objectives[1]:
        notes.append(f"the objectives differ ({objectives[0]} vs {objectives[1]})")
    slo_lost = a.figures.slo_met is True and b.figures.slo_met is False
    if slo_lost:
        notes.append(f"B ({b.name}) no longer meets {b.figures.latency_objective}")
    for row in rows:
        if row.worse:
            change = (row.ratio - 1) * 100 if row.ratio is not None else math.inf
            notes.append(
                f"{row.label} changed by {change:+.1f}% "
                f"(more than the allowed {max_regression * 100:g}%)"
            )
    failed = b.state != "Succeeded" or slo_lost
    return Comparison(a.name, b.name, max_regression, rows, notes, failed)
