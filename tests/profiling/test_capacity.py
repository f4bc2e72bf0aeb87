from collections.abc import Mapping, Sequence
from typing import Any

from servesize.profiling.capacity import is_stable, search
from servesize.profiling.settings import ProfileSettings


def _windows(*rates: float) -> list[dict[str, Any]]:
    return [{"measuredQueriesPerSecond": r} for r in rates]


def _runner(
    curve: dict[int, float],
    errors_at: int | None = None,
    base_ok: float = 1.0,
    quota: dict[int, float] | None = None,
) -> tuple[list[int], Any]:
    seen: list[int] = []

    def run(c: int) -> tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]:
        seen.append(c)
        qps = curve[c]
        ok = 0.5 if errors_at is not None and c >= errors_at else base_ok
        metrics: dict[str, Any] = {
            "measuredQueriesPerSecond": qps,
            "successRate": ok,
            "totalQueries": 100,
        }
        if quota is not None:
            metrics["quotaShareUsed"] = quota[c]
        return metrics, _windows(qps * 0.5, qps, qps, qps)

    return seen, run


def test_stability_needs_enough_windows_within_tolerance() -> None:
    assert is_stable(_windows(1, 100, 104, 98), 3, 0.10)
    assert not is_stable(_windows(100, 150, 80), 3, 0.10)
    assert not is_stable(_windows(100, 100), 3, 0.10)
    assert not is_stable(_windows(0, 0, 0), 3, 0.10)
    # a ragged last window (0.2 s long) is left out rather than read as a rate drop
    ragged = [*_windows(100, 101, 99), {"measuredQueriesPerSecond": 40.0, "queries": 8}]
    assert is_stable(ragged, 3, 0.10)


def test_search_stops_after_two_flat_steps_and_keeps_the_best() -> None:
    seen, run = _runner({1: 100, 2: 190, 4: 300, 8: 305, 16: 290, 32: 280})
    result = search(run, ProfileSettings())
    assert seen == [1, 2, 4, 8, 16]
    assert result.sustainable_qps == 305
    assert result.best is not None
    assert result.best.concurrency == 8
    assert "twice in a row" in result.stop_reason


def test_one_flat_step_with_the_quota_used_up_ends_the_search() -> None:
    # a single worker at one core: saturated at concurrency 2, nothing more to gain
    seen, run = _runner({1: 280, 2: 290, 4: 291}, quota={1: 0.93, 2: 0.99, 4: 1.0})
    result = search(run, ProfileSettings())
    assert seen == [1, 2]
    assert result.sustainable_qps == 290
    assert "quota used up" in result.stop_reason
    assert [st.to_row()["quotaShareUsed"] for st in result.steps] == [0.93, 0.99]
    # flat but with CPU to spare (waiting on I/O, a lock): two flat steps, as before
    seen, run = _runner({1: 100, 2: 102, 4: 101, 8: 300}, quota={1: 0.3, 2: 0.3, 4: 0.3, 8: 0.9})
    result = search(run, ProfileSettings())
    assert seen == [1, 2, 4]
    assert "twice in a row" in result.stop_reason


def test_search_stops_at_errors_and_ignores_the_failing_step() -> None:
    seen, run = _runner({1: 100, 2: 200, 4: 400}, errors_at=4)
    result = search(run, ProfileSettings())
    assert seen == [1, 2, 4]
    assert result.sustainable_qps == 200
    assert "errors appeared" in result.stop_reason


def test_search_with_nothing_succeeding_has_no_best() -> None:
    seen, run = _runner({1: 0.0}, base_ok=0.0)
    result = search(run, ProfileSettings())
    assert result.best is None
    assert result.sustainable_qps == 0.0
    assert seen == [1]


def test_errors_the_script_always_returns_do_not_stop_the_search() -> None:
    seen, run = _runner({1: 100, 2: 200, 4: 400, 8: 410, 16: 405}, base_ok=0.9)
    result = search(run, ProfileSettings())
    assert seen == [1, 2, 4, 8, 16]
    assert result.sustainable_qps == 410
