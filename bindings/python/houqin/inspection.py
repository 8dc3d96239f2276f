"""houqin.inspection: the preventive work domain's entities, bound generically from their C++ descriptions.

Its operations are service operations: see houqin.services.inspection (and docs/inspection.md).
"""

from ._core import inspection as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
