// houqin.telemetry.Runtime: telemetry::Runtime from Python. Samples go in from numpy without any
// per-sample Python work (a sample_dtype array is read in place; columns are interleaved in C++
// in slices), with the GIL released; queries come back as SampleColumns whose time, value and
// quality columns are the query's own vectors (moved, not copied); alarm events reach Python
// callbacks on the pipeline thread (see events.hpp: the GIL is taken, an exception is reported,
// never raised into the pipeline).
#include "houqin/telemetry/runtime.hpp"
#include "houqin/gas/profile.hpp"
#include "houqin/power/quality.hpp"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "events.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/store/migration.hpp"
#include "module.hpp"
#include "store.hpp"
#include "telemetry.hpp"

namespace houqin::python {

namespace {

using telemetry::Micros;
using telemetry::Sample;

/// The runtime a callback is being delivered for on this thread (push() from there would make the
/// pipeline thread wait for itself).
thread_local const void* t_delivering = nullptr;

/// The runtime behind a Python object. Threads: every method releases the GIL and then holds
/// `mutex` shared while it uses the runtime; close() closes it (thread-safe, so pushes in other
/// threads return and callbacks finish) and only then takes `mutex` exclusively to destroy it.
/// Nobody takes `mutex` with the GIL held, so destroying (which takes the GIL to drop callbacks)
/// cannot deadlock.
struct PyRuntime {
  std::shared_ptr<const Clock> clock;  // a ManualClock from Python; outlives the runtime
  std::unique_ptr<telemetry::Runtime> rt;
  std::shared_mutex mutex;
  std::size_t slice = 0;        // samples per pipeline push: half the queue
  bool raise_when_full = true;  // FullPolicy::block: a full queue after the timeout is an error

  PyRuntime() = default;
  PyRuntime(const PyRuntime&) = delete;
  PyRuntime& operator=(const PyRuntime&) = delete;
  /// Closing joins the pipeline thread, which may be waiting for the GIL to run a callback.
  ~PyRuntime() {
    if (!rt) return;
    if (Py_IsInitialized() && PyGILState_Check()) {
      py::gil_scoped_release nogil;
      rt.reset();
    } else {
      rt.reset();
    }
  }

  telemetry::Runtime& get() {
    if (!rt) fail(ErrorCode::failed_precondition, "telemetry runtime: closed");
    return *rt;
  }

  /// f(Runtime&) with the GIL released and the runtime kept alive; FailedPrecondition after
  /// close(). f must not touch Python objects.
  template <class F>
  auto with(F&& f) {
    py::gil_scoped_release nogil;
    std::shared_lock lock(mutex);
    return f(get());
  }

  void close() {
    py::gil_scoped_release nogil;
    {
      std::shared_lock lock(mutex);
      if (rt) rt->close();  // waits for the pipeline (and its callbacks) to finish
    }
    std::unique_lock lock(mutex);
    rt.reset();
  }

  void check_not_delivering() const {
    if (t_delivering == this)
      fail(ErrorCode::failed_precondition,
           "push: called from this runtime's event callback (the pipeline thread would wait for "
           "itself); hand the samples to another thread");
  }

  /// Pushes `n` samples made by `at(i)` (or read from `records` when not null) in slices, then
  /// waits for them to be durable when `wait`. Releases the GIL. Returns how many were accepted.
  template <class At>
  std::size_t push(std::size_t n, const Sample* records, At&& at, bool wait) {
    return with([&](telemetry::Runtime& r) {
      auto done = push_slices(r, n, records, at);
      if (wait && done) r.sync();
      return done;
    });
  }

  template <class At>
  std::size_t push_slices(telemetry::Runtime& r, std::size_t n, const Sample* records, At& at) {
    std::vector<Sample> buffer;
    if (!records) buffer.resize(std::min(n, slice));
    std::size_t done = 0;
    while (done < n) {
      std::size_t k = std::min(slice, n - done);
      std::span<const Sample> part;
      if (records) {
        part = {records + done, k};
      } else {
        for (std::size_t i = 0; i < k; ++i) buffer[i] = at(done + i);
        part = {buffer.data(), k};
      }
      auto res = r.push(part);
      done += res.accepted;
      if (res.status == telemetry::PushStatus::closed)
        fail(ErrorCode::failed_precondition, "push: the runtime is closed; accepted " +
                                                 std::to_string(done) + " of " + std::to_string(n));
      if (res.status == telemetry::PushStatus::full) {
        if (raise_when_full)
          fail(ErrorCode::resource_exhausted,
               "push: the pipeline queue stayed full for block_timeout_ms; accepted " +
                   std::to_string(done) + " of " + std::to_string(n) + " samples");
        break;
      }
    }
    return done;
  }
};

template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> column(py::handle h, const char* name,
                                                                 std::optional<std::size_t> n) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(h);
  if (!a || a.ndim() != 1) json::fail_at(arg_path(name), "expected a 1-d array of numbers");
  if (n && static_cast<std::size_t>(a.size()) != *n)
    json::fail_at(arg_path(name), "length " + std::to_string(a.size()) + " differs from time's " +
                                      std::to_string(*n));
  return a;
}

Micros micros_from_py(py::handle h, const char* name) {
  if (PyLong_Check(h.ptr()) || py::hasattr(h, "__index__"))
    return static_cast<Micros>(int_from_py(h, arg_path(name), std::numeric_limits<long long>::min(),
                                           std::numeric_limits<long long>::max()));
  if (py::hasattr(h, "to_pydatetime")) h = h.attr("to_pydatetime")();  // pandas.Timestamp
  return telemetry::to_micros(timestamp_from_py(h, arg_path(name)));
}

drivers::PointMap point_map_from_py(py::handle source) {
  if (py::isinstance<StoreHandle>(source))
    return with_store(store_arg(source),
                      [](store::Store& s) { return drivers::read_point_map(s); });
  return drivers::load_point_map(py_to_json(source, arg_path("point_map")));
}

telemetry::AlarmKey alarm_key(Id point, py::handle kind) {
  telemetry::AlarmKey key{point, telemetry::AlarmKind::hi};
  py_codec<telemetry::AlarmKind>::from(kind, key.kind, arg_path("kind"));
  return key;
}

}  // namespace

void init_runtime(py::module_& m) {
  auto mod = m.attr("telemetry").cast<py::module_>();
  bind_event<telemetry::AlarmRaised>(mod, "AlarmRaised",
                                     "Event: an alarm episode was annunciated (after its commit).");
  bind_event<telemetry::AlarmCleared>(mod, "AlarmCleared",
                                      "Event: an annunciated alarm episode ended.");
  bind_event<telemetry::AlarmTransition>(
      mod, "AlarmTransition", "Event: any alarm state change (raise and clear mark the episode).");
  bind_struct<telemetry::AlarmStatus>(mod, "AlarmStatus",
                                      "The current state of one alarm, as the engine holds it.");

  mod.def(
      "config_from_point_map",
      [](py::handle source, double nominal_voltage) {
        auto map = point_map_from_py(source);
        return json_to_py(json::to_json(telemetry::config_from_point_map(map, nominal_voltage)));
      },
      py::arg("point_map"), py::kw_only(), py::arg("nominal_voltage") = 230.0,
      R"doc(The telemetry configuration (a TelemetryConfig dict: verify, checks, alarms, storage)
for every numeric point of a point map -- a houqin.point_map document or a Store holding one --
from the medical gas and electricity profiles chosen by each point's kind.)doc");
  mod.def(
      "make_config",
      [](py::handle gas, py::handle power) {
        telemetry::TelemetryConfig cfg;
        if (!gas.is_none()) {
          std::size_t i = 0;
          for (py::handle g : py::reinterpret_borrow<py::iterable>(gas))
            gas::add(cfg, json::from_json<gas::GasPoint>(
                              py_to_json(g, arg_path("gas").element(i++)), "gas"));
        }
        if (!power.is_none()) {
          std::size_t i = 0;
          for (py::handle p : py::reinterpret_borrow<py::iterable>(power))
            power::add(cfg, json::from_json<power::PowerPoint>(
                                py_to_json(p, arg_path("power").element(i++)), "power"));
        }
        return json_to_py(json::to_json(cfg));
      },
      py::kw_only(), py::arg("gas") = py::none(), py::arg("power") = py::none(),
      R"doc(A TelemetryConfig dict from profiles: gas=[{"point_id": 1, "gas": "oxygen", "role":
"area", "area": "ICU"}, ...] (gas::GasPoint), power=[{"point_id": 9, "quantity": "phase_voltage",
"nominal": 230}, ...] (power::PowerPoint). Edit the dict freely before giving it to Runtime.)doc");

  py::class_<PyRuntime, std::shared_ptr<PyRuntime>> cls(mod, "Runtime", R"doc(
Telemetry in this process: samples pushed from numpy are verified, alarmed and stored on a
pipeline thread (telemetry::Runtime). A context manager; close() writes everything pushed.

    with houqin.telemetry.Runtime("sqlite:plant.db", config, wal_dir="wal") as rt:
        rt.push(point_id=ids, time=times_us, value=values)   # numpy arrays, no Python loop
        rt.sync()                                             # durable
        cols = rt.query(1, start, end)                        # zero-copy numpy columns
        df = rt.query_frame(1, start, end)                    # pandas

The store must be a file or PostgreSQL (the runtime opens its own connections) with the
migrations applied (Store(url, migrate=True) once, or migrate=True here).
)doc");
  cls.def(
      py::init([](const std::string& url, py::handle config, py::handle key_file,
                  const std::string& keys_env, std::shared_ptr<ManualClock> clock,
                  py::handle wal_dir, const std::string& sync, std::size_t batch_size,
                  std::size_t queue_batches, double max_age_ms, const std::string& when_full,
                  int block_timeout_ms, bool serve_alarm_operations, bool migrate) {
        telemetry::RuntimeOptions o;
        o.url = url;
        o.store.clock = clock.get();
        o.serve_alarm_operations = serve_alarm_operations;
        std::optional<std::string> keys_file;
        if (!key_file.is_none())
          keys_file = py::str(py::module_::import("os").attr("fspath")(key_file));
        if (!wal_dir.is_none())
          o.storage.wal_dir =
              py::str(py::module_::import("os").attr("fspath")(wal_dir)).cast<std::string>();
        if (sync == "none")
          o.storage.sync = telemetry::SyncPolicy::none;
        else if (sync == "interval")
          o.storage.sync = telemetry::SyncPolicy::interval;
        else if (sync == "every_append")
          o.storage.sync = telemetry::SyncPolicy::every_append;
        else
          fail(ErrorCode::invalid_argument,
               "sync: '" + sync + "' is not one of none, interval, every_append");
        if (batch_size == 0 || queue_batches == 0)
          fail(ErrorCode::invalid_argument, "batch_size and queue_batches must be positive");
        o.pipeline.batch_size = batch_size;
        o.pipeline.queue_batches = queue_batches;
        if (!(max_age_ms >= 0)) fail(ErrorCode::invalid_argument, "max_age_ms: negative");
        o.pipeline.max_age =
            std::chrono::microseconds(static_cast<std::int64_t>(std::llround(max_age_ms * 1e3)));
        auto policy = enum_from_name<telemetry::FullPolicy>(when_full);
        if (!policy)
          fail(ErrorCode::invalid_argument,
               "when_full: '" + when_full + "' is not one of block, reject");
        o.pipeline.when_full = *policy;
        if (block_timeout_ms < 0) fail(ErrorCode::invalid_argument, "block_timeout_ms: negative");
        o.pipeline.block_timeout = std::chrono::milliseconds(block_timeout_ms);
        telemetry::TelemetryConfig cfg;
        bool from_map = config.is_none();
        if (!from_map)
          cfg = json::from_json<telemetry::TelemetryConfig>(py_to_json(config, arg_path("config")),
                                                            "config");
        auto r = std::make_shared<PyRuntime>();
        r->clock = clock;
        r->slice = std::max<std::size_t>(1, batch_size * queue_batches / 2);
        r->raise_when_full = *policy == telemetry::FullPolicy::block;
        {
          py::gil_scoped_release nogil;
          if (keys_file) {
            o.store.keys = protect::Keyring::from_file(*keys_file);
          } else if (const char* k = keys_env.empty() ? nullptr : std::getenv(keys_env.c_str());
                     k && *k) {
            o.store.keys = protect::Keyring::from_env(keys_env.c_str());
          }
          if (migrate || from_map) {
            auto s = store::Store::open(url, o.store);
            if (migrate) {
              auto all = houqin::migrations();
              store::migrate(*s, all);
            }
            if (from_map) cfg = telemetry::config_from_point_map(drivers::read_point_map(*s));
          }
          r->rt = std::make_unique<telemetry::Runtime>(std::move(o), std::move(cfg));
        }
        return r;
      }),
      py::arg("url"), py::arg("config") = py::none(), py::kw_only(),
      py::arg("key_file") = py::none(), py::arg("keys_env") = "HOUQIN_KEYS",
      py::arg("clock") = nullptr, py::arg("wal_dir") = py::none(), py::arg("sync") = "none",
      py::arg("batch_size") = 4096, py::arg("queue_batches") = 16, py::arg("max_age_ms") = 100.0,
      py::arg("when_full") = "block", py::arg("block_timeout_ms") = 10000,
      py::arg("serve_alarm_operations") = true, py::arg("migrate") = false,
      R"doc(Opens the runtime on the store at `url` (sqlite:FILE or postgresql://...).

config: a TelemetryConfig dict (verify, checks, alarms, storage: see make_config() and
config_from_point_map()), or None to build it from the point map stored in that store.
key_file / keys_env: keys for personal data, as Store. clock: a houqin.ManualClock (tests,
replays). wal_dir: the write-ahead log directory (None: samples are durable once their blocks are
written, at sync()/close()); sync: when the log is forced to disk (none, interval, every_append).
batch_size, queue_batches, max_age_ms: the pipeline's batches; when_full: block (wait up to
block_timeout_ms, then ResourceExhausted) or reject (push returns what fitted).
serve_alarm_operations: houqin.services.telemetry.* act on this runtime's alarms while it is open.
migrate: apply every schema migration first.)doc");
  cls.def(
      "push",
      [](std::shared_ptr<PyRuntime> self, py::handle samples, py::handle point_id, py::handle time,
         py::handle value, py::handle quality, bool wait) -> std::size_t {
        self->check_not_delivering();
        if (!samples.is_none()) {
          if (!point_id.is_none() || !time.is_none() || !value.is_none() || !quality.is_none())
            fail(ErrorCode::invalid_argument,
                 "push: give samples or point_id/time/value columns, not both");
          if (py::isinstance<SampleColumns>(samples)) {
            auto cols = samples.cast<std::shared_ptr<SampleColumns>>();
            cols->check();
            return self->push(
                cols->size(), nullptr, [&](std::size_t i) { return cols->at(i); }, wait);
          }
          py::array records = py::isinstance<SampleArray>(samples)
                                  ? py::array(samples.attr("array"))
                                  : py::reinterpret_borrow<py::array>(samples);
          if (!py::isinstance<py::array>(records))
            fail(ErrorCode::invalid_argument,
                 "samples: expected SampleColumns, SampleArray or a sample_dtype array, got " +
                     type_name(samples));
          auto span = samples_view(records);  // `records` keeps the memory alive meanwhile
          return self->push(
              span.size(), span.data(), [](std::size_t) { return Sample{}; }, wait);
        }
        if (time.is_none() || value.is_none() || point_id.is_none())
          fail(ErrorCode::invalid_argument, "push: point_id, time and value are required");
        auto t = column<Micros>(time, "time", std::nullopt);
        auto n = static_cast<std::size_t>(t.size());
        auto v = column<double>(value, "value", n);
        // a single point id for every sample, or one per sample
        Id single = 0;
        std::optional<py::array_t<Id, py::array::c_style | py::array::forcecast>> ids;
        if (PyLong_Check(point_id.ptr()) ||
            (py::hasattr(point_id, "__index__") && !py::isinstance<py::array>(point_id)))
          single = static_cast<Id>(int_from_py(point_id, arg_path("point_id"), 1,
                                               std::numeric_limits<long long>::max()));
        else
          ids = column<Id>(point_id, "point_id", n);
        std::optional<py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>> q;
        if (!quality.is_none()) q = column<std::uint8_t>(quality, "quality", n);
        const Micros* tp = t.data();
        const double* vp = v.data();
        const Id* ip = ids ? ids->data() : nullptr;
        const std::uint8_t* qp = q ? q->data() : nullptr;
        return self->push(
            n, nullptr,
            [&](std::size_t i) {
              return Sample{ip ? ip[i] : single, tp[i], vp[i], qp ? qp[i] : telemetry::quality_good,
                            telemetry::Flag::not_evaluated};
            },
            wait);
      },
      py::arg("samples") = py::none(), py::kw_only(), py::arg("point_id") = py::none(),
      py::arg("time") = py::none(), py::arg("value") = py::none(), py::arg("quality") = py::none(),
      py::arg("wait") = false,
      R"doc(Queues samples for verify -> alarm -> store and returns how many were accepted.

Either `samples` -- a sample_dtype array (read in place), a SampleArray or SampleColumns -- or
columns: point_id (an int for all, or an array), time (int64 UTC microseconds), value (float64)
and optionally quality (uint8, 0 = good). Arrays of other numeric dtypes are converted once.
The GIL is released throughout and no Python code runs per sample. Each point's samples must be
in time order. wait=True returns once they are durable (as sync()). Raises ResourceExhausted when
the queue stayed full for block_timeout_ms (when_full="block"; with "reject" the count tells
what fitted), FailedPrecondition after close() or from this runtime's event callbacks.)doc");
  cls.def(
      "sync",
      [](PyRuntime& self, double timeout_s) {
        self.with([&](telemetry::Runtime& r) {
          r.sync(std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000)));
        });
      },
      py::arg("timeout_s") = 60.0,
      "Waits until every sample accepted so far is verified, alarmed and stored durably. "
      "DeadlineExceeded after timeout_s; Unavailable when storing failed since the last sync.");
  cls.def(
      "query",
      [](PyRuntime& self, Id point, py::handle start, py::handle end) {
        Micros from = micros_from_py(start, "start"), to = micros_from_py(end, "end");
        auto c = std::make_shared<SampleColumns>();
        self.with([&](telemetry::Runtime& r) {
          auto series = r.query(point, from, to);
          auto n = series.size();
          c->time = std::move(series.times);
          c->value = std::move(series.values);
          c->quality = std::move(series.qualities);
          c->flag.resize(n);
          for (std::size_t i = 0; i < n; ++i)
            c->flag[i] = static_cast<std::uint8_t>(series.flags[i]);
          c->point_id.assign(n, point);
        });
        return c;
      },
      py::arg("point"), py::arg("start"), py::arg("end"),
      R"doc(The stored samples of `point` with start <= time < end as SampleColumns: read-only
numpy columns over houqin's memory (time, value and quality are the query's own buffers, not
copies; .base keeps them alive). start/end: int UTC microseconds or aware datetimes. Samples
still queued are not included (sync() first). NotFound for a point that is not configured.)doc");
  cls.def_property_readonly(
      "config",
      [](PyRuntime& self) {
        auto j = self.with([](telemetry::Runtime& r) { return json::to_json(r.config()); });
        return json_to_py(j);
      },
      "The configuration in use (a TelemetryConfig dict).");
  cls.def(
      "stats",
      [](PyRuntime& self) {
        telemetry::RuntimeStats st;
        self.with([&](telemetry::Runtime& r) { st = r.runtime_stats(); });
        return py_codec<telemetry::RuntimeStats>::to(st);
      },
      "Every counter as a dict with the names hq_telemetry_stats() gives in C: pipeline "
      "(accepted, processed, durable, queued, capacity, ..., stages: per-stage samples, errors "
      "and time as a timedelta), storage (blocks and bytes written, ...) and "
      "alarm_callback_errors (callbacks that raised).");
  cls.def(
      "subscribe",
      [](std::shared_ptr<PyRuntime> self, py::handle event_class, py::object callback) {
        if (!PyCallable_Check(callback.ptr()))
          fail(ErrorCode::invalid_argument, "subscribe: callback is not callable");
        const void* tag = self.get();
        py::object user = std::move(callback);
        py::cpp_function wrapper([user, tag](py::object event) {
          struct Mark {
            const void* saved = t_delivering;
            explicit Mark(const void* t) { t_delivering = t; }
            ~Mark() { t_delivering = saved; }
          } mark(tag);
          return user(std::move(event));
        });
        return subscribe_events(
            [&self](const std::function<void(EventBus&)>& f) {
              std::shared_lock lock(self->mutex);
              f(self->get().events());
            },
            event_class, std::move(wrapper));
      },
      py::arg("event_class"), py::arg("callback"),
      R"doc(Calls callback(event) for every AlarmRaised, AlarmCleared or AlarmTransition (the
class given) from the pipeline or from alarm operations, after its commit. It runs on the
pipeline thread (holding the GIL while it runs; keep it short): it may query() and stats(), not
push(). An exception it raises goes to sys.unraisablehook and never stops the pipeline.
Returns a houqin.Subscription.)doc");
  cls.def(
      "status",
      [](PyRuntime& self, Id point, py::handle kind) {
        auto key = alarm_key(point, kind);
        return self.with([&](telemetry::Runtime& r) { return r.engine().status(key); });
      },
      py::arg("point"), py::arg("kind"),
      "The current AlarmStatus of one alarm (kind: hi, lo, hihi, lolo, digital). NotFound when "
      "the point has no such alarm.");
  cls.def(
      "alarms",
      [](PyRuntime& self) {
        auto all = self.with([](telemetry::Runtime& r) { return r.engine().all(); });
        py::list out;
        for (auto& s : all) out.append(py::cast(std::move(s)));
        return out;
      },
      "Every configured alarm's AlarmStatus (the engine's whole table).");
  cls.def(
      "acknowledge",
      [](PyRuntime& self, py::handle actor, Id point, py::handle kind, std::string comment) {
        const auto& a = actor_arg(actor);
        auto key = alarm_key(point, kind);
        return self.with(
            [&](telemetry::Runtime& r) { return r.acknowledge(a, key, std::move(comment)); });
      },
      py::arg("actor"), py::arg("point"), py::arg("kind"), py::kw_only(), py::arg("comment") = "",
      "Acknowledges an alarm as `actor` (permission telemetry.ack; audited, stored, published); "
      "returns its AlarmStatus. FailedPrecondition when it is not waiting for acknowledgement.");
  cls.def(
      "shelve",
      [](PyRuntime& self, py::handle actor, Id point, py::handle kind, double minutes,
         std::string reason) {
        const auto& a = actor_arg(actor);
        auto key = alarm_key(point, kind);
        if (!(minutes > 0)) fail(ErrorCode::invalid_argument, "minutes: must be positive");
        return self.with([&](telemetry::Runtime& r) {
          return r.shelve(a, key,
                          std::chrono::microseconds(static_cast<std::int64_t>(minutes * 60e6)),
                          std::move(reason));
        });
      },
      py::arg("actor"), py::arg("point"), py::arg("kind"), py::kw_only(), py::arg("minutes"),
      py::arg("reason"),
      "Shelves an alarm for `minutes` with a reason (permission telemetry.shelve); returns its "
      "AlarmStatus.");
  cls.def(
      "unshelve",
      [](PyRuntime& self, py::handle actor, Id point, py::handle kind, std::string comment) {
        const auto& a = actor_arg(actor);
        auto key = alarm_key(point, kind);
        return self.with(
            [&](telemetry::Runtime& r) { return r.unshelve(a, key, std::move(comment)); });
      },
      py::arg("actor"), py::arg("point"), py::arg("kind"), py::kw_only(), py::arg("comment") = "",
      "Unshelves a shelved alarm (permission telemetry.shelve); returns its AlarmStatus.");
  cls.def(
      "standing",
      [](PyRuntime& self, py::handle actor) {
        const auto& a = actor_arg(actor);
        auto all = self.with([&](telemetry::Runtime& r) { return r.standing(a); });
        py::list out;
        for (auto& s : all) out.append(py::cast(std::move(s)));
        return out;
      },
      py::arg("actor"), "Alarms not in state normal (permission telemetry.read).");
  cls.def(
      "close", [](PyRuntime& self) { self.close(); },
      "Stops accepting, processes and stores everything accepted, writes the open blocks and "
      "closes the runtime's connections (waiting for calls in other threads). Idempotent; later "
      "calls raise FailedPrecondition.");
  cls.def_property_readonly(
      "closed",
      [](PyRuntime& self) {
        py::gil_scoped_release nogil;
        std::shared_lock lock(self.mutex);
        return !self.rt;
      },
      "True after close().");
  cls.def("__enter__", [](std::shared_ptr<PyRuntime> self) { return self; });
  cls.def("__exit__", [](PyRuntime& self, py::handle, py::handle, py::handle) { self.close(); });
  cls.def("__repr__", [](PyRuntime& self) {
    bool open = false;
    {
      py::gil_scoped_release nogil;
      std::shared_lock lock(self.mutex);
      open = static_cast<bool>(self.rt);
    }
    return std::string("houqin.telemetry.Runtime(") + (open ? "open" : "closed") + ")";
  });
}

}  // namespace houqin::python
