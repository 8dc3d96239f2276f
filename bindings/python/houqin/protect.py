"""houqin.protect: Backup and restore, integrity checks, key rotation (数据安全).

Everything here comes from the compiled module (houqin._core.protect); entities are bound
generically from their C++ descriptions (see docs/python.md).
"""

from ._core import protect as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
