// The templates every stored survey entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/survey/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Questionnaire)
HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Survey)
HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Invitation)
HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Ballot)
HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Response)
HOUQIN_INSTANTIATE_ENTITY(houqin::survey::Rules)
