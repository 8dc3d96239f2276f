"""houqin.emergency: the emergency management (应急) domain's entities, bound generically from their C++ descriptions.

Its operations are service operations: see houqin.services.emergency (and docs/emergency.md).
"""

from ._core import emergency as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
