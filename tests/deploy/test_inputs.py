"""Bad SKU files and prices: one line naming the problem (and the line of the file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servesize.deploy import Prices, parse_prices, read_skus
from servesize.errors import InvalidInputError

HEADER = "instanceType,vcpus,memoryInGB,vcpusPerCore,acuPerVcpu,family,price\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# pools\ninstanceType,vcpus\na,2\n", r"line 2: missing column memoryInGB"),
        (HEADER + "a,2,8,2,,,\nb,two,8,,,,\n", r"line 3: vcpus 'two' is not a number"),
        (HEADER + "a,2,,,,,\n", r"line 2: memoryInGB is empty"),
        (HEADER + "a,0,8,,,,\n", r"line 2: vcpus '0' must be a finite number > 0"),
        (HEADER + "a,2,8,1.5,,,\n", r"line 2: vcpusPerCore 1.5 is not a whole number"),
        (HEADER + "a,2,8,,,,-1\n", r"line 2: price '-1' must be a finite number >= 0"),
        (HEADER + "a,2,8,,,,\nA,4,16,,,,\n", r"line 3: A listed twice"),
        (HEADER + ",2,8,,,,\n", r"line 2: instanceType is empty"),
        (HEADER + "a,2,8,1,x,f,1,9\n", r"line 2: 8 values for 7 columns"),
        (HEADER, r"no SKU rows"),
        ("# only a comment\n", r"no header line"),
    ],
)
def test_a_bad_sku_file_is_one_line_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "skus.csv"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message) as caught:
        read_skus(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_sku_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read SKU file"):
        read_skus(tmp_path / "nope.csv")


def test_a_good_file_keeps_its_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "skus.csv"
    path.write_text("instanceType,memoryInGB,vcpus,price\n\n# a comment\nnode,16,4,0.2\n")
    (sku,) = read_skus(path)
    assert (sku.instance_type, sku.vcpus, sku.memory_in_gb, sku.price) == ("node", 4, 16, 0.2)
    assert sku.vcpus_per_core is None
    assert sku.acu_per_vcpu is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["0.05"], r"price '0.05' has no unit: give core-hour=X"),
        (["cpu-hour=0.05"], r"unknown price 'cpu-hour'"),
        (["core-hour=cheap"], r"price core-hour='cheap' is not a number"),
        (["gb-hour=-1"], r"must be a finite number >= 0"),
        (["gb-hour=nan"], r"must be a finite number >= 0"),
        (["core-hour=1", "CORE-HOUR=2"], r"price core-hour given twice"),
        ({"core-hour": True}, r"is not a number"),
    ],
)
def test_a_bad_price_is_one_line(given: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_prices(given)  # type: ignore[arg-type]


def test_prices_as_given() -> None:
    prices = parse_prices(["core-hour=0.048", " gb-hour = 0.0065"])
    assert prices == Prices(0.048, 0.0065)
    assert prices.instance_hour(4, 8) == pytest.approx(4 * 0.048 + 8 * 0.0065)
    assert parse_prices({"gb-hour": 0.01}).to_details() == {"gb-hour": 0.01}
    assert not parse_prices(None)
    assert parse_prices(None).instance_hour(4, 8) is None
