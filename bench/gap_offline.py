"""Offline: would a request's cost by the idle gap before it bring a plan's prediction
closer to what its confirmations measured?

A request of the example burns 3.3-3.5 ms of CPU right after another and 4.5-5.1 ms
after a long idle gap (bench/hot_cold.py). ``ServiceModel`` charges ``1 + cold_extra x
(1 - exp(-idle / cool_seconds))`` times a request's work to one that starts with nothing
running; profiles measure the two numbers since 2026-12-07 (``sizingModel.coldExtra``,
``coolInMs``) and plans use them. This was the offline check that came first, and still
tries other values on a kept profile: it takes a kept workspace (``bench/plan_trace.py --keep DIR``)
and the minutes its confirmations measured (``--minutes``: measured ms and the CPU
seconds a request the replicas burnt, from bench/RESULTS-plan.md), and predicts each
minute the way the plan would, with the quota at the kernel's tick, for a few
``(cold_extra, cool_seconds)``:

- the replica's CPU fraction divided by the model's mean cold factor at the profile's
  calibration runs (so the model burns there what they burnt), and the tail factor
  computed again from the same model;
- each minute's requests (the confirmation's split, fixed seed) with the work scaled so
  that the simulated mean CPU a request is the minute's measured one.

It prints, per setting, how many minutes land within 25% of the prediction. A profile
made since the step is read without its own cold cost; its plan's hardest window can
then be another than the one its confirmations replayed, so the tool is for workspaces
kept before the step (/tmp/wsK, /tmp/wsT in bench/RESULTS-plan.md).

    .venv/bin/python bench/gap_offline.py --workspace DIR --traffic-speed X \\
        --minutes '[[12.9, 0.004134], [24.8, 0.004171]]'

Prints only (the figures go to bench/RESULTS-plan.md by hand, with the command).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from plan_repeat import TRACE

from servesize.load import read_trace
from servesize.planning.confirm import split_window
from servesize.planning.plan import make_plan, stored_figures
from servesize.planning.replica import Replica, _runs_at, tail_factor
from servesize.profiling.objective import parse_slo
from servesize.profiling.queueing import ServiceModel, _simulate
from servesize.workspace import Store

SETTINGS = ((0.0, 0.0), (0.3, 0.025), (0.4, 0.025), (0.4, 0.04))


def predict(
    model: ServiceModel,
    replica: Replica,
    offsets: np.ndarray,
    seed: int,
    cpu: float | None,
    tail: float,
) -> tuple[float, float]:
    """The p99 (ms) over ``offsets`` and the mean CPU (s) a request, with the work scaled
    to burn ``cpu`` a request (None: the model's own, as the plan predicts)."""
    times = np.asarray(offsets, float) - float(offsets[0])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(model.work), times.size)
    base = np.asarray(model.work, float)[picks]
    shares = model._shares[picks]
    scale = 1.0 if cpu is None else cpu / float(np.mean(base * shares))
    cores, workers, quirks = replica.cores, replica.workers, model._quirks
    for _ in range(4 if cpu is not None else 0):  # the cold factors move with the scale
        factors: list[float] = []
        _simulate(times, base * scale, shares, cores, workers, model.period, quirks, factors)
        scale *= cpu / float(np.mean(base * scale * shares * np.asarray(factors)))
    factors = []
    latency = _simulate(times, base * scale, shares, cores, workers, model.period, quirks, factors)
    ms = (latency * 1000.0 + model.overhead_ms) * tail
    burnt = float(np.mean(base * scale * shares * np.asarray(factors)))
    return round(float(np.percentile(ms, 99, method="inverted_cdf")), 1), burnt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--traffic-speed", type=float, required=True)
    parser.add_argument("--minutes", required=True, help="JSON [[measured ms, CPU s], ...]")
    parser.add_argument("--tick-ms", type=float, default=4.0)
    args = parser.parse_args()
    minutes = [(float(m), float(c)) for m, c in json.loads(args.minutes)]
    base = stored_figures(Store.open(args.workspace), "bench")
    # from the profile without its own cold cost: the settings below replace it
    sized = {**(base.sizing_model or {}), "quotaTickInMs": args.tick_ms, "coldExtra": None}
    figures = dataclasses.replace(base, sizing_model=sized)
    trace = read_trace(TRACE, column="TIMESTAMP", speed=args.traffic_speed)
    plan = make_plan(figures, trace.arrivals, autoscaler="hpa", duration=trace.duration or None)
    sim, s = plan.simulation, plan.simulation.settings
    window = sim.confirmation_window()
    start, seconds = window.start, window.stop - window.start
    replica = plan.table.replica
    offsets = split_window(trace.arrivals, start, seconds, sim.ready[window], 1, s.seed)[0]
    rows = [r for r in figures.sizing or [] if r.get("source") == "measured"]
    runs = list(_runs_at(rows, replica.cores, replica.workers, 0.0))
    rate = float(
        np.average(
            [float(r["measuredQueriesPerSecond"]) for r in runs],
            weights=[float(r.get("n") or 1) for r in runs],
        )
    )
    objective = parse_slo(str(figures.latency_objective))
    plain = replica.model
    for cold, cool in SETTINGS:
        model = dataclasses.replace(
            plain, cold_extra=cold, cool_seconds=cool, _cache={}, _speeds={}
        )
        factor = model.cold_factor(replica.cores, replica.workers, rate) if cold else 1.0
        model = model.with_cpu_fraction(plain.cpu_fraction / factor)
        tail, n = tail_factor(
            rows, model.at_speed(1 / replica.speed), replica.cores, replica.workers, objective,
            0.0, replica.sensitivity,
        )  # fmt: skip
        predicted = [predict(model, replica, offsets, s.seed, cpu, tail)[0] for _, cpu in minutes]
        within = sum(abs(m - p) <= 0.25 * p for (m, _), p in zip(minutes, predicted, strict=True))
        pairs = " ".join(f"{m:g}/{p:g}" for (m, _), p in zip(minutes, predicted, strict=True))
        # what the plan itself would predict for the window: the model's own CPU
        planned, burnt = predict(model.at_speed(1.0), replica, offsets, s.seed, None, tail)
        own = sum(abs(m - planned) <= 0.25 * planned for m, _ in minutes)
        print(
            f"cold_extra {cold} cool {cool * 1000:g} ms: mean factor at {rate:.1f}/s "
            f"{factor:.3f}, tail {tail:.3f} ({n} runs); the plan's prediction "
            f"{planned:g} ms at {burnt * 1000:.2f} ms of CPU a request, within 25% of it "
            f"{own} of {len(minutes)}; at each minute's CPU, within 25% {within} of "
            f"{len(minutes)}: {pairs}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
