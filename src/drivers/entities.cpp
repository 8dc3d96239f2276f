// The templates every stored drivers entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/drivers/point_map.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::drivers::Device)
HOUQIN_INSTANTIATE_ENTITY(houqin::drivers::Point)
