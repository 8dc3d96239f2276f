// repair::WorkOrders, the service that owns work orders: reporting (any channel, and phone intake
// from the caller's number), every transition of the table in workflow.hpp, dispatch (central,
// automatic, grab), labour, parts counts told by inventory, ratings, corrections of closed orders,
// and the repair-item knowledge base. Every change is authorised in the order's scope (its
// department or building), audited, and published as events after commit.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/repair/dispatch.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/repair/workflow.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::repair {

namespace workflow {
struct Request;  // what a caller hands an action (internal: src/repair/workflow_rules.hpp)
}

/// The repair domain's schema migrations (after site).
HOUQIN_EXPORT std::vector<store::Migration> migrations();

struct WorkOrderSettings {
  std::int32_t reopen_window_hours = 72;  // reopen allowed this long after completion
  DispatchSettings dispatch;
};

// ---- inputs (described: the service registry parses them from JSON) ---------------------------

struct ReportInput {
  Channel channel = Channel::web;
  std::optional<Id> reporter_staff_id;
  std::optional<std::string> reporter_phone;
  std::optional<std::string> patient_name;
  std::optional<std::string> patient_bed;
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // defaults to the room's, then the reporter's department
  std::optional<Id> asset_id;
  std::optional<Id> repair_item_id;
  std::string category;  // defaults to the repair item's
  Level urgency = Level::medium;
  Level impact = Level::medium;
  std::string description;
  std::vector<std::string> attachments;
  bool pooled = false;  // offer it in the grab pool
};

struct OrderInput {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
  std::string reason;
};

struct DispatchInput {
  static constexpr std::array<std::string_view, 2> required_fields{"work_order_id",
                                                                   "technician_id"};
  Id work_order_id = 0;
  Id technician_id = 0;  // a staff id
  std::string reason;    // required for reassign
};

struct GrabInput {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
  std::optional<Id> technician_id;  // defaults to the acting user's staff member
};

struct HoldInput {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
  HoldReason hold_reason = HoldReason::parts;
  std::string reason;
};

struct LabourInput {
  static constexpr std::array<std::string_view, 2> required_fields{"work_order_id", "minutes"};
  Id work_order_id = 0;
  std::optional<Id> technician_id;  // defaults to the order's technician
  std::int32_t minutes = 0;
  std::string note;
};

struct PartsInput {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
  std::int32_t parts_used = 0;
  std::int32_t parts_reserved = 0;
};

struct RateInput {
  static constexpr std::array<std::string_view, 2> required_fields{"work_order_id", "score"};
  Id work_order_id = 0;
  std::int32_t score = 5;
  std::string comment;
};

/// An audited correction of a closed order: only the members that correction_traits<WorkOrder>
/// lists (model.hpp) may change.
struct CorrectInput {
  static constexpr std::array<std::string_view, 3> required_fields{"work_order_id", "changes",
                                                                   "reason"};
  Id work_order_id = 0;
  json::Json changes;  // member name -> new value, e.g. {"category": "lighting", "asset_id": 12}
  std::string reason;
};

struct PhoneLookupInput {
  static constexpr std::array<std::string_view, 1> required_fields{"caller_number"};
  std::string caller_number;
};

struct PhoneIntakeInput {
  static constexpr std::array<std::string_view, 1> required_fields{"caller_number"};
  std::string caller_number;  // as the PBX passes it (+86, spaces and dashes are ignored)
  std::optional<Id> room_id;  // defaults to the caller's usual room
  std::optional<Id> asset_id;
  std::optional<Id> repair_item_id;
  std::string category;
  Level urgency = Level::medium;
  Level impact = Level::medium;
  std::string description;
  std::optional<std::string> patient_name;
  std::optional<std::string> patient_bed;
};

/// What the caller's number tells: the report form prefilled.
struct PhonePrefill {
  bool known = false;  // false: an unknown number, accepted and flagged
  std::optional<Id> staff_id;
  std::string staff_name;
  std::optional<Id> department_id;
  std::string department_name;
  std::vector<Id> usual_rooms;  // rooms of their earlier reports (most used first), then their
                                // department's rooms
};

struct ItemSearchInput {
  std::string text;
  std::string category;
  std::int32_t limit = 20;
};

struct HistoryEntry {
  TransitionRecord record;
};

BOOST_DESCRIBE_STRUCT(WorkOrderSettings, (), (reopen_window_hours, dispatch))
BOOST_DESCRIBE_STRUCT(ReportInput, (),
                      (channel, reporter_staff_id, reporter_phone, patient_name, patient_bed,
                       room_id, department_id, asset_id, repair_item_id, category, urgency, impact,
                       description, attachments, pooled))
BOOST_DESCRIBE_STRUCT(OrderInput, (), (work_order_id, reason))
BOOST_DESCRIBE_STRUCT(DispatchInput, (), (work_order_id, technician_id, reason))
BOOST_DESCRIBE_STRUCT(GrabInput, (), (work_order_id, technician_id))
BOOST_DESCRIBE_STRUCT(HoldInput, (), (work_order_id, hold_reason, reason))
BOOST_DESCRIBE_STRUCT(LabourInput, (), (work_order_id, technician_id, minutes, note))
BOOST_DESCRIBE_STRUCT(PartsInput, (), (work_order_id, parts_used, parts_reserved))
BOOST_DESCRIBE_STRUCT(RateInput, (), (work_order_id, score, comment))
BOOST_DESCRIBE_STRUCT(CorrectInput, (), (work_order_id, changes, reason))
BOOST_DESCRIBE_STRUCT(PhoneLookupInput, (), (caller_number))
BOOST_DESCRIBE_STRUCT(PhoneIntakeInput, (),
                      (caller_number, room_id, asset_id, repair_item_id, category, urgency, impact,
                       description, patient_name, patient_bed))
BOOST_DESCRIBE_STRUCT(PhonePrefill, (),
                      (known, staff_id, staff_name, department_id, department_name, usual_rooms))
BOOST_DESCRIBE_STRUCT(ItemSearchInput, (), (text, category, limit))

/// Digits only, a leading +86 / 0086 country code dropped: how caller numbers are compared.
HOUQIN_EXPORT std::string normalize_phone(std::string_view number);

class HOUQIN_EXPORT WorkOrders {
 public:
  explicit WorkOrders(store::Store& store, WorkOrderSettings settings = {});

  WorkOrder report(const auth::Actor& actor, const ReportInput& in);
  /// Finds the caller among staff by the number the PBX passes in (see docs/repair.md on why
  /// this loads and matches in memory). Reads personal data: repair.report, audited.
  PhonePrefill phone_lookup(const auth::Actor& actor, const std::string& caller_number);
  /// phone_lookup + report(channel phone), prefilled; unknown numbers give unknown_caller = true.
  WorkOrder phone_intake(const auth::Actor& actor, const PhoneIntakeInput& in);

  WorkOrder approve(const auth::Actor& actor, const OrderInput& in);
  WorkOrder dispatch(const auth::Actor& actor, const DispatchInput& in);
  WorkOrder reassign(const auth::Actor& actor, const DispatchInput& in);
  /// Scores the candidates and dispatches to the best; the decision says why (and, when nobody
  /// is eligible, the order stays where it was).
  DispatchDecision auto_dispatch(const auth::Actor& actor, Id work_order_id);
  /// The same for many orders against one board snapshot (each order its own audited call).
  std::vector<DispatchDecision> auto_dispatch_many(const auth::Actor& actor,
                                                   const std::vector<Id>& work_order_ids);
  /// Scores without dispatching (repair.dispatch; a read).
  DispatchDecision explain_dispatch(const auth::Actor& actor, Id work_order_id);
  /// A technician takes a pooled order; the first one wins, the others get failed_precondition.
  WorkOrder grab(const auth::Actor& actor, const GrabInput& in);
  /// Pooled orders waiting to be grabbed.
  std::vector<WorkOrder> pool(const auth::Actor& actor);

  WorkOrder accept(const auth::Actor& actor, const OrderInput& in);
  WorkOrder start(const auth::Actor& actor, const OrderInput& in);
  WorkOrder hold(const auth::Actor& actor, const HoldInput& in);
  WorkOrder resume(const auth::Actor& actor, const OrderInput& in);
  WorkOrder complete(const auth::Actor& actor, const OrderInput& in);
  WorkOrder verify(const auth::Actor& actor, const OrderInput& in);
  WorkOrder close(const auth::Actor& actor, const OrderInput& in);
  WorkOrder reopen(const auth::Actor& actor, const OrderInput& in);
  WorkOrder cancel(const auth::Actor& actor, const OrderInput& in);
  WorkOrder correct(const auth::Actor& actor, const CorrectInput& in);

  LabourEntry add_labour(const auth::Actor& actor, const LabourInput& in);
  /// Inventory tells how many parts an order used and has reserved (repair.work).
  WorkOrder note_parts(const auth::Actor& actor, const PartsInput& in);
  Rating rate(const auth::Actor& actor, const RateInput& in);

  /// The order, personal fields masked unless the actor holds protect.unmask (audited read).
  json::Json get(const auth::Actor& actor, Id work_order_id);
  std::vector<TransitionRecord> history(const auth::Actor& actor, Id work_order_id);

  // ---- knowledge base and configuration (repair.configure) ----
  RepairItem save_item(const auth::Actor& actor, RepairItem item);
  std::vector<RepairItem> search_items(std::string_view text, std::string_view category = {},
                                       std::size_t limit = 20);

  const WorkOrderSettings& settings() const noexcept { return settings_; }

 private:
  /// Runs the row of `action` (src/repair/workflow.cpp) on one order.
  WorkOrder apply(const auth::Actor& actor, Action action, Id id, const workflow::Request& request);
  store::Store& store_;
  WorkOrderSettings settings_;
};

/// Stores configuration entities (calendars, SLA policies and rules, escalation steps,
/// technicians) under repair.configure, audited; inserts when id is 0, else updates.
HOUQIN_EXPORT Calendar save_config(store::Store& store, const auth::Actor& actor, Calendar value);
HOUQIN_EXPORT SlaPolicy save_config(store::Store& store, const auth::Actor& actor, SlaPolicy value);
HOUQIN_EXPORT SlaRule save_config(store::Store& store, const auth::Actor& actor, SlaRule value);
HOUQIN_EXPORT EscalationStep save_config(store::Store& store, const auth::Actor& actor,
                                         EscalationStep value);
HOUQIN_EXPORT Technician save_config(store::Store& store, const auth::Actor& actor,
                                     Technician value);

}  // namespace houqin::repair
