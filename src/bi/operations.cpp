// The BI domain's operations in the service registry: the service desk's snapshot, a KPI as a
// series, the catalogue of KPIs and the rebuild from the tables.
#include "houqin/audit/call.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::bi {
namespace {

using service::Context;
using service::define;

/// The catalogue, as an operation's output.
struct Catalogue {
  std::vector<Kpi> kpis;
};
BOOST_DESCRIBE_STRUCT(Catalogue, (), (kpis))

// A read of aggregates: authorised, a failure recorded.
template <class F>
auto read(Context& c, const char* action, F&& f) {
  return audit::audited(c.store, c.actor, action, [&](audit::Call& call) {
    call.require("bi.read");
    call.quiet();
    return f();
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "bi.snapshot", "bi.read",
        "The service desk (服务台): work orders, hazards, inspections, waste, alarms, stock and "
        "satisfaction, open now and this month",
        [](Context& c, const service::NoInput&) {
          return read(c, "bi.snapshot", [&] { return Bi(c.store).snapshot(); });
        }),
    define<SeriesQuery>("bi.series", "bi.read",
                        "A KPI by day, month, quarter or year, per building or department",
                        [](Context& c, const SeriesQuery& in) {
                          return read(c, "bi.series", [&] { return Bi(c.store).series(in); });
                        }),
    define<service::NoInput>("bi.catalogue", "bi.read", "Every KPI BI keeps, with its unit",
                             [](Context&, const service::NoInput&) {
                               auto k = catalogue();
                               return Catalogue{{k.begin(), k.end()}};
                             }),
    define<WarningRule>(
        "bi.save_rule", "bi.manage",
        "Save a warning rule (预警): threshold, trend or absence over a KPI, its "
        "severity and who is told",
        [](Context& c, const WarningRule& in) { return Bi(c.store).save_rule(c.actor, in); }),
    define<SilenceInput>(
        "bi.silence", "bi.manage", "Silence a warning rule until a time, with the reason (audited)",
        [](Context& c, const SilenceInput& in) { return Bi(c.store).silence(c.actor, in); }),
    define<service::NoInput>(
        "bi.check", "bi.manage",
        "Evaluate every warning rule now (what the host's job bi.check "
        "does): fire, clear, escalate, tell",
        [](Context& c, const service::NoInput&) { return Bi(c.store).check(c.actor); }),
    define<service::NoInput>(
        "bi.rebuild", "bi.manage",
        "Derive every KPI counter again from the domain tables (equal to the incremental state)",
        [](Context& c, const service::NoInput&) { return Bi(c.store).rebuild(c.actor); }),
};

}  // namespace
}  // namespace houqin::bi
