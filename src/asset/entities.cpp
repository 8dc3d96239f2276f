// The templates every stored asset entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/asset/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::asset::Asset)
HOUQIN_INSTANTIATE_ENTITY(houqin::asset::AssetEvent)
HOUQIN_INSTANTIATE_ENTITY(houqin::asset::Fault)
