"""houqin.site: The hospital's digital model (基础档案): campus, building, floor, room, department, staff, shifts, dictionaries, knowledge base; import/export of a hospital document.

Everything here comes from the compiled module (houqin._core.site); entities are bound
generically from their C++ descriptions (see docs/python.md).
"""

from ._core import site as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
