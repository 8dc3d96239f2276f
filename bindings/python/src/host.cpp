// houqin.Host: the platform host (houqin::make_host) on a store connection of its own. Its
// configuration is a dict in the JSON form of HostConfig, its results and status come back as
// dicts of their descriptions; every call releases the GIL (the host's own thread never calls
// into Python).
#include "houqin/platform.hpp"
#include "module.hpp"
#include "store.hpp"

namespace houqin::python {
namespace {

struct PyHost {
  std::shared_ptr<ManualClock> clock;  // outlives `platform`
  std::unique_ptr<PlatformHost> platform;
  std::mutex mutex;  // run_once, start, stop and close one at a time
  bool started = false;

  host::Host& get() {
    if (!platform) fail(ErrorCode::failed_precondition, "Host: closed");
    return platform->host();
  }
  /// Starts (running=true) or stops the host's own thread.
  void run(bool running) {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex);
    if (running)
      get().start();
    else
      get().stop();
    started = running;
  }
  void close() {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex);
    platform.reset();  // stops the telemetry, the thread, and releases the leases
    started = false;
  }
};

std::shared_ptr<PyHost> open_host(const std::string& url, py::handle config, py::handle key_file,
                                  const std::string& keys_env, int busy_timeout_ms,
                                  std::shared_ptr<ManualClock> clock) {
  const json::Path root{nullptr, {}, static_cast<std::size_t>(-1), "config"};
  HostConfig cfg;
  if (!config.is_none()) cfg = json::from_json<HostConfig>(py_to_json(config, root), "config");
  auto options = store_options(key_file, keys_env, busy_timeout_ms, clock.get());
  auto h = std::make_shared<PyHost>();
  h->clock = std::move(clock);
  py::gil_scoped_release nogil;
  h->platform = std::make_unique<PlatformHost>(url, options, cfg);
  return h;
}

}  // namespace

void init_host(py::module_& m) {
  py::class_<PyHost, std::shared_ptr<PyHost>> cls(m, "Host", R"doc(
Runs the platform's reactions to the durable event log and its timed jobs, on a connection of its
own: the "wiring" consumer (reminders, equipment faults, stock releases, alarm work orders), the
SLA check and the event log's retention.

    with houqin.Host("postgresql://.../hospital") as host:   # started; stopped on exit
        ...                                                  # changes from any process are reacted to
        print(host.status()["consumers"])

Several hosts may run against one store: for each consumer and for the scheduler one is active
(a lease in the store) and the others take over within the lease's ttl. See docs/events.md.
)doc");
  cls.def(py::init(&open_host), py::arg("url"), py::kw_only(), py::arg("config") = py::none(),
          py::arg("key_file") = py::none(), py::arg("keys_env") = "HOUQIN_KEYS",
          py::arg("busy_timeout_ms") = 5000, py::arg("clock") = nullptr,
          R"doc(Opens a host on `url` (migrated already; a file or server, not sqlite::memory:).

`config` is a dict {"host": {"holder", "lease_ttl", "idle", "event_retention"}, "wiring":
{"release_reservations", "equipment_faults", "reminders", "alarm_orders_from", "sla_tick",
"retry"}, "delivery": {"every", "channels"}, "telemetry": {"wal_dir", "acquire"}} with durations
as ISO-8601 text ("PT6S") or timedelta; unknown keys raise InvalidArgument. With "telemetry" the
host also runs the telemetry runtime from the stored point map and polls its devices. Not
started: call start(), or run_once() from a loop of yours.)doc");
  cls.def(
      "start", [](PyHost& h) { h.run(true); },
      "Runs rounds on the host's own thread until stop(), woken by other processes' commits.");
  cls.def(
      "stop", [](PyHost& h) { h.run(false); },
      "Stops the thread and releases the leases held, so a standby takes over at once.");
  cls.def(
      "run_once",
      [](PyHost& h) {
        host::Round r;
        {
          py::gil_scoped_release nogil;
          std::lock_guard lock(h.mutex);
          if (h.started)
            fail(ErrorCode::failed_precondition,
                 "Host.run_once: the host's own thread runs its rounds (stop() first)");
          r = h.get().run_once();
        }
        return json_to_py(json::to_json(r));
      },
      "One round on this thread; returns {'handled', 'replayed', 'ran', 'more'}.");
  cls.def(
      "status",
      [](PyHost& h) {
        host::HostStatus st;
        {
          py::gil_scoped_release nogil;
          st = h.get().status();
        }
        return json_to_py(json::to_json(st));
      },
      "As of the last round: the holder, each consumer (active, lease_holder, position, lag, "
      "attempts, last_error, dead_letters) and the scheduler.");
  cls.def("close", &PyHost::close, "Stops the host and closes its connection.");
  cls.def("__enter__", [](std::shared_ptr<PyHost> h) {
    h->run(true);
    return h;
  });
  cls.def("__exit__", [](PyHost& h, py::args) { h.close(); });
}

}  // namespace houqin::python
