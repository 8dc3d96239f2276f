// hq_telemetry_*, hq_subscription_free: the telemetry runtime (houqin::telemetry::Runtime) behind
// an opaque handle. Samples cross as plain structs of the C++ layout, so push() passes the
// caller's array to the pipeline as it is.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <span>
#include <thread>
#include <type_traits>

#include "capi.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/telemetry/runtime.hpp"

using namespace houqin;
using capi::guard;
using capi::require;
namespace tl = ::houqin::telemetry;

// ---- hq_sample is telemetry::Sample, byte for byte -------------------------------------------
static_assert(sizeof(hq_sample) == sizeof(tl::Sample));
static_assert(alignof(hq_sample) == alignof(tl::Sample));
static_assert(offsetof(hq_sample, point_id) == offsetof(tl::Sample, point_id));
static_assert(offsetof(hq_sample, time_us) == offsetof(tl::Sample, time));
static_assert(offsetof(hq_sample, value) == offsetof(tl::Sample, value));
static_assert(offsetof(hq_sample, quality) == offsetof(tl::Sample, quality));
static_assert(offsetof(hq_sample, flag) == offsetof(tl::Sample, flag));
static_assert(std::is_same_v<decltype(hq_sample::point_id), Id>);
static_assert(std::is_same_v<decltype(hq_sample::time_us), tl::Micros>);
static_assert(std::is_same_v<decltype(hq_sample::quality), tl::QualityCode>);
static_assert(sizeof(hq_sample::flag) == sizeof(tl::Flag));
static_assert(std::is_trivially_copyable_v<hq_sample>);

// ---- the C enums mirror the C++ ones (append-only on both sides) ------------------------------
static_assert(HQ_FLAG_NOT_EVALUATED == static_cast<int>(tl::Flag::not_evaluated));
static_assert(HQ_FLAG_PASS == static_cast<int>(tl::Flag::pass));
static_assert(HQ_FLAG_SUSPECT == static_cast<int>(tl::Flag::suspect));
static_assert(HQ_FLAG_FAIL == static_cast<int>(tl::Flag::fail));
static_assert(HQ_FULL_BLOCK == static_cast<int>(tl::FullPolicy::block));
static_assert(HQ_FULL_REJECT == static_cast<int>(tl::FullPolicy::reject));
static_assert(HQ_ALARM_HIHI == static_cast<int>(tl::AlarmKind::hihi));
static_assert(HQ_ALARM_HI == static_cast<int>(tl::AlarmKind::hi));
static_assert(HQ_ALARM_LO == static_cast<int>(tl::AlarmKind::lo));
static_assert(HQ_ALARM_LOLO == static_cast<int>(tl::AlarmKind::lolo));
static_assert(HQ_ALARM_DIGITAL == static_cast<int>(tl::AlarmKind::digital));
static_assert(HQ_PRIORITY_LOW == static_cast<int>(tl::Priority::low));
static_assert(HQ_PRIORITY_MEDIUM == static_cast<int>(tl::Priority::medium));
static_assert(HQ_PRIORITY_HIGH == static_cast<int>(tl::Priority::high));
static_assert(HQ_PRIORITY_CRITICAL == static_cast<int>(tl::Priority::critical));
static_assert(HQ_ALARM_STATE_NORMAL == static_cast<int>(tl::AlarmState::normal));
static_assert(HQ_ALARM_STATE_UNACKNOWLEDGED == static_cast<int>(tl::AlarmState::unacknowledged));
static_assert(HQ_ALARM_STATE_ACKNOWLEDGED == static_cast<int>(tl::AlarmState::acknowledged));
static_assert(HQ_ALARM_STATE_RETURNED_UNACKNOWLEDGED ==
              static_cast<int>(tl::AlarmState::returned_unacknowledged));
static_assert(HQ_ALARM_STATE_LATCHED == static_cast<int>(tl::AlarmState::latched));
static_assert(HQ_ALARM_STATE_SHELVED == static_cast<int>(tl::AlarmState::shelved));
static_assert(HQ_ALARM_STATE_SUPPRESSED == static_cast<int>(tl::AlarmState::suppressed));
static_assert(HQ_ALARM_STATE_OUT_OF_SERVICE == static_cast<int>(tl::AlarmState::out_of_service));

namespace houqin::capi {

namespace {

/// Non-zero while this thread runs a host alarm callback: a push from there would make the
/// pipeline thread wait for itself.
thread_local int in_alarm_callback = 0;

void no_push_from_callback(const char* function) {
  if (in_alarm_callback)
    fail(ErrorCode::failed_precondition,
         std::string(function) +
             ": called from an alarm callback on the pipeline thread, which would wait for itself");
}

std::chrono::milliseconds timeout(int ms, const char* function) {
  if (ms < 0)
    fail(ErrorCode::invalid_argument,
         std::string(function) + ": timeout_ms " + std::to_string(ms) + " is negative");
  return std::chrono::milliseconds(ms);
}

}  // namespace

/// One host callback registration. Deliveries and hq_subscription_free() meet here: free waits
/// for a delivery running on another thread, and a callback may free its own subscription.
struct SubscriptionHandle {
  hq_alarm_cb callback = nullptr;
  void* payload = nullptr;
  unsigned int types = 0;
  std::mutex mutex;
  std::condition_variable idle;
  bool active = true;
  int running = 0;  // deliveries in progress

  /// The subscription whose callback runs on this thread now, if any.
  static thread_local const SubscriptionHandle* delivering;

  void deliver(const hq_alarm_event& event) {
    if (!(types & (1u << event.type))) return;
    {
      std::lock_guard lock(mutex);
      if (!active) return;
      ++running;
    }
    const SubscriptionHandle* outer = delivering;
    delivering = this;
    ++in_alarm_callback;
    callback(payload, &event);  // no lock held: the callback may call back in
    --in_alarm_callback;
    delivering = outer;
    std::lock_guard lock(mutex);
    --running;
    idle.notify_all();
  }
};

thread_local const SubscriptionHandle* SubscriptionHandle::delivering = nullptr;

/// What an hq_subscription* points to. The bus's handlers share the state, so a delivery that
/// is under way when the subscription is freed still finds it.
struct SubscriptionBox {
  std::shared_ptr<SubscriptionHandle> state;
  Subscription raised, cleared, transitions;
};

/// What an hq_telemetry* points to.
struct TelemetryHandle {
  std::string url;
  store::StoreOptions store_options;  // to read the store's point map (hq_acquisition_start)
  std::unique_ptr<tl::Runtime> runtime;
};

TelemetryHandle& telemetry(hq_telemetry* t, const char* function) {
  require(t, function, "telemetry");
  return *reinterpret_cast<TelemetryHandle*>(t);
}

tl::Runtime& runtime(hq_telemetry* t, const char* function) {
  return *telemetry(t, function).runtime;
}

drivers::PointMap stored_point_map(hq_telemetry* t) {
  auto& h = telemetry(t, "hq_acquisition_start");
  auto s = store::Store::open(h.url, h.store_options);
  return drivers::read_point_map(*s);
}

}  // namespace houqin::capi

namespace {

using capi::SubscriptionBox;
using capi::SubscriptionHandle;

hq_alarm_event to_event(const tl::AlarmTransition& t) {
  hq_alarm_event e{};
  e.size = sizeof e;
  e.type = HQ_ALARM_TRANSITION;
  e.kind = static_cast<int32_t>(t.kind);
  e.priority = static_cast<int32_t>(t.priority);
  e.from_state = static_cast<int32_t>(t.from);
  e.to_state = static_cast<int32_t>(t.to);
  e.cause = static_cast<int32_t>(t.cause);
  e.point_id = t.point_id;
  e.episode = t.episode;
  e.time_us = t.time;
  e.value = t.value;
  return e;
}

template <class E>
hq_alarm_event to_event(const E& r, hq_alarm_event_type type) {
  hq_alarm_event e{};
  e.size = sizeof e;
  e.type = type;
  e.kind = static_cast<int32_t>(r.kind);
  e.priority = static_cast<int32_t>(r.priority);
  e.point_id = r.point_id;
  e.episode = r.episode;
  e.time_us = tl::to_micros(r.time);
  e.value = r.value;
  return e;
}

/// HQ_OK, or the failure a push result stands for.
void check_push(const tl::PushResult& r, std::size_t count, const char* function) {
  if (r.status == tl::PushStatus::full)
    fail(ErrorCode::resource_exhausted, std::string(function) +
                                            ": the queue is full: " + std::to_string(r.accepted) +
                                            " of " + std::to_string(count) + " samples accepted");
  if (r.status == tl::PushStatus::closed)
    fail(ErrorCode::failed_precondition,
         std::string(function) + ": the runtime is closed: " + std::to_string(r.accepted) + " of " +
             std::to_string(count) + " samples accepted");
}

std::span<const tl::Sample> samples_of(const hq_sample* samples, std::size_t count,
                                       const char* function) {
  if (count > 0) require(samples, function, "samples");
  // Same layout (asserted above): the caller's array is handed on without a copy.
  return {reinterpret_cast<const tl::Sample*>(samples), count};
}

store::StoreOptions store_options(const hq_telemetry_options& o) {
  store::StoreOptions s;
  if (o.busy_timeout_ms < 0)
    fail(ErrorCode::invalid_argument, "hq_telemetry_open: busy_timeout_ms " +
                                          std::to_string(o.busy_timeout_ms) + " is negative");
  s.busy_timeout = std::chrono::milliseconds(o.busy_timeout_ms);
  if (o.key_file) s.keys = protect::Keyring::from_file(o.key_file);
  if (!s.keys)
    if (const char* keys = std::getenv("HOUQIN_KEYS"); keys && *keys)
      s.keys = protect::Keyring::from_env();
  return s;
}

void check_version(unsigned int version, const char* function) {
  if (version == 0 || version > HQ_TELEMETRY_OPTIONS_VERSION)
    fail(ErrorCode::invalid_argument, std::string(function) + ": options version " +
                                          std::to_string(version) + " is not supported (1.." +
                                          std::to_string(HQ_TELEMETRY_OPTIONS_VERSION) + ")");
}

void check_nominal(double v, const char* function) {
  if (!(v > 0) || v == std::numeric_limits<double>::infinity())
    fail(ErrorCode::invalid_argument,
         std::string(function) + ": nominal_voltage " + std::to_string(v) + " is not > 0");
}

}  // namespace

extern "C" {

hq_status hq_telemetry_options_init(hq_telemetry_options* opts, unsigned int version) {
  return guard([&] {
    require(opts, "hq_telemetry_options_init", "opts");
    check_version(version, "hq_telemetry_options_init");
    *opts = hq_telemetry_options HQ_TELEMETRY_OPTIONS_INIT;
    opts->version = version;
  });
}

hq_status hq_telemetry_config_from_point_map(char** out_json, hq_store* store,
                                             double nominal_voltage) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_telemetry_config_from_point_map", "out_json");
    auto& h = capi::handle(store, "hq_telemetry_config_from_point_map");
    check_nominal(nominal_voltage, "hq_telemetry_config_from_point_map");
    drivers::PointMap map;
    {
      std::lock_guard lock(h.mutex);
      map = drivers::read_point_map(*h.store);
    }
    *out_json =
        capi::copy_out(capi::dump(json::to_json(tl::config_from_point_map(map, nominal_voltage))));
  });
}

hq_status hq_telemetry_open(hq_telemetry** out, const char* url, const hq_telemetry_options* opts,
                            const char* config_json) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_telemetry_open", "out");
    require(url, "hq_telemetry_open", "url");
    hq_telemetry_options o = HQ_TELEMETRY_OPTIONS_INIT;
    if (opts) {
      check_version(opts->version, "hq_telemetry_open");
      // Version 1 is every field today; later versions copy their fields behind a check.
      o = *opts;
    }
    if (o.batch_size == 0 || o.queue_batches == 0)
      fail(ErrorCode::invalid_argument, "hq_telemetry_open: batch_size " +
                                            std::to_string(o.batch_size) + " and queue_batches " +
                                            std::to_string(o.queue_batches) + " must not be 0");
    if (o.when_full != HQ_FULL_BLOCK && o.when_full != HQ_FULL_REJECT)
      fail(ErrorCode::invalid_argument, "hq_telemetry_open: when_full " +
                                            std::to_string(o.when_full) +
                                            " is not an hq_full_policy");
    if (o.block_timeout_ms < 0 || o.max_age_ms < 0)
      fail(ErrorCode::invalid_argument, "hq_telemetry_open: block_timeout_ms " +
                                            std::to_string(o.block_timeout_ms) + " or max_age_ms " +
                                            std::to_string(o.max_age_ms) + " is negative");
    check_nominal(o.nominal_voltage, "hq_telemetry_open");

    tl::RuntimeOptions options;
    options.url = url;
    options.store = store_options(o);
    if (o.wal_dir && *o.wal_dir) options.storage.wal_dir = o.wal_dir;
    options.pipeline.batch_size = o.batch_size;
    options.pipeline.queue_batches = o.queue_batches;
    options.pipeline.when_full = static_cast<tl::FullPolicy>(o.when_full);
    options.pipeline.block_timeout = std::chrono::milliseconds(o.block_timeout_ms);
    options.pipeline.max_age = std::chrono::milliseconds(o.max_age_ms);
    options.serve_alarm_operations = o.serve_alarm_operations != 0;

    tl::TelemetryConfig config;
    if (config_json) {
      config = json::from_json<tl::TelemetryConfig>(json::parse(config_json, "config"));
    } else {
      if (options.url.find(":memory:") != std::string::npos)
        fail(ErrorCode::invalid_argument,
             "hq_telemetry_open: an in-memory store cannot be shared by the runtime's handles; "
             "use a file or PostgreSQL URL");
      auto s = store::Store::open(options.url, options.store);
      config = tl::config_from_point_map(drivers::read_point_map(*s), o.nominal_voltage);
    }
    auto handle = std::make_unique<capi::TelemetryHandle>();
    handle->url = options.url;
    handle->store_options = options.store;
    handle->runtime = std::make_unique<tl::Runtime>(std::move(options), std::move(config));
    *out = reinterpret_cast<hq_telemetry*>(handle.release());
  });
}

void hq_telemetry_free(hq_telemetry* telemetry) {
  // ~Runtime closes and swallows errors (the write-ahead log keeps what was acknowledged).
  delete reinterpret_cast<capi::TelemetryHandle*>(telemetry);
}

hq_status hq_telemetry_push(size_t* out_accepted, hq_telemetry* telemetry, const hq_sample* samples,
                            size_t count) {
  if (out_accepted) *out_accepted = 0;
  return guard([&] {
    auto& rt = capi::runtime(telemetry, "hq_telemetry_push");
    auto span = samples_of(samples, count, "hq_telemetry_push");
    capi::no_push_from_callback("hq_telemetry_push");
    auto r = rt.push(span);
    if (out_accepted) *out_accepted = r.accepted;
    check_push(r, count, "hq_telemetry_push");
  });
}

hq_status hq_telemetry_push_and_wait(size_t* out_accepted, hq_telemetry* telemetry,
                                     const hq_sample* samples, size_t count, int timeout_ms) {
  if (out_accepted) *out_accepted = 0;
  return guard([&] {
    auto& rt = capi::runtime(telemetry, "hq_telemetry_push_and_wait");
    auto span = samples_of(samples, count, "hq_telemetry_push_and_wait");
    auto wait = capi::timeout(timeout_ms, "hq_telemetry_push_and_wait");
    capi::no_push_from_callback("hq_telemetry_push_and_wait");
    auto r = rt.push(span);
    if (out_accepted) *out_accepted = r.accepted;
    // Wait for what was accepted even when not everything was, then report the shortfall.
    if (r.accepted > 0) rt.sync(wait);
    check_push(r, count, "hq_telemetry_push_and_wait");
  });
}

hq_status hq_telemetry_sync(hq_telemetry* telemetry, int timeout_ms) {
  return guard([&] {
    auto& rt = capi::runtime(telemetry, "hq_telemetry_sync");
    auto wait = capi::timeout(timeout_ms, "hq_telemetry_sync");
    capi::no_push_from_callback("hq_telemetry_sync");
    rt.sync(wait);
  });
}

hq_status hq_telemetry_query(size_t* out_count, hq_telemetry* telemetry, int64_t point_id,
                             int64_t from_us, int64_t to_us, int64_t* times, double* values,
                             uint8_t* qualities, int32_t* flags, size_t capacity) {
  if (out_count) *out_count = 0;
  return guard([&] {
    require(out_count, "hq_telemetry_query", "out_count");
    auto& rt = capi::runtime(telemetry, "hq_telemetry_query");
    if (capacity > 0) {
      require(times, "hq_telemetry_query", "times");
      require(values, "hq_telemetry_query", "values");
      require(qualities, "hq_telemetry_query", "qualities");
      require(flags, "hq_telemetry_query", "flags");
    }
    static_assert(sizeof(int32_t) == sizeof(tl::Flag) && alignof(int32_t) == alignof(tl::Flag));
    tl::ColumnBuffers out{
        std::span<tl::Micros>(times, capacity ? capacity : 0),
        std::span<double>(values, capacity ? capacity : 0),
        std::span<tl::QualityCode>(qualities, capacity ? capacity : 0),
        std::span<tl::Flag>(reinterpret_cast<tl::Flag*>(flags), capacity ? capacity : 0)};
    *out_count = rt.query(point_id, from_us, to_us, out);
  });
}

hq_status hq_telemetry_query_samples(hq_sample** out_samples, size_t* out_count,
                                     hq_telemetry* telemetry, int64_t point_id, int64_t from_us,
                                     int64_t to_us) {
  if (out_samples) *out_samples = nullptr;
  if (out_count) *out_count = 0;
  return guard([&] {
    require(out_samples, "hq_telemetry_query_samples", "out_samples");
    require(out_count, "hq_telemetry_query_samples", "out_count");
    auto& rt = capi::runtime(telemetry, "hq_telemetry_query_samples");
    auto series = rt.query(point_id, from_us, to_us);
    const std::size_t n = series.times.size();
    if (n == 0) return;
    auto* p = static_cast<hq_sample*>(std::calloc(n, sizeof(hq_sample)));
    if (!p) throw std::bad_alloc();
    for (std::size_t i = 0; i < n; ++i) {
      p[i].point_id = point_id;
      p[i].time_us = series.times[i];
      p[i].value = series.values[i];
      p[i].quality = series.qualities[i];
      p[i].flag = static_cast<int32_t>(series.flags[i]);
    }
    *out_samples = p;
    *out_count = n;
  });
}

hq_status hq_telemetry_stats(char** out_json, hq_telemetry* telemetry) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_telemetry_stats", "out_json");
    auto& rt = capi::runtime(telemetry, "hq_telemetry_stats");
    *out_json = capi::copy_out(capi::dump(json::to_json(rt.runtime_stats())));
  });
}

hq_status hq_telemetry_on_alarm(hq_subscription** out, hq_telemetry* telemetry, unsigned int types,
                                hq_alarm_cb callback, void* payload) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_telemetry_on_alarm", "out");
    auto& rt = capi::runtime(telemetry, "hq_telemetry_on_alarm");
    require(reinterpret_cast<const void*>(callback), "hq_telemetry_on_alarm", "callback");
    constexpr unsigned all =
        (1u << HQ_ALARM_RAISED) | (1u << HQ_ALARM_CLEARED) | (1u << HQ_ALARM_TRANSITION);
    if (types & ~all)
      fail(ErrorCode::invalid_argument, "hq_telemetry_on_alarm: types " + std::to_string(types) +
                                            " has bits that are no (1 << hq_alarm_event_type)");
    auto box = std::make_unique<SubscriptionBox>();
    box->state = std::make_shared<SubscriptionHandle>();
    auto& st = *box->state;
    st.callback = callback;
    st.payload = payload;
    st.types = types ? types : all;
    auto& bus = rt.events();
    box->raised = bus.subscribe<tl::AlarmRaised>(
        [s = box->state](const tl::AlarmRaised& e) { s->deliver(to_event(e, HQ_ALARM_RAISED)); });
    box->cleared = bus.subscribe<tl::AlarmCleared>(
        [s = box->state](const tl::AlarmCleared& e) { s->deliver(to_event(e, HQ_ALARM_CLEARED)); });
    box->transitions = bus.subscribe<tl::AlarmTransition>(
        [s = box->state](const tl::AlarmTransition& e) { s->deliver(to_event(e)); });
    *out = reinterpret_cast<hq_subscription*>(box.release());
  });
}

void hq_subscription_free(hq_subscription* subscription) {
  auto* box = reinterpret_cast<SubscriptionBox*>(subscription);
  if (!box) return;
  auto& s = *box->state;
  {
    std::unique_lock lock(s.mutex);
    s.active = false;
    // Wait for deliveries on other threads. One on this thread is the caller itself: it goes on
    // after we return, on the state its handler keeps alive.
    const int own = SubscriptionHandle::delivering == &s ? 1 : 0;
    s.idle.wait(lock, [&] { return s.running <= own; });
  }
  delete box;  // unsubscribes (the bus allows that during a delivery)
}

}  // extern "C"
