"""houqin.audit: The tamper-evident audit log (安全审计): query, verify, export.

Everything here comes from the compiled module (houqin._core.audit); entities are bound
generically from their C++ descriptions (see docs/python.md).
"""

from ._core import audit as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
