// The emergency domain's operations in the service registry (plans, drills, trainings,
// incidents, the drill report and its documents), and the report as CSV and HTML.
#include <cstdio>

#include "houqin/audit/call.hpp"
#include "houqin/core/chart.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/html.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::emergency {

std::string to_csv(const DrillReport& r) {
  return csv::write(std::span<const PlanDrills>(r.plans));
}

std::string to_html(const DrillReport& r) {
  std::string out = html::page_start("应急演练", "应急演练完成情况 Drills") + "<p>" +
                    html_escape(format_timestamp(r.query.from)) + " — " +
                    html_escape(format_timestamp(r.query.to)) + "</p>\n<p>required " +
                    std::to_string(r.required) + ", done " + std::to_string(r.done) +
                    ", plans overdue for a drill " + std::to_string(r.overdue) + "</p>\n";
  std::vector<chart::Bar> done, required;
  for (const auto& p : r.plans) {
    done.push_back({p.plan_code, static_cast<double>(p.done)});
    required.push_back({p.plan_code, static_cast<double>(p.required)});
  }
  out += chart::figure("Drills done, by plan", chart::bars(done));
  out += chart::figure("Drills required, by plan",
                       chart::bars(required, chart::BarOptions{.color = "#888888"}));
  out += "<h2>By plan</h2>\n" + html::table(std::span<const PlanDrills>(r.plans));
  return out + html::page_end();
}

namespace {

using service::CodeInput;
using service::Context;
using service::define;
using service::DocumentFormat;

struct DocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"drills"};
  DrillQuery drills;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(DocumentInput, (), (drills, format))

DrillReport read_drills(Context& c, const DrillQuery& in) {
  return audit::audited(c.store, c.actor, "emergency.drills", [&](audit::Call& call) {
    call.require("emergency.read");
    call.quiet();
    return Emergency(c.store).drills(in);
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<PlanInput>(
        "emergency.save_plan", "emergency.manage",
        "Save an emergency plan (a new revision under an existing code): scope, "
        "levels, organisation and duties, reporting chain, steps, resources, the "
        "alarm points it covers",
        [](Context& c, const PlanInput& in) { return Emergency(c.store).save_plan(c.actor, in); }),
    define<CodeInput>("emergency.plan", "emergency.read", "The active revision of a plan by code",
                      [](Context& c, const CodeInput& in) {
                        return audit::audited(c.store, c.actor, "emergency.plan",
                                              [&](audit::Call& call) {
                                                call.require("emergency.read");
                                                call.quiet();
                                                return Emergency(c.store).plan(in.code);
                                              });
                      }),
    define<PointInput>("emergency.plan_for_point", "emergency.read",
                       "The active plan covering an alarm point, with its steps, levels and the "
                       "duty roster's names (covered false when none does)",
                       [](Context& c, const PointInput& in) {
                         return Emergency(c.store).alarm_plan(c.actor, in.point_id);
                       }),
    define<ScheduleInput>("emergency.schedule_drill", "emergency.manage",
                          "Schedule a drill of a plan",
                          [](Context& c, const ScheduleInput& in) {
                            return Emergency(c.store).schedule_drill(c.actor, in);
                          }),
    define<RecordInput>("emergency.record_drill", "emergency.manage",
                        "Record a drill as held: participants, timeline, findings, evaluation; "
                        "follow-ups open hazards",
                        [](Context& c, const RecordInput& in) {
                          return Emergency(c.store).record_drill(c.actor, in);
                        }),
    define<TrainingInput>("emergency.record_training", "emergency.manage",
                          "Record a training on a plan with its attendance",
                          [](Context& c, const TrainingInput& in) {
                            return Emergency(c.store).record_training(c.actor, in);
                          }),
    define<ActivateInput>("emergency.activate", "emergency.activate",
                          "Activate a plan for real: an incident with its timeline; the duty "
                          "roster is told",
                          [](Context& c, const ActivateInput& in) {
                            return Emergency(c.store).activate(c.actor, in);
                          }),
    define<LogInput>(
        "emergency.log", "emergency.activate", "Add an entry to an incident's timeline",
        [](Context& c, const LogInput& in) { return Emergency(c.store).log(c.actor, in); }),
    define<CloseInput>(
        "emergency.close", "emergency.activate", "Close an incident with its summary",
        [](Context& c, const CloseInput& in) { return Emergency(c.store).close(c.actor, in); }),
    define<DrillQuery>("emergency.drills", "emergency.read",
                       "Drills done against required per plan over a period, the next due, "
                       "trainings and attendance",
                       [](Context& c, const DrillQuery& in) { return read_drills(c, in); }),
    define<DocumentInput>(
        "emergency.drills_document", "emergency.read",
        "The drill report as CSV (per plan) an HTML page with charts, XLSX or PDF",
        [](Context& c, const DocumentInput& in) {
          auto r = read_drills(c, in.drills);
          return service::render(
              in.format, r, "应急演练报告", [&] { return to_csv(r); }, [&] { return to_html(r); });
        }),
    define<service::NoInput>(
        "emergency.check", "emergency.manage",
        "Check every plan now (what the host's job emergency.check does): "
        "drills and reviews due, each told once",
        [](Context& c, const service::NoInput&) { return Emergency(c.store).check_due(c.actor); }),
};

}  // namespace
}  // namespace houqin::emergency
