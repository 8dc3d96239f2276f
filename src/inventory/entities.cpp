// The templates every stored inventory entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/inventory/model.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::Warehouse)
HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::Item)
HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::Stock)
HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::StockMove)
HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::Reservation)
HOUQIN_INSTANTIATE_ENTITY(houqin::inventory::Stocktake)
