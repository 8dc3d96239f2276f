"""houqin.auth: Accounts, roles, sessions and the Actor every service call takes (系统与权限管理).

Everything here comes from the compiled module (houqin._core.auth); entities are bound
generically from their C++ descriptions (see docs/python.md).
"""

from ._core import auth as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
