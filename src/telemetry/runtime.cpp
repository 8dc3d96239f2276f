#include "houqin/telemetry/runtime.hpp"

#include "houqin/core/metrics.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "houqin/core/error.hpp"
#include "houqin/telemetry/profiles.hpp"

namespace houqin::telemetry {

namespace {

double resolution_of(const drivers::Point& p) {
  using D = drivers::DataType;
  switch (p.data_type) {
    case D::float32:
    case D::float64:
      return 0;  // no fixed grid: XOR floats
    default:
      return p.scale > 0 ? p.scale : (p.scale < 0 ? -p.scale : 1);
  }
}

/// Runs a stage while holding the runtime's stage lock, so queries from other threads see the
/// stages (and the pipeline's store handle) between two batches only.
class Locked final : public Stage {
 public:
  Locked(std::shared_ptr<Stage> inner, std::recursive_mutex& mutex)
      : inner_(std::move(inner)), mutex_(mutex) {}
  void process(std::span<Sample> batch) override {
    std::lock_guard lock(mutex_);
    inner_->process(batch);
  }
  void flush() override {
    std::lock_guard lock(mutex_);
    inner_->flush();
  }

 private:
  std::shared_ptr<Stage> inner_;
  std::recursive_mutex& mutex_;
};

}  // namespace

TelemetryConfig config_from_point_map(const drivers::PointMap& map, double nominal_voltage) {
  std::map<Id, std::string> device_names;
  for (const auto& d : map.devices) device_names[d.id] = d.name;
  TelemetryConfig config;
  for (const auto& p : map.points) {
    if (p.data_type == drivers::DataType::string) continue;
    auto device = device_names.find(p.device_id);
    const std::string area = device == device_names.end() ? std::string() : device->second;
    const double resolution = resolution_of(p);
    if (!apply_profile(config, p, ProfileContext{area, resolution, nominal_voltage}))
      config.storage.push_back(PointStorage{p.id, resolution, "default"});
  }
  return config;
}

struct Runtime::Impl {
  std::unique_ptr<store::Store> pipe_store;  // the pipeline thread's handle
  std::unique_ptr<store::Store> ops_store;   // alarm operations, under ops_mutex
  std::recursive_mutex stage_mutex;
  std::mutex ops_mutex;
  TelemetryStages stages;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<Alarms> alarms;
  std::vector<Subscription> forwards;
  std::vector<std::shared_ptr<void>> attached;
  std::vector<Id> points;  // sorted: the configured points
  bool served = false;
  bool finished = false;
  std::mutex close_mutex;
  metrics::Registration metrics;  // last: unregistered before the pipeline goes
};

Runtime::Runtime(RuntimeOptions options, TelemetryConfig config)
    : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  if (options.url.find(":memory:") != std::string::npos)
    fail(ErrorCode::invalid_argument,
         "telemetry runtime: an in-memory store cannot be shared by the runtime's handles; use "
         "a file or PostgreSQL URL");
  const Clock& clock = options.store.clock ? *options.store.clock : system_clock();
  engine_ = std::make_unique<AlarmEngine>(clock, options.alarms);
  auto& m = *impl_;
  m.pipe_store = store::Store::open(options.url, options.store);
  m.ops_store = store::Store::open(options.url, options.store);

  // Alarm events from both handles reach the runtime's one bus.
  for (auto* s : {m.pipe_store.get(), m.ops_store.get()}) {
    m.forwards.push_back(s->events().subscribe<AlarmTransition>(
        [this](const AlarmTransition& e) { events_.publish(e); }));
    m.forwards.push_back(
        s->events().subscribe<AlarmRaised>([this](const AlarmRaised& e) { events_.publish(e); }));
    m.forwards.push_back(
        s->events().subscribe<AlarmCleared>([this](const AlarmCleared& e) { events_.publish(e); }));
  }

  for (const auto& p : config_.storage) m.points.push_back(p.point_id);
  std::sort(m.points.begin(), m.points.end());
  if (options.attach) {
    m.attached.push_back(options.attach(*m.pipe_store));
    m.attached.push_back(options.attach(*m.ops_store));
  }
  m.stages =
      make_stages(config_, *engine_, *m.pipe_store, *m.pipe_store, std::move(options.storage));
  m.alarms = std::make_unique<Alarms>(*m.ops_store, *engine_);
  std::vector<StageSlot> slots;
  for (auto slot : m.stages.slots(std::move(options.forward))) {
    slot.stage = std::make_shared<Locked>(std::move(slot.stage), m.stage_mutex);
    slots.push_back(std::move(slot));
  }
  options.pipeline.clock = &clock;
  m.pipeline = std::make_unique<Pipeline>(std::move(slots), std::move(options.pipeline));
  if (options.serve_alarm_operations) {
    serve_alarm_operations(engine_.get());
    serve_runtime_operations(this);
    m.served = true;
  }
  // Self-monitoring: the pipeline's counters and queue depth, and each stage's throughput.
  m.metrics = metrics::collect([&p = *m.pipeline](std::vector<metrics::Value>& out) {
    const PipelineStats st = p.stats();
    auto add = [&](const char* name, metrics::Kind kind, const char* help, double v,
                   metrics::Labels labels = {}) {
      out.push_back({name, kind, help, std::move(labels), v});
    };
    using metrics::Kind;
    add("houqin_pipeline_accepted_total", Kind::counter, "Samples the telemetry pipeline took",
        static_cast<double>(st.accepted));
    add("houqin_pipeline_rejected_total", Kind::counter,
        "Samples the pipeline could not take (full or closed)", static_cast<double>(st.rejected));
    add("houqin_pipeline_durable_total", Kind::counter,
        "Samples acknowledged durable by the pipeline", static_cast<double>(st.durable));
    add("houqin_pipeline_queued", Kind::gauge, "Samples accepted and not yet processed",
        static_cast<double>(st.queued));
    add("houqin_pipeline_queue_capacity", Kind::gauge, "Samples the pipeline's queue holds",
        static_cast<double>(st.capacity));
    add("houqin_pipeline_queue_high_water", Kind::gauge, "Most samples ever queued at once",
        static_cast<double>(st.queue_high_water));
    for (const auto& stage : st.stages) {
      add("houqin_pipeline_stage_samples_total", Kind::counter, "Samples through a stage",
          static_cast<double>(stage.samples), {{"stage", stage.name}});
      add("houqin_pipeline_stage_errors_total", Kind::counter, "Batches a stage failed",
          static_cast<double>(stage.errors), {{"stage", stage.name}});
      add("houqin_pipeline_stage_seconds_total", Kind::counter, "Time spent in a stage",
          std::chrono::duration<double>(stage.time).count(), {{"stage", stage.name}});
    }
  });
}

Runtime::~Runtime() {
  // Detached first: the registered operations wait for the calls in flight, then see none.
  if (impl_ && impl_->served) {
    serve_runtime_operations(nullptr);
    serve_alarm_operations(nullptr);
  }
  try {
    close();
  } catch (...) {
    // The write-ahead log still holds everything acknowledged; the next open replays it.
  }
}

PushResult Runtime::push(std::span<const Sample> samples) {
  return impl_->pipeline->push(samples);
}

PushResult Runtime::push_and_wait(std::span<const Sample> samples,
                                  std::chrono::milliseconds timeout) {
  return impl_->pipeline->push_and_wait(samples, timeout);
}

void Runtime::sync(std::chrono::milliseconds timeout) {
  impl_->pipeline->sync(timeout);
}

void Runtime::require_point(Id point) const {
  if (!std::binary_search(impl_->points.begin(), impl_->points.end(), point))
    fail(ErrorCode::not_found,
         "telemetry runtime: point " + std::to_string(point) + " is not configured");
}

Series Runtime::query(Id point, Micros from, Micros to) {
  require_point(point);
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.store->samples().query(point, from, to);
}

std::size_t Runtime::query(Id point, Micros from, Micros to, const ColumnBuffers& out) {
  require_point(point);
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.store->samples().query(point, from, to, out);
}

std::vector<Rollup> Runtime::rollups(Id point, Micros from, Micros to, Micros step) {
  require_point(point);
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.store->samples().rollups(point, from, to, step);
}

std::vector<std::vector<Rollup>> Runtime::rollups(std::span<const Id> points, Micros from,
                                                  Micros to, Micros step) {
  for (Id point : points) require_point(point);
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.store->samples().rollups(points, from, to, step);
}

AlarmStatus Runtime::acknowledge(const auth::Actor& actor, AlarmKey key, std::string comment) {
  std::lock_guard lock(impl_->ops_mutex);
  return impl_->alarms->acknowledge(actor, key, std::move(comment));
}

AlarmStatus Runtime::shelve(const auth::Actor& actor, AlarmKey key,
                            std::chrono::microseconds duration, std::string reason) {
  std::lock_guard lock(impl_->ops_mutex);
  return impl_->alarms->shelve(actor, key, duration, std::move(reason));
}

AlarmStatus Runtime::unshelve(const auth::Actor& actor, AlarmKey key, std::string comment) {
  std::lock_guard lock(impl_->ops_mutex);
  return impl_->alarms->unshelve(actor, key, std::move(comment));
}

std::vector<AlarmStatus> Runtime::standing(const auth::Actor& actor) {
  std::lock_guard lock(impl_->ops_mutex);
  return impl_->alarms->standing(actor);
}

PipelineStats Runtime::stats() const {
  return impl_->pipeline->stats();
}

SampleStoreStats Runtime::storage_stats() {
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.store->samples().stats();
}

RuntimeStats Runtime::runtime_stats() {
  RuntimeStats out;
  out.pipeline = stats();
  out.storage = storage_stats();
  out.alarm_callback_errors = events_.failed_deliveries();
  return out;
}

VerifyCounters Runtime::verify_counters() {
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.verify->verifier().counters();
}

std::uint64_t Runtime::alarm_transitions() {
  std::lock_guard lock(impl_->stage_mutex);
  return impl_->stages.alarm->transitions();
}

Pipeline& Runtime::pipeline() noexcept {
  return *impl_->pipeline;
}

void Runtime::close() {
  if (!impl_) return;
  std::lock_guard close_lock(impl_->close_mutex);
  impl_->pipeline->close();
  if (impl_->finished) return;
  std::lock_guard lock(impl_->stage_mutex);
  impl_->stages.store->finish();
  impl_->finished = true;
}

bool Runtime::closed() const noexcept {
  return impl_->pipeline->closed();
}

}  // namespace houqin::telemetry
