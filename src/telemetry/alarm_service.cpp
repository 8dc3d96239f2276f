// The stored side of the alarm engine: migrations, the batched history writer, the audited
// operator actions and their registration in the service registry.
#include <atomic>

#include "houqin/audit/call.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/soe.hpp"

namespace houqin::telemetry {
namespace {

[[maybe_unused]] const bool tables_registered =
    store::register_tables<AlarmRecord, AlarmEvent, SoeEvent>("telemetry_alarms");
[[maybe_unused]] const bool exposed = store::expose<AlarmRecord, AlarmEvent, SoeEvent>(
    {.read = "telemetry.read", .write = "", .read_personal = ""});

[[maybe_unused]] const bool permissions_defined = [] {
  auth::define_permission({"telemetry.out_of_service", auth::Duty::operations,
                           "remove alarms from service and return them"});
  auth::define_permission({"telemetry.reset", auth::Duty::operations, "reset latched alarms"});
  return true;
}();

Timestamp at(Micros us) {
  return from_micros(us);
}

}  // namespace

std::vector<store::Migration> alarm_migrations() {
  return {
      {"telemetry_alarms", 1, "alarm state, alarm history and the sequence-of-events log",
       [](store::Store& s) {
         store::create_table<AlarmRecord>(s);
         store::create_table<AlarmEvent>(s);
         store::create_table<SoeEvent>(s);
         s.execute(
             "CREATE INDEX IF NOT EXISTS telemetry_alarm_event_point_time ON "
             "telemetry_alarm_event (point_id, time)");
         s.execute(
             "CREATE INDEX IF NOT EXISTS telemetry_alarm_event_episode ON "
             "telemetry_alarm_event (episode)");
         s.execute(
             "CREATE INDEX IF NOT EXISTS telemetry_soe_point_time ON telemetry_soe (point_id, "
             "time_us)");
       }},
      {"telemetry_alarms", 2, "alarm history by time (floods: alarms raised in 10 minutes)",
       [](store::Store& s) {
         s.execute(
             "CREATE INDEX IF NOT EXISTS telemetry_alarm_event_time ON telemetry_alarm_event "
             "(time)");
       }},
  };
}

// ---- AlarmLog
// ------------------------------------------------------------------------------------

void AlarmLog::persist(std::span<const AlarmTransition> transitions, std::string_view actor,
                       std::string_view comment) {
  if (transitions.empty()) return;
  store::in_transaction(store_, [&] {
    store::Repository<AlarmEvent> events(store_);
    store::Repository<AlarmRecord> records(store_);
    auto& bus = store_.events();
    for (const auto& tr : transitions) {
      AlarmEvent e{0,
                   0,
                   tr.point_id,
                   tr.kind,
                   tr.priority,
                   static_cast<std::int64_t>(tr.episode),
                   tr.from,
                   tr.to,
                   tr.cause,
                   at(tr.time),
                   tr.value,
                   std::string(actor),
                   std::string(comment)};
      events.insert(e);

      AlarmRecord r{
          0, 0, tr.point_id, tr.kind, tr.priority, tr.to, tr.active, tr.acknowledged, tr.latched,
          // the transition names the episode it ended; the state row has none open
          tr.active || !tr.acknowledged || tr.latched ? static_cast<std::int64_t>(tr.episode) : 0,
          std::nullopt, tr.value, at(tr.time)};
      if (tr.shelved_until != 0) r.shelved_until = at(tr.shelved_until);
      // The row's version is read afresh: the pipeline's log and the operators' actions (on
      // other handles) both write the row, each with the state after its own transition.
      auto found = records.find_one(store::Query<AlarmRecord>()
                                        .where(&AlarmRecord::point_id, store::Op::eq, tr.point_id)
                                        .where(&AlarmRecord::kind, store::Op::eq, tr.kind));
      if (!found) {
        records.insert(r);
      } else {
        r.id = found->id;
        r.version = found->version;
        records.update(r);
      }

      bus.publish(tr);
      if (tr.raise)
        bus.publish(
            AlarmRaised{tr.point_id, tr.kind, tr.priority, tr.episode, tr.value, at(tr.time)});
      if (tr.clear)
        bus.publish(
            AlarmCleared{tr.point_id, tr.kind, tr.priority, tr.episode, tr.value, at(tr.time)});
    }
  });
}

void AlarmLog::restore(AlarmEngine& engine) {
  std::vector<AlarmEngine::Saved> saved;
  std::uint64_t next = 1;
  for (const auto& r : store::Repository<AlarmRecord>(store_).find())
    saved.push_back({{r.point_id, r.kind},
                     r.state,
                     r.active,
                     r.acknowledged,
                     r.latched,
                     static_cast<std::uint64_t>(r.episode),
                     r.shelved_until});
  // Episode ids must never repeat, including those of episodes already closed.
  store::Repository<AlarmEvent> events(store_);
  if (auto last = events.find_one(store::Query<AlarmEvent>().order_by(&AlarmEvent::episode, true)))
    next = static_cast<std::uint64_t>(last->episode) + 1;
  engine.restore(saved, next);
}

// ---- Alarms (the audited service)
// ----------------------------------------------------------------

template <class F>
AlarmStatus Alarms::act(const auth::Actor& actor, const char* action, const char* permission,
                        AlarmKey key, const std::string& comment, F&& f) {
  return audit::audited(store_, actor, action, [&](audit::Call& call) {
    call.target("telemetry_alarm", std::nullopt);
    call.require(permission);
    AlarmStatus before = engine_.status(key);
    AlarmTransition tr = f();
    try {
      AlarmLog(store_).persist(std::span(&tr, 1), actor.label(), comment);
      AlarmStatus after = engine_.status(key);
      call.record("telemetry_alarm", std::nullopt, json::to_json(before), json::to_json(after),
                  alarm_name(key) + (comment.empty() ? "" : ": " + comment));
      return after;
    } catch (...) {
      // Nothing was stored: put the engine back as it was.
      AlarmEngine::Saved s{key,
                           before.state,
                           before.active,
                           before.acknowledged,
                           before.state == AlarmState::latched,
                           before.episode,
                           before.shelved_until};
      engine_.restore(std::span(&s, 1), 0);
      throw;
    }
  });
}

AlarmStatus Alarms::acknowledge(const auth::Actor& actor, AlarmKey key, std::string comment) {
  return act(actor, "telemetry.acknowledge_alarm", "telemetry.ack", key, comment,
             [&] { return engine_.acknowledge(key); });
}

AlarmStatus Alarms::shelve(const auth::Actor& actor, AlarmKey key,
                           std::chrono::microseconds duration, std::string reason) {
  if (reason.empty())
    fail(ErrorCode::invalid_argument, alarm_name(key) + ": shelving needs a reason");
  return act(actor, "telemetry.shelve_alarm", "telemetry.shelve", key, reason,
             [&] { return engine_.shelve(key, duration); });
}

AlarmStatus Alarms::unshelve(const auth::Actor& actor, AlarmKey key, std::string comment) {
  return act(actor, "telemetry.unshelve_alarm", "telemetry.shelve", key, comment,
             [&] { return engine_.unshelve(key); });
}

AlarmStatus Alarms::remove_from_service(const auth::Actor& actor, AlarmKey key,
                                        std::string reason) {
  if (reason.empty())
    fail(ErrorCode::invalid_argument, alarm_name(key) + ": removing from service needs a reason");
  return act(actor, "telemetry.remove_alarm_from_service", "telemetry.out_of_service", key, reason,
             [&] { return engine_.remove_from_service(key); });
}

AlarmStatus Alarms::return_to_service(const auth::Actor& actor, AlarmKey key, std::string comment) {
  return act(actor, "telemetry.return_alarm_to_service", "telemetry.out_of_service", key, comment,
             [&] { return engine_.return_to_service(key); });
}

AlarmStatus Alarms::reset(const auth::Actor& actor, AlarmKey key, std::string comment) {
  return act(actor, "telemetry.reset_alarm", "telemetry.reset", key, comment,
             [&] { return engine_.reset(key); });
}

std::vector<AlarmStatus> Alarms::standing(const auth::Actor& actor) {
  actor.require("telemetry.read");
  return engine_.standing();
}

}  // namespace houqin::telemetry
