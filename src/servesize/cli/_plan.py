"""``servesize profile plan`` and ``model profile --traffic``: the shared options and the
printing of a plan (the planning itself is ``ModelProfile.plan``'s)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from servesize.errors import InvalidInputError
from servesize.workspace import Store

__all__ = [
    "AutoscalerOption",
    "ConfirmOption",
    "TrafficColumnOption",
    "TrafficSpeedOption",
    "plan_and_print",
    "read_traffic",
]

TrafficColumnOption = Annotated[
    str | None,
    typer.Option("--traffic-column", help="The trace CSV's timestamp column (e.g. TIMESTAMP)."),
]
TrafficSpeedOption = Annotated[
    float, typer.Option("--traffic-speed", help="Replay the trace this many times faster.")
]
AutoscalerOption = Annotated[
    str,
    typer.Option(
        "--autoscaler", help="Whose timeline and prediction lead: hpa or keda (both planned)."
    ),
]
ConfirmOption = Annotated[
    bool,
    typer.Option(
        "--confirm/--no-confirm",
        help="Replay the trace's hardest minute on real replicas under the planned limits.",
    ),
]


def read_traffic(path: Path, column: str | None, speed: float) -> Any:
    """The trace, read before anything runs (a bad file is one line, exit 2)."""
    from servesize.load import read_trace

    return read_trace(path, column=column, speed=speed)


def plan_and_print(
    store: Store,
    name: str,
    trace: Any,
    *,
    autoscaler: str,
    confirm: bool,
    settings: dict[str, Any],
    as_json: bool,
) -> None:
    """Plan stored profile ``name`` for ``trace``, then print the plan (or its JSON)."""
    from servesize.planning import AUTOSCALERS
    from servesize.report import ProfileView, plan_summary
    from servesize.sdk import ModelProfile

    if autoscaler not in AUTOSCALERS:
        raise InvalidInputError(
            f"unknown autoscaler {autoscaler!r}: choose one of {', '.join(AUTOSCALERS)}"
        )
    handle = ModelProfile(store, name)  # an unknown name fails here, before anything runs
    if not as_json:
        what = " and replaying its hardest minute on real replicas" if confirm else ""
        Console(stderr=True).print(
            f"planning {name}: simulating the autoscalers{what} ...", soft_wrap=True
        )
    handle.plan(trace, autoscaler=autoscaler, confirm=confirm, **settings)
    view = ProfileView.from_store(store, name)
    if as_json:
        doc = {
            "traffic": view.details.get("traffic"),
            "autoscaling": view.details.get("autoscaling"),
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")
        return
    out = Console()
    out.print(f"[bold]Autoscaling plan for {name}[/]", highlight=False)
    for label, text in plan_summary(view):
        out.print(f"  {label:<28} {text}", highlight=False, markup=False, soft_wrap=True)
    out.print(
        f"  {'export':<28} servesize profile report {name} --format k8s (or keda)",
        soft_wrap=True,
    )
