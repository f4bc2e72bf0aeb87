"""Isolated environments for the entry script, built with uv and cached in the workspace.

    >>> from servesize.environments import BuildSpec, EnvironmentCache
    >>> cache = EnvironmentCache(store.root / "envs")  # doctest: +SKIP
    >>> built = cache.prepare(BuildSpec("sk", 1, ("scikit-learn==1.5.2",)))  # doctest: +SKIP
    >>> built.python, built.cached  # doctest: +SKIP
    ('/.../envs/3f2a.../bin/python', False)

A ``BuildSpec`` with ``user_managed=True`` (or no spec at all) gives the current
interpreter, as Azure's ``python.user_managed_dependencies = True`` does.
"""

from servesize.environments._cache import (
    BuiltEnvironment,
    CachedEntry,
    EnvironmentCache,
    current_environment,
)
from servesize.environments._python import available_pythons, find_python
from servesize.environments._spec import (
    HOST_REPLACES,
    HOST_REQUIREMENTS,
    BuildSpec,
    normalise,
    spec_key,
)

__all__ = [
    "HOST_REPLACES",
    "HOST_REQUIREMENTS",
    "BuildSpec",
    "BuiltEnvironment",
    "CachedEntry",
    "EnvironmentCache",
    "available_pythons",
    "current_environment",
    "find_python",
    "normalise",
    "spec_key",
]
