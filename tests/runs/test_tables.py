"""The column-wise CSV writer and the numeric fast path of the reader give what the row-wise ones give."""

import csv

import numpy as np
import pytest

from policyscape.files import csv_columns_text
from policyscape.runs.rundir import RunDir


def _reference_read(path) -> dict[str, np.ndarray]:
    """The row-wise reader: every column float if it parses, else strings."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    out = {}
    for j, key in enumerate(rows[0]):
        values = [r[j] for r in rows[1:]]
        try:
            out[key] = np.array([float(v) for v in values])
        except ValueError:
            out[key] = np.array(values)
    return out


def _columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, size=n)
    x[:4] = [np.nan, np.inf, -np.inf, -0.0][: min(4, n)]
    return {"update": np.repeat(np.arange(n // 2 + 1), 2)[:n], "seed": np.tile(np.arange(2), n)[:n],
            "value": x, "small": rng.uniform(size=n).astype(np.float32), "flag": rng.uniform(size=n) < 0.5}


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_column_writer_writes_the_bytes_of_write_csv(tmp_path, n):
    columns = _columns(n)
    run = RunDir(tmp_path)
    run.write_csv("rows.csv", list(columns), zip(*columns.values()))
    run.write_columns("columns.csv", columns)
    assert (tmp_path / "columns.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()
    assert csv_columns_text(columns) == (tmp_path / "rows.csv").read_text()


def test_column_writer_refuses_ragged_or_text_columns():
    with pytest.raises(ValueError, match="one length"):
        csv_columns_text({"a": np.zeros(3), "b": np.zeros(2)})
    with pytest.raises(ValueError, match="numeric"):
        csv_columns_text({"a": np.array(["x", "y"])})


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_reader_matches_the_row_wise_reader(tmp_path, n):
    columns = _columns(n)
    numeric = {k: v for k, v in columns.items() if k != "flag"}
    run = RunDir(tmp_path)
    for name, table in [("numeric.csv", numeric), ("mixed.csv", columns)]:
        run.write_columns(name, table)
        got, want = run.read_csv(name), _reference_read(tmp_path / name)
        assert list(got) == list(want)
        for k in want:
            assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape, k
            np.testing.assert_array_equal(got[k], want[k])


def test_reader_keeps_quoted_text_fields(tmp_path):
    run = RunDir(tmp_path)
    run.write_csv("labels.csv", ["variant", "alpha", "value"], [("τ=0, c=0", 0.5, 1.0), ("τ=0.01, c=0", 0.5, 2.0)])
    got = run.read_csv("labels.csv")
    assert got["variant"].tolist() == ["τ=0, c=0", "τ=0.01, c=0"]
    np.testing.assert_array_equal(got["value"], [1.0, 2.0])


def test_reader_reads_only_the_asked_columns(tmp_path):
    from policyscape.errors import InputError

    columns = _columns(50)
    run = RunDir(tmp_path)
    for name, table in [("numeric.csv", {k: v for k, v in columns.items() if k != "flag"}), ("mixed.csv", columns)]:
        run.write_columns(name, table)
        full = run.read_csv(name)
        got = run.read_csv(name, columns=["value", "seed"])
        assert list(got) == ["seed", "value"]  # in the file's order
        for k in got:
            np.testing.assert_array_equal(got[k], full[k])
        with pytest.raises(InputError, match="no column"):
            run.read_csv(name, columns=["value", "nope"])
