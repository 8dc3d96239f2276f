// The templates every stored waste entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/waste/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::waste::Manifest)
HOUQIN_INSTANTIATE_ENTITY(houqin::waste::Bag)
HOUQIN_INSTANTIATE_ENTITY(houqin::waste::Step)
HOUQIN_INSTANTIATE_ENTITY(houqin::waste::Rules)
