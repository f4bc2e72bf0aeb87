"""Traffic traces: the formats read_trace accepts, its one-line errors, the summary,
windows and splits, and the real Azure trace in data/ (see data/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from servesize.errors import InvalidInputError
from servesize.load import Trace, read_trace, split

AZURE = Path(__file__).parent / "data" / "azure-llm-2023-conv.csv"


def write(tmp_path: Path, text: str, name: str = "trace.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_seconds_a_line_count_from_the_first_arrival(tmp_path: Path) -> None:
    trace = read_trace(write(tmp_path, "10\n10.5\n\n  11.25 \n12\n"))
    assert trace.format == "seconds"
    assert trace.column is None
    assert trace.source == "trace.txt"
    assert trace.arrivals.tolist() == [0.0, 0.5, 1.25, 2.0]
    assert trace.duration == 2.0
    assert not trace.arrivals.flags.writeable


def test_iso_times_keep_all_seven_fractional_digits(tmp_path: Path) -> None:
    # datetime.fromisoformat would drop the 7th digit (Azure's traces have 7)
    text = "2023-11-16 18:15:46.6805900\n2023-11-16 18:15:46.6805907\n2023-11-16T18:15:47\n"
    trace = read_trace(write(tmp_path, text))
    assert trace.format == "iso8601"
    gaps_ns = np.round(trace.arrivals * 1e9).astype(np.int64).tolist()
    assert gaps_ns == [0, 700, 319_410_000]


def test_iso_times_with_zones_are_compared_in_utc(tmp_path: Path) -> None:
    text = "2023-11-16T18:00:00+01:00\n2023-11-16T17:00:00.5Z\n2023-11-16T16:00:02-0100\n"
    assert read_trace(write(tmp_path, text)).arrivals.tolist() == [0.0, 0.5, 2.0]


def test_a_csv_timestamp_column_is_found_and_named(tmp_path: Path) -> None:
    text = "id,Time,size\n1,3.0,10\n2,3.5,20\n3,5.0,30\n"
    trace = read_trace(write(tmp_path, text, "t.csv"))
    assert (trace.format, trace.column) == ("csv", "Time")
    assert trace.arrivals.tolist() == [0.0, 0.5, 2.0]
    other = read_trace(tmp_path / "t.csv", column="size")  # any column, if asked for
    assert (other.column, other.arrivals.tolist()) == ("size", [0.0, 10.0, 20.0])


@pytest.mark.parametrize(("scale", "unit"), [(1e3, "ms"), (1e6, "us"), (1e9, "ns")])
def test_times_since_the_epoch_are_told_by_their_magnitude(
    tmp_path: Path, scale: float, unit: str
) -> None:
    # 2023-11-14 22:13:20 UTC and 0.25 s, 1.5 s later, as logs keep them
    epoch = [1_700_000_000 * int(scale) + int(s * scale) for s in (0.0, 0.25, 1.5)]
    trace = read_trace(write(tmp_path, "\n".join(map(str, epoch)) + "\n"))
    assert trace.arrivals.tolist() == pytest.approx([0.0, 0.25, 1.5], abs=1e-6)
    assert (trace.format, trace.summary().to_dict()["timeUnit"]) == ("seconds", unit)
    csv_trace = read_trace(write(tmp_path, "ts,n\n" + "".join(f"{e},1\n" for e in epoch), "e.csv"))
    assert csv_trace.arrivals.tolist() == pytest.approx([0.0, 0.25, 1.5], abs=1e-6)
    assert csv_trace.unit == unit
    # epoch seconds, and a relative trace, stay seconds
    assert read_trace(write(tmp_path, "1700000000.5\n1700000001\n")).unit == "s"
    assert read_trace(write(tmp_path, "TIMESTAMP\n2023-11-16T18:00:00\n", "i.csv")).unit == "iso"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_spreadsheets_csv_with_semicolons_or_tabs_reads_as_with_commas(
    tmp_path: Path, sep: str
) -> None:
    rows = ["id,TIMESTAMP,size", "1,2023-11-16 18:15:46.68,3", "2,2023-11-16 18:15:47.18,4"]
    comma = read_trace(write(tmp_path, "\n".join(rows) + "\n", "comma.csv"))
    other = read_trace(write(tmp_path, "\n".join(rows).replace(",", sep) + "\n", "other.csv"))
    assert (other.column, other.arrivals.tolist()) == ("TIMESTAMP", comma.arrivals.tolist())
    counts = read_trace(write(tmp_path, f"start{sep}count\n0{sep}2\n10{sep}1\n", "n.csv"))
    assert (counts.format, len(counts)) == ("counts", 3)


def test_per_interval_counts_become_uniform_arrivals_in_each_interval(tmp_path: Path) -> None:
    text = "start,count\n0,3\n10,0\n20,5\n"
    trace = read_trace(write(tmp_path, text, "c.csv"))
    a = trace.arrivals
    assert trace.format == "counts"
    assert np.histogram(a, bins=[0, 10, 20, 30])[0].tolist() == [3, 0, 5]
    assert trace.duration == 30.0  # the last interval is as long as the one before
    assert np.all(np.diff(a) >= 0)
    again = read_trace(write(tmp_path, "0,3\n10,0\n20,5\n", "headless.csv"))
    assert again.arrivals.tolist() == a.tolist()  # a fixed seed, with or without a header


@pytest.mark.parametrize(
    ("header", "column"),
    [("time,count", None), ("TIMESTAMP;Invocations", None), ("minute,requests", "minute")],
)
def test_a_csv_with_a_count_column_is_counts_not_one_arrival_a_row(
    tmp_path: Path, header: str, column: str | None
) -> None:
    sep = ";" if ";" in header else ","
    text = header + "\n" + "".join(f"{60 * k}{sep}{n}\n" for k, n in enumerate((120, 95, 300)))
    trace = read_trace(write(tmp_path, text, "per-minute.csv"), column=column)
    assert trace.format == "counts"
    assert trace.arrivals.size == 515
    assert np.histogram(trace.arrivals, bins=[0, 60, 120, 180])[0].tolist() == [120, 95, 300]
    assert trace.column == header.split(sep)[0]


def test_counts_are_poisson_within_intervals(tmp_path: Path) -> None:
    rows = "\n".join(f"{60 * k},600" for k in range(30))
    a = read_trace(write(tmp_path, rows, "c.csv")).arrivals
    gaps = np.diff(a)
    assert a.size == 18_000
    assert gaps.mean() == pytest.approx(0.1, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.05)  # exponential gaps


def test_speed_divides_times_and_duration(tmp_path: Path) -> None:
    trace = read_trace(write(tmp_path, "0\n1\n3\n"), speed=4)
    assert trace.arrivals.tolist() == [0.0, 0.25, 0.75]
    summary = trace.summary()
    assert (summary.speed, summary.duration_seconds) == (4.0, 0.75)
    counts = read_trace(write(tmp_path, "0,2\n10,2\n", "c.csv"), speed=2)
    assert counts.duration == 10.0


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("", {}, "trace.txt: no arrival times: the file is empty"),
        ("\n  \n", {}, "the file is empty"),
        ("TIMESTAMP\n", {}, "a header and no rows"),
        ("1\n2\n1.5\n", {}, "line 3: 1.5 is earlier than line 2's 2: arrival times must be sorted"),
        ("1\n\n-2\n", {}, "line 3: negative arrival time -2"),
        ("1\n2\nsoon\n", {}, "line 3: 'soon' is not an arrival time in seconds"),
        ("1\nnan\n", {}, "line 2: 'nan' is not an arrival time in seconds"),
        ("2023-11-16 18:00:00\n2023-11-16 17:00\n", {}, "line 2: 2023-11-16 17:00 is earlier"),
        ("2023-11-16 18:00:00\n18:00:01\n", {}, "line 2: '18:00:01' is not an ISO 8601 time"),
        ("2023-11-16 18:00:00\n2023-13-16 18:00:01\n", {}, "line 2: '2023-13-16 18:00:01' is not"),
        ("2023-11-16T18:00:00Z\n2023-11-16T18:00:01\n", {}, "line 2: '2023-11-16T18:00:01' mixes"),
        ("a,b\n1,2\n", {}, "line 1: no timestamp column among a, b: name the column"),
        ("a,b\n1,2\n", {"column": "c"}, "line 1: no column 'c' (columns: a, b)"),
        ("minute,requests\n0,5\n", {}, "line 1: no column of the intervals' starts among"),
        ("time,count\n0,5\n", {"column": "count"}, "line 1: 'count' holds counts a row"),
        ("time,b\n1,2\n3\n", {}, "line 3: 1 fields where the first row has 2"),
        ("1,2,3\n", {}, "line 1: 3 values: expected one arrival time a line"),
        ("start,count\n0,2\n", {}, "line 2: per-interval counts need two rows or more"),
        ("start,count\n0,2\n5,1.5\n", {}, "line 3: count '1.5' is not a whole number"),
        ("start,count\n0,2\n5,-1\n", {}, "line 3: count '-1' is not a whole number"),
        ("start,count\n0,2\n5,x\n", {}, "line 3: 'x' is not a count"),
        ("start,count\n0,2\n0,1\n", {}, "line 3: start 0 is not after the previous row's"),
        ('{"timestamp": 0}\n', {}, "line 1: JSON is not read: write one arrival time a line"),
        ("\n[1, 2]\n", {}, "line 2: JSON is not read"),
        ("1\n", {"speed": 0}, "trace.txt: the traffic speed must be a positive number, not 0"),
        ("1\n", {"speed": float("inf")}, "the traffic speed must be a positive number"),
    ],
)
def test_bad_files_get_one_line_naming_the_file_and_line(
    tmp_path: Path, text: str, kwargs: dict[str, object], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInputError) as caught:
        read_trace(path, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(str(path) + ": ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read it"):
        read_trace(tmp_path / "missing.txt")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InvalidInputError, match="not a text file"):
        read_trace(tmp_path / "bin")


def test_times_cut_to_whole_seconds_are_spread_within_their_second(tmp_path: Path) -> None:
    # an access log's seconds: 40 requests stamped 10:00:00, 25 at :01, 1 at :03
    stamps = ["2024-01-01 10:00:00"] * 40 + ["2024-01-01 10:00:01"] * 25
    text = "time,status\n" + "".join(f"{t},200\n" for t in [*stamps, "2024-01-01 10:00:03"])
    trace = read_trace(write(tmp_path, text, "access.csv"))
    a = trace.arrivals
    assert trace.resolution == 1.0
    assert trace.summary().to_dict()["timeResolutionSeconds"] == 1.0
    assert np.histogram(a, bins=[0, 1, 2, 3, 4])[0].tolist() == [40, 25, 0, 1]  # each in its second
    assert np.unique(a).size == a.size  # no two sent at once
    assert np.all(np.diff(a) >= 0)
    assert trace.summary().peak_queries_per_second["1s"] >= 40.0
    again = read_trace(write(tmp_path, text, "again.csv"), speed=2)
    assert (again.arrivals * 2).tolist() == pytest.approx(a.tolist())  # a fixed seed


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("0\n0.5\n1\n3\n", None),  # a schedule written by hand, no shared time: as it is
        ("0\n0\n0.25\n0.2505\n", None),  # shared, but finer than 1 ms: kept at once
        ("1700000000000\n1700000000000\n1700000000120\n", 0.01),  # epoch ms, at 10 ms
        ("0\n60\n60\n120\n", 60.0),  # per-minute stamps
    ],
)
def test_only_shared_times_on_a_coarse_clock_are_spread(
    tmp_path: Path, text: str, resolution: float | None
) -> None:
    trace = read_trace(write(tmp_path, text))
    assert trace.resolution == resolution
    if resolution is None:
        assert trace.arrivals.tolist() == [float(t) - float(text.split()[0]) for t in text.split()]


def test_summary_peaks_slide_over_arrivals() -> None:
    arrivals = np.array([0.0, 0.2, 5.0, 5.3, 5.9, 6.0, 20.0])
    summary = Trace(arrivals, "x.txt", "seconds").summary()
    d = summary.to_dict()
    assert list(d) == [
        "source", "format", "speed", "durationSeconds", "requests", "meanQueriesPerSecond",
        "peakQueriesPerSecond", "interArrivalCv", "timeUnit", "timeResolutionSeconds",
    ]  # fmt: skip
    assert d["requests"] == 7
    assert d["durationSeconds"] == 20.0
    assert d["meanQueriesPerSecond"] == 0.35
    # [5.0, 6.0) holds 3 (6.0 is out), [0.0, 10.0) holds 6, a minute holds all 7
    peaks = {"1s": 3.0, "10s": 0.6, "60s": 7 / 60, "300s": 7 / 300}
    assert d["peakQueriesPerSecond"] == pytest.approx(peaks, abs=1e-4)
    gaps = np.diff(arrivals)
    assert d["interArrivalCv"] == round(gaps.std() / gaps.mean(), 4)


def test_a_trace_of_one_arrival_has_no_rates() -> None:
    d = Trace(np.array([0.0]), "x", "seconds").summary().to_dict()
    assert (d["requests"], d["meanQueriesPerSecond"], d["interArrivalCv"]) == (1, None, None)


def test_a_window_counts_from_its_start() -> None:
    trace = Trace(np.array([0.0, 1.0, 2.0, 2.5, 4.0, 9.0]), "x", "seconds")
    cut = trace.window(2.0, 2.0)
    assert cut.arrivals.tolist() == [0.0, 0.5]  # [2, 4): 4.0 is the next window's
    assert cut.duration == 2.0
    assert trace.window(8.0, 5.0).duration == 1.0  # no further than the trace
    with pytest.raises(InvalidInputError, match="more than 0 s"):
        trace.window(0.0, 0.0)


def test_split_deals_every_arrival_to_one_replica() -> None:
    arrivals = np.sort(np.random.default_rng(3).uniform(0, 100, 3000))
    parts = split(arrivals, 3, seed=11)
    assert sorted(np.concatenate(parts).tolist()) == arrivals.tolist()
    assert all(np.all(np.diff(p) >= 0) for p in parts)
    assert all(900 <= len(p) <= 1100 for p in parts)  # 1,000 each, sd ~26
    again = split(arrivals, 3, seed=11)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    with pytest.raises(InvalidInputError):
        split(arrivals, 0, seed=1)


def test_the_azure_trace_matches_its_description() -> None:
    trace = read_trace(AZURE)
    assert (trace.format, trace.column) == ("csv", "TIMESTAMP")
    d = trace.summary().to_dict()
    # the shared README says 19,365: the file has 19,366 rows (19,365 gaps between them)
    assert d["requests"] == 19_366
    assert d["durationSeconds"] / 60 == pytest.approx(58, abs=0.5)
    assert d["meanQueriesPerSecond"] == pytest.approx(5.5, abs=0.05)
    assert d["interArrivalCv"] == pytest.approx(1.09, abs=0.005)
    per_minute = np.bincount((trace.arrivals // 60).astype(int)) / 60
    assert per_minute.max() == pytest.approx(8.4, abs=0.05)
    fast = read_trace(AZURE, speed=10).summary()
    assert fast.mean_queries_per_second == pytest.approx(10 * d["meanQueriesPerSecond"], rel=1e-3)
