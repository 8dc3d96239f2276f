// The templates every stored audit entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/audit/audit.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::audit::Record)
