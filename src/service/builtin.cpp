// The operations of the platform domains that exist before any business domain: audit, protect
// and site. Business domains (repair, telemetry, ...) register theirs beside their services.
#include "houqin/audit/audit.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/hospital.hpp"

namespace houqin::service {
namespace {

struct NoInput {};
BOOST_DESCRIBE_STRUCT(NoInput, (), ())

struct Records {
  std::vector<audit::Record> records;
};
BOOST_DESCRIBE_STRUCT(Records, (), (records))

struct Findings {
  std::vector<protect::Finding> findings;
};
BOOST_DESCRIBE_STRUCT(Findings, (), (findings))

[[maybe_unused]] const bool registered[] = {
    define<NoInput>(
        "audit.verify", "audit.verify",
        "Walk the audit hash chain; returns where it first breaks, if it does",
        [](Context& ctx, const NoInput&) { return audit::verify(ctx.store, ctx.actor); }),
    define<audit::Filter>("audit.query", "audit.read",
                          "Audit records matching a filter (actor, action, entity, outcome, time)",
                          [](Context& ctx, const audit::Filter& f) {
                            return Records{audit::query(ctx.store, ctx.actor, f)};
                          }),
    define<NoInput>("protect.check_integrity", "protect.integrity",
                    "Run every integrity check; returns the findings with the ids involved",
                    [](Context& ctx, const NoInput&) {
                      return Findings{protect::check_integrity(ctx.store, ctx.actor)};
                    }),
    define<NoInput>(
        "site.export", "",
        "The hospital's digital model as one document; personal fields masked "
        "unless the actor holds protect.unmask",
        [](Context& ctx, const NoInput&) { return site::export_hospital(ctx.store, ctx.actor); }),
};

}  // namespace
}  // namespace houqin::service
