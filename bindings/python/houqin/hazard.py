"""houqin.hazard: the safety hazard (隐患) domain's entities, bound generically from their C++ descriptions.

Its operations are service operations: see houqin.services.hazard (and docs/hazard.md).
"""

from ._core import hazard as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
