// The templates every stored emergency entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/emergency/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::emergency::Plan)
HOUQIN_INSTANTIATE_ENTITY(houqin::emergency::Drill)
HOUQIN_INSTANTIATE_ENTITY(houqin::emergency::Training)
HOUQIN_INSTANTIATE_ENTITY(houqin::emergency::Incident)
