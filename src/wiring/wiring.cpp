#include "houqin/wiring/wiring.hpp"

#include "houqin/asset/ledger.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::wiring {
namespace {

[[maybe_unused]] const bool registered = store::register_tables<AlarmOrder>("wiring");
[[maybe_unused]] const bool exposed =
    store::expose<AlarmOrder>({.read = "telemetry.read", .write = "", .read_personal = ""});

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {{"wiring", 1, "which work order each alarm episode opened",
           [](store::Store& s) { store::create_table<AlarmOrder>(s); }}};
}

std::vector<std::string> required_permissions() {
  return {"asset.edit", "inventory.issue", "notify.send", "repair.report"};
}

template <class E, class F>
void Wiring::on(const char* name, F&& react) {
  subscriptions_.push_back(
      store_.events().subscribe<E>([this, name, react = std::forward<F>(react)](const E& e) {
        try {
          react(e);
          ++reactions_;
        } catch (const std::exception& error) {
          ++failures_;
          if (options_.on_error) options_.on_error(name, error);
        }
      }));
}

Wiring::Wiring(store::Store& store, auth::Actor actor, Options options)
    : store_(store), actor_(std::move(actor)), options_(std::move(options)) {
  if (options_.release_reservations)
    on<repair::WorkOrderClosed>("release_reservations", [this](const repair::WorkOrderClosed& e) {
      inventory::Inventory(store_).release_reservations(actor_, e.work_order_id);
    });
  if (options_.equipment_faults) {
    on<repair::WorkOrderReported>("report_fault", [this](const repair::WorkOrderReported& e) {
      if (!e.asset_id) return;
      asset::Ledger(store_).report_fault(
          actor_, {*e.asset_id, e.work_order_id, e.at, "work order " + e.code, false});
    });
    on<repair::WorkOrderCompleted>("close_faults", [this](const repair::WorkOrderCompleted& e) {
      asset::Ledger(store_).close_work_order_faults(
          actor_, {e.work_order_id, e.at, "work order " + e.code + " completed"});
    });
  }
  if (options_.reminders) {
    using notify::Reminder;
    on<repair::WorkOrderAssigned>("remind_assignment", [this](const repair::WorkOrderAssigned& e) {
      remind(static_cast<int>(Reminder::new_assignment), e.work_order_id, e.technician_id,
             "assign:" + std::to_string(e.work_order_id) + ":" + std::to_string(e.technician_id) +
                 ":" + format_timestamp(e.at),
             {});
    });
    on<repair::SlaWarning>("remind_sla_warning", [this](const repair::SlaWarning& e) {
      remind(static_cast<int>(Reminder::sla_warning), e.work_order_id, e.notify_staff_id,
             "sla_warning:" + std::to_string(e.work_order_id) + ":" +
                 std::string(enum_name(e.target)) + ":" + std::to_string(e.level) + ":" +
                 format_timestamp(e.at),
             {{"target", e.target == repair::SlaTarget::response ? "响应" : "解决"}});
    });
    on<repair::SlaEscalated>("remind_escalation", [this](const repair::SlaEscalated& e) {
      remind(static_cast<int>(Reminder::escalation), e.work_order_id, e.notify_staff_id,
             "escalation:" + std::to_string(e.work_order_id) + ":" +
                 std::string(enum_name(e.target)) + ":" + std::to_string(e.level) + ":" +
                 format_timestamp(e.at),
             {{"level", std::to_string(e.level)},
              {"overdue", std::to_string(e.elapsed_minutes - e.target_minutes) + " min"}});
    });
    on<repair::WorkOrderCompleted>("remind_completion", [this](
                                                            const repair::WorkOrderCompleted& e) {
      remind(static_cast<int>(Reminder::completion), e.work_order_id, e.reporter_staff_id,
             "completion:" + std::to_string(e.work_order_id) + ":" + format_timestamp(e.at), {});
    });
  }
  if (options_.alarm_orders_from) {
    on<telemetry::AlarmRaised>("alarm_order",
                               [this](const telemetry::AlarmRaised& e) { alarm_raised(e); });
    on<telemetry::AlarmCleared>("alarm_cleared",
                                [this](const telemetry::AlarmCleared& e) { alarm_cleared(e); });
  }
}

void Wiring::remind(int kind, Id order_id, std::optional<Id> staff_id, const std::string& dedupe,
                    std::vector<std::pair<std::string, std::string>> extra) {
  if (!staff_id) return;  // nobody to tell (a chain step naming a role only, an unknown caller)
  auto order = store::Repository<repair::WorkOrder>(store_).require(order_id);
  std::string location = "-";
  if (order.room_id)
    if (auto room = store::Repository<site::Room>(store_).get(*order.room_id))
      location = room->code + " " + room->name;
  notify::Variables vars{
      {"order_code", order.code},
      {"location", location},
      {"summary", order.description},
      {"respond_by", order.response_due ? format_timestamp(*order.response_due) : std::string("-")},
      {"deadline",
       order.resolution_due ? format_timestamp(*order.resolution_due) : std::string("-")}};
  for (auto& [k, v] : extra) vars[k] = v;
  notify::Notifier(store_).remind(actor_, {static_cast<notify::Reminder>(kind), *staff_id,
                                           std::move(vars), notify::ChannelKind::sms, dedupe});
}

void Wiring::alarm_raised(const telemetry::AlarmRaised& e) {
  if (e.priority < *options_.alarm_orders_from) return;
  store::Repository<AlarmOrder> links(store_);
  auto episode = static_cast<std::int64_t>(e.episode);
  auto existing = links.find(store::Query<AlarmOrder>()
                                 .where(&AlarmOrder::point_id, store::Op::eq, e.point_id)
                                 .where(&AlarmOrder::kind, store::Op::eq, e.kind)
                                 .where(&AlarmOrder::episode, store::Op::eq, episode));
  if (!existing.empty()) return;  // this episode has its order: a flapping alarm opens no more
  AlarmTarget target;
  if (options_.alarm_target)
    if (auto t = options_.alarm_target(e.point_id)) target = std::move(*t);
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
  auto from = e.time - std::chrono::minutes(10);
  in.attachments.push_back("telemetry:point=" + std::to_string(e.point_id) +
                           ";from=" + format_timestamp(from) + ";to=" + format_timestamp(e.time));
  store::in_transaction(store_, [&] {
    auto order = repair::WorkOrders(store_).report(actor_, in);
    AlarmOrder link{0,        0,      e.point_id,   e.kind,  episode,
                    order.id, e.time, std::nullopt, e.value, std::nullopt};
    links.insert(link);  // the unique key stops a second order for the episode
  });
}

void Wiring::alarm_cleared(const telemetry::AlarmCleared& e) {
  store::Repository<AlarmOrder> links(store_);
  auto found = links.find(
      store::Query<AlarmOrder>()
          .where(&AlarmOrder::point_id, store::Op::eq, e.point_id)
          .where(&AlarmOrder::kind, store::Op::eq, e.kind)
          .where(&AlarmOrder::episode, store::Op::eq, static_cast<std::int64_t>(e.episode)));
  if (found.empty() || found[0].cleared_at) return;
  found[0].cleared_at = e.time;
  found[0].cleared_value = e.value;
  links.update(found[0]);
}

std::function<std::shared_ptr<void>(store::Store&)> attach(auth::Actor actor, Options options) {
  return [actor = std::move(actor), options = std::move(options)](store::Store& store) {
    return std::static_pointer_cast<void>(std::make_shared<Wiring>(store, actor, options));
  };
}

}  // namespace houqin::wiring
