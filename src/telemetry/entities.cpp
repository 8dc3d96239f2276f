// The templates every stored telemetry entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/soe.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::telemetry::AlarmRecord)
HOUQIN_INSTANTIATE_ENTITY(houqin::telemetry::AlarmEvent)
HOUQIN_INSTANTIATE_ENTITY(houqin::telemetry::SoeEvent)
