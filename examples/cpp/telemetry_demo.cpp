// ./dev.sh demo (after the hospital demo): the telemetry pipeline end to end on an embedded SQLite
// file. The sample hospital and its point map are imported, the Modbus simulator serves the gas
// panel and the power meters on loopback, the standard stages (verify, alarm, store) run on what
// acquisition reads while faults are injected (a gas pressure drop, a phase voltage sag, a spike),
// the wiring turns high-priority alarms into work orders, they are dispatched and the reminders
// land in the notify outbox. Writes telemetry.html with trend charts drawn from the sample store.
//   telemetry_demo HOSPITAL.json POINT_MAP.json OUTPUT_DIR [--seconds=N]
#include <houqin/houqin.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

namespace {

using namespace houqin;
using namespace std::chrono_literals;

/// Counts the flags of every sample that went through the other stages (last in the pipeline,
/// on its thread), readable from any thread for the progress line.
class FlagCounter final : public telemetry::Stage {
 public:
  void process(std::span<telemetry::Sample> batch) override {
    for (const auto& s : batch) ++counts[static_cast<int>(s.flag)];
  }
  std::atomic<std::uint64_t> counts[4]{};
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::not_found, "cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A trend chart of stored series over seconds since `t0`, with dashed limit lines.
std::string trend_chart(const std::string& title, const std::string& unit,
                        std::vector<chart::Series> lines, double seconds,
                        const std::vector<chart::Limit>& limits = {}) {
  chart::LineOptions o{.x_title = "time since start", .y_title = unit, .x_unit = "s"};
  o.x_max = std::max(seconds, 1.0);
  return chart::figure(title, chart::lines(lines, limits, o));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  double seconds = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0)
      seconds = std::stod(argv[i] + 10);
    else
      args.emplace_back(argv[i]);
  }
  if (args.size() != 3 || seconds <= 0) {
    std::cerr << "usage: telemetry_demo HOSPITAL.json POINT_MAP.json OUTPUT_DIR [--seconds=N]\n";
    return 2;
  }
  try {
    std::filesystem::path out_dir = args[2];
    std::filesystem::create_directories(out_dir);
    auto db = out_dir / "telemetry.sqlite";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
    std::filesystem::remove_all(out_dir / "telemetry-wal");

    // Staff phones are sealed at rest: the key file next to the database, as the hospital demo.
    auto keys = std::getenv("HOUQIN_KEYS")
                    ? protect::Keyring::from_env()
                    : protect::Keyring::open_or_create(out_dir / "demo.keys", "demo1");
    const std::string url = "sqlite:" + db.string();
    auto store = store::Store::open(url, {.keys = keys});
    auto migrations = houqin::migrations();
    std::cout << "houqin " << version_string() << " - telemetry demo on " << store->url() << "\n";
    std::cout << "schema migrations applied: " << store::migrate(*store, migrations) << "\n";

    // 1. The hospital, its point map and a few technicians.
    auto site_report = site::import_hospital(*store, json::parse(read_file(args[0]), args[0]));
    auto map_report = drivers::import_point_map(*store, json::parse(read_file(args[1]), args[1]));
    std::cout << "imported " << site_report.total << " hospital records and " << map_report.total
              << " point map records\n";
    using store::Op;
    using store::Query;
    using store::Repository;
    auto desk = auth::Actor::service("desk", {"repair.report", "repair.dispatch", "repair.work",
                                              "repair.close", "repair.configure"});
    auto room_id = [&](const char* code) -> std::optional<Id> {
      auto rooms = Repository<site::Room>(*store).find(
          Query<site::Room>().where(&site::Room::code, Op::eq, std::string(code)));
      if (rooms.empty()) return std::nullopt;
      return rooms.front().id;
    };
    int technicians = 0;
    for (const auto& st :
         Repository<site::Staff>(*store).find(Query<site::Staff>().order_by(&site::Staff::id))) {
      bool fits = std::find(st.skills.begin(), st.skills.end(), "medical_gas") != st.skills.end() ||
                  std::find(st.skills.begin(), st.skills.end(), "electrical") != st.skills.end();
      if (!fits || !st.active || !st.phone || technicians >= 4) continue;
      repair::Technician t;
      t.staff_id = st.id;
      t.team = "engineering";
      t.base_room_id = room_id("D-1-0102");
      repair::save_config(*store, desk, t);
      std::cout << "  technician " << st.name << " (" << st.title << ")\n";
      ++technicians;
    }

    // 2. The simulator serves the point map's TCP devices; acquisition reads them on loopback.
    auto stored_map = drivers::read_point_map(*store);
    drivers::Simulator sim;
    drivers::PointMap map;
    for (const auto& d : stored_map.devices) {
      if (d.transport != drivers::Transport::tcp) continue;  // the RS-485 meter is not simulated
      std::vector<drivers::Point> points;
      for (const auto& p : stored_map.points)
        if (p.device_id == d.id) points.push_back(p);
      sim.add_unit(d.unit_id, points);
      map.devices.push_back(d);
      map.points.insert(map.points.end(), points.begin(), points.end());
    }
    sim.start();
    for (auto& d : map.devices) {
      d.host = "127.0.0.1";
      d.port = sim.port();
      d.poll_interval_ms = 250;
      d.response_timeout_ms = 300;
    }
    std::cout << "simulator on 127.0.0.1:" << sim.port() << ": " << map.devices.size()
              << " devices, " << map.points.size() << " points\n";

    auto device_of = [&](const char* name) -> const drivers::Device* {
      for (const auto& d : map.devices)
        if (d.name == name) return &d;
      return nullptr;
    };
    auto point_of = [&](const drivers::Device* d, const char* name) -> Id {
      for (const auto& p : map.points)
        if (d && p.device_id == d->id && p.name == name) return p.id;
      return 0;
    };
    const auto* gas_panel = device_of("gas-panel-1");
    const auto* meter = device_of("meter-2");
    const auto* meter3 = device_of("meter-3");
    if (!gas_panel || !meter || !meter3)
      fail(ErrorCode::not_found, "the point map has no gas-panel-1, meter-2 and meter-3");

    auto config = telemetry::config_from_point_map(map);
    const auto profiled = config.verify.size();
    std::cout << "pipeline: " << config.storage.size() << " points stored, " << profiled
              << " with gas or power profiles, " << config.alarms.size() << " alarm configs\n";

    // 3. Where each point's alarm orders go (rows of wiring_alarm_target, configuration any
    // process reads), and the host that runs the wiring: alarms found by the runtime are events
    // in the store's log, and the host's "wiring" consumer turns them into work orders, in its
    // own connection and thread, exactly once.
    Repository<wiring::AlarmTarget> target_rows(*store);
    for (const auto& p : map.points) {
      wiring::AlarmTarget t;
      t.point_id = p.id;
      if (p.device_id == gas_panel->id) {
        t.room_id = room_id("B-3-0301");
        t.description = "Medical gas " + p.name + ", ICU 3F (gas panel 1)";
      } else {
        t.room_id = room_id(p.device_id == meter->id ? "B-3-0307" : "D-1-0102");
        t.description =
            "Power " + p.name + " on " +
            (p.device_id == meter->id ? "meter-2, ICU switch room" : "meter-3, LV room");
      }
      target_rows.insert(t);
    }
    auto host_store = store::Store::open(url, {.keys = keys});
    host::Host host(*host_store);
    wiring::install(host, wiring::actor());
    std::atomic<int> orders{0};
    auto order_count = host_store->events().subscribe<repair::WorkOrderReported>(
        [&](const repair::WorkOrderReported&) { ++orders; });
    host.start();

    auto flags = std::make_shared<FlagCounter>();
    std::atomic<int> stage_errors{0};
    telemetry::RuntimeOptions runtime_options;
    runtime_options.url = url;
    runtime_options.store.keys = keys;
    runtime_options.storage.wal_dir = out_dir / "telemetry-wal";
    runtime_options.pipeline.batch_size = 512;
    runtime_options.pipeline.on_error = [&](std::string_view stage, std::exception_ptr error,
                                            std::span<const telemetry::Sample>) {
      if (++stage_errors > 3) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << "stage " << stage << ": " << e.what() << "\n";
      }
    };
    runtime_options.forward = flags;
    telemetry::Runtime rt(runtime_options, config);

    std::atomic<int> raised{0}, cleared{0};
    std::map<std::string, int> raised_by_kind;  // touched on the pipeline thread only
    auto s1 = rt.events().subscribe<telemetry::AlarmRaised>([&](const telemetry::AlarmRaised& e) {
      ++raised;
      ++raised_by_kind[std::string(enum_name(e.kind)) + "/" + std::string(enum_name(e.priority))];
    });
    // An episode ends (AlarmCleared) once the alarm is back to normal and acknowledged; until
    // then a return to normal is a transition to returned_unacknowledged.
    std::atomic<int> returned{0};
    auto s2 = rt.events().subscribe<telemetry::AlarmTransition>(
        [&](const telemetry::AlarmTransition& tr) {
          if (tr.cause == telemetry::AlarmCause::cleared) ++returned;
        });
    auto s3 = rt.events().subscribe<telemetry::AlarmCleared>(
        [&](const telemetry::AlarmCleared&) { ++cleared; });

    // 4. Run, injecting faults on a schedule relative to the run's length.
    const auto start_time = telemetry::to_micros(system_clock().now());
    const double drop_at = 0.5, drop_until = seconds >= 8 ? 0.6 * seconds : seconds + 1;
    const double sag_at = 0.3 * seconds, sag_until = 0.5 * seconds, spike_at = 0.7 * seconds;
    std::cout << "\nrunning " << seconds << " s: O2 panel pressure drop -25 % at " << drop_at
              << " s";
    if (drop_until <= seconds) std::cout << " until " << drop_until << " s";
    std::cout << ", meter-2 voltage sag -15 % " << sag_at << ".." << sag_until
              << " s, meter-3 spike x10 at " << spike_at << " s\n";
    {
      telemetry::PipelineAcquisition acquisition(map, rt.pipeline());
      auto t_start = std::chrono::steady_clock::now();
      bool dropped = false, restored = false, sagging = false, sag_done = false, spiked = false;
      int printed = 0;
      for (;;) {
        double t =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        if (t >= seconds) break;
        if (!dropped && t >= drop_at) {
          sim.set_fault(gas_panel->unit_id,
                        drivers::Fault{.spike_reads = 1'000'000'000, .spike_factor = 0.75});
          dropped = true;
          std::printf("  [%5.1f s] fault: gas panel pressures drop by 25 %%\n", t);
        }
        if (dropped && !restored && t >= drop_until) {
          sim.set_fault(gas_panel->unit_id, drivers::Fault{});
          restored = true;
          std::printf("  [%5.1f s] fault cleared: gas panel pressures back\n", t);
        }
        if (!sagging && t >= sag_at) {
          sim.set_fault(meter->unit_id,
                        drivers::Fault{.spike_reads = 1'000'000'000, .spike_factor = 0.85});
          sagging = true;
          std::printf("  [%5.1f s] fault: meter-2 voltage sag -15 %%\n", t);
        }
        if (sagging && !sag_done && t >= sag_until) {
          sim.set_fault(meter->unit_id, drivers::Fault{});
          sag_done = true;
          std::printf("  [%5.1f s] fault cleared: meter-2 back to nominal\n", t);
        }
        if (!spiked && t >= spike_at) {
          sim.set_fault(meter3->unit_id, drivers::Fault{.spike_reads = 3, .spike_factor = 10});
          spiked = true;
          std::printf("  [%5.1f s] fault: meter-3 spike x10 for 3 answers\n", t);
        }
        if (t >= printed + 1) {
          printed = static_cast<int>(t);
          auto st = rt.stats();
          std::printf(
              "  t=%3d s  samples %6llu  pass %6llu suspect %4llu fail %4llu  alarms raised %3d "
              "back %3d  work orders %2d\n",
              printed, static_cast<unsigned long long>(st.processed),
              static_cast<unsigned long long>(flags->counts[1].load()),
              static_cast<unsigned long long>(flags->counts[2].load()),
              static_cast<unsigned long long>(flags->counts[3].load()), raised.load(),
              returned.load(), orders.load());
          std::fflush(stdout);
        }
        std::this_thread::sleep_for(50ms);
      }
      acquisition.stop();
      std::printf("acquisition: %llu samples pushed, %llu dropped\n",
                  static_cast<unsigned long long>(acquisition.pushed()),
                  static_cast<unsigned long long>(acquisition.dropped()));
    }
    rt.close();  // everything accepted is processed and stored
    sim.stop();
    const auto end_time = telemetry::to_micros(system_clock().now());

    // 5. The operator acknowledges every standing alarm: those back to normal end their episode
    // (AlarmCleared; the wiring records when and at what value on the episode's order).
    auto operator_actor = auth::Actor::service("operator", {"telemetry.ack", "telemetry.read"});
    int acknowledged = 0;
    for (const auto& a : rt.standing(operator_actor))
      if (!a.acknowledged) {
        rt.acknowledge(operator_actor, telemetry::AlarmKey{a.point_id, a.kind}, "seen on the demo");
        ++acknowledged;
      }
    auto still_standing = rt.standing(operator_actor).size();

    // 6. Dispatch the alarm orders: the assignment reminder goes to the technician's phone.
    repair::WorkOrders work_orders(*store);
    auto alarm_orders = Repository<repair::WorkOrder>(*store).find(Query<repair::WorkOrder>().where(
        &repair::WorkOrder::channel, Op::eq, repair::Channel::alarm));
    int dispatched = 0;
    for (const auto& wo : alarm_orders) {
      auto d = work_orders.auto_dispatch(desk, wo.id);
      if (d.chosen) ++dispatched;
    }

    // The host reacts to the acknowledgements and assignments too; wait until it has seen
    // everything in the log (bounded), then stop it.
    for (int i = 0; i < 100; ++i) {
      auto st = host::cluster_status(*store);
      if (std::all_of(st.consumers.begin(), st.consumers.end(),
                      [](const auto& c) { return c.lag == 0; }))
        break;
      std::this_thread::sleep_for(100ms);
    }
    host.stop();
    const auto host_status = host::cluster_status(*store);
    std::int64_t wiring_errors = 0;
    for (const auto& c : host_status.consumers) wiring_errors += c.dead_letters + c.attempts;

    // 7. Summary.
    auto stats = rt.storage_stats();
    const auto vc = rt.verify_counters();
    auto outbox = Repository<notify::Message>(*store).find();
    std::map<std::string, int> outbox_by_template;
    for (const auto& m : outbox) ++outbox_by_template[m.template_name];
    auto links = Repository<wiring::AlarmOrder>(*store).count();
    std::cout << "\n== Summary ==\n"
              << "  samples stored: " << stats.samples_appended << " (" << stats.points
              << " points)\n"
              << "  flags: pass " << vc.pass << ", suspect " << vc.suspect << ", fail " << vc.fail
              << ", not evaluated " << vc.not_evaluated << ", gaps " << vc.gaps << "\n"
              << "  alarms raised: " << raised << ", returned to normal: " << returned
              << ", acknowledged: " << acknowledged << ", cleared: " << cleared
              << ", still standing: " << still_standing << " (transitions persisted by the "
              << "pipeline " << rt.alarm_transitions() << ")\n";
    for (const auto& [k, n] : raised_by_kind) std::cout << "    " << k << ": " << n << "\n";
    std::cout << "  work orders opened: " << alarm_orders.size() << " (alarm episodes linked "
              << links << "), dispatched: " << dispatched << "\n"
              << "  outbox messages: " << outbox.size();
    for (const auto& [k, n] : outbox_by_template) std::cout << ", " << k << " " << n;
    std::cout << "\n";
    if (wiring_errors || stage_errors)
      std::cout << "  errors: wiring " << wiring_errors << ", stages " << stage_errors << "\n";
    for (const auto& wo : alarm_orders)
      std::cout << "    " << wo.code << "  " << wo.description.substr(0, 90) << "\n";

    // 8. telemetry.html: the trends, queried from the sample store.
    auto q = [&](Id point) { return rt.query(point, start_time, end_time + 1); };
    const double span = static_cast<double>(end_time - start_time) / 1e6;
    auto line = [&](const char* label, const char* color, Id point) {
      chart::Series l{.label = label, .color = color};
      auto got = q(point);
      for (std::size_t i = 0; i < got.size(); ++i) {
        l.x.push_back(static_cast<double>(got.times[i] - start_time) / 1e6);
        l.y.push_back(got.values[i]);
      }
      return l;
    };
    std::vector<chart::Series> gas_lines, volt_lines;
    gas_lines.push_back(line("O2", "#2b7bb9", point_of(gas_panel, "o2_pressure")));
    gas_lines.push_back(line("air", "#e08a1e", point_of(gas_panel, "air_pressure")));
    volt_lines.push_back(line("Ua", "#c8a400", point_of(meter, "ua")));
    volt_lines.push_back(line("Ub", "#2a9d3a", point_of(meter, "ub")));
    volt_lines.push_back(line("Uc", "#c0392b", point_of(meter, "uc")));
    std::ostringstream html;
    html << "<!doctype html><html><head><meta charset='utf-8'><title>houqin telemetry demo</title>"
            "<style>body{font-family:sans-serif;margin:2em}figure{margin:1em 0}"
            "figcaption{font-weight:bold}td,th{padding:2px "
            "10px;text-align:left}</style></head><body>"
         << "<h1>Telemetry demo</h1><p>" << seconds << " s of the Modbus simulator through the "
         << "standard pipeline (verify, alarm, store) into " << html_escape(store->url()) << ".</p>"
         << trend_chart("Gas pressure, gas panel 1 (area alarm below 320 kPa)", "kPa", gas_lines,
                        span, {{"O2 lo", 320}})
         << trend_chart("Phase voltages, meter-2 (band 230 V +/-7 %)", "V", volt_lines, span,
                        {{"lo", 230 * 0.93}, {"hi", 230 * 1.07}})
         << "<h2>Summary</h2><table>"
         << "<tr><th>samples stored</th><td>" << stats.samples_appended << "</td></tr>"
         << "<tr><th>flags</th><td>pass " << vc.pass << ", suspect " << vc.suspect << ", fail "
         << vc.fail << "</td></tr>"
         << "<tr><th>alarms</th><td>raised " << raised << ", returned to normal " << returned
         << ", cleared " << cleared << ", still standing " << still_standing << "</td></tr>"
         << "<tr><th>work orders</th><td>opened " << alarm_orders.size() << ", dispatched "
         << dispatched << "</td></tr>"
         << "<tr><th>outbox</th><td>" << outbox.size() << " messages</td></tr></table>"
         << "<h2>Alarm work orders</h2><ul>";
    for (const auto& wo : alarm_orders)
      html << "<li>" << html_escape(wo.code) << ": " << html_escape(wo.description) << "</li>";
    html << "</ul></body></html>\n";
    auto page = out_dir / "telemetry.html";
    std::ofstream(page) << html.str();
    std::cout << "\ntelemetry report written to " << page.string() << "\n";
    return alarm_orders.empty() ? 1 : 0;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
