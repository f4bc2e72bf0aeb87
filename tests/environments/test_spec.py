"""The specification side of environments: normalisation, keys, conda, the host's needs."""

from __future__ import annotations

import platform
import sys

import pytest

from servesize.environments import HOST_REQUIREMENTS, BuildSpec, find_python, normalise, spec_key
from servesize.environments._python import _matches
from servesize.errors import InvalidInputError


def test_order_spacing_and_name_spelling_do_not_change_the_key() -> None:
    a = ["scikit-learn==1.5.2", "numpy>=1.26,<3", "joblib"]
    b = ["  joblib ", "Numpy <3 , >=1.26", "scikit_learn == 1.5.2", "joblib"]
    assert normalise(a) == normalise(b)
    assert spec_key(a, "3.11.7") == spec_key(b, "3.11.7")


def test_versions_extras_and_python_change_the_key() -> None:
    base = spec_key(["six==1.16.0"], "3.11.7")
    assert spec_key(["six==1.17.0"], "3.11.7") != base
    assert spec_key(["six==1.16.0"], "3.12.1") != base
    assert spec_key(["six[x]==1.16.0"], "3.11.7") != base
    assert spec_key(["six==1.16.0", "--index-url http://127.0.0.1:9/"], "3.11.7") != base


def test_a_line_that_is_not_a_requirement_is_named() -> None:
    with pytest.raises(InvalidInputError, match="not a pip requirement: 'six = = 1'"):
        normalise(["six = = 1"])


@pytest.mark.parametrize(
    ("entry", "python"),
    [
        ("python=3.11", "3.11"),
        ("python=3.11.*", "3.11"),
        ("python>=3.10", ">=3.10"),
        ("python", None),
    ],
)
def test_conda_python_version(entry: str, python: str | None) -> None:
    conda = {"dependencies": [entry, "pip", {"pip": ["six"]}]}
    assert BuildSpec.from_parts("e", 1, ["six"], conda).python == python


def test_conda_only_packages_are_refused_naming_each_and_the_way_out() -> None:
    conda = {"dependencies": ["python=3.11", "numpy=1.26", "libgfortran", {"pip": ["six"]}]}
    with pytest.raises(InvalidInputError) as err:
        BuildSpec.from_parts("e", 1, ["six"], conda)
    message = str(err.value)
    assert "numpy=1.26, libgfortran" in message
    assert "numpy==1.26" in message  # the pip line to use instead
    assert "user_managed_dependencies" in message
    assert "\n" not in message


def test_user_managed_conda_specifications_are_not_checked() -> None:
    conda = {"dependencies": ["python=3.11", "numpy=1.26"]}
    spec = BuildSpec.from_parts("e", 1, [], conda, user_managed=True)
    assert spec.user_managed
    assert spec.python is None


def test_the_host_needs_are_added_unless_the_user_names_them() -> None:
    assert BuildSpec("e", 1, ("six",)).with_host() == ("six", *HOST_REQUIREMENTS)
    pinned = BuildSpec("e", 1, ("httptools==0.6.1", "six")).with_host()
    assert "httptools==0.6.1" in pinned
    assert not any(line.startswith("httptools>") for line in pinned)
    assert any(line.startswith("uvloop") for line in pinned)


def test_azure_server_packages_are_left_to_the_host() -> None:
    spec = BuildSpec("e", 1, ("azureml-defaults", "inference-schema", "six"))
    assert "azureml-defaults" not in spec.with_host()
    assert "inference-schema" in spec.with_host()
    assert spec.replaced() == ("azureml-defaults",)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ("3.11", True),
        ("3.11.7", True),
        ("3.1", False),
        ("3.12", False),
        (">=3.10", True),
        ("<3", False),
    ],
)
def test_python_requests_against_a_version(request_: str, expected: bool) -> None:
    assert _matches("3.11.7", request_) is expected


def test_a_request_the_current_interpreter_satisfies_uses_it() -> None:
    current = platform.python_version()
    found = find_python(".".join(current.split(".")[:2]))
    assert (found.path, found.version) == (sys.executable, current)
