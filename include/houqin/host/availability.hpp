// Availability accounting: the contract promises at most 8 h of downtime a year and a response to
// a fault within 15 minutes. A Monitor runs health checks -- the database, and probes for
// devices, the broker or anything else -- and records each component's up and down intervals
// durably (host_uptime); a component going down opens a service incident (host_incident) with
// its detection time, a person's response (availability.respond) and the recovery when it comes
// back up. Downtime is measured against the yearly budget (availability.report).
//
// What the database cannot hold while it is down is kept in memory and written when it returns;
// a gap with no checks at all (the process was not running) is recorded as the host's downtime
// at the next check. docs/monitoring.md, "Availability".
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

BOOST_DEFINE_ENUM_CLASS(ComponentKind, host, database, device, broker, other)

/// One stretch of one component in one state, from its first check in that state to its last.
struct Uptime {
  Id id = 0;
  std::int64_t version = 0;
  std::string component;  // "host", "database", "modbus tcp 10.0.0.5:502", "mqtt"
  ComponentKind kind = ComponentKind::other;
  bool up = true;
  Timestamp started_at{};       // the first check in this state
  Timestamp last_checked_at{};  // the last check in this state
  bool ongoing = true;          // the component's current stretch
  std::string reason;           // why it is down
};
BOOST_DESCRIBE_STRUCT(Uptime, (),
                      (id, version, component, kind, up, started_at, last_checked_at, ongoing,
                       reason))

/// A component down: detected, responded to by a person, recovered.
struct ServiceIncident {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // SI-<id>
  std::string component;
  ComponentKind kind = ComponentKind::other;
  std::string reason;
  Timestamp detected_at{};  // the first failed check
  std::optional<Timestamp> responded_at;
  std::string responded_by;
  std::string response_note;
  std::optional<Timestamp> recovered_at;  // the first good check after
};
BOOST_DESCRIBE_STRUCT(ServiceIncident, (),
                      (id, version, code, component, kind, reason, detected_at, responded_at,
                       responded_by, response_note, recovered_at))

/// A health check: nullopt when the component is up, else what is wrong.
struct Probe {
  std::string component;
  ComponentKind kind = ComponentKind::other;
  std::function<std::optional<std::string>()> check;
};

/// One component's state as a source reports it.
struct Observation {
  std::string component;
  ComponentKind kind = ComponentKind::other;
  std::optional<std::string> failure;  // nullopt: up
};
/// Components found at check time (the Modbus connections the process has opened).
using Source = std::function<std::vector<Observation>()>;

/// Every Modbus connection of this process, from the metrics its drivers publish
/// (houqin_modbus_up): component "modbus <connection>", down while not connected.
HOUQIN_EXPORT Source modbus_source();
/// Every MQTT forwarder of this process (houqin_mqtt_up): component "mqtt <host:port>" of kind
/// broker, down while not connected; a forwarder destroyed is no longer reported.
HOUQIN_EXPORT Source mqtt_source();

struct MonitorOptions {
  /// A check round later than this after the last one means the process was not running: the
  /// gap is recorded as the host's downtime.
  std::chrono::seconds max_gap{std::chrono::minutes(3)};
  /// The database's check; empty: "SELECT 1" on the store.
  std::function<std::optional<std::string>()> database_check;
};

/// Runs the checks and records them. tick() from one thread (the daemon's loop, a test).
class HOUQIN_EXPORT Monitor {
 public:
  explicit Monitor(store::Store& store, MonitorOptions options = {});
  Monitor(const Monitor&) = delete;  // its database check refers to it
  Monitor& operator=(const Monitor&) = delete;
  void add(Probe probe);
  void add_source(Source source);
  /// One round at the store clock's now: every check, then everything not yet written, in one
  /// transaction when the database is up. Returns whether it was written.
  bool tick();
  /// Stretches checked but not yet written (the database was down).
  std::size_t pending() const noexcept { return pending_.size(); }

 private:
  struct Run {
    std::string component;
    ComponentKind kind;
    bool up;
    Timestamp from, to;
    std::string reason;
  };
  void observe(const std::string& component, ComponentKind kind,
               const std::optional<std::string>& failure, Timestamp now);
  void write(Timestamp now);

  store::Store& store_;
  MonitorOptions options_;
  std::vector<Probe> probes_;
  std::vector<Source> sources_;
  std::vector<Run> pending_;  // in time order per component; merged while the state holds
};

struct AvailabilityQuery {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
  double budget_hours_per_year = 8;    // the contract's downtime budget
  std::int32_t response_minutes = 15;  // the contract's response time
};
BOOST_DESCRIBE_STRUCT(AvailabilityQuery, (), (from, to, budget_hours_per_year, response_minutes))

struct ComponentAvailability {
  std::string component;
  ComponentKind kind = ComponentKind::other;
  double up_hours = 0;
  double down_hours = 0;
  std::optional<double> availability;  // up / (up + down) of the time checked
  std::int64_t outages = 0;            // down stretches starting in the window
};
BOOST_DESCRIBE_STRUCT(ComponentAvailability, (),
                      (component, kind, up_hours, down_hours, availability, outages))

struct AvailabilityReport {
  AvailabilityQuery query;
  /// The service's downtime: the union of the host's and the database's down stretches.
  double service_down_hours = 0;
  double budget_hours = 0;  // the yearly budget prorated to the window
  double budget_left_hours = 0;
  bool within_budget = true;
  std::vector<ComponentAvailability> components;
  std::vector<ServiceIncident> incidents;  // detected in the window
  std::int64_t responded_in_time = 0;      // within response_minutes of detection
  std::int64_t responded_late = 0;         // late or not at all
  std::optional<double> mean_recovery_minutes;
};
BOOST_DESCRIBE_STRUCT(AvailabilityReport, (),
                      (query, service_down_hours, budget_hours, budget_left_hours, within_budget,
                       components, incidents, responded_in_time, responded_late,
                       mean_recovery_minutes))

HOUQIN_EXPORT AvailabilityReport availability_report(store::Store& store,
                                                     const AvailabilityQuery& query);

struct RespondInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
  std::string note;
};
BOOST_DESCRIBE_STRUCT(RespondInput, (), (code, note))

/// A person takes the incident on (the contract's response); once; needs host.operate.
HOUQIN_EXPORT ServiceIncident respond(store::Store& store, const auth::Actor& actor,
                                      const RespondInput& in);

HOUQIN_EXPORT std::vector<store::Migration> availability_migrations();

}  // namespace houqin::host

template <>
struct houqin::entity_traits<houqin::host::Uptime> {
  static constexpr std::string_view table = "host_uptime";
  static constexpr std::string_view collection = "uptime";
};
template <>
struct houqin::entity_traits<houqin::host::ServiceIncident> {
  static constexpr std::string_view table = "host_incident";
  static constexpr std::string_view collection = "service_incidents";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

// Instantiated once, in libhouqin (src/host/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::host::Uptime)
HOUQIN_EXTERN_ENTITY(houqin::host::ServiceIncident)
