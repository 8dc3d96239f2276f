// The templates every stored site entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/site/his.hpp"
#include "houqin/site/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::site::ExternalRef)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Campus)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Building)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Floor)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Department)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Room)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Shift)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::Staff)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::ShiftAssignment)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::DictionaryEntry)
HOUQIN_INSTANTIATE_ENTITY(houqin::site::KnowledgeArticle)
