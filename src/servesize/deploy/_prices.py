"""Prices the user gives: per vCPU-hour and per GiB-hour, in any currency.

Prices change by region, contract and month, so servesize ships none and guesses none:
without prices no cost is shown.  ``--price core-hour=0.048 --price gb-hour=0.0065``
prices an instance as ``vcpus x core-hour + GiB x gb-hour`` an hour; a SKU file's
``price`` column (the price of one instance-hour) wins for the SKUs that have one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from servesize.errors import InvalidInputError

__all__ = ["PRICE_KEYS", "Prices", "parse_prices"]

#: the keys ``--price`` takes, with what each prices
PRICE_KEYS = {"core-hour": "one vCPU for an hour", "gb-hour": "one GiB of memory for an hour"}


@dataclass(frozen=True)
class Prices:
    """Per vCPU-hour and per GiB-hour; None: not given (counts as nothing, and says so)."""

    core_hour: float | None = None
    gb_hour: float | None = None

    def __bool__(self) -> bool:
        return self.core_hour is not None or self.gb_hour is not None

    def instance_hour(self, vcpus: float, memory_in_gb: float) -> float | None:
        """One instance of that size for an hour; None without prices."""
        if not self:
            return None
        return vcpus * (self.core_hour or 0.0) + memory_in_gb * (self.gb_hour or 0.0)

    def to_details(self) -> dict[str, float]:
        """The prices as given, under their ``--price`` keys."""
        out = {}
        if self.core_hour is not None:
            out["core-hour"] = self.core_hour
        if self.gb_hour is not None:
            out["gb-hour"] = self.gb_hour
        return out


def _usage() -> str:
    return " or ".join(f"{key}=X (per {what})" for key, what in PRICE_KEYS.items())


def parse_prices(given: Iterable[str] | Mapping[str, object] | Prices | None) -> Prices:
    """``["core-hour=0.05", "gb-hour=0.005"]`` or ``{"core-hour": 0.05}`` as
    :class:`Prices`; anything else is one line naming the bad price."""
    if given is None or isinstance(given, Prices):
        return given or Prices()
    if isinstance(given, str):
        given = [given]
    pairs: list[tuple[str, object]] = []
    if isinstance(given, Mapping):
        pairs = [(str(k), v) for k, v in given.items()]
    else:
        for text in given:
            key, sep, value = str(text).partition("=")
            if not sep:
                raise InvalidInputError(f"price {text!r} has no unit: give {_usage()}")
            pairs.append((key, value))
    values: dict[str, float] = {}
    for key, raw in pairs:
        name = key.strip().lower()
        if name not in PRICE_KEYS:
            raise InvalidInputError(f"unknown price {key.strip()!r}: give {_usage()}")
        if name in values:
            raise InvalidInputError(f"price {name} given twice")
        values[name] = _amount(name, raw)
    return Prices(values.get("core-hour"), values.get("gb-hour"))


def _amount(name: str, raw: object) -> float:
    if isinstance(raw, bool):
        raise InvalidInputError(f"price {name}={raw!r} is not a number")
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(f"price {name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInputError(f"price {name}={raw!r} must be a finite number >= 0")
    return value
