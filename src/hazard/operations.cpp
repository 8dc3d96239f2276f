// The hazard domain's operations in the service registry: every step of the closed loop by hazard
// code (what the app scans or lists), the trace, the report and its documents, the rules and the
// timed check.
#include "houqin/audit/call.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::hazard {
namespace {

using service::CodeInput;
using service::Context;
using service::define;
using service::DocumentFormat;

struct ReportDocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"report"};
  ReportQuery report;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(ReportDocumentInput, (), (report, format))

[[maybe_unused]] const bool operations_registered[] = {
    define<ReportInput>(
        "hazard.report", "hazard.report",
        "Report a hazard (隐患) found anywhere, or record one fixed on the spot (then in review)",
        [](Context& c, const ReportInput& in) { return Hazards(c.store).report(c.actor, in); }),
    define<AssignInput>(
        "hazard.assign", "hazard.manage",
        "Assign the rectification to a unit with a deadline; a major hazard with "
        "its 五落实 plan",
        [](Context& c, const AssignInput& in) { return Hazards(c.store).assign(c.actor, in); }),
    define<PlanInput>(
        "hazard.plan", "hazard.manage",
        "Set a hazard's 五落实 plan: responsible person, measures, funds, deadline, contingency",
        [](Context& c, const PlanInput& in) { return Hazards(c.store).plan(c.actor, in); }),
    define<CodeInput>(
        "hazard.start", "hazard.rectify", "The assigned unit starts the rectification",
        [](Context& c, const CodeInput& in) { return Hazards(c.store).start(c.actor, in.code); }),
    define<ExtensionInput>("hazard.request_extension", "hazard.rectify",
                           "Ask for a later deadline, with the reason",
                           [](Context& c, const ExtensionInput& in) {
                             return Hazards(c.store).request_extension(c.actor, in);
                           }),
    define<ReviewInput>("hazard.grant_extension", "hazard.manage",
                        "Grant the extension asked for: the deadline moves",
                        [](Context& c, const ReviewInput& in) {
                          return Hazards(c.store).grant_extension(c.actor, in);
                        }),
    define<ReasonInput>("hazard.deny_extension", "hazard.manage",
                        "Deny the extension asked for, with the reason",
                        [](Context& c, const ReasonInput& in) {
                          return Hazards(c.store).deny_extension(c.actor, in);
                        }),
    define<SubmitInput>(
        "hazard.submit", "hazard.rectify",
        "Report the rectification done, with photos after; the hazard goes to review",
        [](Context& c, const SubmitInput& in) { return Hazards(c.store).submit(c.actor, in); }),
    define<ReviewInput>(
        "hazard.approve", "hazard.review",
        "Review passed: close the hazard (销号); not by the one who submitted",
        [](Context& c, const ReviewInput& in) { return Hazards(c.store).approve(c.actor, in); }),
    define<ReasonInput>(
        "hazard.reject", "hazard.review",
        "Review failed: send the hazard back to rectifying with the reason (a reopen)",
        [](Context& c, const ReasonInput& in) { return Hazards(c.store).reject(c.actor, in); }),
    define<OrderInput>("hazard.request_order", "hazard.manage",
                       "Ask for a repair work order for the hazard; it closes when the order "
                       "completes",
                       [](Context& c, const OrderInput& in) {
                         return Hazards(c.store).request_order(c.actor, in);
                       }),
    define<ReasonInput>(
        "hazard.cancel", "hazard.manage", "Cancel a report that is no hazard, with the reason",
        [](Context& c, const ReasonInput& in) { return Hazards(c.store).cancel(c.actor, in); }),
    define<CodeInput>(
        "hazard.trace", "hazard.read", "A hazard and every change of it by code",
        [](Context& c, const CodeInput& in) { return Hazards(c.store).trace(c.actor, in.code); }),
    define<ReportQuery>("hazard.report_summary", "hazard.read",
                        "Hazards found in a period by grade, area and age, the rectification "
                        "rate and every open major hazard",
                        [](Context& c, const ReportQuery& in) {
                          return audit::audited(c.store, c.actor, "hazard.report_summary",
                                                [&](audit::Call& call) {
                                                  call.require("hazard.read");
                                                  call.quiet();
                                                  return Hazards(c.store).report(in);
                                                });
                        }),
    define<ReportDocumentInput>(
        "hazard.report_document", "hazard.read",
        "The hazard report as CSV (by area) an HTML page with charts, XLSX or PDF",
        [](Context& c, const ReportDocumentInput& in) {
          return audit::audited(c.store, c.actor, "hazard.report_summary", [&](audit::Call& call) {
            call.require("hazard.read");
            call.quiet();
            auto r = Hazards(c.store).report(in.report);
            return service::render(
                in.format, r, "安全隐患报告", [&] { return to_csv(r); },
                [&] { return to_html(r); });
          });
        }),
    define<Rules>(
        "hazard.save_rules", "hazard.manage",
        "Set the hazard rules: default deadlines, escalation, extensions, who is told",
        [](Context& c, const Rules& in) { return Hazards(c.store).save_rules(c.actor, in); }),
    define<service::NoInput>("hazard.check", "hazard.manage",
                             "Check every open hazard now (what the host's job "
                             "hazard.check_overdue does): unassigned and past the deadline, each "
                             "level told once",
                             [](Context& c, const service::NoInput&) {
                               return Hazards(c.store).check_overdue(c.actor);
                             }),
};

}  // namespace
}  // namespace houqin::hazard
