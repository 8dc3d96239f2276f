// Events the repair domain publishes on store.events() (delivered after commit). Other domains
// subscribe instead of calling into repair: inventory releases reservations on WorkOrderClosed and
// WorkOrderCancelled, the equipment ledger records repairs on WorkOrderCompleted, notifications
// remind people on WorkOrderAssigned, SlaWarning, SlaEscalated and WorkOrderCompleted.
#pragma once

#include <optional>
#include <string>

#include "houqin/repair/model.hpp"

namespace houqin::repair {

/// Every transition, whatever it is (one per row of the transition table that ran).
struct WorkOrderEvent {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  Action action = Action::report;
  Status from = Status::reported;
  Status to = Status::reported;
  std::string actor;
  Timestamp at{};
  std::string reason;
};

struct WorkOrderReported {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  Channel channel = Channel::web;
  Priority priority = Priority::p3;
  std::optional<Id> room_id;
  std::optional<Id> asset_id;
  std::optional<Id> repair_item_id;
  bool unknown_caller = false;
  Timestamp at{};
};

BOOST_DEFINE_ENUM_CLASS(AssignedBy, dispatcher, automatic, grab, reassign)

struct WorkOrderAssigned {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  Id technician_id = 0;
  std::optional<Id> previous_technician_id;
  AssignedBy by = AssignedBy::dispatcher;
  std::string reason;
  Timestamp at{};
};

struct WorkOrderCompleted {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  std::optional<Id> asset_id;
  std::optional<Id> technician_id;
  std::optional<Id> reporter_staff_id;  // who should be asked to rate
  std::int32_t labour_minutes = 0;
  std::int32_t parts_used = 0;
  std::optional<Timestamp> started_at;
  Timestamp at{};
};

/// Closed or cancelled: the order is finished; unused reservations are to be released.
struct WorkOrderClosed {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  std::optional<Id> asset_id;
  Status status = Status::closed;  // closed or cancelled
  std::int32_t parts_used = 0;
  std::int32_t parts_reserved = 0;
  Timestamp at{};
};

struct WorkOrderReopened {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  std::int32_t reopen_count = 0;
  std::string reason;
  Timestamp at{};
};

struct WorkOrderRated {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::int32_t score = 0;
  std::optional<Id> technician_id;
  Timestamp at{};
};

/// A step of the escalation chain fired: a warning before the deadline (offset < 0) ...
struct SlaWarning {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  SlaTarget target = SlaTarget::resolution;
  std::int32_t level = 0;
  std::optional<Id> notify_staff_id;
  std::string notify_role;
  std::int32_t elapsed_minutes = 0;  // working minutes so far
  std::int32_t target_minutes = 0;
  Timestamp at{};
};
/// ... or an escalation at or after it. The same members, a type of its own so that subscribers
/// can tell them apart (and without a base class, which the JSON mapping does not follow).
struct SlaEscalated {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  SlaTarget target = SlaTarget::resolution;
  std::int32_t level = 0;
  std::optional<Id> notify_staff_id;
  std::string notify_role;
  std::int32_t elapsed_minutes = 0;
  std::int32_t target_minutes = 0;
  Timestamp at{};
};

BOOST_DESCRIBE_STRUCT(WorkOrderEvent, (),
                      (work_order_id, code, action, from, to, actor, at, reason))
BOOST_DESCRIBE_STRUCT(WorkOrderReported, (),
                      (work_order_id, code, channel, priority, room_id, asset_id, repair_item_id,
                       unknown_caller, at))
BOOST_DESCRIBE_STRUCT(WorkOrderAssigned, (),
                      (work_order_id, code, technician_id, previous_technician_id, by, reason, at))
BOOST_DESCRIBE_STRUCT(WorkOrderCompleted, (),
                      (work_order_id, code, asset_id, technician_id, reporter_staff_id,
                       labour_minutes, parts_used, started_at, at))
BOOST_DESCRIBE_STRUCT(WorkOrderClosed, (),
                      (work_order_id, code, asset_id, status, parts_used, parts_reserved, at))
BOOST_DESCRIBE_STRUCT(WorkOrderReopened, (), (work_order_id, code, reopen_count, reason, at))
BOOST_DESCRIBE_STRUCT(WorkOrderRated, (), (work_order_id, score, technician_id, at))
BOOST_DESCRIBE_STRUCT(SlaWarning, (),
                      (work_order_id, code, target, level, notify_staff_id, notify_role,
                       elapsed_minutes, target_minutes, at))
BOOST_DESCRIBE_STRUCT(SlaEscalated, (),
                      (work_order_id, code, target, level, notify_staff_id, notify_role,
                       elapsed_minutes, target_minutes, at))
/// The SLA tick found a target missed and marked the order breached, whether or not an
/// escalation step fires with it (BI counts overdue orders from it).
struct SlaBreached {
  static constexpr std::string_view aggregate = "repair_work_order";  // durable: in the event log
  Id aggregate_id() const { return work_order_id; }
  Id work_order_id = 0;
  std::string code;
  SlaTarget target = SlaTarget::resolution;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(SlaBreached, (), (work_order_id, code, target, at))

}  // namespace houqin::repair
