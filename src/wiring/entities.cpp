// The templates every stored wiring entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/wiring/wiring.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::wiring::AlarmOrder)
HOUQIN_INSTANTIATE_ENTITY(houqin::wiring::FindingOrder)
HOUQIN_INSTANTIATE_ENTITY(houqin::wiring::AlarmTarget)
