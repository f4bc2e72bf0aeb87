"""A sized profile's figures without running one, and synthetic arrivals."""

from __future__ import annotations

import numpy as np

from servesize.profiling.queueing import service_time_quantiles
from servesize.workspace import Figures


def sized_figures(
    cores: float = 0.5,
    service_ms: float = 10.0,
    objective: str = "p90<=40ms",
    cold_start: float = 3.0,
) -> Figures:
    """Figures as a sizing leaves them: gamma-distributed service times of mean
    ``service_ms`` that burn a whole core while they run."""
    work = np.random.default_rng(3).gamma(4.0, service_ms / 1000.0 / 4.0, 400)
    return Figures(
        recommended_cpu=cores,
        recommended_memory_in_gb=0.5,
        recommended_workers=1,
        latency_objective=objective,
        cpu_seconds_per_query=service_ms / 1000.0,
        cold_start_seconds=cold_start,
        sizing_model={
            "serviceTimeMeanInMs": service_ms,
            "cpuFraction": 1.0,
            "overheadInMs": 1.0,
            "serviceTimesMs": service_time_quantiles(work.tolist()),
        },
    )


def poisson_arrivals(rates: list[tuple[float, float]], seed: int = 1) -> np.ndarray:
    """Poisson arrivals at piecewise-constant rates: ``[(seconds, rate), ...]``."""
    rng = np.random.default_rng(seed)
    out, start = [], 0.0
    for seconds, rate in rates:
        n = rng.poisson(rate * seconds)
        out.append(np.sort(rng.uniform(start, start + seconds, n)))
        start += seconds
    return np.concatenate(out)
