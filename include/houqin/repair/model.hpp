// The repair domain's data (综合维修): work orders from every channel, their history, labour,
// ratings, the repair-item knowledge base, SLA policies with ranked rules, working calendars and
// escalation chains, and technician profiles. Behaviour lives in the services (work_orders.hpp,
// sla.hpp, dispatch.hpp, report.hpp); these are plain described aggregates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::repair {

BOOST_DEFINE_ENUM_CLASS(Channel, phone, web, app, alarm, inspection, patrol)

/// The life of a work order; see the transition table in workflow.hpp and docs/repair.md.
BOOST_DEFINE_ENUM_CLASS(Status, reported, approved, dispatched, accepted, in_progress, on_hold,
                        completed, verified, closed, cancelled)

BOOST_DEFINE_ENUM_CLASS(HoldReason, parts, clinical_access, vendor, requester)

BOOST_DEFINE_ENUM_CLASS(Level, high, medium, low)

/// p1 is the most urgent. Derived from urgency x impact by priority_of().
BOOST_DEFINE_ENUM_CLASS(Priority, p1, p2, p3, p4)

/// Everything that can happen to a work order: one row each in the transition table.
BOOST_DEFINE_ENUM_CLASS(Action, report, approve, dispatch, reassign, grab, accept, start, hold,
                        resume, complete, verify, close, reopen, cancel, correct)

BOOST_DEFINE_ENUM_CLASS(SlaTarget, response, resolution)

/// The documented matrix (docs/repair.md): both high -> p1; one high and one medium -> p2;
/// high with low, or both medium -> p3; otherwise p4.
HOUQIN_EXPORT Priority priority_of(Level urgency, Level impact) noexcept;

struct WorkOrder {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // "WO-<yyyymmdd>-<id>", assigned on report
  Channel channel = Channel::web;
  std::optional<Id> reporter_staff_id;
  std::optional<std::string> reporter_phone;  // personal: sealed at rest, masked as a phone
  std::optional<std::string> patient_name;    // personal, when the fault concerns a patient's bed
  std::optional<std::string> patient_bed;     // personal
  bool unknown_caller = false;                // phone intake: the number matched no staff member
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // the scope of permissions: the room's or reporter's department
  std::optional<Id> building_id;    // the room's building, the other scope
  std::optional<Id> asset_id;       // an equipment-ledger id, by reference only
  std::optional<Id> repair_item_id;
  std::string category;  // the repair item's category, or given
  Level urgency = Level::medium;
  Level impact = Level::medium;
  Priority priority = Priority::p3;
  std::string description;
  std::vector<std::string> attachments;  // references (file ids, URLs), never the content
  Status status = Status::reported;
  std::optional<HoldReason> hold_reason;
  bool pooled = false;  // offered in the grab pool
  std::optional<Id> technician_id;
  std::string team;
  std::int32_t parts_used = 0;      // told by inventory through note_parts()
  std::int32_t parts_reserved = 0;  // open reservations; released by inventory on close/cancel
  std::int32_t labour_minutes = 0;  // sum of labour entries
  std::int32_t reopen_count = 0;
  Timestamp reported_at{};
  std::optional<Timestamp> dispatched_at;
  std::optional<Timestamp> accepted_at;  // first response
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> completed_at;
  std::optional<Timestamp> verified_at;
  std::optional<Timestamp> closed_at;
  std::optional<Timestamp> cancelled_at;
  // ---- SLA state (see sla.hpp): elapsed working seconds accumulate while the clock runs ----
  std::optional<Id> sla_policy_id;
  std::int32_t response_target_minutes = 0;
  std::int32_t resolution_target_minutes = 0;
  std::int64_t response_elapsed_s = 0;
  std::int64_t resolution_elapsed_s = 0;
  std::optional<Timestamp> sla_running_since;  // null while paused or stopped
  std::optional<Timestamp> response_due;       // projected while running
  std::optional<Timestamp> resolution_due;
  bool response_breached = false;
  bool resolution_breached = false;
  HOUQIN_EXPORT void validate() const;
};

struct TransitionRecord {
  Id id = 0;
  std::int64_t version = 0;
  Id work_order_id = 0;
  Action action = Action::report;
  Status from_status = Status::reported;
  Status to_status = Status::reported;
  std::string actor;  // "user:alice"
  Timestamp at{};
  std::string reason;
  std::optional<Id> technician_id;
  std::string detail;  // JSON of the changed fields for corrections
};

struct LabourEntry {
  Id id = 0;
  std::int64_t version = 0;
  Id work_order_id = 0;
  Id technician_id = 0;
  std::int32_t minutes = 0;
  std::string note;
  Timestamp recorded_at{};
  HOUQIN_EXPORT void validate() const;
};

struct Rating {
  Id id = 0;
  std::int64_t version = 0;
  Id work_order_id = 0;
  std::int32_t score = 5;  // 1..5
  std::string comment;
  std::string rated_by;
  Timestamp rated_at{};
  HOUQIN_EXPORT void validate() const;
};

/// The repair-item knowledge base (维修项目库).
struct RepairItem {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::string category;  // e.g. "electrical", "plumbing", "hvac", "medical_gas"
  std::int32_t standard_labour_minutes = 60;
  std::vector<std::string> skills;  // skill codes as in site::Staff::skills
  std::vector<std::string> typical_materials;
  double fee = 0;  // yuan
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

/// Working hours of one weekday (1 = Monday ... 7 = Sunday), local minutes [start, end).
struct WorkingHours {
  std::int32_t weekday = 1;
  std::int32_t start_minute = 480;
  std::int32_t end_minute = 1080;
};

/// A working-time calendar. No hours at all means around the clock (24x7, holidays ignored).
struct Calendar {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::int32_t utc_offset_minutes = 480;  // China Standard Time
  std::vector<WorkingHours> hours;
  std::vector<Date> holidays;      // local days with no working time
  std::vector<Date> working_days;  // make-up working days (调休) on a weekend: Monday's hours
  HOUQIN_EXPORT void validate() const;
};

struct SlaPolicy {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::int32_t response_minutes = 15;  // the seed's response target
  std::int32_t resolution_minutes = 240;
  std::optional<Id> calendar_id;  // none: around the clock
  /// States in which neither clock runs. completed, verified, closed and cancelled always stop.
  std::vector<Status> paused_states{Status::on_hold};
  std::string escalation_chain;  // EscalationStep::chain, empty for none
  HOUQIN_EXPORT void validate() const;
};

/// Chooses a policy: the matching rule with the lowest rank wins (ties: more criteria, then id).
/// An empty criterion matches anything; `during_calendar_id` matches reports made inside that
/// calendar's working time (an out-of-hours rule names the day calendar and ranks below).
struct SlaRule {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::int32_t rank = 100;
  Id policy_id = 0;
  std::optional<Id> building_id;
  std::optional<Id> department_id;
  std::optional<std::string> category;
  std::optional<Priority> priority;
  std::optional<Id> during_calendar_id;
  bool outside_calendar = false;  // with during_calendar_id: match outside its working time
  bool active = true;
};

/// One step of an escalation chain: fires once per order and cycle when the target's elapsed
/// working time reaches target + offset (negative offsets are warnings before the deadline).
struct EscalationStep {
  Id id = 0;
  std::int64_t version = 0;
  std::string chain;
  SlaTarget target = SlaTarget::resolution;
  std::int32_t level = 1;
  std::int32_t offset_minutes = 0;
  std::optional<Id> staff_id;  // who is told, by id, or ...
  std::string role;            // ... by role name ("team_leader", "logistics_director")
};

/// What tick() has fired: the unique key makes every warning and escalation happen once.
struct SlaFiring {
  Id id = 0;
  std::int64_t version = 0;
  Id work_order_id = 0;
  Id step_id = 0;
  std::int32_t cycle = 0;  // the order's reopen_count when it fired
  Timestamp fired_at{};
};

/// A technician's profile for dispatch; on duty comes from site::ShiftAssignment.
struct Technician {
  Id id = 0;
  std::int64_t version = 0;
  Id staff_id = 0;
  std::string team;
  std::vector<std::string> skills;  // in addition to site::Staff::skills
  std::optional<Id> base_room_id;   // where the technician waits between jobs (distance)
  std::int32_t max_open = 5;        // load at which the load score reaches 0
  bool active = true;
};

BOOST_DESCRIBE_STRUCT(WorkOrder, (),
                      (id, version, code, channel, reporter_staff_id, reporter_phone, patient_name,
                       patient_bed, unknown_caller, room_id, department_id, building_id, asset_id,
                       repair_item_id, category, urgency, impact, priority, description,
                       attachments, status, hold_reason, pooled, technician_id, team, parts_used,
                       parts_reserved, labour_minutes, reopen_count, reported_at, dispatched_at,
                       accepted_at, started_at, completed_at, verified_at, closed_at, cancelled_at,
                       sla_policy_id, response_target_minutes, resolution_target_minutes,
                       response_elapsed_s, resolution_elapsed_s, sla_running_since, response_due,
                       resolution_due, response_breached, resolution_breached))
BOOST_DESCRIBE_STRUCT(TransitionRecord, (),
                      (id, version, work_order_id, action, from_status, to_status, actor, at,
                       reason, technician_id, detail))
BOOST_DESCRIBE_STRUCT(LabourEntry, (),
                      (id, version, work_order_id, technician_id, minutes, note, recorded_at))
BOOST_DESCRIBE_STRUCT(Rating, (), (id, version, work_order_id, score, comment, rated_by, rated_at))
BOOST_DESCRIBE_STRUCT(RepairItem, (),
                      (id, version, code, name, category, standard_labour_minutes, skills,
                       typical_materials, fee, active))
BOOST_DESCRIBE_STRUCT(WorkingHours, (), (weekday, start_minute, end_minute))
BOOST_DESCRIBE_STRUCT(Calendar, (),
                      (id, version, code, name, utc_offset_minutes, hours, holidays, working_days))
BOOST_DESCRIBE_STRUCT(SlaPolicy, (),
                      (id, version, code, name, response_minutes, resolution_minutes, calendar_id,
                       paused_states, escalation_chain))
BOOST_DESCRIBE_STRUCT(SlaRule, (),
                      (id, version, code, rank, policy_id, building_id, department_id, category,
                       priority, during_calendar_id, outside_calendar, active))
BOOST_DESCRIBE_STRUCT(EscalationStep, (),
                      (id, version, chain, target, level, offset_minutes, staff_id, role))
BOOST_DESCRIBE_STRUCT(SlaFiring, (), (id, version, work_order_id, step_id, cycle, fired_at))
BOOST_DESCRIBE_STRUCT(Technician, (),
                      (id, version, staff_id, team, skills, base_room_id, max_open, active))

}  // namespace houqin::repair

// ---- storage facts, beside the types -----------------------------------------------------------

template <>
struct houqin::entity_traits<houqin::repair::WorkOrder> {
  static constexpr std::string_view table = "repair_work_order";
  static constexpr std::string_view collection = "work_orders";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr std::array personal{Personal{"reporter_phone", Mask::phone},
                                       Personal{"patient_name", Mask::name},
                                       Personal{"patient_bed", Mask::full}};
  static constexpr auto references =
      std::tuple{ref<site::Staff>(&repair::WorkOrder::reporter_staff_id),
                 ref<site::Room>(&repair::WorkOrder::room_id),
                 ref<site::Department>(&repair::WorkOrder::department_id),
                 ref<site::Building>(&repair::WorkOrder::building_id),
                 ref<repair::RepairItem>(&repair::WorkOrder::repair_item_id),
                 ref<site::Staff>(&repair::WorkOrder::technician_id),
                 ref<repair::SlaPolicy>(&repair::WorkOrder::sla_policy_id)};
};

namespace houqin::repair {

/// What Action::correct may change on a closed order, declared beside the type it corrects: the
/// service decodes each given member strictly through the type's description and refuses any
/// member not listed (naming it and the list). Everything else about a closed order is history.
template <class T>
struct correction_traits;

template <>
struct correction_traits<WorkOrder> {
  static constexpr auto correctable =
      std::tuple{&WorkOrder::description, &WorkOrder::category, &WorkOrder::repair_item_id,
                 &WorkOrder::asset_id, &WorkOrder::attachments};
};

}  // namespace houqin::repair

template <>
struct houqin::entity_traits<houqin::repair::TransitionRecord> {
  static constexpr std::string_view table = "repair_transition";
  static constexpr std::string_view collection = "work_order_transitions";
  static constexpr auto references =
      std::tuple{ref<repair::WorkOrder>(&repair::TransitionRecord::work_order_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::LabourEntry> {
  static constexpr std::string_view table = "repair_labour";
  static constexpr std::string_view collection = "labour_entries";
  static constexpr auto references =
      std::tuple{ref<repair::WorkOrder>(&repair::LabourEntry::work_order_id),
                 ref<site::Staff>(&repair::LabourEntry::technician_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::Rating> {
  static constexpr std::string_view table = "repair_rating";
  static constexpr std::string_view collection = "ratings";
  static constexpr std::array<std::string_view, 1> unique{"work_order_id"};
  static constexpr auto references =
      std::tuple{ref<repair::WorkOrder>(&repair::Rating::work_order_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::RepairItem> {
  static constexpr std::string_view table = "repair_item";
  static constexpr std::string_view collection = "repair_items";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

template <>
struct houqin::entity_traits<houqin::repair::Calendar> {
  static constexpr std::string_view table = "repair_calendar";
  static constexpr std::string_view collection = "calendars";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

template <>
struct houqin::entity_traits<houqin::repair::SlaPolicy> {
  static constexpr std::string_view table = "repair_sla_policy";
  static constexpr std::string_view collection = "sla_policies";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<repair::Calendar>(&repair::SlaPolicy::calendar_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::SlaRule> {
  static constexpr std::string_view table = "repair_sla_rule";
  static constexpr std::string_view collection = "sla_rules";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<repair::SlaPolicy>(&repair::SlaRule::policy_id),
                 ref<site::Building>(&repair::SlaRule::building_id),
                 ref<site::Department>(&repair::SlaRule::department_id),
                 ref<repair::Calendar>(&repair::SlaRule::during_calendar_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::EscalationStep> {
  static constexpr std::string_view table = "repair_escalation_step";
  static constexpr std::string_view collection = "escalation_steps";
  static constexpr std::array<std::string_view, 1> unique{"chain,target,level"};
  static constexpr auto references =
      std::tuple{ref<site::Staff>(&repair::EscalationStep::staff_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::SlaFiring> {
  static constexpr std::string_view table = "repair_sla_firing";
  static constexpr std::string_view collection = "sla_firings";
  static constexpr std::array<std::string_view, 1> unique{"work_order_id,step_id,cycle"};
  static constexpr auto references =
      std::tuple{ref<repair::WorkOrder>(&repair::SlaFiring::work_order_id),
                 ref<repair::EscalationStep>(&repair::SlaFiring::step_id)};
};

template <>
struct houqin::entity_traits<houqin::repair::Technician> {
  static constexpr std::string_view table = "repair_technician";
  static constexpr std::string_view collection = "technicians";
  static constexpr std::array<std::string_view, 1> unique{"staff_id"};
  static constexpr auto references = std::tuple{ref<site::Staff>(&repair::Technician::staff_id),
                                                ref<site::Room>(&repair::Technician::base_room_id)};
};

// Instantiated once, in libhouqin (src/repair/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::repair::WorkOrder)
HOUQIN_EXTERN_ENTITY(houqin::repair::TransitionRecord)
HOUQIN_EXTERN_ENTITY(houqin::repair::LabourEntry)
HOUQIN_EXTERN_ENTITY(houqin::repair::Rating)
HOUQIN_EXTERN_ENTITY(houqin::repair::RepairItem)
HOUQIN_EXTERN_ENTITY(houqin::repair::Calendar)
HOUQIN_EXTERN_ENTITY(houqin::repair::SlaPolicy)
HOUQIN_EXTERN_ENTITY(houqin::repair::SlaRule)
HOUQIN_EXTERN_ENTITY(houqin::repair::EscalationStep)
HOUQIN_EXTERN_ENTITY(houqin::repair::SlaFiring)
HOUQIN_EXTERN_ENTITY(houqin::repair::Technician)
