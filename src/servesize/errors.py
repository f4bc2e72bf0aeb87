"""The one exception tree of servesize.

Every error the library raises on purpose derives from :class:`ServesizeError`.
Foreign errors (``sqlite3``, ``OSError``, HTTP, JSON) are translated at the
boundary with ``raise ... from exc`` so callers only ever catch ours.  The CLI
turns each into a one-line message and the class's ``exit_code``::

    ServesizeError                      exit 1
    ├── UserError                       exit 2  (the caller's input is wrong)
    │   ├── InvalidNameError                    bad registry name
    │   ├── InvalidInputError                   malformed file, value or option
    │   ├── NotFoundError               exit 3  unknown id, missing path
    │   └── AlreadyExistsError          exit 4  unique name taken
    ├── EntryScriptError                exit 5  the user's score.py cannot be loaded
    ├── ServiceError                    exit 6  the scoring service failed to start or died
    │   └── InitError                   exit 10 init() raised (servers exit 3, like azmlinfsrv)
    ├── LoadGeneratorError              exit 7  the load could not be generated
    ├── LimitsError                     exit 8  cgroup / cpuset set-up failed
    ├── ProfileError                    exit 9  a profile ended Failed / TimedOut
    ├── EnvironmentBuildError           exit 11 an environment could not be built
    └── CancelledError                  exit 130 Ctrl-C
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "CancelledError",
    "EntryScriptError",
    "EnvironmentBuildError",
    "InitError",
    "InvalidInputError",
    "InvalidNameError",
    "LimitsError",
    "LoadGeneratorError",
    "NotFoundError",
    "ProfileError",
    "ServesizeError",
    "ServiceError",
    "UserError",
]


class ServesizeError(Exception):
    """Base of every error servesize raises on purpose."""

    exit_code: int = 1


class UserError(ServesizeError):
    """The caller's input is wrong; the message says what to change."""

    exit_code = 2


class InvalidNameError(UserError):
    """A registry name does not match ``[A-Za-z0-9][A-Za-z0-9._-]{0,254}``."""


class InvalidInputError(UserError):
    """A malformed file, option value or configuration."""


class NotFoundError(UserError):
    """An unknown id, name or path."""

    exit_code = 3


class AlreadyExistsError(UserError):
    """A name that must be unique is taken."""

    exit_code = 4


class EntryScriptError(ServesizeError):
    """The entry script cannot be loaded (syntax error, missing ``init``/``run``)."""

    exit_code = 5


class ServiceError(ServesizeError):
    """The scoring service failed to start, crashed or stopped answering."""

    exit_code = 6


class LoadGeneratorError(ServesizeError):
    """The load generator could not run (bad target, no connection at all)."""

    exit_code = 7


class LimitsError(ServesizeError):
    """CPU or memory limits were asked for but cannot be set up."""

    exit_code = 8


class ProfileError(ServesizeError):
    """A profile ended in a final state other than ``Succeeded``."""

    exit_code = 9


class EnvironmentBuildError(ServesizeError):
    """An environment could not be built: a requirement that does not resolve, no
    package index and a cold cache, no interpreter for the Python version asked for."""

    exit_code = 11


class CancelledError(ServesizeError):
    """The user interrupted the operation (Ctrl-C)."""

    exit_code = 130


class InitError(ServiceError):
    """The entry script's ``init()`` raised.

    The scoring server process itself exits with code 3 on this error, as azmlinfsrv
    does (``servesize.serving.INIT_FAILED_EXIT_CODE``); elsewhere it maps to 10.
    """

    exit_code = 10
