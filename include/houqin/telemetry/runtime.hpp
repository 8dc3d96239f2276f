// telemetry::Runtime: everything a host program needs to run telemetry in its own process, in one
// object -- its own store handles, the alarm engine, the three standard stages (verify, alarm,
// store) and the pipeline -- with queries, alarm operations and alarm events that are safe from
// any thread while samples keep flowing. The C ABI (hq_telemetry) and Python
// (houqin.telemetry.Runtime) are thin layers over it. See docs/telemetry-pipeline.md ("Runtime").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "houqin/core/events.hpp"
#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/pipeline.hpp"
#include "houqin/telemetry/stages.hpp"
#include "houqin/telemetry/storage.hpp"

namespace houqin::telemetry {

/// Verification, alarm and storage configuration for every numeric point of a point map, from
/// the medical gas and electricity profiles chosen by drivers::PointKind (o2_pressure: oxygen
/// area pressure, o2_purity: oxygen source purity, phase_a_voltage: phase voltage at
/// `nominal_voltage`, breaker_state: switch position, ...). Points of other kinds are stored
/// only; string points are left out. Values are stored at the point's resolution: its scale for
/// integer registers, none (XOR floats) for float registers. The alarm area is the device's name
/// (flood counting per device).
HOUQIN_EXPORT TelemetryConfig config_from_point_map(const drivers::PointMap& map,
                                                    double nominal_voltage = 230);

/// Every counter of a Runtime at one moment: what hq_telemetry_stats() returns as JSON and
/// Runtime.stats() as a dict in Python, member for member.
struct RuntimeStats {
  PipelineStats pipeline;
  SampleStoreStats storage;
  /// Alarm event handlers (host callbacks) that threw: counted, never stop the pipeline.
  std::uint64_t alarm_callback_errors = 0;
};
BOOST_DESCRIBE_STRUCT(RuntimeStats, (), (pipeline, storage, alarm_callback_errors))

struct RuntimeOptions {
  /// The store (a file or PostgreSQL URL: the runtime opens its own handles, so an in-memory
  /// SQLite store is refused). Migrations must already be applied (houqin::migrations()).
  std::string url;
  /// Keys, clock and lock timeout of the runtime's handles; the clock also drives the alarm
  /// engine. A null clock means the system clock.
  store::StoreOptions store{};
  /// wal_dir empty: no write-ahead log (samples are durable only once their blocks are written).
  SampleStoreOptions storage{};
  /// Its clock is replaced by the store's clock.
  PipelineOptions pipeline{};
  AlarmEngineOptions alarms{};
  /// A last stage after store (the MQTT Forwarder, a host's own sink); null: none. It runs on the
  /// pipeline thread like the others and is not part of the acknowledgement.
  std::shared_ptr<Stage> forward{};
  /// Called once for each of the runtime's store handles -- the pipeline thread's, then the
  /// operations handle -- before the pipeline starts; what it returns lives as long as the
  /// runtime. The place to subscribe reactions that must act on the handle that published the
  /// event, in its thread (wiring::attach: an alarm opens a work order).
  std::function<std::shared_ptr<void>(store::Store&)> attach{};
  /// Registers the engine for the telemetry.* alarm service operations (hq_call, Python
  /// services) and the runtime for telemetry.series while the runtime is open. Only one runtime
  /// can be served per process.
  bool serve_alarm_operations = true;
};

/// One process's telemetry. push() may be called from any thread (it never allocates); samples
/// run through verify -> alarm -> store on the pipeline thread. Everything else is thread-safe
/// too: query() briefly holds the stages between two batches, alarm operations use a handle of
/// their own.
class HOUQIN_EXPORT Runtime {
 public:
  /// Opens the runtime's handles, restores stored alarm states, replays the write-ahead log and
  /// starts the pipeline. Error(invalid_argument) for an in-memory URL or a bad configuration
  /// (naming the point), Error(failed_precondition) when the migrations are missing.
  Runtime(RuntimeOptions options, TelemetryConfig config);
  /// close(); errors are swallowed (what was acknowledged is in the write-ahead log).
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Pipeline::push: copies the samples into the queue (see PushResult for a full queue).
  PushResult push(std::span<const Sample> samples);
  /// Pipeline::push_and_wait: returns once the accepted samples are durable.
  PushResult push_and_wait(std::span<const Sample> samples,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Pipeline::sync: everything accepted so far is durable. Error(deadline_exceeded),
  /// Error(unavailable) as there.
  void sync(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// The samples of `point` with from <= time < to, stored and open blocks merged; samples still
  /// queued are not included (sync() first to see everything pushed). Error(not_found) for a
  /// point that is not configured.
  Series query(Id point, Micros from, Micros to);
  /// The same into caller buffers; returns how many samples are in the range (more than the
  /// capacity means the result was cut).
  std::size_t query(Id point, Micros from, Micros to, const ColumnBuffers& out);
  /// SampleStore::rollups: the good samples of [from, to) summed up in buckets of `step` (whole
  /// hours from the stored hourly rollups); Error(not_found) for a point that is not configured.
  std::vector<Rollup> rollups(Id point, Micros from, Micros to, Micros step);
  /// The same for several points (result i for points[i]), the stored days read at once.
  std::vector<std::vector<Rollup>> rollups(std::span<const Id> points, Micros from, Micros to,
                                           Micros step);

  /// AlarmRaised, AlarmCleared and AlarmTransition events -- from the pipeline and from alarm
  /// operations -- after their commit. Handlers run on the pipeline thread (or on the thread of
  /// the alarm operation) and may call query(), stats() and alarms(); they must not push() (the
  /// pipeline thread would wait for itself until the block timeout). A handler that throws is
  /// counted (events().failed_deliveries()), never stops the pipeline.
  EventBus& events() noexcept { return events_; }
  /// The engine (thread-safe): status, flood counts.
  AlarmEngine& engine() noexcept { return *engine_; }
  /// Operator actions on alarms (acknowledge, shelve, ...), authorised and audited; safe from any
  /// thread (serialised on the runtime's operations handle).
  AlarmStatus acknowledge(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  AlarmStatus shelve(const auth::Actor& actor, AlarmKey key, std::chrono::microseconds duration,
                     std::string reason);
  AlarmStatus unshelve(const auth::Actor& actor, AlarmKey key, std::string comment = {});
  std::vector<AlarmStatus> standing(const auth::Actor& actor);

  PipelineStats stats() const;
  SampleStoreStats storage_stats();
  /// Both of the above and the count of alarm handlers that threw, in one described struct.
  RuntimeStats runtime_stats();
  /// The verifier's counts of flags and gaps so far.
  VerifyCounters verify_counters();
  /// Alarm transitions the pipeline has persisted.
  std::uint64_t alarm_transitions();
  /// The pipeline itself, for acquisition (PipelineAcquisition pushes into it).
  Pipeline& pipeline() noexcept;
  const TelemetryConfig& config() const noexcept { return config_; }

  /// Stops accepting, runs everything accepted through every stage and writes the open blocks
  /// (the write-ahead log is left empty). Idempotent; push() then returns `closed`.
  void close();
  bool closed() const noexcept;

 private:
  void require_point(Id point) const;
  struct Impl;
  TelemetryConfig config_;
  EventBus events_;
  std::unique_ptr<AlarmEngine> engine_;
  std::unique_ptr<Impl> impl_;
};

/// The runtime the registered telemetry.series operation reads (set by a Runtime made with
/// serve_alarm_operations, null to detach; detaching waits for the calls in flight). Without one
/// the operation fails with failed_precondition.
HOUQIN_EXPORT void serve_runtime_operations(Runtime* runtime);

}  // namespace houqin::telemetry
