"""Telemetry samples between houqin and numpy without copies: the sample dtype mirrors
telemetry::Sample, columns are views of houqin-owned vectors whose .base keeps them alive, and
10M samples cost no second copy."""

import gc

import numpy as np
import pytest

import houqin
from houqin.telemetry import Flag, SampleArray, SampleColumns, sample_dtype

from conftest import rss_bytes


def test_dtype_matches_the_cpp_struct():
    assert sample_dtype.itemsize == 32
    assert sample_dtype.names == ("point_id", "time", "value", "quality", "flag")
    assert [sample_dtype.fields[n][1] for n in sample_dtype.names] == [0, 8, 16, 24, 28]
    assert [Flag(n).name for n in ["not_evaluated", "pass", "suspect", "fail"]] == ["not_evaluated", "pass_", "suspect", "fail"]


def test_columns_are_views_owned_by_houqin():
    cols = SampleColumns.generate(1000, points=4)
    v1, v2 = cols.value, cols.value
    assert v1.base is cols and v2.base is cols
    assert np.shares_memory(v1, v2)
    assert v1.dtype == np.float64 and cols.time.dtype == np.int64 and cols.flag.dtype == np.uint8
    assert not v1.flags.writeable
    with pytest.raises(ValueError):
        v1[0] = 1.0
    assert list(cols.point_id[:5]) == [1, 2, 3, 4, 1]
    assert len(cols) == 1000


def test_view_outlives_the_python_name_of_its_owner():
    cols = SampleColumns.generate(10_000)
    value = cols.value
    expected = float(value.sum())
    del cols
    gc.collect()
    assert float(value.sum()) == expected  # the view keeps houqin's memory alive


def test_ten_million_samples_are_not_copied():
    before = rss_bytes()
    cols = SampleColumns.generate(10_000_000, points=100)
    made = rss_bytes() - before
    assert made >= 10_000_000 * 26 * 0.9  # 26 bytes a sample in five columns
    base = rss_bytes()
    views = [(cols.point_id, cols.time, cols.value, cols.quality, cols.flag) for _ in range(20)]
    total = sum(float(v[2][::1000].sum()) for v in views)
    grown = rss_bytes() - base
    assert total > 0
    assert grown < 5_000_000, "20 sets of views of 10M samples grew RSS by %d bytes" % grown
    assert all(np.shares_memory(v[2], views[0][2]) for v in views)


def test_records_and_push_path_without_copy():
    records = np.zeros(5, dtype=sample_dtype)
    records["point_id"] = [1, 1, 2, 2, 3]
    records["value"] = [1.5, 2.5, 3.0, 4.0, 5.0]
    records["flag"] = 1
    assert houqin.telemetry.checksum(records) == 16.0
    records["value"][0] = 100.0  # C++ reads the caller's memory in place
    assert houqin.telemetry.checksum(records) == 114.5
    with pytest.raises(houqin.InvalidArgument, match="sample_dtype"):
        houqin.telemetry.checksum(np.zeros(5))
    arr = SampleArray(records)
    view = arr.array
    assert view.base is arr and view.dtype == sample_dtype and list(view["value"]) == list(records["value"])
    cols = SampleColumns.from_records(records)
    assert np.array_equal(cols.to_records(), records)
    back = SampleArray.from_columns(cols).array
    assert np.array_equal(back, records)


def test_columns_from_numpy_and_pandas():
    t = np.arange(5, dtype=np.int64) * 1_000_000 + 1_767_225_600_000_000
    cols = SampleColumns(point_id=np.full(5, 7), time=t, value=np.linspace(0, 1, 5), flag=np.array([0, 1, 2, 3, 1]))
    with pytest.raises(houqin.InvalidArgument, match="value: length 4 differs"):
        SampleColumns(point_id=np.full(5, 7), time=t, value=np.zeros(4))
    df = cols.to_pandas()
    assert list(df.columns) == ["point_id", "time", "value", "quality", "flag"]
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"
    assert str(df["time"].iloc[0]) == "2026-01-01 00:00:00+00:00"
    assert list(df["flag"]) == ["not_evaluated", "pass", "suspect", "fail", "pass"]
    assert df.value.sum() == pytest.approx(2.5)
    assert np.shares_memory(df["value"].to_numpy(), cols.value)  # pandas took the view as it is
    indexed = cols.to_pandas(time_index=True)
    assert indexed.index.name == "time"
