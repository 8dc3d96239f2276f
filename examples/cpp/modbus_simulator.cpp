// Runs the Modbus TCP simulator: a medical gas panel (unit 1) and power meters (units 2..)
// on 127.0.0.1, writes their point map as a houqin.point_map document, reads everything once
// with houqin's own driver, and serves until the time is up.
//   modbus_simulator [--port=N] [--meters=N] [--seconds=N] [--map=FILE]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <houqin/houqin.hpp>
#include <iostream>
#include <string>
#include <thread>

using namespace houqin;
using namespace houqin::drivers;

int main(int argc, char** argv) {
  int port = 0, meters = 3;
  double seconds = 2;
  std::string map_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      auto n = std::strlen(name);
      return a.compare(0, n, name) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--port="))
      port = std::stoi(v);
    else if (const char* m = value("--meters="))
      meters = std::stoi(m);
    else if (const char* s = value("--seconds="))
      seconds = std::stod(s);
    else if (const char* f = value("--map="))
      map_file = f;
    else {
      std::cerr << "usage: modbus_simulator [--port=N] [--meters=N] [--seconds=N] [--map=FILE]\n";
      return 2;
    }
  }
  try {
    Simulator sim(SimulatorOptions{.port = port});
    PointMap map;
    auto add = [&](int unit, std::vector<Point> points, const char* kind) {
      Device d;
      d.id = unit;
      d.name = std::string(kind) + "-" + std::to_string(unit);
      d.host = "127.0.0.1";
      d.unit_id = unit;
      map.devices.push_back(d);
      for (auto& p : points) map.points.push_back(p);
      sim.add_unit(unit, std::move(points));
    };
    add(1, gas_panel_points(1, 1), "gas-panel");
    for (int m = 0; m < meters; ++m) add(2 + m, power_meter_points(2 + m, 1000 * (m + 1)), "meter");
    sim.start();
    for (auto& d : map.devices) d.port = sim.port();
    validate_map(map);
    std::printf("listening on 127.0.0.1:%d, units 1..%d\n", sim.port(), 1 + meters);
    if (!map_file.empty()) std::ofstream(map_file) << point_map_json(map).dump(2) << "\n";

    // Read everything once through the driver, the way acquisition does.
    auto groups = group_by_connection(map);
    ModbusDriver driver(groups.front());
    std::vector<Reading> readings;
    std::size_t points = 0, good = 0, requests = 0;
    for (std::size_t d = 0; d < driver.devices().size(); ++d) {
      driver.poll(d, readings);
      requests += driver.plan(d).size();
      for (std::size_t i = 0; i < readings.size(); ++i) {
        ++points;
        good += readings[i].quality == Quality::good;
        const auto& p = driver.devices()[d].points[i];
        if (d < 2 && (i < 3 || p.data_type == DataType::string))
          std::printf("  %-10s %-16s %s %s\n", driver.devices()[d].device.name.c_str(),
                      p.name.c_str(),
                      p.data_type == DataType::string ? readings[i].text.c_str()
                                                      : std::to_string(readings[i].value).c_str(),
                      p.unit.c_str());
      }
    }
    std::printf("read %zu points (%zu good) with %zu requests; one request per point: %zu\n",
                points, good, requests, points);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::printf("served %llu requests\n", static_cast<unsigned long long>(sim.requests()));
    return good == points ? 0 : 1;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
