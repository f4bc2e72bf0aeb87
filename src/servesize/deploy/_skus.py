"""The VM sizes a deployment may run on: the bundled table, or the user's own file.

The bundled ``skus.csv`` lists the CPU sizes Azure Machine Learning managed online
endpoints support, with its sources and the date they were read in its header
comment.  A user's file (``--skus FILE``: a Kubernetes node pool, a region's prices)
has the same columns; ``acuPerVcpu``, ``vcpusPerCore`` and ``family`` may be empty, and
an optional ``price`` column is what one instance costs an hour.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from servesize.errors import InvalidInputError

__all__ = ["BUNDLED", "REQUIRED_COLUMNS", "Sku", "bundled_skus", "find_sku", "read_skus"]

#: the columns every SKU file has, in this order in the bundled one
REQUIRED_COLUMNS = ("instanceType", "vcpus", "memoryInGB")
OPTIONAL_COLUMNS = ("vcpusPerCore", "acuPerVcpu", "family", "price")
#: what the details say the SKUs came from when no file was given
BUNDLED = "servesize's table of Azure ML managed online endpoint CPU sizes"


@dataclass(frozen=True)
class Sku:
    """One VM size: its vCPUs and memory (GiB), and what Azure says of its cores."""

    instance_type: str
    vcpus: float
    memory_in_gb: float
    #: vCPUs per physical core: 1 a whole core each, 2 hyperthreads of one core
    vcpus_per_core: int | None = None
    #: Azure's ACU per vCPU ("a guideline"), as the documentation writes it: "195-210"
    acu_per_vcpu: str | None = None
    family: str | None = None
    #: what one instance costs an hour, in the user's currency (a file's price column)
    price: float | None = None


def bundled_skus() -> tuple[Sku, ...]:
    """The SKU table shipped with servesize (``servesize/deploy/skus.csv``)."""
    text = resources.files("servesize.deploy").joinpath("skus.csv").read_text("utf-8")
    return _parse(text, "the bundled skus.csv")


def read_skus(path: str | Path) -> tuple[Sku, ...]:
    """The SKUs of a CSV file; a missing column or a bad value is one line naming the
    file, the line and the problem (:class:`InvalidInputError`)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read SKU file {target}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"SKU file {target} is not UTF-8 text") from exc
    return _parse(text, str(target))


def find_sku(skus: Sequence[Sku], name: str) -> Sku:
    """The SKU called ``name`` (case does not matter: Azure lists STANDARD_DS3_V2)."""
    for sku in skus:
        if sku.instance_type.lower() == name.strip().lower():
            return sku
    raise InvalidInputError(
        f"unknown SKU {name!r}: not among the {len(skus)} SKUs considered "
        "(give a SKU file that lists it with --skus FILE)"
    )


def _lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, line) of the lines that are neither comments nor blank."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def _parse(text: str, where: str) -> tuple[Sku, ...]:
    rows = list(_lines(text))
    if not rows:
        raise InvalidInputError(f"{where}: no header line (need {', '.join(REQUIRED_COLUMNS)})")
    header_line, header = rows[0]
    columns = [c.strip() for c in next(csv.reader([header]))]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInputError(
            f"{where}, line {header_line}: missing column {', '.join(missing)} "
            f"(the header needs {', '.join(REQUIRED_COLUMNS)}; optional: "
            f"{', '.join(OPTIONAL_COLUMNS)})"
        )
    skus: list[Sku] = []
    seen: set[str] = set()
    for number, line in rows[1:]:
        values = next(csv.reader(io.StringIO(line)))
        if len(values) > len(columns):
            raise InvalidInputError(
                f"{where}, line {number}: {len(values)} values for {len(columns)} columns"
            )
        cells = {c: v.strip() for c, v in zip(columns, values, strict=False)}
        sku = _sku(cells, f"{where}, line {number}")
        if sku.instance_type.lower() in seen:
            raise InvalidInputError(f"{where}, line {number}: {sku.instance_type} listed twice")
        seen.add(sku.instance_type.lower())
        skus.append(sku)
    if not skus:
        raise InvalidInputError(f"{where}: no SKU rows after the header")
    return tuple(skus)


def _sku(cells: dict[str, str], where: str) -> Sku:
    name = cells.get("instanceType", "")
    if not name:
        raise InvalidInputError(f"{where}: instanceType is empty")
    vcpus = _number(cells, "vcpus", where, required=True)
    memory = _number(cells, "memoryInGB", where, required=True)
    per_core = _number(cells, "vcpusPerCore", where, required=False)
    if per_core is not None and (not per_core.is_integer() or per_core < 1):
        raise InvalidInputError(f"{where}: vcpusPerCore {per_core:g} is not a whole number >= 1")
    price = _number(cells, "price", where, required=False, zero_ok=True)
    assert vcpus is not None  # required
    assert memory is not None
    return Sku(
        name,
        vcpus,
        memory,
        int(per_core) if per_core is not None else None,
        cells.get("acuPerVcpu") or None,
        cells.get("family") or None,
        price,
    )


def _number(
    cells: dict[str, str], column: str, where: str, *, required: bool, zero_ok: bool = False
) -> float | None:
    raw = cells.get(column, "")
    if not raw:
        if required:
            raise InvalidInputError(f"{where}: {column} is empty")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInputError(f"{where}: {column} {raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        need = ">= 0" if zero_ok else "> 0"
        raise InvalidInputError(f"{where}: {column} {raw!r} must be a finite number {need}")
    return value
