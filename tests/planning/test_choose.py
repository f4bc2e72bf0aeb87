"""The search of the autoscaler's settings (planning/choose.py): best first, it finds
the cheapest setting that holds, and checks on the arrivals only the ones cheaper than
it that hold on smoothed rates."""

from __future__ import annotations

import math

import numpy as np

from servesize.planning import PlanSettings
from servesize.planning.choose import (
    _search,
    behavior_for,
    minutes_share,
    required_share,
    static_replicas,
)
from servesize.planning.fleet import Simulation, simulate
from servesize.planning.rates import counts_per_second
from servesize.planning.replica import LatencyTable, Replica
from servesize.planning.scalers import HpaCpu

from .helpers import poisson_arrivals, sized_figures


def _rising() -> np.ndarray:
    # 24 minutes that rise from 8 to 60/s and fall back, a 30 s burst of 3x in the middle
    pieces: list[tuple[float, float]] = []
    for minute in range(24):
        rate = 8.0 + 52.0 * math.sin(math.pi * minute / 24) ** 2
        pieces += [(30, rate), (30, rate * 1.3)] if minute == 12 else [(60, rate)]
    return poisson_arrivals(pieces, seed=9)


def test_the_search_finds_the_cheapest_setting_that_holds_checking_only_cheaper_ones() -> None:
    figures, settings = sized_figures(), PlanSettings()
    replica = Replica.from_figures(figures)
    table = LatencyTable(replica)
    counts = counts_per_second(_rising())
    static, _ = static_replicas(counts, table, settings)
    assert static >= 3  # room for minimums to matter
    need = required_share(table, settings)
    behavior = behavior_for(300)

    def make(target: float, minimum: int, maximum: int) -> HpaCpu:
        return HpaCpu(replica, settings, int(target), minimum, maximum, behavior)

    targets = [float(t) for t in range(80, 20, -5)]
    every = {
        (t, m): simulate(make(t, m, static), counts, table, settings)
        for t in targets
        for m in range(1, static + 1)
    }
    holding = sorted(
        (sim.replica_hours, -t, m)
        for (t, m), sim in every.items()
        if sim.attainment >= need and minutes_share(sim) >= settings.minutes
    )
    assert len(holding) >= 4
    # the arrivals' check refuses the two cheapest fleets that hold on smoothed rates
    refused = {every[(-t, m)].ready.tobytes() for _, t, m in holding[:2]}
    checked: list[bytes] = []

    def check(sim: Simulation) -> bool:
        checked.append(sim.ready.tobytes())
        return sim.ready.tobytes() not in refused

    found = _search(make, targets, counts, table, settings, static, check)
    assert found is not None
    target, minimum, sim, met = found
    # the cheapest of every setting tried exhaustively that passes both
    passing = [h for h in holding if every[(-h[1], h[2])].ready.tobytes() not in refused]
    hours, negative, best_minimum = passing[0]
    assert met
    assert (target, minimum) == (-negative, best_minimum)
    assert sim.replica_hours == hours
    # checked: exactly the holders as cheap as the answer, the refused ones and itself
    cheaper = [h for h in holding if h <= passing[0]]
    assert len(checked) == len(cheaper)
    # a ceiling below the answer: nothing found (a shorter scale-down window loses)
    assert _search(make, targets, counts, table, settings, static, check, hours) is None
