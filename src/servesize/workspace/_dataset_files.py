"""Reading request bodies out of files: lines, JSON lines or one column of a CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import get_args

from servesize.errors import InvalidInputError, NotFoundError
from servesize.workspace._records import DatasetFormat

__all__ = [
    "read_csv_table",
    "read_dataset_file",
    "read_text",
    "rows_from_csv",
    "rows_from_jsonl",
    "rows_from_lines",
    "select_column",
]


def read_text(path: Path, encoding: str = "utf-8") -> str:
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise InvalidInputError(f"{path} is a folder, not a file") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not {encoding} text ({exc.reason})") from exc
    except LookupError as exc:
        raise InvalidInputError(f"unknown encoding {encoding!r}") from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def rows_from_lines(text: str, skip_header: bool = False) -> list[str]:
    """One row per line (Azure's ``separator='\\n'``); blank lines are not requests."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[1:] if skip_header else lines


def rows_from_jsonl(text: str, source: str) -> list[str]:
    """One JSON value per line, each sent as its own JSON text (checked, kept as written)."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{source} line {number}: not JSON ({exc.msg})") from exc
        rows.append(line.strip())
    return rows


def read_csv_table(
    text: str, source: str, delimiter: str = ",", header: bool = True
) -> tuple[list[str], list[list[str]]]:
    """Column names and records of a CSV text; without a header the columns are named
    ``Column1``, ``Column2``, ... as Azure names them."""
    try:
        records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    except (csv.Error, TypeError) as exc:
        raise InvalidInputError(f"{source}: not valid CSV ({exc})") from exc
    if header and records:
        return records[0], records[1:]
    width = max((len(r) for r in records), default=1)
    return [f"Column{i}" for i in range(1, width + 1)], records


def select_column(
    names: list[str], records: list[list[str]], column: str | None, source: str
) -> list[str]:
    """The values of one column (by name, or the only one)."""
    if column is not None:
        if column not in names:
            raise InvalidInputError(
                f"{source} has no column {column!r} (its columns: {', '.join(names)})"
            )
        index = names.index(column)
    elif len(names) == 1:
        index = 0
    else:
        raise InvalidInputError(
            f"{source} has {len(names)} columns ({', '.join(names)}); a dataset has one: "
            "choose it (--column, keep_columns) or take whole lines (separator='\\n')"
        )
    rows = []
    for number, record in enumerate(records, start=1):
        if index >= len(record):
            raise InvalidInputError(f"{source} record {number} has no value for {names[index]!r}")
        rows.append(record[index])
    return rows


def rows_from_csv(text: str, source: str, column: str | None = None) -> list[str]:
    """The values of one column of a CSV file with a header line."""
    names, records = read_csv_table(text, source)
    return select_column(names, records, column, source) if records else []


def read_dataset_file(
    path: Path | str, format: DatasetFormat = "lines", column: str | None = None
) -> list[str]:
    """Read the rows of a dataset file; an empty result is an error."""
    if format not in get_args(DatasetFormat):
        choices = ", ".join(get_args(DatasetFormat))
        raise InvalidInputError(f"unknown dataset format {format!r} (choose from {choices})")
    if column is not None and format != "csv":
        raise InvalidInputError("a column can only be chosen for the csv format")
    file = Path(path)
    text = read_text(file)
    if format == "lines":
        rows = rows_from_lines(text)
    elif format == "jsonl":
        rows = rows_from_jsonl(text, str(file))
    else:
        rows = rows_from_csv(text, str(file), column)
    if not rows:
        raise InvalidInputError(f"{file} holds no rows; a dataset needs at least one request")
    return rows
