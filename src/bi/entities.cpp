// The templates every stored bi entity needs (JSON codec, table description, row codec,
// Repository), instantiated once here; its headers declare them extern
// (HOUQIN_EXTERN_ENTITY), so programs that use these entities do not compile them again.
#include "houqin/bi/model.hpp"
#include "houqin/bi/operation_report.hpp"

HOUQIN_INSTANTIATE_ENTITY(houqin::bi::Counter)
HOUQIN_INSTANTIATE_ENTITY(houqin::bi::Projection)
HOUQIN_INSTANTIATE_ENTITY(houqin::bi::Rules)
HOUQIN_INSTANTIATE_ENTITY(houqin::bi::WarningRule)
HOUQIN_INSTANTIATE_ENTITY(houqin::bi::Warning)
HOUQIN_INSTANTIATE_ENTITY(houqin::bi::OperationReportRecord)
