// The templates every stored hazard entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/hazard/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::hazard::Hazard)
HOUQIN_INSTANTIATE_ENTITY(houqin::hazard::Record)
HOUQIN_INSTANTIATE_ENTITY(houqin::hazard::Rules)
