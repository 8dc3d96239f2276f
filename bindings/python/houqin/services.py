"""houqin.services: every registered service operation as a Python function.

Operations are named "<domain>.<verb>" in the C++ service registry; here each domain is an object
and each verb a function taking (store, actor, **input), e.g.

    houqin.services.audit.verify(store, actor)
    houqin.services.audit.query(store, actor, action="auth.login", limit=10)

Each function's __doc__ is the operation's summary and permission. The result is the operation's
JSON result as plain Python. houqin.call(store, actor, "audit.verify", {...}) is the same by name.
Operations registered by domains that land later appear here without any Python change.
"""

import keyword as _keyword

from . import _core


class Domain:
    """The operations of one domain, as attributes."""

    def __init__(self, name):
        self.__name__ = name
        self._operations = {}

    def __repr__(self):
        return "<houqin.services.%s: %s>" % (self.__name__, ", ".join(sorted(self._operations)))

    def __dir__(self):
        return sorted(self._operations) + ["__name__"]

    def __getattr__(self, name):
        try:
            return self.__dict__["_operations"][name]
        except KeyError:
            raise AttributeError("houqin.services.%s has no operation %r" % (self.__name__, name)) from None


def _make(op):
    name = op["name"]

    def operation(store, actor, input=None, **kwargs):
        return _core.call(store, actor, name, input, **kwargs)

    verb = name.split(".", 1)[1]
    if _keyword.iskeyword(verb):
        verb += "_"
    operation.__name__ = verb
    operation.__qualname__ = name
    permission = op["permission"] or "any signed-in actor"
    operation.__doc__ = "%s.\n\nOperation %r; permission: %s. Input as keywords (or a dict)." % (
        op["summary"], name, permission)
    return verb, operation


_domains = {}
for _op in _core.operations():
    _domain, _ = _op["name"].split(".", 1)
    _verb, _fn = _make(_op)
    _domains.setdefault(_domain, Domain(_domain))._operations[_verb] = _fn

globals().update(_domains)
__all__ = sorted(_domains)


def domains():
    """The names of the domains that have operations."""
    return sorted(_domains)
