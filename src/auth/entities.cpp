// The templates every stored auth entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/auth/auth.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::auth::User)
HOUQIN_INSTANTIATE_ENTITY(houqin::auth::Role)
HOUQIN_INSTANTIATE_ENTITY(houqin::auth::RoleGrant)
HOUQIN_INSTANTIATE_ENTITY(houqin::auth::Session)
