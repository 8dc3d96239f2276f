// How the domains work together, by durable events only: repair's work orders release inventory
// reservations when they close, open and close equipment faults, and remind people through the
// notifier; alarms of a chosen priority open one work order per alarm episode; the SLA clock is
// checked by a timed job. The reactions are one durable consumer of the event log ("wiring") and
// the jobs run by the scheduler, both run by a host::Host -- in whichever process holds their
// lease -- so a change made in any process (the C ABI, Python, the telemetry daemon) is reacted
// to once, after it commits, even across a kill -9.
//
// Each reaction runs in the transaction that also advances the consumer's checkpoint, acting as
// the wiring's service actor (authorised and audited as such): its store effects happen exactly
// once. A reaction that fails is rolled back, retried with backoff and, after the retry policy,
// parked as a dead letter that an operator replays (host.replay) once the cause is fixed.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/host.hpp"
#include "houqin/host/scheduler.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin::wiring {

/// Where the work order of a point's alarm goes: the asset and room of the point, the repair
/// item and category, and what to call it (configuration, one row per point; collection
/// "alarm_targets"). An alarm of a point without a row opens an order without asset and room.
struct AlarmTarget {
  static constexpr std::array<std::string_view, 1> required_fields{"point_id"};
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  std::optional<Id> asset_id;
  std::optional<Id> room_id;
  std::optional<Id> repair_item_id;
  std::string category = "alarm";
  std::string description;  // e.g. "O2 area pressure, ICU 3F"; the alarm's details are appended
};
BOOST_DESCRIBE_STRUCT(AlarmTarget, (),
                      (id, version, point_id, asset_id, room_id, repair_item_id, category,
                       description))

/// Which reactions and jobs run (a host's configuration, e.g. the JSON given to hq_host_open).
struct Options {
  bool release_reservations = true;  // WorkOrderClosed -> Inventory::release_reservations
  bool equipment_faults = true;      // reported with an asset -> fault; completed -> fault closed
  bool reminders = true;             // assignment, SLA warning and escalation, completion
  /// Alarms at this priority or above open a work order (one per episode); none when empty.
  std::optional<telemetry::Priority> alarm_orders_from = telemetry::Priority::high;
  /// How often the job "repair.sla_tick" checks the running orders' SLA clocks (warnings and
  /// escalations, reminded by the consumer); zero: no SLA job. The seed's response target is
  /// 15 minutes, so the check runs well inside it.
  std::chrono::milliseconds sla_tick{std::chrono::minutes(1)};
  /// How often the job "waste.check_overdue" looks for bags stored past the limit (their
  /// StorageOverdue events are sent to the rules' staff by level) and for gaps in the chains
  /// (ChainGap, sent to the handler); zero: no waste job.
  std::chrono::milliseconds waste_check{std::chrono::minutes(10)};
  /// How often the job "waste.retention" anonymises waste records older than the rules'
  /// keep_years; zero: never.
  std::chrono::milliseconds waste_retention{std::chrono::hours(24)};
  /// How often the job "inspection.generate" issues due inspection tasks and marks closed
  /// windows missed; zero: never.
  std::chrono::milliseconds inspection_generate{std::chrono::minutes(5)};
  bool inspection_findings = true;  // InspectionFinding -> a work order with the evidence
  /// Hazards: a requested work order is opened and linked back, its completion closes the
  /// hazard, and overdue hazards are told to the person of each level (template hazard_overdue).
  bool hazards = true;
  /// Patrols: a missed patrol is told to its area's supervisor (template patrol_missed).
  bool patrols = true;
  /// Emergency: an activated plan tells its duty roster (template emergency_activated), a due
  /// drill or review its owner (emergency_due), and an alarm's work order names the plan that
  /// covers the point, with its first steps.
  bool emergency = true;
  /// How often the job "emergency.check" looks for plans due a drill or a review; zero: never.
  std::chrono::milliseconds emergency_check{std::chrono::hours(24)};
  /// How often the job "hazard.check_overdue" looks for hazards not assigned in time or past
  /// their deadline; zero: never.
  std::chrono::milliseconds hazard_check{std::chrono::minutes(10)};
  /// How often the job "survey.tick" sends the survey reminders due and closes surveys past
  /// their closing time; zero: never.
  std::chrono::milliseconds survey_tick{std::chrono::hours(1)};
  host::RetryPolicy retry{};
};
BOOST_DESCRIBE_STRUCT(Options, (),
                      (release_reservations, equipment_faults, reminders, alarm_orders_from,
                       sla_tick, waste_check, waste_retention, inspection_generate,
                       inspection_findings, hazards, patrols, emergency, hazard_check,
                       emergency_check, survey_tick, retry))

/// Which work order each inspection finding opened (one per task, item and point).
struct FindingOrder {
  Id id = 0;
  std::int64_t version = 0;
  Id task_id = 0;
  std::string key;
  std::int32_t point = 0;
  Id work_order_id = 0;
};
BOOST_DESCRIBE_STRUCT(FindingOrder, (), (id, version, task_id, key, point, work_order_id))

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

/// The permissions the wiring's actor needs for every reaction and job.
HOUQIN_EXPORT std::vector<std::string> required_permissions();
/// The wiring's service actor: auth::Actor::service("wiring", required_permissions()).
HOUQIN_EXPORT auth::Actor actor();

/// The consumer's name in the log's checkpoints and leases.
inline constexpr std::string_view consumer_name = "wiring";
/// The SLA job's name.
inline constexpr std::string_view sla_job_name = "repair.sla_tick";
/// The waste storage job's name.
inline constexpr std::string_view waste_job_name = "waste.check_overdue";
/// The inspection generator job's name.
inline constexpr std::string_view inspection_job_name = "inspection.generate";
/// The emergency check job's name.
inline constexpr std::string_view emergency_job_name = "emergency.check";
/// The hazard check job's name.
inline constexpr std::string_view hazard_job_name = "hazard.check_overdue";
/// The survey job's name.
inline constexpr std::string_view survey_job_name = "survey.tick";
/// The waste retention job's name.
inline constexpr std::string_view waste_retention_job_name = "waste.retention";

/// The "wiring" consumer: every reaction the options enable, acting as `actor`.
HOUQIN_EXPORT host::Consumer consumer(auth::Actor actor, const Options& options = {});
/// The wiring's timed jobs ("repair.sla_tick" unless options.sla_tick is zero).
HOUQIN_EXPORT std::vector<host::Job> jobs(auth::Actor actor, const Options& options = {});
/// Adds the consumer and the jobs to a host (before host.start()).
HOUQIN_EXPORT void install(host::Host& host, auth::Actor actor, const Options& options = {});

}  // namespace houqin::wiring

template <>
struct houqin::entity_traits<houqin::wiring::AlarmOrder> {
  static constexpr std::string_view table = "wiring_alarm_order";
  static constexpr std::string_view collection = "alarm_orders";
  static constexpr std::array<std::string_view, 1> unique{"point_id,kind,episode"};
};
template <>
struct houqin::entity_traits<houqin::wiring::FindingOrder> {
  static constexpr std::string_view table = "wiring_finding_order";
  static constexpr std::string_view collection = "finding_orders";
  static constexpr std::array<std::string_view, 1> unique{"task_id,key,point"};
};
template <>
struct houqin::entity_traits<houqin::wiring::AlarmTarget> {
  static constexpr std::string_view table = "wiring_alarm_target";
  static constexpr std::string_view collection = "alarm_targets";
  static constexpr std::array<std::string_view, 1> unique{"point_id"};
};

// Instantiated once, in libhouqin (src/wiring/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::wiring::AlarmOrder)
HOUQIN_EXTERN_ENTITY(houqin::wiring::FindingOrder)
HOUQIN_EXTERN_ENTITY(houqin::wiring::AlarmTarget)
