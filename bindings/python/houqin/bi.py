"""houqin.bi: BI's KPI counters, bound generically from their C++ descriptions.

The service desk and the series are service operations: see houqin.services.bi (and docs/bi.md).
"""

from ._core import bi as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
