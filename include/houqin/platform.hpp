// The whole platform at once: every domain's migrations in dependency order, for hosts that want
// all of houqin in one database (the C ABI and Python open stores this way), and the host that
// runs every domain's reactions and timed jobs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/emergency/model.hpp"
#include "houqin/host/host.hpp"
#include "houqin/notify/channels.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/telemetry/acquire.hpp"
#include "houqin/telemetry/runtime.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {

/// site, audit, auth, ... : each domain after the domains its tables reference.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// The outbox's delivery by the host: the job "notify.deliver_due" sends the due messages
/// (reminders queued by the reactions, anything sent through notify.send) through the channels.
struct DeliverySettings {
  /// How often; zero: no delivery job (another process calls notify.deliver_due).
  std::chrono::milliseconds every{std::chrono::seconds(10)};
  /// The channels to deliver through; absent: notify::default_channels() (set by the process).
  std::optional<notify::ChannelSettings> channels;
};
BOOST_DESCRIBE_STRUCT(DeliverySettings, (), (every, channels))

/// The telemetry a host runs when asked (a daemon beside the devices): a telemetry::Runtime on
/// the host's store, configured from the stored point map (config_from_point_map), and -- unless
/// `acquire` is false -- the point map's devices polled into it.
struct TelemetrySettings {
  std::string wal_dir;  // the runtime's write-ahead log; empty: none
  bool acquire = true;  // poll the point map's devices (Modbus TCP/RTU) into the runtime
  double nominal_voltage = 230;
  /// How often the job "inspection.read_meters" records the newest sample of every point an
  /// inspection plan watches (meter and condition triggers) as its reading; zero: never.
  std::chrono::milliseconds meter_every{std::chrono::minutes(1)};
  /// How long each class of points is kept ("gas", "power", "default"; others forever), applied
  /// by the runtime's storage stage every `retention_every` (docs/telemetry-storage.md).
  std::vector<telemetry::ClassRetention> retention{};
  std::chrono::milliseconds retention_every{std::chrono::hours(1)};
};
BOOST_DESCRIBE_STRUCT(TelemetrySettings, (),
                      (wal_dir, acquire, nominal_voltage, meter_every, retention, retention_every))

/// What a platform host runs and how (the JSON a daemon, hq_host_open or houqin.Host is given).
struct HostConfig {
  host::HostOptions host;
  wiring::Options wiring;
  DeliverySettings delivery;
  std::optional<TelemetrySettings> telemetry;  // absent: no telemetry in this host
  /// How often the job "bi.check" evaluates the warning rules (docs/bi.md); zero: never.
  std::chrono::milliseconds bi_check{std::chrono::minutes(5)};
  /// How often a PlatformHost checks its health (the database, the host, its Modbus
  /// connections) into the availability ledger and keeps the growth of its operation latency
  /// (host::PerformanceRecorder), on a connection of its own; zero: never (docs/monitoring.md).
  std::chrono::milliseconds health_every{std::chrono::minutes(1)};
};
BOOST_DESCRIBE_STRUCT(HostConfig, (), (host, wiring, delivery, telemetry, bi_check, health_every))

/// A host on `store` (a connection of its own, which must outlive it) with every reaction and
/// timed job of the platform installed, each acting as its domain's service actor: the wiring's
/// consumer and SLA job, the outbox's delivery and the event log's retention. Not started: call
/// start() or run_once().
HOUQIN_EXPORT std::unique_ptr<host::Host> make_host(store::Store& store,
                                                    const HostConfig& config = {});

/// A technical drill of the platform's own recovery plan (应急演练, system failure): a backup of
/// `store` restored into a scratch SQLite store made with the platform's migrations, checked for
/// integrity there, and the measured recovery time and outcome recorded as a done drill of the
/// plan. Needs emergency.manage, protect.backup, protect.restore and protect.integrity. The
/// scratch files go in `scratch_dir` (empty: the system's temporary directory) and are removed.
struct RecoveryDrillInput {
  static constexpr std::array<std::string_view, 1> required_fields{"plan_code"};
  std::string plan_code;
  std::string scratch_dir;
};
BOOST_DESCRIBE_STRUCT(RecoveryDrillInput, (), (plan_code, scratch_dir))
HOUQIN_EXPORT emergency::Drill recovery_drill(store::Store& store, const auth::Actor& actor,
                                              const RecoveryDrillInput& in);

/// A technical drill of a database failover (应急演练, system failure) on PostgreSQL with a
/// standby (docs/reliability.md): the drill's own row is written every probe_interval_ms through
/// `store` while the failover happens -- started by `trigger` when given (run on a thread of its
/// own after the first write), otherwise by the operator (for example `patronictl switchover`)
/// within watch_seconds. It measures the downtime writes saw (first failed write to first write
/// on the new primary), checks that no acknowledged write is missing there, and records a done
/// technical drill with the timeline, the downtime as recovery_seconds, and "passed" when
/// nothing was lost and the downtime was within target_seconds. Needs emergency.manage;
/// Error(failed_precondition) on SQLite, which has nothing to fail over to.
struct FailoverDrillInput {
  static constexpr std::array<std::string_view, 1> required_fields{"plan_code"};
  std::string plan_code;
  std::int32_t watch_seconds = 120;      // 10..600: for the failover to start and to end
  std::int32_t target_seconds = 15;      // 1..3600: the downtime the plan allows
  std::int32_t probe_interval_ms = 100;  // 20..1000
};
BOOST_DESCRIBE_STRUCT(FailoverDrillInput, (),
                      (plan_code, watch_seconds, target_seconds, probe_interval_ms))
HOUQIN_EXPORT emergency::Drill failover_drill(store::Store& store, const auth::Actor& actor,
                                              const FailoverDrillInput& in,
                                              const std::function<void()>& trigger = {});

/// What a daemon runs: a connection of its own to `url`, the platform's host on it (make_host)
/// and, when config.telemetry is set, the telemetry runtime and the acquisition from the point
/// map's devices. The host is not started (host().start()); telemetry runs from construction.
/// Error(invalid_argument) for a bad configuration or an in-memory URL with telemetry.
class HOUQIN_EXPORT PlatformHost {
 public:
  PlatformHost(const std::string& url, store::StoreOptions options, const HostConfig& config = {});
  ~PlatformHost();  // stops the acquisition, the runtime, then the host
  PlatformHost(const PlatformHost&) = delete;
  PlatformHost& operator=(const PlatformHost&) = delete;

  store::Store& store() noexcept { return *store_; }
  host::Host& host() noexcept { return *host_; }
  /// Null unless config.telemetry was set.
  telemetry::Runtime* telemetry() noexcept { return runtime_.get(); }
  telemetry::PipelineAcquisition* acquisition() noexcept { return acquisition_.get(); }
  /// Health rounds done by the health thread (config.health_every); safe from any thread.
  std::int64_t health_rounds() const noexcept { return health_rounds_.load(); }

 private:
  void start_telemetry(const std::string& url, store::StoreOptions options,
                       const HostConfig& config);
  void health_loop(std::stop_token stop, std::chrono::milliseconds every);

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Store> health_store_;  // the health thread's own connection
  std::unique_ptr<host::Host> host_;
  std::unique_ptr<telemetry::Runtime> runtime_;
  std::unique_ptr<telemetry::PipelineAcquisition> acquisition_;
  std::atomic<std::int64_t> health_rounds_{0};
  std::mutex health_mutex_;
  std::condition_variable_any health_wake_;
  std::jthread health_;  // last: stopped and joined first
};

}  // namespace houqin
