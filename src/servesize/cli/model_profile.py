"""``servesize model profile``: the Azure CLI v1 ``az ml model profile``, run locally."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, fail
from servesize.cli._deploy_options import InstanceTypeOption, PriceOption, SkusOption
from servesize.cli._plan import (
    AutoscalerOption,
    TrafficColumnOption,
    TrafficSpeedOption,
    read_traffic,
)
from servesize.cli.model import model_app
from servesize.errors import ProfileError
from servesize.workspace import Figures, Store

if TYPE_CHECKING:
    from servesize.sdk import ModelProfile

__all__ = ["key_values", "profile_command"]


def _parse_seconds(text: str | None) -> float | None:
    if text is None:
        return None
    from servesize.load import parse_duration

    return parse_duration(text)


@model_app.command("profile")
def profile_command(
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the profile (unique).")],
    input_dataset_id: Annotated[
        str, typer.Option("--idi", "--input-dataset-id", help="Dataset id of sample requests.")
    ],
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model id NAME[:VERSION]; repeat for several."),
    ] = None,
    inference_config: Annotated[
        Path | None,
        typer.Option("--ic", "--inference-config-file", help="Inference-config JSON file."),
    ] = None,
    entry_script: Annotated[
        Path | None, typer.Option("--entry-script", "--es", help="Entry script (score.py).")
    ] = None,
    source_directory: Annotated[
        Path | None, typer.Option("--source-directory", "--sd", help="Folder of the entry script.")
    ] = None,
    environment: Annotated[
        str | None, typer.Option("--environment", "-e", help="Registered environment id.")
    ] = None,
    env_manager: Annotated[
        str | None,
        typer.Option(
            "--env-manager",
            help="An MLflow model's environment: virtualenv (default) or uv build its "
            "requirements.txt with uv; local uses servesize's Python.",
        ),
    ] = None,
    server_cmd: Annotated[
        str | None,
        typer.Option("--server-cmd", help="Any server's command line; {port} is filled in."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Profile a running service at this score URL.")
    ] = None,
    pid: Annotated[
        int | None, typer.Option("--pid", help="With --url: the server's process, to sample.")
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="With --url: allow a host not this machine.")
    ] = False,
    score_path: Annotated[
        str, typer.Option("--score-path", help="With --server-cmd: the path to send requests.")
    ] = "/score",
    health_path: Annotated[
        str | None,
        typer.Option("--health-path", help="Readiness path (default: wait for the port)."),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="HTTP method of requests.")] = "POST",
    content_type: Annotated[
        str, typer.Option("--content-type", help="Content-Type of the request bodies.")
    ] = "application/json",
    cpu: Annotated[
        float | None,
        typer.Option(
            "--cc", "--cpu-cores", help="Most CPU cores the sizing may try (default: all it can)."
        ),
    ] = None,
    memory_gb: Annotated[
        float | None,
        typer.Option("--gb", "--memory-gb", help="Most memory in GB (GiB) the service may use."),
    ] = None,
    qps: Annotated[
        float | None,
        typer.Option(
            "--qps",
            help="Target queries/s: size for it (default: per replica, at the best q/s per core).",
        ),
    ] = None,
    slo: Annotated[
        str | None,
        typer.Option(
            "--slo",
            help="Latency objective PERCENTILE=LIMIT, e.g. p99=150ms (p50, p90, p95, p99, p99.9; "
            "ms or s). Default: p90 <= 2 x its value one request at a time.",
        ),
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Minimum measurement time, e.g. 30s.")
    ] = None,
    min_queries: Annotated[
        int | None, typer.Option("--min-queries", help="Minimum queries measured.")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes.")] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--setting", help="Any profile setting as KEY=VALUE (e.g. min_gain=0.1)."),
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    output_file: Annotated[
        Path | None,
        typer.Option("-t", "--output-metadata-file", help="Write the details as JSON here."),
    ] = None,
    add_tags: Annotated[
        bool, typer.Option("--add-tags", help="Tag each model with the recommendation.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the details as JSON.")] = False,
    traffic: Annotated[
        Path | None,
        typer.Option("--traffic", help="Then plan autoscaling for this trace (docs/planning.md)."),
    ] = None,
    traffic_column: TrafficColumnOption = None,
    traffic_speed: TrafficSpeedOption = 1.0,
    autoscaler: AutoscalerOption = "hpa",
    skus: SkusOption = None,
    price: PriceOption = None,
    instance_type: InstanceTypeOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Profile models under real CPU and memory limits and recommend what to allocate."""
    from servesize.sdk import profile

    given = [
        flag
        for flag, value in (
            ("--ic", inference_config),
            ("--entry-script", entry_script),
            ("--server-cmd", server_cmd),
            ("--url", url),
        )
        if value is not None
    ]
    if len(given) > 1 or (not given and not model):
        raise fail(
            "give exactly one of --ic FILE, --entry-script FILE, --server-cmd CMD, --url URL "
            "(none: -m names an MLflow model)"
        )
    if (pid is not None or allow_remote) and url is None:
        raise fail("--pid and --allow-remote go with --url")
    if not model and server_cmd is None and url is None:
        raise fail("give the model(s) to profile with --model / -m")
    settings: dict[str, Any] = {}
    for key, value in (
        ("qps", qps),
        ("slo", slo),
        ("min_duration", _parse_seconds(duration)),
        ("min_queries", min_queries),
        ("workers", workers),
        ("env_manager", env_manager),
    ):
        if value is not None:
            settings[key] = value
    settings.update(key_values(setting or []))
    # a bad trace fails before anything starts
    trace = read_traffic(traffic, traffic_column, traffic_speed) if traffic else None
    store = Store.open(workspace)
    if server_cmd is not None or url is not None:
        from servesize.sdk import ServerConfig

        config: Any = ServerConfig(
            server_cmd,
            score_path=score_path,
            health_path=health_path,
            method=method,
            content_type=content_type,
            url=url,
            pid=pid,
            allow_remote=allow_remote,
            environment=environment,
        )
    elif given:
        config = _inference_config(inference_config, entry_script, source_directory, environment)
    else:
        config = None  # an MLflow model, served as mlflow models serve does
    console = Console(stderr=True)
    # SIGTERM ends the profile like Ctrl-C: Cancelled, nothing left running
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        handle = profile(
            store,
            name,
            model or [],
            config,
            input_dataset_id,
            cpu=cpu,
            memory_in_gb=memory_gb,
            description=description,
            # an MLflow model's: the environment given wins over its own files
            environment=environment if config is None else None,
            skus=skus,
            prices=price,
            instance_type=instance_type,
            **settings,
        )
        for line in handle.missing_requirements:
            console.print(f"[yellow]warning:[/] requirement not installed here: {line}")
        try:
            state = handle.wait_for_completion(show_output=not as_json)
        except KeyboardInterrupt:
            handle.cancel()
            console.print("interrupted: stopping the service ...")
            state = _wait_out(handle)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if trace is not None and state == "Succeeded":
        if not as_json:
            console.print("planning: simulating the autoscalers over the trace, then replaying "
                          "its hardest minute on real replicas ...")  # fmt: skip
        handle.plan(trace, autoscaler=autoscaler)  # the summary below shows it
    details = handle.get_details()
    if output_file is not None:
        output_file.write_text(json.dumps(details, indent=2, default=str) + "\n", encoding="utf-8")
    if add_tags and state == "Succeeded":
        _tag_models(store, handle.model_ids, handle.figures)
    if as_json:
        print(json.dumps(details, indent=2, default=str))
    else:
        _print_summary(store, name)
    if state == "Cancelled":
        raise typer.Exit(130)
    if state != "Succeeded":
        error = handle.figures.error
        message = error.message if error is not None and error.message else state
        raise ProfileError(f"profile {name} {state.lower()}: {message} (log: {handle.log_path})")


def key_values(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` settings; values are read as JSON when they parse (numbers, bools)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--setting takes KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _wait_out(handle: ModelProfile) -> str:
    """Wait for the cancelled run to tear down: stopping early would leave processes."""
    while True:
        try:
            return handle.wait_for_completion()
        except KeyboardInterrupt:
            continue


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _inference_config(
    config_file: Path | None,
    entry_script: Path | None,
    source_directory: Path | None,
    environment: str | None,
) -> Any:
    from servesize.sdk import InferenceConfig

    if config_file is not None:
        return config_file
    return InferenceConfig(
        entry_script=str(entry_script),
        source_directory=str(source_directory) if source_directory else None,
        environment=environment,
    )


def _tag_models(store: Store, model_ids: tuple[str, ...], figures: Figures) -> None:
    # the tags carry the details' keys (the edge users see)
    names = ("recommended_cpu", "recommended_memory_in_gb", "recommended_replicas",
             "latency_objective")  # fmt: skip
    tags = {
        Figures.key(name): str(getattr(figures, name))
        for name in names
        if getattr(figures, name) is not None
    }
    for model_id in model_ids:
        store.models.update(model_id, add_tags=tags)


def _print_summary(store: Store, name: str) -> None:
    from servesize.report import ProfileView, print_summary

    print_summary(ProfileView.from_store(store, name), Console())
