// The templates every stored patrol entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/patrol/patrol.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::patrol::Area)
HOUQIN_INSTANTIATE_ENTITY(houqin::patrol::Signoff)
HOUQIN_INSTANTIATE_ENTITY(houqin::patrol::Rules)
