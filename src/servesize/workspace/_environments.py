"""The environment registry: pip or conda requirements plus environment variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from servesize.errors import InvalidInputError
from servesize.workspace._artifacts import ArtifactStore
from servesize.workspace._common import (
    dumps,
    fetch_all,
    fetch_version,
    load_json,
    next_version,
    parse_time,
)
from servesize.workspace._db import Database
from servesize.workspace._environment_files import check_environment_variables, pip_from_conda
from servesize.workspace._names import format_id, parse_id, validate_name
from servesize.workspace._records import EnvironmentRecord, utc_now

__all__ = ["EnvironmentRegistry"]

_COLUMNS = (
    "name, version, description, pip_requirements, conda_dependencies, "
    "environment_variables, created_time, user_managed"
)


class EnvironmentRegistry:
    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db = db
        self._artifacts = artifacts

    def register(
        self,
        name: str,
        pip_requirements: Sequence[str] | None = None,
        conda_dependencies: Mapping[str, Any] | None = None,
        environment_variables: Mapping[str, object] | None = None,
        description: str | None = None,
        spec: str | None = None,
        user_managed: bool = False,
    ) -> EnvironmentRecord:
        """Store the next version of ``name``.

        Without ``pip_requirements``, a conda specification's ``pip:`` section is used.
        ``spec`` is the original file text, kept in the artifact store.
        ``user_managed`` is Azure's ``python.user_managed_dependencies``: the profile runs
        with the current interpreter instead of building the environment.
        """
        validate_name(name, "environment name")
        if isinstance(pip_requirements, str):
            raise InvalidInputError("pip requirements must be a list of strings")
        conda = None if conda_dependencies is None else dict(conda_dependencies)
        pip = list(pip_requirements or ())
        if pip_requirements is None and conda is not None:
            pip = pip_from_conda(conda)
        variables = check_environment_variables(environment_variables)
        digest = None if spec is None else self._artifacts.put_bytes(spec.encode())
        with self._db.write() as conn:
            if digest is not None and spec is not None and not self._artifacts.exists(digest):
                self._artifacts.put_bytes(spec.encode())
            version = next_version(conn, "environments", name)
            conn.execute(
                "INSERT INTO environments (name, version, description, pip_requirements, "
                "conda_dependencies, environment_variables, spec_sha256, created_time, "
                "user_managed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    version,
                    description,
                    dumps(pip),
                    None if conda is None else dumps(conda),
                    dumps(variables),
                    digest,
                    utc_now().isoformat(),
                    int(bool(user_managed)),
                ),
            )
        return self.get(format_id(name, version))

    def get(self, id_or_name: str) -> EnvironmentRecord:
        name, version = parse_id(id_or_name, "environment id")
        with self._db.read() as conn:
            row = fetch_version(conn, "environments", _COLUMNS, name, version, "environment")
            return _record(row)

    def list(self, name: str | None = None) -> list[EnvironmentRecord]:
        with self._db.read() as conn:
            rows = fetch_all(conn, "environments", _COLUMNS, name, "environment")
            return [_record(row) for row in rows]


def _record(row: tuple[object, ...]) -> EnvironmentRecord:
    return EnvironmentRecord(
        name=str(row[0]),
        version=int(str(row[1])),
        description=None if row[2] is None else str(row[2]),
        pip_requirements=load_json(str(row[3]), []),
        conda_dependencies=None if row[4] is None else load_json(str(row[4]), None),
        environment_variables=load_json(str(row[5]), {}),
        created_time=parse_time(str(row[6])),
        user_managed=bool(row[7]),
    )
