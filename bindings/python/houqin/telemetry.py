"""houqin.telemetry: telemetry samples as numpy arrays and pandas DataFrames, and the telemetry
Runtime (verify -> alarm -> store on a pipeline thread) fed from numpy.

``SampleColumns`` holds samples by column in houqin-owned (C++) memory; its columns are zero-copy,
read-only numpy views whose ``.base`` keeps the owner alive. ``SampleArray`` holds them as records
of ``sample_dtype`` (the layout the pipeline takes). ``Runtime`` pushes them through the pipeline
and queries them back; ``AlarmRaised``, ``AlarmCleared`` and ``AlarmTransition`` reach Python
callbacks (``Runtime.subscribe``). See docs/python.md.
"""

from . import _core
from ._core import telemetry as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")] + ["to_pandas", "query_frame",
                                                                  "push_frame"]
globals().update({n: getattr(_compiled, n) for n in dir(_compiled) if not n.startswith("_")})


def to_pandas(columns, *, time_index=False):
    """The samples as a pandas DataFrame: point_id, time (datetime64[ns, UTC]), value, quality,
    flag (a Categorical of houqin.telemetry.Flag names).

    value, point_id and quality are handed to pandas without a copy where pandas allows it;
    time is converted to nanoseconds (pandas' unit), which is one copy of that column.
    With time_index=True the time column becomes the index.
    """
    import pandas as pd

    flag_names = [f.value for f in _compiled.Flag]
    frame = pd.DataFrame(
        {
            "point_id": columns.point_id,
            # pandas 1.5 keeps nanoseconds only: one converted copy of this column
            "time": pd.to_datetime(columns.time.view("datetime64[us]").astype("datetime64[ns]"), utc=True),
            "value": columns.value,
            "quality": columns.quality,
            "flag": pd.Categorical.from_codes(columns.flag, categories=flag_names),
        },
        copy=False,
    )
    if time_index:
        frame = frame.set_index("time")
    return frame


_compiled.SampleColumns.to_pandas = to_pandas


def query_frame(runtime, point, start, end, *, time_index=True):
    """Runtime.query(point, start, end) as a pandas DataFrame (see to_pandas), indexed by time
    unless time_index=False: ready for resample(), rolling() and plotting."""
    return to_pandas(runtime.query(point, start, end), time_index=time_index)


_compiled.Runtime.query_frame = query_frame


def push_frame(runtime, frame, *, point_id=None, wait=False):
    """Pushes a pandas DataFrame: columns value, point_id (or the point_id argument for all rows),
    optionally quality, and the time as a timezone-aware column "time" or the index (what
    query_frame returns, so a frame can be moved between runtimes). Naive times are refused as
    ambiguous. The columns go to Runtime.push as arrays: no Python work per row."""
    import numpy as np
    import pandas as pd

    times = frame["time"] if "time" in frame.columns else frame.index.to_series()
    times = pd.DatetimeIndex(times)
    if times.tz is None:
        raise _core.InvalidArgument("time: naive datetimes are ambiguous; localize them "
                                    "(tz_localize) first")
    micros = (times.tz_convert("UTC").asi8 // 1000).astype(np.int64)
    ids = point_id if point_id is not None else frame["point_id"].to_numpy()
    quality = frame["quality"].to_numpy() if "quality" in frame.columns else None
    return runtime.push(point_id=ids, time=micros, value=frame["value"].to_numpy(dtype=np.float64),
                        quality=quality, wait=wait)


_compiled.Runtime.push_frame = push_frame
