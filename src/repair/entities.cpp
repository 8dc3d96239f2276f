// The templates every stored repair entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/repair/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::repair::WorkOrder)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::TransitionRecord)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::LabourEntry)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::Rating)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::RepairItem)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::Calendar)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::SlaPolicy)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::SlaRule)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::EscalationStep)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::SlaFiring)
HOUQIN_INSTANTIATE_ENTITY(houqin::repair::Technician)
