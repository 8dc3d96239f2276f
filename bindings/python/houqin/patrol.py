"""houqin.patrol: the safety patrol (安全巡查) domain's entities, bound generically from their C++ descriptions.

Its operations are service operations: see houqin.services.patrol (and docs/patrol.md).
"""

from ._core import patrol as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
