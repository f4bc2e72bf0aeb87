"""Settings are checked on construction: one line naming the setting, its value and
what is allowed, before anything starts."""

from __future__ import annotations

from typing import Any

import pytest

from servesize.errors import InvalidInputError
from servesize.profiling import ProfileSettings


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"confirm": "no"}, "confirm='no' is not allowed: true or false is required"),
        ({"confirm": 1}, "confirm=1 is not allowed: true or false is required"),
        ({"min_gain": "abc"}, "min_gain='abc' is not allowed: a number is required"),
        ({"arrival": "burst"}, "arrival='burst' is not allowed: use 'poisson' or 'constant'"),
        ({"qps": "5"}, "qps='5' is not allowed: a number or null is required"),
        ({"qps": True}, "qps=True is not allowed: a number or null is required"),
        ({"workers": 2.5}, "workers=2.5 is not allowed: a whole number or null is required"),
        ({"slo": 150}, "slo=150 is not allowed: text or null is required"),
        ({"max_trials": 0}, "max_trials=0 is not allowed: it must be >= 1"),
        ({"workers": 0}, "workers=0 is not allowed: it must be >= 1"),
        ({"min_duration": float("nan")}, "min_duration=nan is not allowed: a finite number"),
        ({"min_duration": 0}, "min_duration=0 is not allowed: it must be > 0"),
        ({"safety_margin": -0.1}, "safety_margin=-0.1 is not allowed: it must be >= 0"),
        ({"cpu_percentile": 120}, "cpu_percentile=120 is not allowed: it must be in (0, 100]"),
        ({"max_late_share": 2}, "max_late_share=2 is not allowed: it must be in [0, 1]"),
        ({"max_slowdown": 0.5}, "max_slowdown=0.5 is not allowed: it must be 0 or >= 1"),
        ({"extra_env": {"A": 1}}, "extra_env={'A': 1} is not allowed: a mapping of strings"),
        ({"min_queries": None}, "min_queries=None is not allowed: a value is required"),
        # the decision's design and the search's steps (docs/profiling.md, "One decision")
        ({"confidence": 1.0}, "confidence=1.0 is not allowed: it must be in (0.5, 1)"),
        ({"confidence": 0.5}, "confidence=0.5 is not allowed: it must be in (0.5, 1)"),
        ({"indifference": 1.0}, "indifference=1.0 is not allowed: it must be > 1"),
        ({"relaxation_runs": -1}, "relaxation_runs=-1 is not allowed: it must be >= 0"),
        ({"rate_step": 1.0}, "rate_step=1.0 is not allowed: it must be in (0, 1)"),
        ({"rate_resolution": 0}, "rate_resolution=0 is not allowed: it must be > 0"),
        ({"confirmations": 0}, "confirmations=0 is not allowed: it must be >= 1"),
        ({"seed": -1}, "seed=-1 is not allowed: it must be >= 0"),
        ({"seed": 1.5}, "seed=1.5 is not allowed: a whole number or null is required"),
        (
            {"trial_duration": 10.0, "trial_max_seconds": 5.0},
            "trial_max_seconds=5.0 is not allowed: it must be at least trial_duration (10)",
        ),
        (
            {"confirm_max_seconds": 5.0},
            "confirm_max_seconds=5.0 is not allowed: it must be at least confirm_duration (10)",
        ),
    ],
)
def test_a_bad_setting_is_refused_in_one_line(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        ProfileSettings.from_kwargs(values)
    assert str(caught.value).startswith(f"profile setting {message}")
    assert "\n" not in str(caught.value)
    # the constructor checks the same, not only from_kwargs
    with pytest.raises(InvalidInputError):
        ProfileSettings(**values)


def test_an_unknown_setting_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InvalidInputError) as caught:
        ProfileSettings.from_kwargs({"min_gian": 0.1})
    message = str(caught.value)
    assert message.startswith("unknown profile setting 'min_gian': did you mean min_gain?")
    assert "\n" not in message


def test_good_settings_pass_unchanged() -> None:
    settings = ProfileSettings.from_kwargs(
        {"qps": 5, "min_gain": 0.1, "arrival": "constant", "confirm": False, "workers": 2}
    )
    assert (settings.qps, settings.min_gain, settings.arrival) == (5, 0.1, "constant")
    assert settings.confirm is False
    assert ProfileSettings(qps=None, extra_env={"A": "1"}).extra_env == {"A": "1"}
