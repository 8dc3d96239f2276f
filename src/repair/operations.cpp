// The repair domain's operations in the service registry: every WorkOrders call by name, with the
// described input structs, for hq_call, Python and any RPC host.
#include "houqin/protect/protect.hpp"
#include "houqin/repair/report.hpp"
#include "houqin/repair/sla.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::repair {
namespace {

struct ReportDocumentInput {
  ReportQuery query;
  service::DocumentFormat format = service::DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(ReportDocumentInput, (), (query, format))

using service::Context;
using service::define;

struct NoInput {};
struct AutoDispatchInput {
  Id work_order_id = 0;
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
};
struct ChangeSlaInput {
  Id work_order_id = 0;
  Id policy_id = 0;
  std::string reason;
  static constexpr std::array<std::string_view, 2> required_fields{"work_order_id", "policy_id"};
};
struct Orders {
  std::vector<WorkOrder> work_orders;
};
struct Items {
  std::vector<RepairItem> repair_items;
};
struct History {
  std::vector<TransitionRecord> transitions;
};
BOOST_DESCRIBE_STRUCT(NoInput, (), ())
BOOST_DESCRIBE_STRUCT(AutoDispatchInput, (), (work_order_id))
BOOST_DESCRIBE_STRUCT(ChangeSlaInput, (), (work_order_id, policy_id, reason))
BOOST_DESCRIBE_STRUCT(Orders, (), (work_orders))
BOOST_DESCRIBE_STRUCT(Items, (), (repair_items))
BOOST_DESCRIBE_STRUCT(History, (), (transitions))

/// Orders leave the service through the registry with personal fields masked unless the actor
/// may unmask them (the C ABI and Python are people-facing hosts).
json::Json shown(Context& ctx, const WorkOrder& o) {
  return protect::present(store::table_info<WorkOrder>(), json::to_json(o), ctx.actor,
                          {o.department_id, o.building_id});
}

template <class In, WorkOrder (WorkOrders::*M)(const auth::Actor&, const In&)>
bool transition_op(const char* name, const char* permission, const char* summary) {
  return define<In, WorkOrder>(name, permission, summary, [](Context& ctx, const In& in) {
    return shown(ctx, (WorkOrders(ctx.store).*M)(ctx.actor, in));
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<ReportInput, WorkOrder>("repair.report", "repair.report",
                                   "Report a fault (any channel); returns the new work order",
                                   [](Context& ctx, const ReportInput& in) {
                                     return shown(ctx, WorkOrders(ctx.store).report(ctx.actor, in));
                                   }),
    define<PhoneLookupInput>(
        "repair.phone_lookup", "repair.report",
        "Who is calling: staff member, department and usual rooms from the caller number",
        [](Context& ctx, const PhoneLookupInput& in) {
          return WorkOrders(ctx.store).phone_lookup(ctx.actor, in.caller_number);
        }),
    define<PhoneIntakeInput, WorkOrder>(
        "repair.phone_intake", "repair.report",
        "Report a fault from a phone call, prefilled from the caller number (unknown numbers "
        "are accepted and flagged); returns the work order",
        [](Context& ctx, const PhoneIntakeInput& in) {
          return shown(ctx, WorkOrders(ctx.store).phone_intake(ctx.actor, in));
        }),
    transition_op<OrderInput, &WorkOrders::approve>("repair.approve", "repair.dispatch",
                                                    "Approve a reported order"),
    transition_op<DispatchInput, &WorkOrders::dispatch>(
        "repair.dispatch", "repair.dispatch", "Dispatch an order to a technician (staff id)"),
    transition_op<DispatchInput, &WorkOrders::reassign>(
        "repair.reassign", "repair.dispatch",
        "Transfer an order to another technician, with a reason"),
    define<AutoDispatchInput>(
        "repair.auto_dispatch", "repair.dispatch",
        "Dispatch to the best-scored technician; returns the choice and every candidate's scores",
        [](Context& ctx, const AutoDispatchInput& in) {
          return WorkOrders(ctx.store).auto_dispatch(ctx.actor, in.work_order_id);
        }),
    define<AutoDispatchInput>("repair.explain_dispatch", "repair.dispatch",
                              "Score every technician for an order without dispatching it",
                              [](Context& ctx, const AutoDispatchInput& in) {
                                return WorkOrders(ctx.store).explain_dispatch(ctx.actor,
                                                                              in.work_order_id);
                              }),
    define<GrabInput, WorkOrder>("repair.grab", "repair.work",
                                 "Take a pooled order (first technician wins); returns the order",
                                 [](Context& ctx, const GrabInput& in) {
                                   return shown(ctx, WorkOrders(ctx.store).grab(ctx.actor, in));
                                 }),
    define<NoInput>(
        "repair.pool", "repair.work", "Pooled orders waiting to be taken",
        [](Context& ctx, const NoInput&) { return Orders{WorkOrders(ctx.store).pool(ctx.actor)}; }),
    transition_op<OrderInput, &WorkOrders::accept>("repair.accept", "repair.work",
                                                   "Accept a dispatched order (first response)"),
    transition_op<OrderInput, &WorkOrders::start>("repair.start", "repair.work",
                                                  "Start work on an accepted order"),
    transition_op<HoldInput, &WorkOrders::hold>(
        "repair.hold", "repair.work",
        "Put an order on hold (parts, clinical_access, vendor, requester)"),
    transition_op<OrderInput, &WorkOrders::resume>("repair.resume", "repair.work",
                                                   "Resume an order on hold"),
    transition_op<OrderInput, &WorkOrders::complete>("repair.complete", "repair.work",
                                                     "Complete the work"),
    transition_op<OrderInput, &WorkOrders::verify>("repair.verify", "repair.close",
                                                   "Verify completed work"),
    transition_op<OrderInput, &WorkOrders::close>("repair.close", "repair.close",
                                                  "Close a verified order (then immutable)"),
    transition_op<OrderInput, &WorkOrders::reopen>(
        "repair.reopen", "repair.close",
        "Reopen a completed or verified order within the reopen window, with a reason"),
    transition_op<OrderInput, &WorkOrders::cancel>(
        "repair.cancel", "repair.dispatch",
        "Cancel an order before any labour or parts are recorded, with a reason"),
    transition_op<CorrectInput, &WorkOrders::correct>(
        "repair.correct", "repair.close",
        "Correct fields of a closed order (audited history edit), with a reason"),
    define<LabourInput>("repair.add_labour", "repair.work", "Record labour minutes on an order",
                        [](Context& ctx, const LabourInput& in) {
                          return WorkOrders(ctx.store).add_labour(ctx.actor, in);
                        }),
    transition_op<PartsInput, &WorkOrders::note_parts>(
        "repair.note_parts", "repair.work",
        "Tell the order how many parts it used and has reserved (from inventory)"),
    define<RateInput>("repair.rate", "repair.report",
                      "The reporter rates a completed order 1-5 with a comment (once)",
                      [](Context& ctx, const RateInput& in) {
                        return WorkOrders(ctx.store).rate(ctx.actor, in);
                      }),
    define<AutoDispatchInput, WorkOrder>(
        "repair.get", "repair.report",
        "One work order, personal fields masked unless unmask is held",
        [](Context& ctx, const AutoDispatchInput& in) {
          return WorkOrders(ctx.store).get(ctx.actor, in.work_order_id);
        }),
    define<AutoDispatchInput>(
        "repair.history", "repair.report", "The transitions of one work order, oldest first",
        [](Context& ctx, const AutoDispatchInput& in) {
          return History{WorkOrders(ctx.store).history(ctx.actor, in.work_order_id)};
        }),
    define<ItemSearchInput>("repair.search_items", "",
                            "Repair items whose name, code, category, skills or materials "
                            "contain the text, optionally of one category",
                            [](Context& ctx, const ItemSearchInput& in) {
                              return Items{WorkOrders(ctx.store).search_items(
                                  in.text, in.category,
                                  static_cast<std::size_t>(std::max(1, in.limit)))};
                            }),
    define<RepairItem>("repair.save_item", "repair.configure",
                       "Add (id 0) or change a repair item of the knowledge base",
                       [](Context& ctx, const RepairItem& in) {
                         return WorkOrders(ctx.store).save_item(ctx.actor, in);
                       }),
    define<Calendar>(
        "repair.save_calendar", "repair.configure", "Add or change a working-time calendar",
        [](Context& ctx, const Calendar& in) { return save_config(ctx.store, ctx.actor, in); }),
    define<SlaPolicy>(
        "repair.save_sla_policy", "repair.configure",
        "Add or change an SLA policy (targets, calendar, paused states, chain)",
        [](Context& ctx, const SlaPolicy& in) { return save_config(ctx.store, ctx.actor, in); }),
    define<SlaRule>(
        "repair.save_sla_rule", "repair.configure", "Add or change a ranked SLA matching rule",
        [](Context& ctx, const SlaRule& in) { return save_config(ctx.store, ctx.actor, in); }),
    define<EscalationStep>("repair.save_escalation_step", "repair.configure",
                           "Add or change a step of an escalation chain",
                           [](Context& ctx, const EscalationStep& in) {
                             return save_config(ctx.store, ctx.actor, in);
                           }),
    define<Technician>(
        "repair.save_technician", "repair.configure",
        "Add or change a technician profile (team, skills, base room, max load)",
        [](Context& ctx, const Technician& in) { return save_config(ctx.store, ctx.actor, in); }),
    define<ChangeSlaInput, WorkOrder>(
        "repair.change_sla", "repair.configure",
        "Move an open order to another SLA policy, keeping elapsed time",
        [](Context& ctx, const ChangeSlaInput& in) {
          return shown(ctx, Sla(ctx.store).change_policy(ctx.actor, in.work_order_id, in.policy_id,
                                                         in.reason));
        }),
    define<NoInput>("repair.sla_tick", "repair.dispatch",
                    "Fire due SLA warnings and escalations (each once); returns what fired",
                    [](Context& ctx, const NoInput&) { return Sla(ctx.store).tick(ctx.actor); }),
    define<ReportQuery>(
        "repair.report_summary", "bi.read",
        "Counts, response and resolution times, SLA compliance, MTTR and "
        "ratings per team, technician, department, category or period",
        [](Context& ctx, const ReportQuery& in) { return summarize(ctx.store, ctx.actor, in); }),
    define<ReportDocumentInput>(
        "repair.report_document", "bi.read",
        "The repair report as CSV, an HTML page with charts (the groups and the trend by "
        "period), XLSX or PDF",
        [](Context& ctx, const ReportDocumentInput& in) {
          const Report r = summarize(ctx.store, ctx.actor, in.query);
          ReportQuery by_period = in.query;
          by_period.group_by = GroupBy::period;
          return service::render(
              in.format, r, "维修报告", [&] { return to_csv(r); },
              [&] {
                return to_html(r, summarize(ctx.store, ctx.actor, by_period), "维修报告 Repairs");
              },
              in.query.utc_offset_minutes);
        }),
};

}  // namespace
}  // namespace houqin::repair
