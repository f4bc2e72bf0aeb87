"""``--skus``, ``--price`` and ``--instance-type``: where to run it and what it costs
(docs/azureml-v2.md), shared by ``model profile`` and ``profile report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["InstanceTypeOption", "PriceOption", "SkusOption"]

SkusOption = Annotated[
    Path | None,
    typer.Option(
        "--skus",
        help="VM sizes to choose from: a CSV with instanceType, vcpus, memoryInGB "
        "(optional: vcpusPerCore, acuPerVcpu, family, price per instance-hour). "
        "Default: Azure ML managed online endpoint CPU sizes.",
    ),
]
PriceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--price",
        help="A price in any currency: core-hour=X (one vCPU an hour) or gb-hour=Y "
        "(one GiB an hour); repeat for both. Without one, no cost is shown.",
    ),
]
InstanceTypeOption = Annotated[
    str | None,
    typer.Option("--instance-type", help="Use this VM size (the count is still computed)."),
]
