// houqin.drivers: devices and points (the point map) in the store, the Modbus simulator (a gas
// panel and power meters on loopback, for examples and tests) and a Poller that reads a point map
// once per call into SampleColumns. Every Modbus call runs with the GIL released.
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "houqin/drivers/driver.hpp"
#include "houqin/drivers/modbus.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/drivers/simulator.hpp"
#include "houqin/telemetry/acquire.hpp"
#include "module.hpp"
#include "store.hpp"
#include "telemetry.hpp"

namespace houqin::python {

namespace {

std::vector<drivers::Point> points_from_py(py::handle points) {
  std::vector<drivers::Point> out;
  for (py::handle p : py::reinterpret_borrow<py::iterable>(points))
    out.push_back(py::isinstance<py::dict>(p)
                      ? json::from_json<drivers::Point>(py_to_json(p, arg_path("points")), "point")
                      : py::cast<drivers::Point>(p));
  return out;
}

py::list points_to_py(const std::vector<drivers::Point>& points) {
  py::list out;
  for (const auto& p : points) out.append(py::cast(p));
  return out;
}

/// The simulator plus the units it serves, so it can describe itself as a point map.
struct PySimulator {
  std::unique_ptr<drivers::Simulator> sim;
  std::vector<std::pair<int, std::vector<drivers::Point>>> units;
  std::vector<std::string> names;
  bool started = false;

  drivers::PointMap point_map() const {
    if (!started) fail(ErrorCode::failed_precondition, "simulator: not started");
    drivers::PointMap map;
    for (std::size_t i = 0; i < units.size(); ++i) {
      drivers::Device d;
      d.id = units[i].first;
      d.name = names[i];
      d.host = "127.0.0.1";
      d.port = sim->port();
      d.unit_id = units[i].first;
      map.devices.push_back(d);
      for (auto p : units[i].second) {
        p.device_id = d.id;
        map.points.push_back(p);
      }
    }
    return map;
  }
  void add(int unit, std::vector<drivers::Point> points, std::string name) {
    if (started) fail(ErrorCode::failed_precondition, "simulator: add units before start()");
    sim->add_unit(unit, points);
    units.emplace_back(unit, std::move(points));
    names.push_back(name.empty() ? "unit-" + std::to_string(unit) : std::move(name));
  }
  void start() {
    if (started) return;
    py::gil_scoped_release nogil;
    sim->start();
    started = true;
  }
  void stop() {
    py::gil_scoped_release nogil;
    sim->stop();
  }
};

/// drivers::Poller behind a mutex; string points are left out of the SampleColumns.
struct PyPoller {
  std::unique_ptr<drivers::Poller> poller;
  std::vector<Id> string_points;  // sorted
  std::mutex mutex;

  std::shared_ptr<SampleColumns> poll() {
    auto out = std::make_shared<SampleColumns>();
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex);
    for (const auto& r : poller->poll())
      if (!std::binary_search(string_points.begin(), string_points.end(), r.point_id))
        out->push_back(telemetry::to_sample(r));
    return out;
  }
  std::vector<drivers::ConnectionStatus> status() {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex);
    return poller->status();
  }
};

}  // namespace

void init_drivers(py::module_& m) {
  auto mod = m.def_submodule("drivers", "Field devices and their points (数据采集).");
  bind_entities<drivers::Device, drivers::Point>(mod);
  bind_enum<drivers::Quality>(mod, "Quality",
                              "The quality of a reading (a sample's quality is its number).");
  mod.def(
      "import_point_map",
      [](py::handle store, py::handle document) {
        auto doc =
            py_to_json(document, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "document"});
        auto report = with_store(
            store_arg(store), [&](store::Store& s) { return drivers::import_point_map(s, doc); });
        return py_codec<store::ImportReport>::to(report);
      },
      py::arg("store"), py::arg("document"),
      "Validates and imports a point-map document (a dict) all or nothing; returns "
      "{\"inserted\": rows per collection, \"total\": their sum}.");
  mod.def(
      "gas_panel_points",
      [](Id device_id, Id first_id) {
        return points_to_py(drivers::gas_panel_points(device_id, first_id));
      },
      py::arg("device_id") = 1, py::arg("first_id") = 1,
      "The register layout of a medical gas panel (pressures, O2 purity and flow, air dew point, "
      "alarm bits, model name) as Points with ids first_id, first_id+1, ...");
  mod.def(
      "power_meter_points",
      [](Id device_id, Id first_id) {
        return points_to_py(drivers::power_meter_points(device_id, first_id));
      },
      py::arg("device_id") = 1, py::arg("first_id") = 1,
      "The register layout of a three-phase power meter as Points with ids first_id, ...");

  py::class_<PySimulator, std::shared_ptr<PySimulator>>(mod, "Simulator", R"doc(
The Modbus TCP device simulator on 127.0.0.1 (a thread of its own): medical gas panels and power
meters with plausible slowly varying values, for examples, notebooks and tests.

    with houqin.drivers.Simulator() as sim:
        sim.add_gas_panel(1)          # before start (the with-block starts it)
        ...
    sim = houqin.drivers.Simulator(); sim.add_gas_panel(1); sim.start(); doc = sim.point_map()
)doc")
      .def(py::init([](int port, int update_interval_ms) {
             drivers::SimulatorOptions o;
             o.port = port;
             o.update_interval = std::chrono::milliseconds(update_interval_ms);
             auto s = std::make_shared<PySimulator>();
             s->sim = std::make_unique<drivers::Simulator>(o);
             return s;
           }),
           py::kw_only(), py::arg("port") = 0, py::arg("update_interval_ms") = 100,
           "A simulator on `port` (0: a free port, see .port after start()).")
      .def(
          "add_unit",
          [](PySimulator& s, int unit_id, py::handle points, std::string name) {
            s.add(unit_id, points_from_py(points), std::move(name));
          },
          py::arg("unit_id"), py::arg("points"), py::kw_only(), py::arg("name") = "",
          "Serves `points` (Points or dicts) as Modbus unit `unit_id`. Before start().")
      .def(
          "add_gas_panel",
          [](PySimulator& s, int unit_id, Id first_id) {
            auto pts = drivers::gas_panel_points(unit_id, first_id);
            s.add(unit_id, pts, "gas-panel-" + std::to_string(unit_id));
            return points_to_py(pts);
          },
          py::arg("unit_id") = 1, py::arg("first_id") = 1,
          "Adds a medical gas panel as unit `unit_id`; returns its Points.")
      .def(
          "add_power_meter",
          [](PySimulator& s, int unit_id, Id first_id) {
            auto pts = drivers::power_meter_points(unit_id, first_id);
            s.add(unit_id, pts, "meter-" + std::to_string(unit_id));
            return points_to_py(pts);
          },
          py::arg("unit_id"), py::arg("first_id"),
          "Adds a three-phase power meter as unit `unit_id`; returns its Points.")
      .def(
          "set_fault",
          [](PySimulator& s, int unit_id, py::kwargs fault) {
            s.sim->set_fault(unit_id, json::from_json<drivers::Fault>(
                                          py_to_json(fault, arg_path("fault")), "fault"));
          },
          py::arg("unit_id"),
          "Makes unit `unit_id` misbehave from now on; keywords as drivers::Fault: delay_ms, "
          "delay_once_ms, silent, drop_connection, exception_code, exception_count, stuck, "
          "spike_reads, spike_factor, and the lies wrong_transaction_id, wrong_unit_id, "
          "wrong_function, short_frames (short_frame_bytes, close_after_short_frame), "
          "wrong_byte_count (byte_count_delta, byte_count_only), garbage_first (garbage_bytes) "
          "(unknown ones raise InvalidArgument).")
      .def(
          "clear_faults", [](PySimulator& s) { s.sim->clear_faults(); },
          "Every unit behaves again.")
      .def("start", &PySimulator::start,
           "Binds and starts serving (Unavailable when it cannot bind). Idempotent.")
      .def("stop", &PySimulator::stop, "Stops serving and closes every connection.")
      .def_property_readonly(
          "port", [](const PySimulator& s) { return s.sim->port(); },
          "The TCP port listened on (after start()).")
      .def_property_readonly(
          "requests", [](const PySimulator& s) { return s.sim->requests(); },
          "Modbus requests received so far.")
      .def(
          "point_map",
          [](const PySimulator& s) { return json_to_py(point_map_json(s.point_map())); },
          "The houqin.point_map document (a dict) of the served units: one device per unit on "
          "127.0.0.1:port. After start().")
      .def("__enter__",
           [](std::shared_ptr<PySimulator> s) {
             s->start();
             return s;
           })
      .def("__exit__", [](PySimulator& s, py::handle, py::handle, py::handle) { s.stop(); });

  py::class_<PyPoller, std::shared_ptr<PyPoller>>(mod, "Poller", R"doc(
Reads every numeric point of a point map over Modbus, once per poll() call: the drivers' own
request planning (one request per register run), qualities instead of exceptions for devices that
fail, and status() to see why. For scripts; a service would run Acquisition continuously.
)doc")
      .def(py::init([](py::handle source) {
             auto map = py::isinstance<StoreHandle>(source)
                            ? with_store(store_arg(source),
                                         [](store::Store& s) { return drivers::read_point_map(s); })
                            : drivers::load_point_map(py_to_json(source, arg_path("point_map")));
             auto p = std::make_shared<PyPoller>();
             for (const auto& pt : map.points)
               if (pt.data_type == drivers::DataType::string) p->string_points.push_back(pt.id);
             std::sort(p->string_points.begin(), p->string_points.end());
             py::gil_scoped_release nogil;
             p->poller = std::make_unique<drivers::Poller>(map);
             return p;
           }),
           py::arg("point_map"),
           "From a houqin.point_map document (a dict; InvalidArgument naming a bad entry) or a "
           "Store holding the point map (samples then carry the stored point ids).")
      .def("poll", &PyPoller::poll,
           "Reads every device once (GIL released) and returns the readings as SampleColumns: "
           "time of the read, value (NaN unless good), quality (drivers Quality number), flag "
           "not_evaluated. String points are left out.")
      .def(
          "status",
          [](PyPoller& p) {
            return py_codec<std::vector<drivers::ConnectionStatus>>::to(p.status());
          },
          "One dict per connection, as C++ drivers::ConnectionStatus describes it: connection "
          "(\"tcp 127.0.0.1:502\"), connected, stats (requests, timeouts, reconnects, connects, "
          "connect_failures, resyncs, bad_frames, last_error, last_error_time) and devices "
          "(device_id, "
          "device, quality: a Quality, error: why it is not good, polled_at) for the last poll.")
      .def_property_readonly(
          "requests",
          [](PyPoller& p) {
            std::lock_guard lock(p.mutex);
            return p.poller->requests();
          },
          "Modbus read requests sent so far.");
}

}  // namespace houqin::python
