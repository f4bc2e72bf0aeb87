"""The example in servesize.deploy's docstring is true."""

from __future__ import annotations

import doctest

import servesize.deploy


def test_the_package_example_holds() -> None:
    result = doctest.testmod(servesize.deploy)
    assert result.attempted >= 4
    assert result.failed == 0
