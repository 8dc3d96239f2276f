// The alarm engine (ISA-18.2 / IEC 62682): analog hi-hi/hi/lo/lo-lo and digital alarms with
// deadband, on-delay, off-delay and re-alarm, the alarm states and the operator's actions, alarm
// episodes (what a work order is opened for) and flood counting per operator area.
//
// Two layers: AlarmEngine is in memory and fast -- evaluate() walks a batch of verified samples
// and appends the transitions it causes to the caller's vector, without allocating; Alarms is the
// audited service (acknowledge, shelve, ... by an auth::Actor) and AlarmLog writes transitions to
// the store in batches (telemetry_alarm_event history, telemetry_alarm current state) and
// publishes them as events on store.events().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/clock.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/sample.hpp"
#include "houqin/telemetry/verify.hpp"

namespace houqin::telemetry {

/// Which alarm of a point: each limit is an alarm of its own, with its own state.
BOOST_DEFINE_ENUM_CLASS(AlarmKind, hihi, hi, lo, lolo, digital)

/// ISA-18.2 priorities, lowest first.
BOOST_DEFINE_ENUM_CLASS(Priority, low, medium, high, critical)

/// The ISA-18.2 alarm states (A..H of the standard's state diagram).
BOOST_DEFINE_ENUM_CLASS(AlarmState, normal, unacknowledged, acknowledged, returned_unacknowledged,
                        latched, shelved, suppressed, out_of_service)

/// Why a transition happened.
BOOST_DEFINE_ENUM_CLASS(AlarmCause, activated, cleared, acknowledged, realarmed, shelved, unshelved,
                        shelve_expired, suppressed, unsuppressed, removed_from_service,
                        returned_to_service, reset)

/// One point's alarm configuration. Unset limits are not alarmed. `deadband` (engineering units)
/// is the hysteresis an active analog alarm needs to clear: hi clears at or below hi - deadband.
/// On-delay: the condition must hold this long (by sample time) before the alarm activates;
/// off-delay: it must be absent this long before it clears. Re-alarm: an acknowledged alarm still
/// active this long after its acknowledgement becomes unacknowledged again (0: never).
struct AlarmConfig {
  Id point_id = 0;
  std::string area{};  // operator area, for flood counting
  std::optional<double> hihi{};
  std::optional<double> hi{};
  std::optional<double> lo{};
  std::optional<double> lolo{};
  std::optional<double>
      digital{};  // a digital alarm is active while round(value) == round(digital)
  Priority hihi_priority = Priority::high;
  Priority hi_priority = Priority::medium;
  Priority lo_priority = Priority::medium;
  Priority lolo_priority = Priority::high;
  Priority digital_priority = Priority::high;
  double deadband = 0;
  Micros on_delay_us = 0;
  Micros off_delay_us = 0;
  Micros realarm_us = 0;
  bool latching = false;    // stays latched after the condition clears until an operator resets it
  bool suppressed = false;  // suppressed by design: evaluated and recorded, never annunciated
  HOUQIN_EXPORT void validate() const;
};

/// Names one alarm.
struct AlarmKey {
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  friend bool operator==(const AlarmKey&, const AlarmKey&) = default;
};
/// "alarm 12/hi": how errors and audit records name an alarm.
HOUQIN_EXPORT std::string alarm_name(AlarmKey key);

/// One state change (or condition change: an alarm that activates while shelved stays shelved,
/// but the activation is still a transition in its history). Plain data: made on the hot path.
/// `raise` marks the transition that first annunciates an episode, `clear` the one that ends an
/// announced episode -- the two events a work-order or notification subscriber wants.
struct AlarmTransition {
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  AlarmState from = AlarmState::normal;
  AlarmState to = AlarmState::normal;
  AlarmCause cause = AlarmCause::activated;
  bool raise = false;
  bool clear = false;
  // the alarm after the transition, so it can be stored without asking the engine
  bool active = false;
  bool acknowledged = true;
  bool latched = false;
  std::uint64_t episode = 0;  // stable id of the episode (activation .. back to normal)
  Micros time = 0;            // sample time for evaluated changes, clock time for actions
  double value = 0;           // the value that caused it (the last value for actions)
  Micros shelved_until = 0;   // 0 unless shelved
};
static_assert(std::is_trivially_copyable_v<AlarmTransition>);

/// Events published on store.events() by AlarmLog::persist and the Alarms service.
struct AlarmRaised {
  static constexpr std::string_view aggregate = "drivers_point";  // durable: in the event log
  Id aggregate_id() const { return point_id; }
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  std::uint64_t episode = 0;
  double value = 0;
  Timestamp time{};
};
struct AlarmCleared {
  static constexpr std::string_view aggregate = "drivers_point";  // durable: in the event log
  Id aggregate_id() const { return point_id; }
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  std::uint64_t episode = 0;
  double value = 0;
  Timestamp time{};
};

/// The current state of one alarm, as the engine holds it.
struct AlarmStatus {
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  AlarmState state = AlarmState::normal;
  bool active = false;  // the condition (after delays) is present
  bool acknowledged = true;
  bool latched = false;
  std::uint64_t episode = 0;  // 0 when no episode is open
  std::optional<Timestamp> shelved_until{};
  double value = 0;
  std::string area{};
};

/// ISA-18.2 flood benchmark: more than 10 alarms annunciated to one operator area in 10 minutes.
inline constexpr int flood_alarms = 10;
inline constexpr Micros flood_interval_us = 10LL * 60 * 1'000'000;

/// Alarms annunciated in one operator area in one fixed 10-minute interval (aligned to the epoch).
struct FloodInterval {
  std::string area{};
  Timestamp start{};
  int alarms = 0;
  bool flood = false;  // alarms > flood_alarms
};

struct AlarmEngineOptions {
  /// The first episode id to hand out (AlarmLog::restore sets it above every stored episode).
  std::uint64_t first_episode = 1;
  /// The longest an operator may shelve an alarm for.
  std::chrono::microseconds max_shelve = std::chrono::hours(12);
  /// How many completed 10-minute intervals per area flood_intervals() keeps.
  std::size_t flood_history = 144;
};

/// The in-memory engine. Thread-safe: evaluate() takes an internal mutex once per batch, the
/// operator actions once per call, so the pipeline thread and service calls can share it.
class HOUQIN_EXPORT AlarmEngine {
 public:
  explicit AlarmEngine(const Clock& clock = system_clock(), AlarmEngineOptions options = {});
  ~AlarmEngine();
  AlarmEngine(const AlarmEngine&) = delete;
  AlarmEngine& operator=(const AlarmEngine&) = delete;

  /// Replaces the configuration; every alarm starts normal. Error(invalid_argument) naming the
  /// point (duplicate, hi above hihi, negative delay ...).
  void configure(std::vector<AlarmConfig> points);

  /// Evaluates verified samples in order and appends the transitions they cause to `out`.
  /// Samples whose quality is not good or whose flag is fail neither raise nor clear an alarm (a
  /// broken sensor holds the last state); suspect samples count. Also expires shelving that ran
  /// out (by clock().now(), once per batch). Allocates only when `out` grows.
  void evaluate(std::span<const Sample> samples, std::vector<AlarmTransition>& out);
  /// Expires shelving by the clock without samples (a timer calls this when nothing arrives).
  void tick(std::vector<AlarmTransition>& out);

  // Operator actions, in memory; `now` comes from the clock. Use the Alarms service, which
  // authorises, audits and stores them. Each returns the transition it made;
  // Error(failed_precondition) names the alarm and its state when the action is not allowed.
  AlarmTransition acknowledge(AlarmKey key);
  AlarmTransition shelve(AlarmKey key, std::chrono::microseconds duration);
  AlarmTransition unshelve(AlarmKey key);
  AlarmTransition remove_from_service(AlarmKey key);
  AlarmTransition return_to_service(AlarmKey key);
  AlarmTransition reset(AlarmKey key);
  /// State-based suppression by design logic (e.g. the compressor is stopped): no actor.
  std::optional<AlarmTransition> set_suppressed(AlarmKey key, bool suppressed);

  /// Error(not_found) when the point has no such alarm.
  AlarmStatus status(AlarmKey key) const;
  /// Every alarm not in state normal.
  std::vector<AlarmStatus> standing() const;
  /// Whole alarm table (AlarmLog::restore puts it back after a restart).
  std::vector<AlarmStatus> all() const;
  /// Restores states saved by AlarmLog (active, acknowledged, latched, shelving, out of service,
  /// episode); unknown alarms are ignored.
  struct Saved {
    AlarmKey key;
    AlarmState state = AlarmState::normal;
    bool active = false;
    bool acknowledged = true;
    bool latched = false;
    std::uint64_t episode = 0;
    std::optional<Timestamp> shelved_until{};
  };
  void restore(std::span<const Saved> saved, std::uint64_t next_episode);

  /// Alarms annunciated per area in the current 10-minute interval and the completed ones kept.
  std::vector<FloodInterval> flood_intervals() const;
  /// The areas in flood now: more than flood_alarms annunciated in the last 10 minutes (sliding).
  std::vector<std::string> areas_in_flood() const;

  const Clock& clock() const noexcept { return clock_; }
  std::uint64_t next_episode() const;
  std::size_t alarm_count() const;

  struct Impl;

 private:
  const Clock& clock_;
  std::unique_ptr<Impl> impl_;
};

// ---- stored history and state ------------------------------------------------------------------

/// telemetry_alarm: the current state of each alarm (one row per point and kind).
struct AlarmRecord {
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  AlarmState state = AlarmState::normal;
  bool active = false;
  bool acknowledged = true;
  bool latched = false;
  std::int64_t episode = 0;
  std::optional<Timestamp> shelved_until{};
  double value = 0;
  Timestamp changed_at{};
};

/// telemetry_alarm_event: the alarm history, one row per transition.
struct AlarmEvent {
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  Priority priority = Priority::medium;
  std::int64_t episode = 0;
  AlarmState from_state = AlarmState::normal;
  AlarmState to_state = AlarmState::normal;
  AlarmCause cause = AlarmCause::activated;
  Timestamp time{};
  double value = 0;
  std::string actor{};  // "" for the engine, else the audit label ("user:alice")
  std::string comment{};
};

BOOST_DESCRIBE_STRUCT(AlarmConfig, (),
                      (point_id, area, hihi, hi, lo, lolo, digital, hihi_priority, hi_priority,
                       lo_priority, lolo_priority, digital_priority, deadband, on_delay_us,
                       off_delay_us, realarm_us, latching, suppressed))
BOOST_DESCRIBE_STRUCT(AlarmKey, (), (point_id, kind))
BOOST_DESCRIBE_STRUCT(AlarmTransition, (),
                      (point_id, kind, priority, from, to, cause, raise, clear, active,
                       acknowledged, latched, episode, time, value, shelved_until))
BOOST_DESCRIBE_STRUCT(AlarmRaised, (), (point_id, kind, priority, episode, value, time))
BOOST_DESCRIBE_STRUCT(AlarmCleared, (), (point_id, kind, priority, episode, value, time))
BOOST_DESCRIBE_STRUCT(AlarmStatus, (),
                      (point_id, kind, priority, state, active, acknowledged, latched, episode,
                       shelved_until, value, area))
BOOST_DESCRIBE_STRUCT(FloodInterval, (), (area, start, alarms, flood))
BOOST_DESCRIBE_STRUCT(AlarmRecord, (),
                      (id, version, point_id, kind, priority, state, active, acknowledged, latched,
                       episode, shelved_until, value, changed_at))
BOOST_DESCRIBE_STRUCT(AlarmEvent, (),
                      (id, version, point_id, kind, priority, episode, from_state, to_state, cause,
                       time, value, actor, comment))

/// The telemetry_alarms domain's migrations: telemetry_alarm, telemetry_alarm_event, telemetry_soe.
HOUQIN_EXPORT std::vector<store::Migration> alarm_migrations();

/// Writes transitions to the store in batches and publishes them.
class HOUQIN_EXPORT AlarmLog {
 public:
  explicit AlarmLog(store::Store& store) : store_(store) {}
  /// In one transaction: appends one telemetry_alarm_event row per transition, updates the
  /// telemetry_alarm rows, and publishes AlarmTransition, AlarmRaised and AlarmCleared events on
  /// store.events() (delivered after the commit).
  void persist(std::span<const AlarmTransition> transitions, std::string_view actor = {},
               std::string_view comment = {});
  /// Puts the stored state back into a freshly configured engine after a restart.
  void restore(AlarmEngine& engine);

 private:
  store::Store& store_;
};

/// The operator's actions on alarms: authorised, audited, stored, published. Permissions:
/// telemetry.ack (acknowledge), telemetry.shelve (shelve, unshelve), telemetry.out_of_service
/// (remove from / return to service), telemetry.reset (reset a latched alarm).
class HOUQIN_EXPORT Alarms {
 public:
  Alarms(store::Store& store, AlarmEngine& engine) : store_(store), engine_(engine) {}
  AlarmStatus acknowledge(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  AlarmStatus shelve(const auth::Actor& actor, AlarmKey key, std::chrono::microseconds duration,
                     std::string reason);
  AlarmStatus unshelve(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  AlarmStatus remove_from_service(const auth::Actor& actor, AlarmKey key, std::string reason);
  AlarmStatus return_to_service(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  AlarmStatus reset(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  /// Alarms not in state normal (telemetry.read).
  std::vector<AlarmStatus> standing(const auth::Actor& actor);

 private:
  template <class F>
  AlarmStatus act(const auth::Actor& actor, const char* action, const char* permission,
                  AlarmKey key, const std::string& comment, F&& f);
  store::Store& store_;
  AlarmEngine& engine_;
};

/// The engine the registered service operations (telemetry.acknowledge_alarm, ...) act on; set
/// by the process that runs the pipeline, null to detach. Without one they fail with
/// failed_precondition.
HOUQIN_EXPORT void serve_alarm_operations(AlarmEngine* engine);

}  // namespace houqin::telemetry

template <>
struct houqin::entity_traits<houqin::telemetry::AlarmRecord> {
  static constexpr std::string_view table = "telemetry_alarm";
  static constexpr std::string_view collection = "alarms";
  static constexpr std::array<std::string_view, 1> unique{"point_id,kind"};
};

template <>
struct houqin::entity_traits<houqin::telemetry::AlarmEvent> {
  static constexpr std::string_view table = "telemetry_alarm_event";
  static constexpr std::string_view collection = "alarm_events";
};

// Instantiated once, in libhouqin (src/telemetry/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::telemetry::AlarmRecord)
HOUQIN_EXTERN_ENTITY(houqin::telemetry::AlarmEvent)
