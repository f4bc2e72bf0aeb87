import pytest

from servesize.errors import InvalidInputError
from servesize.profiling.recommend import after_oom_gb, recommend, round_up
from servesize.profiling.settings import GIB, MIB, ProfileSettings


def test_round_up_is_exact_on_multiples_and_rounds_up_otherwise() -> None:
    assert round_up(0.3, 0.1) == 0.3
    assert round_up(0.30001, 0.1) == 0.4
    assert round_up(1.0, 0.1) == 1.0


def test_cpu_is_the_90th_percentile_times_margin_rounded_up() -> None:
    per_second = [0.1 * i for i in range(1, 11)]  # 0.1 .. 1.0; p90 = 0.91
    rec = recommend(per_second, 0.5 * GIB, ProfileSettings())
    assert rec.cpu_basis == pytest.approx(0.91)
    assert rec.cpu == 1.1  # 0.91 * 1.15 = 1.0465 -> 1.1
    assert rec.memory_gb == 0.6  # 0.5 * 1.15 = 0.575 -> 0.6


def test_minimums_hold_for_idle_services() -> None:
    rec = recommend([0.0, 0.001], 10 * MIB, ProfileSettings())
    assert rec.cpu == 0.1
    assert rec.memory_gb == 0.1


def test_oom_bump_is_the_larger_of_twenty_percent_and_100_mib() -> None:
    settings = ProfileSettings()
    assert after_oom_gb(200 * MIB, settings) == round_up((300 * MIB) / GIB, 0.1)
    assert after_oom_gb(4 * GIB, settings) == round_up(4.8, 0.1)


def test_unknown_or_bad_settings_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown profile setting"):
        ProfileSettings.from_kwargs({"qpss": 3})
    with pytest.raises(InvalidInputError, match=r"qps=0 is not allowed: it must be > 0"):
        ProfileSettings.from_kwargs({"qps": 0})
