// The templates every stored inspection entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/inspection/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Template)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Route)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Plan)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Task)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Skip)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::MeterReading)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Tag)
HOUQIN_INSTANTIATE_ENTITY(houqin::inspection::Scan)
