"""houqin (后勤): hospital logistics in Python.

The compiled core is ``houqin._core``; this package re-exports it, with one submodule per domain
(houqin.site, houqin.auth, houqin.audit, houqin.protect, houqin.drivers, houqin.telemetry) and
houqin.services, one function per registered service operation. See docs/python.md.

    import houqin
    with houqin.Store("sqlite:hospital.db", migrate=True) as store:
        houqin.site.import_hospital(store, "hospital.json")
        icu = store.find(houqin.site.Room, type="icu")
"""

from . import _core
from ._core import (  # noqa: F401  (re-exported)
    AlreadyExists,
    Conflict,
    DataLoss,
    DeadlineExceeded,
    Error,
    ErrorCode,
    FailedPrecondition,
    Host,
    Internal,
    InvalidArgument,
    ManualClock,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Store,
    Subscription,
    Transaction,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    __version__,
    call,
    entity_class,
    entity_names,
    operations,
)
from . import (asset, audit, auth, bi, drivers, emergency, hazard, inspection,  # noqa: F401,E402
               inventory, notify, patrol, protect, repair, services, site, survey, telemetry,
               waste)

__all__ = [
    "AlreadyExists", "Conflict", "DataLoss", "DeadlineExceeded", "Error", "ErrorCode",
    "FailedPrecondition", "Host", "Internal", "InvalidArgument", "ManualClock", "NotFound",
    "PermissionDenied",
    "ResourceExhausted", "Store", "Subscription", "Transaction", "Unauthenticated", "Unavailable",
    "Unimplemented", "call", "entity_class", "entity_names", "operations",
    "asset", "audit", "auth", "bi", "drivers", "emergency", "hazard", "inspection", "inventory", "notify", "patrol", "protect", "repair", "services",
    "site", "survey", "telemetry", "waste",
]
