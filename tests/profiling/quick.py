"""Settings shared by profile tests that do not test the capacity search: one 1.5 s
capacity step at concurrency 1 (two 1 s windows judged for stability), a short
warm-up, and no cold-cost step (a few seconds a sizing profile; its tests turn it on:
test_plan_end_to_end.py, test_sizing_runs.py). Each module adds what its tests need
(docs/development.md)."""

from __future__ import annotations

from typing import Any

ONE_CAPACITY_STEP: dict[str, Any] = {
    "capacity_step_seconds": 1.5,
    "stable_windows": 2,
    "max_concurrency": 1,
    "warmup_max_seconds": 5.0,
    "cold_cost": False,
}
