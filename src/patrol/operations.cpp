// The patrol domain's operations in the service registry: the checklist, areas and their plans,
// the rules, the supervisor's countersignature and compliance with its documents. Patrollers scan
// and complete their tasks with the inspection operations (inspection.scan, inspection.complete).
#include <cstdio>

#include "houqin/audit/call.hpp"
#include "houqin/core/chart.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/html.hpp"
#include "houqin/patrol/patrol.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::patrol {

std::string to_csv(const Compliance& c) {
  return csv::write(std::span<const AreaCompliance>(c.areas));
}

std::string to_html(const Compliance& c) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f %%", c.rate * 100.0);
  std::string out = html::page_start("安全巡查", "安全巡查完成情况 Patrol compliance") + "<p>" +
                    html_escape(format_timestamp(c.query.from)) + " — " +
                    html_escape(format_timestamp(c.query.to)) + "</p>\n<p>required " +
                    std::to_string(c.required) + ", done " + std::to_string(c.done) + ", missed " +
                    std::to_string(c.missed) + "; compliance " + rate + "</p>\n";
  std::vector<chart::Bar> done, missed;
  for (const auto& a : c.areas) {
    done.push_back({a.area, a.rate * 100.0});
    missed.push_back({a.area, static_cast<double>(a.missed)});
  }
  out += chart::figure("Patrols done against required, by area (%)", chart::bars(done));
  out += chart::figure("Patrols missed, by area",
                       chart::bars(missed, chart::BarOptions{.color = "#b03a2e"}));
  out += "<h2>By area</h2>\n" + html::table(std::span<const AreaCompliance>(c.areas));
  return out + html::page_end();
}

namespace {

using service::Context;
using service::define;
using service::DocumentFormat;

struct DocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"compliance"};
  ComplianceInput compliance;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(DocumentInput, (), (compliance, format))

Compliance read_compliance(Context& c, const ComplianceInput& in) {
  return audit::audited(c.store, c.actor, "patrol.compliance", [&](audit::Call& call) {
    call.require("patrol.read");
    call.quiet();
    return Patrols(c.store).compliance(in);
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>("patrol.install_checklist", "inspection.configure",
                             "Save the fire-safety checklist as the template FIRE-SAFETY (a new "
                             "revision when it exists); its failed items report hazards",
                             [](Context& c, const service::NoInput&) {
                               return Patrols(c.store).install_checklist(c.actor);
                             }),
    define<Area>(
        "patrol.save_area", "patrol.plan",
        "Create or change a patrol area (by code) and the inspection plans that patrol "
        "it as often as its type needs, by day and night (also needs "
        "inspection.configure)",
        [](Context& c, const Area& in) { return Patrols(c.store).save_area(c.actor, in); }),
    define<Rules>(
        "patrol.save_rules", "patrol.plan",
        "Set the minimum patrols per area type by day and night, and when day and night start",
        [](Context& c, const Rules& in) { return Patrols(c.store).save_rules(c.actor, in); }),
    define<CountersignInput>("patrol.countersign", "patrol.plan",
                             "The supervisor countersigns a completed patrol (not the patroller)",
                             [](Context& c, const CountersignInput& in) {
                               return Patrols(c.store).countersign(c.actor, in);
                             }),
    define<ComplianceInput>(
        "patrol.compliance", "patrol.read",
        "Patrols done, late, missed and countersigned against those "
        "required, per area, over a period",
        [](Context& c, const ComplianceInput& in) { return read_compliance(c, in); }),
    define<DocumentInput>(
        "patrol.compliance_document", "patrol.read",
        "Patrol compliance as CSV (per area) an HTML page with charts, XLSX or PDF",
        [](Context& c, const DocumentInput& in) {
          auto r = read_compliance(c, in.compliance);
          return service::render(
              in.format, r, "安全巡查合规报告", [&] { return to_csv(r); },
              [&] { return to_html(r); });
        }),
};

}  // namespace
}  // namespace houqin::patrol
