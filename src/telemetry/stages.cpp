#include "houqin/telemetry/stages.hpp"

#include <utility>

namespace houqin::telemetry {

VerifyStage::VerifyStage(std::vector<VerifyConfig> points, std::vector<CrossCheck> checks) {
  verifier_.configure(std::move(points), std::move(checks));
}

void VerifyStage::process(std::span<Sample> batch) {
  verifier_.verify(batch);
}

AlarmStage::AlarmStage(AlarmEngine& engine, store::Store& store, std::size_t reserve_transitions)
    : engine_(engine), log_(store) {
  out_.reserve(reserve_transitions);
}

void AlarmStage::persist() {
  if (out_.empty()) return;
  log_.persist(out_);
  persisted_ += out_.size();
}

void AlarmStage::process(std::span<Sample> batch) {
  out_.clear();
  engine_.evaluate(batch, out_);
  persist();
}

void AlarmStage::flush() {
  out_.clear();
  engine_.tick(out_);
  persist();
}

StoreStage::StoreStage(store::Store& store, std::span<const PointStorage> points,
                       SampleStoreOptions options)
    : wal_(!options.wal_dir.empty()),
      compact_every_(options.compact_every),
      compact_windows_(options.compact_windows),
      last_compaction_(std::chrono::steady_clock::now()),
      retention_every_(options.retention_every) {
  samples_ = std::make_unique<SampleStore>(store, points, std::move(options));
}

void StoreStage::process(std::span<Sample> batch) {
  samples_->append(batch);
}

void StoreStage::flush() {
  if (!wal_) samples_->flush();
  const auto now = std::chrono::steady_clock::now();
  // What is past its class's retention goes, now and then; a failure (the database away) waits
  // for the next turn, as compaction's does.
  if (retention_every_.count() > 0 && samples_->has_retention() &&
      (!last_retention_ || now - *last_retention_ >= retention_every_)) {
    last_retention_ = now;
    try {
      samples_->apply_retention();
    } catch (const Error& e) {
      samples_->note_retention_failure(e.what());
    }
  }
  // A little compaction between batches.
  if (compact_every_.count() <= 0) return;
  if (now - last_compaction_ < compact_every_) return;
  last_compaction_ = now;
  try {
    samples_->compact(compact_windows_);
  } catch (const Error& e) {
    samples_->note_compaction_failure(e.what());
  }
}

void StoreStage::finish() {
  samples_->flush();
}

TelemetryConfig& TelemetryConfig::add(VerifyConfig point_verify, AlarmConfig point_alarm,
                                      PointStorage point_storage) {
  verify.push_back(std::move(point_verify));
  alarms.push_back(std::move(point_alarm));
  storage.push_back(std::move(point_storage));
  return *this;
}

std::vector<StageSlot> TelemetryStages::slots(std::shared_ptr<Stage> forward) const {
  return standard_stages(verify, alarm, store, std::move(forward));
}

TelemetryStages make_stages(const TelemetryConfig& config, AlarmEngine& engine,
                            store::Store& alarm_store, store::Store& sample_store,
                            SampleStoreOptions storage_options) {
  TelemetryStages s;
  s.verify = std::make_shared<VerifyStage>(config.verify, config.checks);
  engine.configure(config.alarms);
  AlarmLog(alarm_store).restore(engine);  // the states stored before a restart
  s.alarm = std::make_shared<AlarmStage>(engine, alarm_store);
  s.store = std::make_shared<StoreStage>(sample_store, config.storage, std::move(storage_options));
  return s;
}

std::unique_ptr<Pipeline> make_pipeline(const TelemetryStages& stages, PipelineOptions options,
                                        std::shared_ptr<Stage> forward) {
  return std::make_unique<Pipeline>(stages.slots(std::move(forward)), std::move(options));
}

}  // namespace houqin::telemetry
