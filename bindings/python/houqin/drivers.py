"""houqin.drivers: Field devices and points, the point map (数据采集).

Everything here comes from the compiled module (houqin._core.drivers); entities are bound
generically from their C++ descriptions (see docs/python.md).
"""

from ._core import drivers as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
