// Polling a realistic site over loopback: a medical gas panel and 50 three-phase power meters
// served by the simulator on one connection. houqin's driver with planned requests against the
// ceiling, a bare libmodbus loop issuing exactly the planned requests without decoding, and
// against one request per point, in the same run. Items are points read.
// Targets: BM_PlannedPoll >= 0.8 of BM_CeilingRawLibmodbus and >= 20x BM_PerPointPoll.
//   modbus_bench [--meters=N] [google benchmark flags]   (ratios compare the medians of 5 runs)
#include <benchmark/benchmark.h>
#include <modbus/modbus.h>

#include <cstdio>
#include <cstring>
#include <houqin/houqin.hpp>
#include <map>
#include <memory>
#include <set>

namespace {

using namespace houqin;
using namespace houqin::drivers;

int g_meters = 50;

struct Site {
  Simulator sim;
  std::vector<DeviceMap> devices;
  std::size_t points = 0;
};

Site& test_site() {
  static std::unique_ptr<Site> s = [] {
    auto out = std::make_unique<Site>();
    auto add = [&](int unit, std::vector<Point> points) {
      out->sim.add_unit(unit, points);
      Device d;
      d.id = unit;
      d.name = "unit-" + std::to_string(unit);
      d.host = "127.0.0.1";
      d.unit_id = unit;
      d.response_timeout_ms = 1000;
      out->points += points.size();
      out->devices.push_back(DeviceMap{d, std::move(points)});
    };
    add(1, gas_panel_points(1, 1));
    for (int m = 0; m < g_meters; ++m) add(2 + m, power_meter_points(2 + m, 1000 * (m + 1)));
    out->sim.start();
    for (auto& dm : out->devices) dm.device.port = out->sim.port();
    return out;
  }();
  return *s;
}

std::size_t requests_per_poll(const ModbusDriver& driver) {
  std::size_t n = 0;
  for (std::size_t d = 0; d < driver.devices().size(); ++d) n += driver.plan(d).size();
  return n;
}

std::map<std::string, std::size_t> g_requests;

void poll_with(benchmark::State& state, const char* name, bool per_point) {
  auto& s = test_site();
  ModbusOptions options;
  options.request_per_point = per_point;
  ModbusDriver driver(s.devices, system_clock(), options);
  g_requests[name] = requests_per_poll(driver);
  std::vector<Reading> readings;
  for (auto _ : state) {
    for (std::size_t d = 0; d < s.devices.size(); ++d) {
      driver.poll(d, readings);
      if (readings.front().quality != Quality::good) state.SkipWithError("read failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.points));
  state.counters["requests_per_poll"] = static_cast<double>(g_requests[name]);
}

void BM_PlannedPoll(benchmark::State& state) {
  poll_with(state, "BM_PlannedPoll", false);
}
void BM_PerPointPoll(benchmark::State& state) {
  poll_with(state, "BM_PerPointPoll", true);
}

/// The ceiling: the planned requests through a bare libmodbus context, nothing decoded.
void BM_CeilingRawLibmodbus(benchmark::State& state) {
  auto& s = test_site();
  std::vector<std::vector<ReadRequest>> plans;
  for (const auto& dm : s.devices) plans.push_back(plan_reads(dm.device, dm.points));
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", s.sim.port());
  modbus_set_response_timeout(ctx, 1, 0);
  if (modbus_connect(ctx) != 0) {
    state.SkipWithError("cannot connect");
    modbus_free(ctx);
    return;
  }
  std::uint16_t regs[MODBUS_MAX_READ_REGISTERS];
  std::uint8_t bits[MODBUS_MAX_READ_BITS];
  for (auto _ : state) {
    for (std::size_t d = 0; d < plans.size(); ++d) {
      modbus_set_slave(ctx, s.devices[d].device.unit_id);
      for (const auto& r : plans[d]) {
        int rc = 0;
        switch (r.register_type) {
          case RegisterType::coil:
            rc = modbus_read_bits(ctx, r.address, r.count, bits);
            break;
          case RegisterType::discrete_input:
            rc = modbus_read_input_bits(ctx, r.address, r.count, bits);
            break;
          case RegisterType::input_register:
            rc = modbus_read_input_registers(ctx, r.address, r.count, regs);
            break;
          case RegisterType::holding_register:
            rc = modbus_read_registers(ctx, r.address, r.count, regs);
            break;
        }
        if (rc < 0) state.SkipWithError(modbus_strerror(errno));
      }
    }
    benchmark::DoNotOptimize(regs);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.points));
  modbus_close(ctx);
  modbus_free(ctx);
}

/// Prints the normal console output and remembers items/s per benchmark for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> items_per_second;
  std::set<std::string> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      // With repetitions the median stands for the benchmark; a single run stands for itself.
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (!median && r.run_type != Run::RT_Iteration) continue;
      auto name = r.run_name.function_name;
      if (median || !medians.count(name)) items_per_second[name] = it->second;
      if (median) medians.insert(name);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  // The machine is shared and drifts: by default each benchmark runs 5 times, interleaved at
  // random with the others, and the ratios compare medians. Flags given later override these.
  std::string reps = "--benchmark_repetitions=5",
              interleave = "--benchmark_enable_random_interleaving=true",
              aggregates = "--benchmark_display_aggregates_only=true";
  std::vector<char*> args = {argv[0], reps.data(), interleave.data(), aggregates.data()};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--meters=", 9) == 0)
      g_meters = std::stoi(argv[i] + 9);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  for (auto [name, fn] : {std::pair{"BM_PlannedPoll", &BM_PlannedPoll},
                          std::pair{"BM_CeilingRawLibmodbus", &BM_CeilingRawLibmodbus},
                          std::pair{"BM_PerPointPoll", &BM_PerPointPoll}})
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->UseRealTime();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& ips = reporter.items_per_second;
  std::printf("site: 1 gas panel + %d meters, %zu points\n", g_meters, test_site().points);
  for (const auto& [name, count] : g_requests)
    std::printf("requests per poll %s = %zu\n", name.c_str(), count);
  // No plan can do with fewer requests than one per device and register type in use.
  std::size_t bound = 0;
  for (const auto& dm : test_site().devices) {
    bool used[4] = {};
    for (const auto& p : dm.points) used[static_cast<int>(p.register_type)] = true;
    for (bool u : used) bound += u;
  }
  std::printf("lower bound (one request per device and register type) = %zu\n", bound);
  if (ips.count("BM_PlannedPoll") && ips.count("BM_CeilingRawLibmodbus"))
    std::printf("ratio BM_PlannedPoll / BM_CeilingRawLibmodbus = %.3f (target >= 0.8)\n",
                ips["BM_PlannedPoll"] / ips["BM_CeilingRawLibmodbus"]);
  if (ips.count("BM_PlannedPoll") && ips.count("BM_PerPointPoll"))
    std::printf("ratio BM_PlannedPoll / BM_PerPointPoll = %.1f (target >= 20)\n",
                ips["BM_PlannedPoll"] / ips["BM_PerPointPoll"]);
  benchmark::Shutdown();
  return 0;
}
