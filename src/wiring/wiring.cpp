// The wiring's reactions as one durable consumer, and its timed jobs (see wiring.hpp).
#include "houqin/wiring/wiring.hpp"

#include <cstdio>
#include <map>

#include "houqin/asset/ledger.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/patrol/patrol.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/sla.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/survey/surveys.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin::wiring {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool registered =
    store::register_tables<AlarmOrder, AlarmTarget, FindingOrder>("wiring");
[[maybe_unused]] const bool exposed_findings =
    store::expose<FindingOrder>({.read = "inspection.read", .write = "", .read_personal = ""});
[[maybe_unused]] const bool exposed_orders =
    store::expose<AlarmOrder>({.read = "telemetry.read", .write = "", .read_personal = ""});
[[maybe_unused]] const bool exposed_targets = store::expose<AlarmTarget>(
    {.read = "telemetry.read", .write = "telemetry.configure", .read_personal = ""});

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A reminder about a work order to one staff member, with the order's location and deadlines.
// The dedupe key is built from the event's content, so a replayed dead letter (or the same event
// seen twice) queues nothing new.
void remind(store::Store& s, const auth::Actor& actor, notify::Reminder kind, Id order_id,
            std::optional<Id> staff_id, const std::string& dedupe,
            std::vector<std::pair<std::string, std::string>> extra) {
  if (!staff_id) return;  // nobody to tell (a chain step naming a role only, an unknown caller)
  auto order = Repository<repair::WorkOrder>(s).require(order_id);
  std::string location = "-";
  if (order.room_id)
    if (auto room = Repository<site::Room>(s).get(*order.room_id))
      location = room->code + " " + room->name;
  notify::Variables vars{
      {"order_code", order.code},
      {"location", location},
      {"summary", order.description},
      {"respond_by", order.response_due ? format_timestamp(*order.response_due) : std::string("-")},
      {"deadline",
       order.resolution_due ? format_timestamp(*order.resolution_due) : std::string("-")}};
  for (auto& [k, v] : extra) vars[k] = v;
  notify::Notifier(s).remind(actor,
                             {kind, *staff_id, std::move(vars), notify::ChannelKind::sms, dedupe});
}

template <class E>
std::string sla_key(std::string_view what, const E& e) {
  return std::string(what) + ":" + std::to_string(e.work_order_id) + ":" +
         std::string(enum_name(e.target)) + ":" + std::to_string(e.level) + ":" +
         format_timestamp(e.at);
}

void alarm_raised(store::Store& s, const auth::Actor& actor, telemetry::Priority from,
                  bool emergency, const telemetry::AlarmRaised& e) {
  if (e.priority < from) return;
  Repository<AlarmOrder> links(s);
  auto episode = static_cast<std::int64_t>(e.episode);
  auto existing = links.find_one(Query<AlarmOrder>()
                                     .where(&AlarmOrder::point_id, Op::eq, e.point_id)
                                     .where(&AlarmOrder::kind, Op::eq, e.kind)
                                     .where(&AlarmOrder::episode, Op::eq, episode));
  if (existing) return;  // this episode has its order: a flapping alarm opens no more
  AlarmTarget target;
  if (auto t = Repository<AlarmTarget>(s).find_one(
          Query<AlarmTarget>().where(&AlarmTarget::point_id, Op::eq, e.point_id)))
    target = std::move(*t);
  repair::ReportInput in;
  in.channel = repair::Channel::alarm;
  in.asset_id = target.asset_id;
  in.room_id = target.room_id;
  in.repair_item_id = target.repair_item_id;
  in.category = target.category;
  in.urgency =
      e.priority == telemetry::Priority::critical ? repair::Level::high : repair::Level::medium;
  in.impact = e.priority >= telemetry::Priority::high ? repair::Level::high : repair::Level::medium;
  in.description =
      (target.description.empty() ? "point " + std::to_string(e.point_id) : target.description) +
      ": " + std::string(enum_name(e.kind)) + " alarm (" + std::string(enum_name(e.priority)) +
      "), value " + number(e.value) + " at " + format_timestamp(e.time) + ", episode " +
      std::to_string(episode);
  // The readings around the alarm, as a reference a client resolves with a range query.
  auto from_time = e.time - std::chrono::minutes(10);
  in.attachments.push_back("telemetry:point=" + std::to_string(e.point_id) + ";from=" +
                           format_timestamp(from_time) + ";to=" + format_timestamp(e.time));
  // The emergency plan that covers the point: its reference, and its first steps to read now.
  if (emergency)
    if (emergency::Emergency em(s); auto plan = em.plan_for_point(e.point_id)) {
      in.attachments.push_back("emergency_plan:" + plan->code +
                               ";revision=" + std::to_string(plan->revision));
      in.description += "\n应急预案 " + plan->code + " " + plan->title + ":";
      for (std::size_t i = 0; i < plan->steps.size() && i < 3; ++i)
        in.description += "\n" + std::to_string(i + 1) + ". " + plan->steps[i].action +
                          (plan->steps[i].role.empty() ? "" : " (" + plan->steps[i].role + ")");
      // The duty roster: who holds each role now.
      std::string roster;
      for (const auto& r : em.roster(*plan))
        if (!r.name.empty()) roster += (roster.empty() ? "" : "; ") + r.role + " " + r.name;
      if (!roster.empty()) in.description += "\n值班: " + roster;
    }
  auto order = repair::WorkOrders(s).report(actor, in);
  AlarmOrder link{0,        0,      e.point_id,   e.kind,  episode,
                  order.id, e.time, std::nullopt, e.value, std::nullopt};
  links.insert(link);  // the unique key stops a second order for the episode
}

/// A failed inspection item opens one work order with the evidence: the task, the item, the
/// answer, the scan that proved presence.
void inspection_finding(store::Store& s, const auth::Actor& actor,
                        const inspection::InspectionFinding& e) {
  if (e.opens != inspection::FindingOpens::work_order) {
    // A safety item: a hazard, found by the inspection, with the evidence as its source; one per
    // task, item and point (a second delivery finds it by that reference).
    const std::string ref = "inspection:task=" + e.task_code + ";item=" + e.key +
                            ";point=" + std::to_string(e.point) +
                            (e.scan_id ? ";scan=" + std::to_string(*e.scan_id) : "");
    if (Repository<hazard::Hazard>(s).find_one(
            Query<hazard::Hazard>().where(&hazard::Hazard::source_ref, Op::eq, ref)))
      return;
    hazard::ReportInput in;
    // The finding names its item already ("电气安全: 私拉乱接"); else the item is put first.
    in.title = e.finding.rfind(e.item, 0) == 0 ? e.finding : e.item + ": " + e.finding;
    if (in.title.size() > 200) {  // at a character boundary; the description keeps it all
      std::size_t n = 200;
      while (n > 0 && (static_cast<unsigned char>(in.title[n]) & 0xC0) == 0x80) --n;
      in.title.resize(n);
    }
    in.description = "巡检发现 " + e.finding + " (task " + e.task_code + ", item " + e.key +
                     ", answer " + e.answer + ", by " + e.inspector + ")";
    in.grade = e.opens == inspection::FindingOpens::major_hazard ? hazard::Grade::major
                                                                 : hazard::Grade::general;
    in.source = hazard::Source::inspection;
    in.source_ref = ref;
    in.room_id = e.room_id;
    if (!e.room_id) in.location = "inspection task " + e.task_code;
    hazard::Hazards(s).report(actor, in);
    return;
  }
  Repository<FindingOrder> links(s);
  if (links.find_one(Query<FindingOrder>()
                         .where(&FindingOrder::task_id, Op::eq, e.task_id)
                         .where(&FindingOrder::key, Op::eq, e.key)
                         .where(&FindingOrder::point, Op::eq, e.point)))
    return;  // opened already
  repair::ReportInput in;
  in.channel = repair::Channel::inspection;
  in.asset_id = e.asset_id;
  in.room_id = e.room_id;
  in.category = "inspection";
  in.description = "巡检发现 " + e.finding + " (task " + e.task_code + ", item " + e.key +
                   ", answer " + e.answer + ", by " + e.inspector + ")";
  in.attachments.push_back("inspection:task=" + e.task_code + ";item=" + e.key +
                           ";point=" + std::to_string(e.point) +
                           (e.scan_id ? ";scan=" + std::to_string(*e.scan_id) : ""));
  auto order = repair::WorkOrders(s).report(actor, in);
  FindingOrder link{0, 0, e.task_id, e.key, e.point, order.id};
  links.insert(link);
}

/// A hazard that asked for a work order gets one (channel patrol), linked back to it; a second
/// delivery finds the link and opens none.
void hazard_order(store::Store& s, const auth::Actor& actor,
                  const hazard::HazardOrderRequested& e) {
  auto h = Repository<hazard::Hazard>(s).get(e.hazard_id);
  if (!h || h->work_order_id) return;  // gone, or has its order
  repair::ReportInput in;
  in.channel = repair::Channel::patrol;
  in.room_id = e.room_id;
  in.category = e.category;
  in.urgency = e.grade == hazard::Grade::major ? repair::Level::high : repair::Level::medium;
  in.impact = e.grade == hazard::Grade::major ? repair::Level::high : repair::Level::medium;
  in.description =
      "隐患 " + e.code + " " + e.title + (e.description.empty() ? "" : ": ") + e.description;
  in.attachments.push_back("hazard:" + e.code);
  auto order = repair::WorkOrders(s).report(actor, in);
  hazard::Hazards(s).link_order(actor, e.hazard_id, order.id);
}

void hazard_overdue(store::Store& s, const auth::Actor& actor, const hazard::HazardOverdue& e) {
  if (!e.notify_staff_id) return;  // nobody configured for this level
  notify::SendRequest req;
  req.recipient_staff_id = e.notify_staff_id;
  req.template_name = "hazard_overdue";
  req.variables = {
      {"code", e.code},
      {"title", e.title},
      {"grade", e.grade == hazard::Grade::major ? "重大" : "一般"},
      {"what", e.level == 0 ? "上报后未及时分派"
                            : "已超过整改期限 " + std::to_string(e.hours_over) + " 小时"},
      {"level", std::to_string(e.level)}};
  req.dedupe_key = "hazard_overdue:" + std::to_string(e.hazard_id) + ":" + std::to_string(e.level) +
                   ":" + format_timestamp(e.at);
  notify::Notifier(s).send(actor, req);
}

void alarm_cleared(store::Store& s, const telemetry::AlarmCleared& e) {
  Repository<AlarmOrder> links(s);
  auto found = links.find_one(
      Query<AlarmOrder>()
          .where(&AlarmOrder::point_id, Op::eq, e.point_id)
          .where(&AlarmOrder::kind, Op::eq, e.kind)
          .where(&AlarmOrder::episode, Op::eq, static_cast<std::int64_t>(e.episode)));
  if (!found || found->cleared_at) return;
  found->cleared_at = e.time;
  found->cleared_value = e.value;
  links.update(*found);
}

// Several reactions to one event type run in one handler, so they commit (or retry) together.
template <class E>
class Reactions {
 public:
  void add(std::function<void(store::Store&, const E&)> r) { list_.push_back(std::move(r)); }
  void register_on(host::Consumer& c) {
    if (list_.empty()) return;
    c.on<E>([list = list_](host::Delivery& d, const E& e) {
      for (const auto& r : list) r(d.store, e);
    });
  }

 private:
  std::vector<std::function<void(store::Store&, const E&)>> list_;
};

}  // namespace

std::vector<store::Migration> migrations() {
  return {{"wiring", 1, "which work order each alarm episode opened",
           [](store::Store& s) { store::create_table<AlarmOrder>(s); }},
          {"wiring", 2, "where each point's alarm orders go (asset, room, item)",
           [](store::Store& s) { store::create_table<AlarmTarget>(s); }},
          {"wiring", 3, "which work order each inspection finding opened",
           [](store::Store& s) { store::create_table<FindingOrder>(s); }}};
}

std::vector<std::string> required_permissions() {
  return {"asset.edit",      "inventory.issue", "notify.send",       "repair.report",
          "repair.dispatch", "waste.read",      "protect.retention", "inspection.configure",
          "hazard.manage",   "hazard.review",   "hazard.report",     "emergency.manage",
          "survey.manage"};
}

auth::Actor actor() {
  return auth::Actor::service("wiring", required_permissions());
}

host::Consumer consumer(auth::Actor actor, const Options& options) {
  host::ConsumerOptions co;
  co.retry = options.retry;
  host::Consumer c(std::string(consumer_name), co);
  Reactions<repair::WorkOrderReported> reported;
  Reactions<repair::WorkOrderCompleted> completed;
  Reactions<repair::WorkOrderClosed> closed;
  Reactions<repair::WorkOrderAssigned> assigned;
  Reactions<repair::SlaWarning> warned;
  Reactions<repair::SlaEscalated> escalated;
  Reactions<waste::StorageOverdue> overdue;
  Reactions<waste::ChainGap> gap;
  Reactions<inspection::InspectionFinding> finding;
  Reactions<telemetry::AlarmRaised> raised;
  Reactions<telemetry::AlarmCleared> cleared;
  Reactions<hazard::HazardOrderRequested> hazard_requested;
  Reactions<hazard::HazardOverdue> hazard_late;
  Reactions<inspection::TaskMissed> missed;
  Reactions<emergency::IncidentActivated> activated;
  Reactions<emergency::PlanDue> plan_due;

  if (options.release_reservations)
    closed.add([actor](store::Store& s, const repair::WorkOrderClosed& e) {
      inventory::Inventory(s).release_reservations(actor, e.work_order_id);
    });
  if (options.equipment_faults) {
    reported.add([actor](store::Store& s, const repair::WorkOrderReported& e) {
      if (!e.asset_id) return;
      // An asset has one open fault at a time: an order about an asset that is already down
      // (a second report of the same failure) opens none.
      if (Repository<asset::Fault>(s).find_one(
              Query<asset::Fault>()
                  .where(&asset::Fault::asset_id, Op::eq, *e.asset_id)
                  .where_null(&asset::Fault::ended_at)))
        return;
      asset::Ledger(s).report_fault(
          actor, {*e.asset_id, e.work_order_id, e.at, "work order " + e.code, false});
    });
    completed.add([actor](store::Store& s, const repair::WorkOrderCompleted& e) {
      asset::Ledger(s).close_work_order_faults(
          actor, {e.work_order_id, e.at, "work order " + e.code + " completed"});
    });
  }
  if (options.reminders) {
    using notify::Reminder;
    assigned.add([actor](store::Store& s, const repair::WorkOrderAssigned& e) {
      remind(s, actor, Reminder::new_assignment, e.work_order_id, e.technician_id,
             "assign:" + std::to_string(e.work_order_id) + ":" + std::to_string(e.technician_id) +
                 ":" + format_timestamp(e.at),
             {});
    });
    warned.add([actor](store::Store& s, const repair::SlaWarning& e) {
      remind(s, actor, Reminder::sla_warning, e.work_order_id, e.notify_staff_id,
             sla_key("sla_warning", e),
             {{"target", e.target == repair::SlaTarget::response ? "响应" : "解决"}});
    });
    escalated.add([actor](store::Store& s, const repair::SlaEscalated& e) {
      remind(s, actor, Reminder::escalation, e.work_order_id, e.notify_staff_id,
             sla_key("escalation", e),
             {{"level", std::to_string(e.level)},
              {"overdue", std::to_string(e.elapsed_minutes - e.target_minutes) + " min"}});
    });
    completed.add([actor](store::Store& s, const repair::WorkOrderCompleted& e) {
      remind(s, actor, Reminder::completion, e.work_order_id, e.reporter_staff_id,
             "completion:" + std::to_string(e.work_order_id) + ":" + format_timestamp(e.at), {});
    });
  }
  if (options.reminders)
    overdue.add([actor](store::Store& s, const waste::StorageOverdue& e) {
      const auto r = waste::Tracker(s).rules();
      const auto staff = e.level == 1   ? r.handler_staff_id
                         : e.level == 2 ? r.logistics_head_staff_id
                                        : r.administrator_staff_id;
      if (!staff) return;  // nobody configured for this level
      notify::SendRequest req;
      req.recipient_staff_id = staff;
      req.template_name = "waste_overdue";
      req.variables = {{"code", e.code},
                       {"category", std::string(enum_name(e.category))},
                       {"hours", std::to_string(e.hours_stored)},
                       {"limit", std::to_string(e.limit_hours)},
                       {"level", std::to_string(e.level)}};
      req.dedupe_key = "waste_overdue:" + std::to_string(e.bag_id) + ":" + std::to_string(e.level);
      notify::Notifier(s).send(actor, req);
    });
  if (options.reminders)
    gap.add([actor](store::Store& s, const waste::ChainGap& e) {
      const auto r = waste::Tracker(s).rules();
      if (!r.handler_staff_id) return;
      static constexpr const char* what[] = {"未封口", "未从科室收集", "收集后未入暂存间",
                                             "出库后未交处置单位"};
      notify::SendRequest req;
      req.recipient_staff_id = r.handler_staff_id;
      req.template_name = "waste_gap";
      req.variables = {{"code", e.code},
                       {"category", std::string(enum_name(e.category))},
                       {"gap", what[static_cast<int>(e.anomaly)]},
                       {"hours", std::to_string(e.hours)},
                       {"limit", std::to_string(e.limit_hours)}};
      req.dedupe_key =
          "waste_gap:" + std::to_string(e.bag_id) + ":" + std::string(enum_name(e.anomaly));
      notify::Notifier(s).send(actor, req);
    });
  if (options.inspection_findings)
    finding.add([actor](store::Store& s, const inspection::InspectionFinding& e) {
      inspection_finding(s, actor, e);
    });
  if (options.hazards) {
    hazard_requested.add([actor](store::Store& s, const hazard::HazardOrderRequested& e) {
      hazard_order(s, actor, e);
    });
    completed.add([actor](store::Store& s, const repair::WorkOrderCompleted& e) {
      hazard::Hazards(s).close_by_order(actor, e.work_order_id, e.code);
    });
    if (options.reminders)
      hazard_late.add([actor](store::Store& s, const hazard::HazardOverdue& e) {
        hazard_overdue(s, actor, e);
      });
  }
  if (options.emergency && options.reminders) {
    activated.add([actor](store::Store& s, const emergency::IncidentActivated& e) {
      const auto plan = emergency::Emergency(s).plan(e.plan_code);
      for (const auto& d : plan.organisation) {
        if (!d.staff_id) continue;
        notify::SendRequest req;
        req.recipient_staff_id = d.staff_id;
        req.template_name = "emergency_activated";
        req.variables = {{"code", e.code},
                         {"plan", e.plan_code},
                         {"title", e.title},
                         {"level", e.level},
                         {"role", d.role}};
        req.dedupe_key = "emergency_activated:" + e.code + ":" + std::to_string(*d.staff_id);
        notify::Notifier(s).send(actor, req);
      }
    });
    plan_due.add([actor](store::Store& s, const emergency::PlanDue& e) {
      if (!e.owner_staff_id) return;
      notify::SendRequest req;
      req.recipient_staff_id = e.owner_staff_id;
      req.template_name = "emergency_due";
      req.variables = {{"plan", e.plan_code},
                       {"title", e.title},
                       {"what", e.kind == emergency::DueKind::drill ? "演练" : "评审修订"},
                       {"due", format_timestamp(e.due).substr(0, 10)}};
      req.dedupe_key = "emergency_due:" + e.plan_code + ":" + std::string(enum_name(e.kind)) + ":" +
                       format_timestamp(e.due);
      notify::Notifier(s).send(actor, req);
    });
  }
  if (options.patrols && options.reminders)
    missed.add([actor](store::Store& s, const inspection::TaskMissed& e) {
      auto area = patrol::Patrols(s).area_of_plan(e.plan_id);
      if (!area || !area->supervisor_staff_id) return;  // not a patrol, or nobody to tell
      notify::SendRequest req;
      req.recipient_staff_id = area->supervisor_staff_id;
      req.template_name = "patrol_missed";
      req.variables = {{"area", area->name.empty() ? area->code : area->name},
                       {"task", e.code},
                       {"due", format_timestamp(e.due_at)}};
      req.dedupe_key = "patrol_missed:" + std::to_string(e.task_id);
      notify::Notifier(s).send(actor, req);
    });
  if (options.alarm_orders_from) {
    raised.add([actor, from = *options.alarm_orders_from, emergency = options.emergency](
                   store::Store& s, const telemetry::AlarmRaised& e) {
      alarm_raised(s, actor, from, emergency, e);
    });
    cleared.add([](store::Store& s, const telemetry::AlarmCleared& e) { alarm_cleared(s, e); });
  }
  reported.register_on(c);
  completed.register_on(c);
  closed.register_on(c);
  assigned.register_on(c);
  warned.register_on(c);
  escalated.register_on(c);
  overdue.register_on(c);
  gap.register_on(c);
  finding.register_on(c);
  raised.register_on(c);
  cleared.register_on(c);
  hazard_requested.register_on(c);
  hazard_late.register_on(c);
  missed.register_on(c);
  activated.register_on(c);
  plan_due.register_on(c);
  return c;
}

std::vector<host::Job> jobs(auth::Actor actor, const Options& options) {
  std::vector<host::Job> out;
  if (options.sla_tick.count() > 0)
    // One check of the current state covers every missed period: catch up with the latest.
    out.push_back(host::Job{std::string(sla_job_name), options.sla_tick, host::CatchUp::latest,
                            [actor](store::Store& s, Timestamp) { repair::Sla(s).tick(actor); }});
  if (options.waste_check.count() > 0)
    out.push_back(
        host::Job{std::string(waste_job_name), options.waste_check, host::CatchUp::latest,
                  [actor](store::Store& s, Timestamp) { waste::Tracker(s).check_overdue(actor); }});
  if (options.inspection_generate.count() > 0)
    // Each run issues what is due at its time; a missed run's occurrences are caught up. It
    // commits its own transaction: a run moves many existing rows (plans, tasks whose window
    // closed), which inside the scheduler's transaction would be a savepoint copying each page it
    // touches into SQLite's statement journal first (a tenth of the run's time at 20k plans,
    // inspection_bench). Running it again for the same due time -- a crash between its commit
    // and the job's -- issues nothing twice: each plan's state moves in the transaction that
    // issues its task.
    out.push_back(host::Job{
        std::string(inspection_job_name), options.inspection_generate, host::CatchUp::latest,
        [actor](store::Store& s, Timestamp) { inspection::Planner(s).generate(actor); }, false});
  if (options.hazard_check.count() > 0)
    out.push_back(host::Job{
        std::string(hazard_job_name), options.hazard_check, host::CatchUp::latest,
        [actor](store::Store& s, Timestamp) { hazard::Hazards(s).check_overdue(actor); }});
  if (options.emergency_check.count() > 0)
    out.push_back(host::Job{
        std::string(emergency_job_name), options.emergency_check, host::CatchUp::latest,
        [actor](store::Store& s, Timestamp) { emergency::Emergency(s).check_due(actor); }});
  if (options.survey_tick.count() > 0)
    out.push_back(
        host::Job{std::string(survey_job_name), options.survey_tick, host::CatchUp::latest,
                  [actor](store::Store& s, Timestamp) { survey::Surveys(s).tick(actor); }});
  if (options.waste_retention.count() > 0)
    out.push_back(host::Job{
        std::string(waste_retention_job_name), options.waste_retention, host::CatchUp::latest,
        [actor](store::Store& s, Timestamp) { waste::Tracker(s).apply_retention(actor); }});
  return out;
}

void install(host::Host& host, auth::Actor actor, const Options& options) {
  host.add(consumer(actor, options));
  for (auto& job : jobs(actor, options)) host.add(std::move(job));
}

}  // namespace houqin::wiring
