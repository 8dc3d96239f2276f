// The site domain's operations in the service registry.
#include "houqin/service/registry.hpp"
#include "houqin/site/his.hpp"
#include "houqin/site/hospital.hpp"

namespace houqin::site {
namespace {

using service::Context;
using service::define;

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput, HospitalExport>(
        "site.export", "",
        "The hospital's digital model as one document; personal fields "
        "masked unless the actor holds protect.unmask",
        [](Context& ctx, const service::NoInput&) {
          return export_hospital(ctx.store, ctx.actor);
        }),
    define<HisPush>(
        "site.his_push", "site.edit",
        "Upsert departments, staff and rooms pushed by another system (HIS) by their "
        "codes; a complete push deactivates that source's records it no longer lists",
        [](Context& ctx, const HisPush& in) { return his_push(ctx.store, ctx.actor, in); }),
};

}  // namespace
}  // namespace houqin::site
