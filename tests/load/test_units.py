"""Pure parts: durations, spec validation, pacers, histograms, the recorder's memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import psutil
import pytest

from servesize.errors import InvalidInputError
from servesize.load import Histogram, LoadSpec, parse_duration
from servesize.load._multi import shares
from servesize.load._pacer import END, SchedulePacer, make_pacer
from servesize.load._recorder import Recorder, WindowPart
from servesize.load._result import WindowMerger, build_result


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("2m", 120.0), ("500ms", 0.5), ("1.5", 1.5), ("1h", 3600.0), (" 7 s", 7.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "3x", "-1s", "1e3", "s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidInputError, match="bad duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 10, "concurrency": 2, "duration": 1}, "exactly one"),
        ({"duration": 1}, "exactly one"),
        ({"rate": 0, "duration": 1}, "rate"),
        ({"rate": 10}, "duration"),
        ({"concurrency": 0, "duration": 1}, "concurrency"),
        ({"rate": 10, "duration": 1, "bodies": []}, "no request bodies"),
        ({"rate": 10, "duration": 1, "method": "po st"}, "method"),
        ({"rate": 10, "duration": 1, "headers": {"X": "a\r\nb"}}, "header"),
        ({"rate": 10, "duration": 1, "processes": 0}, "processes"),
        ({"rate": 10, "schedule": [0.0]}, "exactly one"),
        ({"schedule": []}, "schedule is empty"),
        ({"schedule": [0.0, 2.0, 1.0]}, r"schedule\[2\] = 1.0 is before schedule\[1\] = 2.0"),
        ({"schedule": [0.0, -1.0]}, r"schedule\[1\] = -1.0: send times are seconds >= 0"),
        ({"schedule": [0.0, float("nan")]}, r"schedule\[1\] = nan"),
        ({"schedule": [0.0], "min_queries": 5}, "min_queries does not apply"),
        ({"schedule": [0.0], "duration": 0}, "duration cut must be positive"),
    ],
)
def test_spec_rejects(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"bodies": [b"x"], **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        LoadSpec("http://127.0.0.1:1/", **args)  # type: ignore[arg-type]


def test_spec_accepts_zero_duration_with_a_count() -> None:
    spec = LoadSpec("http://h/", [b"x"], concurrency=1, duration=0.0, min_queries=5)
    assert spec.connection_cap == 1


def test_a_schedule_needs_no_duration_and_asks_for_its_mean_rate() -> None:
    spec = LoadSpec("http://h/", [b"x"], schedule=np.array([0.0, 0.5, 0.5, 2.0]))
    assert spec.schedule == (0.0, 0.5, 0.5, 2.0)
    assert spec.open_loop
    assert spec.requested_rate == 2.0  # 4 requests over 2 s
    assert "schedule" not in repr(spec)  # a trace's 100,000 times stay out of logs


def test_schedule_pacer_sends_at_the_given_times_then_ends() -> None:
    pacer = SchedulePacer(1_000, [0.0, 0.25, 0.25, 1.000000001])
    due = [pacer.next_due() for _ in range(6)]
    assert due == [1_000, 250_001_000, 250_001_000, 1_000_001_001, END, END]


def test_a_schedule_is_dealt_round_robin_among_processes() -> None:
    times = [0.0, 0.1, 0.2, 0.3, 0.4, 5.0, 5.05]
    parts = shares(LoadSpec("http://h/", [b"x"], schedule=times, processes=3), 3)
    mine = [times[p.part :: p.parts] for p in parts]
    assert sorted(t for m in mine for t in m) == times
    assert [p.rate for p in parts] == [2.0, 2.0, 1.0]  # each share's busiest second


def test_constant_pacer_is_evenly_spaced_and_does_not_drift() -> None:
    pacer = make_pacer("constant", 1_000, 3.0, seed=None)
    due = [pacer.next_due() for _ in range(3001)]
    assert due[0] == 1_000
    assert due[3000] - due[0] == 1_000_000_000_000  # 1,000 s exactly, no accumulated error
    gaps = np.diff(due)
    assert gaps.min() >= 333_333_333
    assert gaps.max() <= 333_333_334


def test_poisson_pacer_gaps_have_the_right_mean_and_spread() -> None:
    pacer = make_pacer("poisson", 0, 200.0, seed=7)
    gaps = np.diff([pacer.next_due() for _ in range(40_001)]) / 1e9
    assert gaps.mean() == pytest.approx(1 / 200, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.05)  # exponential: CV = 1
    first = [make_pacer("poisson", 0, 200.0, seed=7).next_due() for _ in range(2)]
    assert first[0] == first[1]  # a seed gives the same schedule


def exact_percentile(values: np.ndarray, num: int, den: int) -> int:
    ordered = np.sort(values)
    rank = max(1, -(-len(ordered) * num // den))
    return int(ordered[rank - 1])


def test_histogram_percentiles_are_exact() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(8, 1, 100_003).astype(np.int64)
    half = len(values) // 2
    merged = Histogram.merged([Histogram.of(values[:half]), Histogram.of(values[half:])])
    assert merged.total == len(values)
    assert merged.sum() == int(values.sum())
    for num, den in [(50, 100), (90, 100), (95, 100), (99, 100), (999, 1000), (1, 1)]:
        expected = exact_percentile(values, num, den)
        assert merged.percentile(num, den) == expected
        q = num / den * 100
        assert expected == int(np.percentile(values, q, method="inverted_cdf"))
    assert (merged.min, merged.max) == (int(values.min()), int(values.max()))


def test_percentile_rank_has_no_float_rounding() -> None:
    # 0.99 * 100 is 99.00000000000001 in floats: a ceil() on it would pick the 100th value
    h = Histogram.of(list(range(1, 101)))
    assert h.percentile(99, 100) == 99
    assert h.percentile(50, 100) == 50


def test_log_buckets_hold_every_count() -> None:
    h = Histogram.of([0, 5, 50, 500, 5_000, 5_000, 123_456])
    buckets = h.log_buckets()
    assert sum(c for _, c in buckets) == 7
    uppers = [u for u, _ in buckets]
    assert uppers == sorted(uppers)
    assert uppers[-1] >= 123.456


def test_windows_merge_exactly_across_sources() -> None:
    merger = WindowMerger(2)
    a, b = Histogram.of([1000, 2000]), Histogram.of([3000, 4000, 5000])
    merger.add(WindowPart(0, 1.0, a, 2, 2, 0))
    assert merger.rows == []  # waits for the other source
    merger.add(WindowPart(0, 1.0, b, 4, 3, 1))
    assert merger.rows == [
        {
            "t": 0,
            "queries": 6,
            "successQueries": 5,
            "measuredQueriesPerSecond": 6.0,
            "latencyPercentile50InMs": 3.0,
            "latencyPercentile99InMs": 5.0,
            "errors": 1,
        }
    ]


@pytest.mark.slow
@pytest.mark.no_cover  # pure Python in a loop: coverage's tracing would triple its time
def test_four_million_results_fit_in_little_memory() -> None:
    """4 M requests through the real accumulator: memory stays small, percentiles exact.

    Keeping every result would take at least 4 M x 36 bytes (an int and its list slot),
    144 MB, above the bound: what grows with the requests fails it. RSS is read at every
    window (tracemalloc would make millions of calls take minutes).
    """
    n, per_window = 4_000_000, 250_000
    rng = np.random.default_rng(3)
    sample = (rng.lognormal(7.5, 0.6, per_window) * 1000).astype(np.int64).tolist()  # ns
    merger = WindowMerger(1)
    process = psutil.Process()
    rec = Recorder(0, merger.add)
    response = rec.response
    before = process.memory_info().rss
    peak = before
    for w in range(n // per_window):
        base = w * 1_000_000_000
        for i, lat in enumerate(sample):
            t = base + i * 4000
            response(t, t, t + lat, 200, 10)
        peak = max(peak, process.memory_info().rss)
    totals = rec.finish(n // per_window * 1_000_000_000 + 10**9)
    assert totals.total == n
    assert totals.latency.total == n
    assert totals.service.total == n
    assert peak - before < 100 * 2**20, f"grew by {(peak - before) / 2**20:.1f} MiB"
    result = build_result([totals], merger.rows, requested_rate=None, measure_start_ns=0, end_ns=0)
    lat_us = np.asarray(sample) // 1000
    for key, num in (("50", 50), ("99", 99)):
        expected = exact_percentile(lat_us, num, 100) / 1000
        assert result.metrics[f"latencyPercentile{key}InMs"] == expected
    assert sum(w["queries"] for w in result.windows) == n


def test_histogram_memory_is_bounded_by_distinct_values() -> None:
    """tracemalloc over 10 M values fed in chunks: memory follows distinct values only."""
    rng = np.random.default_rng(4)
    h = Histogram()
    tracemalloc.start()
    try:
        for _ in range(100):
            h.add_raw(rng.lognormal(8, 0.5, 100_000).astype(np.int64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert h.total == 10_000_000
    held = h.values.nbytes + h.counts.nbytes
    assert held < 2 * 2**20, held
    assert peak < 16 * 2**20, peak


def test_public_surface_is_pinned() -> None:
    import servesize.load as load

    assert load.__all__ == [
        "Arrival",
        "Histogram",
        "LoadResult",
        "LoadSpec",
        "Progress",
        "Trace",
        "TraceSummary",
        "parse_duration",
        "read_trace",
        "run_load",
        "run_load_async",
        "split",
    ]
