// The standard pipeline stages: adapters that put the Verifier, the AlarmEngine (with AlarmLog)
// and the SampleStore into a Pipeline, and TelemetryConfig, which builds the per-point
// verification, alarm and storage configuration (the gas and power profiles fill it).
//
// Threads and stores: process() and flush() run on the pipeline thread only. A store::Store is
// single-threaded, so the alarm and store stages each take a Store handle that belongs to the
// pipeline thread while the pipeline runs (open one for it; the two stages may share one). Other
// threads use their own handles; they may touch the stages' handle (and SampleStore queries)
// only while the pipeline is quiescent: after sync() returned with no push in flight, or after
// close(). See docs/telemetry-pipeline.md ("The standard stages").
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/pipeline.hpp"
#include "houqin/telemetry/storage.hpp"
#include "houqin/telemetry/verify.hpp"

namespace houqin::telemetry {

/// Flags every sample in place (Verifier::verify). Gaps are counted in the verifier's counters.
class HOUQIN_EXPORT VerifyStage : public Stage {
 public:
  /// Error(invalid_argument) as Verifier::configure.
  VerifyStage(std::vector<VerifyConfig> points, std::vector<CrossCheck> checks = {});
  void process(std::span<Sample> batch) override;
  /// Read on the pipeline thread or while the pipeline is quiescent.
  const Verifier& verifier() const noexcept { return verifier_; }

 private:
  Verifier verifier_;
};

/// Evaluates alarms on verified samples and persists the transitions of each batch with AlarmLog
/// (one transaction per batch that caused any; AlarmRaised / AlarmCleared are published on
/// store.events() after its commit, on the pipeline thread). flush() also expires shelving by the
/// clock (AlarmEngine::tick). The transitions vector is reused: no allocation per batch once it
/// has grown to the largest batch's transitions. The engine is shared with the Alarms service
/// (it is thread-safe); `store` belongs to the pipeline thread (see the top of this file).
class HOUQIN_EXPORT AlarmStage : public Stage {
 public:
  /// `engine` and `store` must outlive the stage.
  AlarmStage(AlarmEngine& engine, store::Store& store, std::size_t reserve_transitions = 1024);
  void process(std::span<Sample> batch) override;
  void flush() override;
  /// Transitions persisted so far.
  std::uint64_t transitions() const noexcept { return persisted_; }

 private:
  void persist();
  AlarmEngine& engine_;
  AlarmLog log_;
  std::vector<AlarmTransition> out_;
  std::uint64_t persisted_ = 0;
};

/// Appends every sample (with its flag) to a SampleStore: durable. Once append() returns the
/// samples are in the write-ahead log (forced to disk per SampleStoreOptions::sync), so flush()
/// writes nothing then and blocks close by size and span as usual, keeping compression. Without a
/// write-ahead directory flush() writes the open blocks (the only way to make them durable).
/// SampleStore::append is all or nothing: a sample of an unconfigured point, or one older than
/// its point's previous sample, fails the whole batch (it goes to the pipeline's on_error).
class HOUQIN_EXPORT StoreStage : public Stage {
 public:
  /// Opens the SampleStore on `store` (replaying its write-ahead log); `store` must outlive the
  /// stage and belongs to the pipeline thread.
  StoreStage(store::Store& store, std::span<const PointStorage> points,
             SampleStoreOptions options = {});
  void process(std::span<Sample> batch) override;
  /// Without a write-ahead log, writes the open blocks. And every
  /// SampleStoreOptions::compact_every, compacts up to compact_windows windows; every
  /// retention_every (the first time at the first flush), applies the retention when a class
  /// has one. Failures of either are counted in the stats and tried again at the next turn.
  void flush() override;
  /// Writes every open block to the database (after Pipeline::close(), for a clean shutdown
  /// that leaves the write-ahead log empty).
  void finish();
  /// Queries and statistics: on the pipeline thread or while the pipeline is quiescent.
  SampleStore& samples() noexcept { return *samples_; }

 private:
  std::unique_ptr<SampleStore> samples_;
  bool wal_ = false;
  std::chrono::milliseconds compact_every_;
  std::size_t compact_windows_;
  std::chrono::steady_clock::time_point last_compaction_;
  std::chrono::milliseconds retention_every_;
  std::optional<std::chrono::steady_clock::time_point> last_retention_;
};

/// The per-point configuration of the standard stages, built from profiles or given directly.
struct TelemetryConfig {
  std::vector<VerifyConfig> verify{};
  std::vector<CrossCheck> checks{};
  std::vector<AlarmConfig> alarms{};
  std::vector<PointStorage> storage{};

  /// One point's verification, alarm and storage configuration, as a profile makes them
  /// (gas::add, power::add).
  HOUQIN_EXPORT TelemetryConfig& add(VerifyConfig point_verify, AlarmConfig point_alarm,
                                     PointStorage point_storage);
};
BOOST_DESCRIBE_STRUCT(TelemetryConfig, (), (verify, checks, alarms, storage))

/// The three standard stages, configured; `forward` (may be null) goes last.
struct TelemetryStages {
  std::shared_ptr<VerifyStage> verify;
  std::shared_ptr<AlarmStage> alarm;
  std::shared_ptr<StoreStage> store;
  /// standard_stages(verify, alarm, store, forward).
  HOUQIN_EXPORT std::vector<StageSlot> slots(std::shared_ptr<Stage> forward = nullptr) const;
};

/// Configures `engine` with config.alarms, restores its stored alarm states (AlarmLog::restore)
/// and builds the stages: the alarm stage on
/// `alarm_store`, the store stage on `sample_store` (both handles of the pipeline thread; they may
/// be the same handle).
HOUQIN_EXPORT TelemetryStages make_stages(const TelemetryConfig& config, AlarmEngine& engine,
                                          store::Store& alarm_store, store::Store& sample_store,
                                          SampleStoreOptions storage_options = {});

/// A Pipeline over the stages (plus `forward` when given). Keep `stages` to query the store and
/// to finish() it after close().
HOUQIN_EXPORT std::unique_ptr<Pipeline> make_pipeline(const TelemetryStages& stages,
                                                      PipelineOptions options = {},
                                                      std::shared_ptr<Stage> forward = nullptr);

}  // namespace houqin::telemetry
