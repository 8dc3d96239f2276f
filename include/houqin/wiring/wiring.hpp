// How the domains work together, by events only: repair's work orders release inventory
// reservations when they close, open and close equipment faults, and remind people through the
// notifier; alarms of a chosen priority open one work order per alarm episode. A host (a service,
// the demo, a daemon) creates one Wiring per store handle and keeps it alive.
//
// Events are delivered after their transaction commits, so each reaction runs in a transaction
// of its own, acting as the wiring's service actor (audited as such). A reaction that fails does
// not undo the change that caused it: it is counted and reported to on_error, and the reactions
// are written to be run again safely (releasing reservations, closing faults and reminders with
// a dedupe key are idempotent; an alarm episode opens at most one order, enforced by a unique
// key in the database).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/events.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin::wiring {

/// Where an alarm's work order goes: the asset and room of the point, and what to call it.
struct AlarmTarget {
  std::optional<Id> asset_id;
  std::optional<Id> room_id;
  std::optional<Id> repair_item_id;
  std::string category = "alarm";
  std::string description;  // e.g. "O2 area pressure, ICU 3F"; the alarm's details are appended
};

struct Options {
  bool release_reservations = true;  // WorkOrderClosed -> Inventory::release_reservations
  bool equipment_faults = true;      // reported with an asset -> fault; completed -> fault closed
  bool reminders = true;             // assignment, SLA warning and escalation, completion
  /// Alarms at this priority or above open a work order (one per episode); none when empty.
  std::optional<telemetry::Priority> alarm_orders_from = telemetry::Priority::high;
  /// The point's asset and room; the order is opened without them when this is empty or
  /// returns nothing.
  std::function<std::optional<AlarmTarget>(Id point_id)> alarm_target;
  /// Called with the event's name and the error when a reaction fails.
  std::function<void(const std::string& reaction, const std::exception& error)> on_error;
};

/// The wiring's own table: which work order each alarm episode opened (domain "wiring").
struct AlarmOrder {
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  telemetry::AlarmKind kind = telemetry::AlarmKind::hi;
  std::int64_t episode = 0;
  Id work_order_id = 0;
  Timestamp raised_at{};
  std::optional<Timestamp> cleared_at;  // when the alarm returned to normal
  double raised_value = 0;
  std::optional<double> cleared_value;
};
BOOST_DESCRIBE_STRUCT(AlarmOrder, (),
                      (id, version, point_id, kind, episode, work_order_id, raised_at, cleared_at,
                       raised_value, cleared_value))

HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// The permissions the wiring's actor needs for every reaction.
HOUQIN_EXPORT std::vector<std::string> required_permissions();

class HOUQIN_EXPORT Wiring {
 public:
  /// Subscribes on store.events(). `actor` acts for every reaction (e.g.
  /// auth::Actor::service("wiring", required_permissions())).
  Wiring(store::Store& store, auth::Actor actor, Options options = {});
  Wiring(const Wiring&) = delete;
  Wiring& operator=(const Wiring&) = delete;

  std::int64_t reactions() const noexcept { return reactions_; }
  std::int64_t failures() const noexcept { return failures_; }

 private:
  template <class E, class F>
  void on(const char* name, F&& react);
  void alarm_raised(const telemetry::AlarmRaised& e);
  void alarm_cleared(const telemetry::AlarmCleared& e);
  void remind(int kind, Id order_id, std::optional<Id> staff_id, const std::string& dedupe,
              std::vector<std::pair<std::string, std::string>> extra);

  store::Store& store_;
  auth::Actor actor_;
  Options options_;
  std::vector<Subscription> subscriptions_;
  std::atomic<std::int64_t> reactions_{0};
  std::atomic<std::int64_t> failures_{0};
};

/// For telemetry::RuntimeOptions::attach: a Wiring on each of the runtime's handles, so alarms
/// found by the pipeline open work orders on the pipeline thread's handle and operator actions
/// (an acknowledgement ending an episode) are recorded on the operations handle.
HOUQIN_EXPORT std::function<std::shared_ptr<void>(store::Store&)> attach(auth::Actor actor,
                                                                         Options options = {});

}  // namespace houqin::wiring

template <>
struct houqin::entity_traits<houqin::wiring::AlarmOrder> {
  static constexpr std::string_view table = "wiring_alarm_order";
  static constexpr std::string_view collection = "alarm_orders";
  static constexpr std::array<std::string_view, 1> unique{"point_id,kind,episode"};
};
