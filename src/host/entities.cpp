// The templates every stored host entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/host/availability.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/lease.hpp"
#include "houqin/host/performance.hpp"
#include "houqin/host/scheduler.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::host::Uptime)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::ServiceIncident)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::ConsumerState)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::DeadLetter)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::Lease)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::OperationDay)
HOUQIN_INSTANTIATE_ENTITY(houqin::host::JobState)
