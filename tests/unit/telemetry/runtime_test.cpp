// telemetry::Runtime on every shared backend: samples pushed from any thread are verified,
// alarmed and stored; queries and alarm operations are safe while the pipeline runs; alarm events
// from the pipeline and from operators reach the runtime's bus, and a handler may query; close()
// leaves everything in the database for the next runtime. Also the configuration from a point map
// and its JSON form.
#include "houqin/telemetry/runtime.hpp"
#include "houqin/gas/profile.hpp"
#include "houqin/power/quality.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/drivers/simulator.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::telemetry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr Micros sec = 1'000'000;
constexpr Id area_o2 = 1;  // ICU area pressure: nominal 400 kPa, lo alarm at 320 after 2 s
constexpr Id meter_v = 2;  // a phase voltage, stored and verified

TelemetryConfig config() {
  TelemetryConfig cfg;
  gas::add(cfg, gas::GasPoint{.point_id = area_o2, .role = gas::Role::area, .area = "ICU"});
  power::add(cfg, power::PowerPoint{.point_id = meter_v, .nominal = 230, .area = "ICU"});
  return cfg;
}

class RuntimeTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  Micros t0 = to_micros(testing::test_start);
  fs::path wal =
      fs::temp_directory_path() / ("houqin-runtime-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());

  void SetUp() override {
    fs::remove_all(wal);
    s = pf.open(GetParam());
  }
  void TearDown() override { fs::remove_all(wal); }

  RuntimeOptions options() {
    RuntimeOptions o;
    o.url = pf.fx.url();
    o.store.clock = &pf.clock;
    o.store.keys = testing::test_keyring();
    o.storage.wal_dir = wal;
    o.pipeline.batch_size = 8;
    o.pipeline.queue_batches = 8;
    return o;
  }
  /// Second k: the area pressure steady, then from `drop_at` at 300 kPa (below lo).
  std::vector<Sample> second(std::int64_t k, std::int64_t drop_at = 1'000) {
    return {{area_o2, t0 + k * sec, k >= drop_at ? 300.0 : 400 + 0.1 * (k % 2)},
            {meter_v, t0 + k * sec, 230 + 0.01 * (k % 5)}};
  }
};

TEST_P(RuntimeTest, PushedSamplesAreVerifiedAlarmedStoredAndSurviveClose) {
  HQ_REQUIRE_STORE(s);
  std::mutex m;
  std::vector<AlarmRaised> raised;
  std::size_t seen_in_handler = 0;
  {
    Runtime rt(options(), config());
    // A handler runs on the pipeline thread and may query the runtime (no deadlock).
    auto sub = rt.events().subscribe<AlarmRaised>([&](const AlarmRaised& e) {
      auto got = rt.query(e.point_id, t0, t0 + 100 * sec);
      std::lock_guard lock(m);
      raised.push_back(e);
      seen_in_handler = got.size();
    });
    for (std::int64_t k = 0; k < 20; ++k) {
      auto b = second(k, 10);
      ASSERT_EQ(rt.push(b).status, PushStatus::accepted);
    }
    rt.sync();
    auto got = rt.query(area_o2, t0, t0 + 20 * sec);
    ASSERT_EQ(got.size(), 20u);
    EXPECT_EQ(got.flags[5], Flag::pass);
    EXPECT_EQ(got.flags[10], Flag::suspect) << "a 100 kPa/s drop is doubtful";
    EXPECT_EQ(got.values[12], 300);

    // The caller-buffer form counts like snprintf.
    std::vector<Micros> times(4);
    std::vector<double> values(4);
    std::vector<QualityCode> qualities(4);
    std::vector<Flag> flags(4);
    EXPECT_EQ(rt.query(meter_v, t0, t0 + 20 * sec, {times, values, qualities, flags}), 20u);
    EXPECT_EQ(times[3], t0 + 3 * sec);
    EXPECT_DOUBLE_EQ(values[3], 230.03);
    testing::expect_error([&] { rt.query(99, t0, t0 + sec); }, ErrorCode::not_found,
                          "telemetry runtime: point 99 is not configured");

    {
      std::lock_guard lock(m);
      ASSERT_EQ(raised.size(), 1u);
      EXPECT_EQ(raised[0].point_id, area_o2);
      EXPECT_EQ(raised[0].kind, AlarmKind::lo);
      EXPECT_GE(seen_in_handler, 12u);
    }
    EXPECT_EQ(rt.engine().status({area_o2, AlarmKind::lo}).state, AlarmState::unacknowledged);
    EXPECT_EQ(rt.stats().durable, 40u);
    EXPECT_EQ(rt.storage_stats().points, 2u);

    rt.close();
    rt.close();  // idempotent
    EXPECT_TRUE(rt.closed());
    auto late = second(30);
    EXPECT_EQ(rt.push(late).status, PushStatus::closed);
  }
  // close() wrote the open blocks and restored state is kept: a new runtime sees everything.
  EXPECT_TRUE(fs::is_empty(wal) || !fs::exists(wal) ||
              std::all_of(fs::directory_iterator(wal), fs::directory_iterator(),
                          [](const fs::directory_entry& e) { return fs::file_size(e) < 64; }));
  Runtime again(options(), config());
  EXPECT_EQ(again.query(area_o2, t0, t0 + 20 * sec).size(), 20u);
  EXPECT_EQ(again.engine().status({area_o2, AlarmKind::lo}).state, AlarmState::unacknowledged);
}

TEST_P(RuntimeTest, RuntimeStatsAreOneDescribedStructWithTheCallbackErrors) {
  HQ_REQUIRE_STORE(s);
  Runtime rt(options(), config());
  // A handler that throws is counted in the stats, and the pipeline goes on.
  auto sub = rt.events().subscribe<AlarmRaised>(
      [](const AlarmRaised&) { fail(ErrorCode::internal, "host handler broke"); });
  for (std::int64_t k = 0; k < 20; ++k) {
    auto b = second(k, 10);
    ASSERT_EQ(rt.push(b).status, PushStatus::accepted);
  }
  rt.sync();
  auto st = rt.runtime_stats();
  EXPECT_EQ(st.alarm_callback_errors, 1u);
  EXPECT_EQ(st.pipeline.durable, 40u);
  EXPECT_EQ(st.storage.points, 2u);
  ASSERT_EQ(st.pipeline.stages.size(), 3u);
  EXPECT_GT(st.pipeline.stages[0].time.count(), 0);

  // JSON from the description: the names C and Python give, the stage time as a duration.
  auto j = json::to_json(st);
  EXPECT_EQ(j["alarm_callback_errors"], 1);
  EXPECT_EQ(j["pipeline"]["durable"], 40);
  EXPECT_EQ(j["pipeline"]["stages"][0]["name"], "verify");
  ASSERT_TRUE(j["pipeline"]["stages"][0]["time"].is_string());
  EXPECT_EQ(parse_duration(j["pipeline"]["stages"][0]["time"].get<std::string>()),
            st.pipeline.stages[0].time);
  EXPECT_FALSE(j["pipeline"]["stages"][0].contains("time_ns"));
  EXPECT_EQ(j["storage"]["points"], 2);
  EXPECT_EQ(j["storage"].size(),  // every member of SampleStoreStats
            (boost::mp11::mp_size<boost::describe::describe_members<
                 SampleStoreStats, boost::describe::mod_public>>::value));
  EXPECT_EQ(j["storage"]["windows_compacted"], 0);
  EXPECT_EQ(j["storage"]["write_failures"], 0);
  // ... and the output schema of the same description says so.
  auto schema = json::schema<RuntimeStats>(json::Direction::output);
  EXPECT_EQ(json::conforms(schema, j), "");
  auto stage = json::schema<StageStats>(json::Direction::output);
  EXPECT_EQ(stage["properties"]["time"]["format"], "duration");
}

TEST_P(RuntimeTest, OperatorsActOnAlarmsWhileSamplesFlowAndEventsReachTheBus) {
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("op", "operator", {"telemetry.ack", "telemetry.shelve", "telemetry.read"});
  auto viewer = pf.user_with("viewer", "viewer", {"telemetry.read"});
  Runtime rt(options(), config());
  std::mutex m;
  std::vector<AlarmTransition> transitions;
  auto sub = rt.events().subscribe<AlarmTransition>([&](const AlarmTransition& t) {
    std::lock_guard lock(m);
    transitions.push_back(t);
  });
  for (std::int64_t k = 0; k < 15; ++k) {
    auto b = second(k, 5);
    rt.push(b);
  }
  rt.sync();
  ASSERT_EQ(rt.standing(viewer).size(), 1u);

  // Acknowledging needs telemetry.ack: the viewer is refused and nothing changes.
  testing::expect_error(
      [&] {
        rt.acknowledge(viewer, {area_o2, AlarmKind::lo});
      },
      ErrorCode::permission_denied, "");
  EXPECT_EQ(rt.engine().status({area_o2, AlarmKind::lo}).state, AlarmState::unacknowledged);

  // Pushing goes on in another thread while the operator acknowledges and queries.
  std::atomic<bool> stop{false};
  std::thread pusher([&] {
    for (std::int64_t k = 15; k < 400 && !stop; ++k) {
      auto b = second(k, 5);
      rt.push(b);
    }
  });
  auto st = rt.acknowledge(op, {area_o2, AlarmKind::lo}, "crew on the way");
  EXPECT_EQ(st.state, AlarmState::acknowledged);
  std::size_t last = 0;
  for (int i = 0; i < 20; ++i) {
    auto n = rt.query(area_o2, t0, t0 + 1000 * sec).size();
    EXPECT_GE(n, last) << "a query never loses samples it saw before";
    last = n;
  }
  pusher.join();
  stop = true;
  rt.sync();
  EXPECT_EQ(rt.query(area_o2, t0, t0 + 1000 * sec).size(), 400u);
  std::lock_guard lock(m);
  ASSERT_GE(transitions.size(), 2u);
  EXPECT_EQ(transitions[0].cause, AlarmCause::activated);
  EXPECT_EQ(transitions[1].cause, AlarmCause::acknowledged);
}

TEST_P(RuntimeTest, ThePipelineKeepsPersistingAnAlarmAfterAnOperatorChangedIt) {
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("op", "operator", {"telemetry.ack", "telemetry.read"});
  Runtime rt(options(), config());
  std::atomic<int> cleared{0};
  auto sub = rt.events().subscribe<AlarmCleared>([&](const AlarmCleared&) { ++cleared; });
  for (std::int64_t k = 0; k < 10; ++k) {
    auto b = second(k, 2);  // low from second 2: raised at 4
    rt.push(b);
  }
  rt.sync();
  // The operator's acknowledgement writes the alarm's row on the operations handle ...
  EXPECT_EQ(rt.acknowledge(op, {area_o2, AlarmKind::lo}).state, AlarmState::acknowledged);
  // ... and the pipeline's next write of the same row (back to normal, the episode ends) must
  // still go through on its own handle.
  for (std::int64_t k = 10; k < 16; ++k) {
    auto b = second(k);
    rt.push(b);
  }
  rt.sync();
  for (const auto& st : rt.stats().stages) EXPECT_EQ(st.errors, 0u) << st.name;
  EXPECT_EQ(cleared.load(), 1);
  auto row = store::Repository<AlarmRecord>(*s).find(
      store::Query<AlarmRecord>().where(&AlarmRecord::point_id, store::Op::eq, area_o2));
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0].state, AlarmState::normal);
  EXPECT_EQ(store::Repository<AlarmEvent>(*s).count(), 3u) << "raised, acknowledged, cleared";
}

TEST_P(RuntimeTest, TheRegisteredAlarmOperationsActOnTheRuntimesEngine) {
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("op", "operator", {"telemetry.ack", "telemetry.read"});
  {
    Runtime rt(options(), config());
    for (std::int64_t k = 0; k < 10; ++k) {
      auto b = second(k, 2);
      rt.push(b);
    }
    rt.sync();
    auto out = service::call(*s, op, "telemetry.acknowledge_alarm",
                             json::parse(R"({"point_id": 1, "kind": "lo"})"));
    EXPECT_EQ(out.at("state"), "acknowledged") << out.dump();
    EXPECT_EQ(rt.engine().status({area_o2, AlarmKind::lo}).state, AlarmState::acknowledged);
  }
  // Once the runtime is gone the operations have no engine to act on.
  testing::expect_error(
      [&] {
        service::call(*s, op, "telemetry.acknowledge_alarm",
                      json::parse(R"({"point_id": 1, "kind": "lo"})"));
      },
      ErrorCode::failed_precondition, "");
}

TEST_P(RuntimeTest, SeriesSumsUpGoodSamplesInBucketsForCharts) {
  HQ_REQUIRE_STORE(s);
  auto viewer = pf.user_with("viewer", "viewer", {"telemetry.read"});
  auto nobody = pf.user_with("nobody", "nobody", {"repair.report"});
  const auto from = testing::test_start;
  auto query = json::parse(R"({"point_ids": [1, 2], "buckets": 3})");
  query["from"] = format_timestamp(from);
  query["to"] = format_timestamp(from + std::chrono::seconds(30));
  {
    Runtime rt(options(), config());
    for (std::int64_t k = 0; k < 30; ++k) {
      auto b = second(k);
      if (k == 25) b[1].quality = 2, b[1].value = std::nan("");  // a bad reading of the meter
      rt.push(b);
    }
    rt.sync();
    auto out = service::call(*s, viewer, "telemetry.series", query);
    EXPECT_EQ(out.at("bucket_us"), 10 * sec);
    ASSERT_EQ(out.at("points").size(), 2u);
    const auto& gas = out["points"][0];
    EXPECT_EQ(gas.at("point_id"), area_o2);
    EXPECT_EQ(gas.at("samples"), 30);
    ASSERT_EQ(gas.at("buckets").size(), 3u);
    // Seconds 0..9: 400 and 400.1 alternating.
    EXPECT_EQ(gas["buckets"][0].at("start"), format_timestamp(from));
    EXPECT_DOUBLE_EQ(gas["buckets"][0].at("min").get<double>(), 400);
    EXPECT_DOUBLE_EQ(gas["buckets"][0].at("max").get<double>(), 400.1);
    EXPECT_NEAR(gas["buckets"][0].at("avg").get<double>(), 400.05, 1e-9);
    EXPECT_EQ(gas["buckets"][0].at("count"), 10);
    EXPECT_DOUBLE_EQ(gas["buckets"][0].at("last").get<double>(), 400.1);
    EXPECT_EQ(gas.at("last").at("time"), format_timestamp(from + std::chrono::seconds(29)));
    const auto& meter = out["points"][1];
    EXPECT_EQ(meter.at("not_good"), 1);
    EXPECT_EQ(meter["buckets"][2].at("count"), 9) << "the bad reading is left out";

    testing::expect_error([&] { service::call(*s, nobody, "telemetry.series", query); },
                          ErrorCode::permission_denied, "user:nobody lacks telemetry.read");
    auto bad = query;
    bad["buckets"] = 0;
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.series", bad); },
                          ErrorCode::invalid_argument, "buckets: must be 1..2000");
    bad = query;
    bad["to"] = bad["from"];
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.series", bad); },
                          ErrorCode::invalid_argument, "from: must be before to");
    bad = query;
    bad["to"] = format_timestamp(from + std::chrono::days(32));
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.series", bad); },
                          ErrorCode::invalid_argument,
                          "to: at most 31 days after from (longer trends: telemetry.rollups)");
    bad = query;
    bad["point_ids"] = json::Json::array({99});
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.series", bad); },
                          ErrorCode::not_found, "telemetry runtime: point 99 is not configured");
  }
  testing::expect_error([&] { service::call(*s, viewer, "telemetry.series", query); },
                        ErrorCode::failed_precondition,
                        "telemetry: no telemetry runtime is running in this process");
}

TEST_P(RuntimeTest, RollupsGiveLongTrendsFromTheStoredHours) {
  HQ_REQUIRE_STORE(s);
  auto viewer = pf.user_with("viewer", "viewer", {"telemetry.read"});
  auto nobody = pf.user_with("nobody", "nobody", {"repair.report"});
  const auto from = testing::test_start;  // 08:00 UTC, on an hour
  auto query = json::parse(R"({"point_ids": [1, 2], "step_s": 3600})");
  query["from"] = format_timestamp(from);
  query["to"] = format_timestamp(from + std::chrono::hours(24));
  {
    Runtime rt(options(), config());
    for (std::int64_t k = 0; k < 3 * 3600; k += 10)  // three hours, every 10 s, no drop
      rt.push(second(k, 1'000'000));
    rt.sync();
    auto out = service::call(*s, viewer, "telemetry.rollups", query);
    EXPECT_EQ(out.at("step_s"), 3600);
    ASSERT_EQ(out.at("points").size(), 2u);
    const auto& gas = out["points"][0];
    EXPECT_EQ(gas.at("point_id"), area_o2);
    ASSERT_EQ(gas.at("buckets").size(), 3u);
    EXPECT_EQ(gas["buckets"][1].at("start"), format_timestamp(from + std::chrono::hours(1)));
    EXPECT_EQ(gas["buckets"][1].at("count"), 360);
    EXPECT_DOUBLE_EQ(gas["buckets"][1].at("min").get<double>(), 400);  // k even: 400
    EXPECT_DOUBLE_EQ(gas["buckets"][1].at("max").get<double>(), 400);
    const auto& meter = out["points"][1];  // 230 + 0.01 (k % 5), k = 0, 10, 20 ...: 230
    EXPECT_NEAR(meter["buckets"][0].at("avg").get<double>(), 230, 1e-9);
    // A day in one bucket, the same whether the hours were stored yet or not.
    auto day = query;
    day["step_s"] = 86400;
    out = service::call(*s, viewer, "telemetry.rollups", day);
    ASSERT_EQ(out["points"][0].at("buckets").size(), 1u);
    EXPECT_EQ(out["points"][0]["buckets"][0].at("count"), 3 * 360);

    testing::expect_error([&] { service::call(*s, nobody, "telemetry.rollups", query); },
                          ErrorCode::permission_denied, "user:nobody lacks telemetry.read");
    auto bad = query;
    bad["step_s"] = 0;
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.rollups", bad); },
                          ErrorCode::invalid_argument, "step_s: must be at least 1");
    bad["step_s"] = 1;
    bad["to"] = format_timestamp(from + std::chrono::days(2));
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.rollups", bad); },
                          ErrorCode::invalid_argument,
                          "step_s: [from, to) would hold more than 100,000 buckets");
    bad = query;
    bad["to"] = format_timestamp(from + std::chrono::days(3661));
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.rollups", bad); },
                          ErrorCode::invalid_argument, "to: at most 3,660 days after from");
    bad = query;
    bad.erase("to");
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.rollups", bad); },
                          ErrorCode::invalid_argument, "");
    bad = query;
    bad["point_ids"] = json::Json::array({99});
    testing::expect_error([&] { service::call(*s, viewer, "telemetry.rollups", bad); },
                          ErrorCode::not_found, "telemetry runtime: point 99 is not configured");
  }
}

/// A last stage that counts what reaches it.
class Counter final : public Stage {
 public:
  void process(std::span<Sample> batch) override { samples += batch.size(); }
  std::atomic<std::size_t> samples{0};
};

TEST_P(RuntimeTest, AttachSeesEachHandleAndTheForwardStageGetsEverySample) {
  HQ_REQUIRE_STORE(s);
  auto o = options();
  auto counter = std::make_shared<Counter>();
  o.forward = counter;
  std::vector<store::Store*> handles;
  auto alive = std::make_shared<int>(0);
  std::atomic<int> raised_on_handles{0};
  o.attach = [&](store::Store& h) -> std::shared_ptr<void> {
    handles.push_back(&h);
    struct Kept {
      std::shared_ptr<int> alive;
      Subscription sub;
    };
    auto k = std::make_shared<Kept>();
    k->alive = alive;
    k->sub = h.events().subscribe<AlarmRaised>([&](const AlarmRaised&) { ++raised_on_handles; });
    return k;
  };
  {
    Runtime rt(o, config());
    ASSERT_EQ(handles.size(), 2u);
    EXPECT_NE(handles[0], handles[1]) << "the pipeline's handle and the operations handle";
    EXPECT_NE(handles[0], s.get());
    EXPECT_EQ(alive.use_count(), 3) << "what attach returned lives with the runtime";
    for (std::int64_t k = 0; k < 12; ++k) {
      auto b = second(k, 4);
      rt.push(b);
    }
    rt.sync();
    EXPECT_EQ(counter->samples.load(), 24u);
    EXPECT_EQ(raised_on_handles.load(), 1) << "the alarm was published on the pipeline's handle";
    EXPECT_EQ(rt.alarm_transitions(), 1u);
    auto vc = rt.verify_counters();
    EXPECT_EQ(vc.samples, 24u);
    EXPECT_EQ(vc.pass + vc.suspect + vc.fail + vc.not_evaluated, 24u);
    EXPECT_GE(vc.suspect, 1u);
  }
  EXPECT_EQ(alive.use_count(), 1) << "released with the runtime";
}

INSTANTIATE_TEST_SUITE_P(SharedBackends, RuntimeTest,
                         ::testing::Values("sqlite_file", "postgresql"));

TEST(RuntimeOpenTest, AnInMemoryStoreIsRefused) {
  RuntimeOptions o;
  o.url = "sqlite::memory:";
  testing::expect_error([&] { Runtime rt(o, config()); }, ErrorCode::invalid_argument,
                        "telemetry runtime: an in-memory store");
}

TEST(TelemetryConfigJsonTest, RoundTripsAndNamesBadInput) {
  auto cfg = config();
  auto j = json::to_json(cfg);
  auto back = json::from_json<TelemetryConfig>(j);
  EXPECT_EQ(json::to_json(back), j);
  ASSERT_EQ(back.alarms.size(), 2u);
  EXPECT_EQ(back.storage[1].point_id, meter_v);
  j["storage"][0]["colour"] = "red";
  testing::expect_error([&] { json::from_json<TelemetryConfig>(j); }, ErrorCode::invalid_argument,
                        "");
}

/// The simulator's gas panel (points from 100) and power meter (points from 200).
drivers::PointMap simulated_map() {
  drivers::PointMap map;
  drivers::Device panel;
  panel.id = 10;
  panel.name = "gas-panel-1";
  drivers::Device meter;
  meter.id = 20;
  meter.name = "meter-2";
  map.devices = {panel, meter};
  map.points = drivers::gas_panel_points(panel.id, 100);
  auto power = drivers::power_meter_points(meter.id, 200);
  map.points.insert(map.points.end(), power.begin(), power.end());
  return map;
}

TEST(ConfigFromPointMapTest, ProfilesByKindResolutionFromScaleAndDeviceAreas) {
  auto map = simulated_map();
  auto cfg = config_from_point_map(map);

  std::size_t numeric = 0;
  for (const auto& p : map.points) numeric += p.data_type != drivers::DataType::string;
  EXPECT_EQ(cfg.storage.size(), numeric) << "every numeric point is stored, strings are not";
  auto find_point = [&](drivers::PointKind kind) -> const drivers::Point& {
    for (const auto& p : map.points)
      if (p.kind == kind) return p;
    throw std::runtime_error("no point of that kind");
  };
  auto alarm_of = [&](Id id) -> const AlarmConfig* {
    for (const auto& a : cfg.alarms)
      if (a.point_id == id) return &a;
    return nullptr;
  };
  auto storage_of = [&](Id id) -> const PointStorage& {
    for (const auto& p : cfg.storage)
      if (p.point_id == id) return p;
    throw std::runtime_error("not stored");
  };
  const auto& o2 = find_point(drivers::PointKind::o2_pressure);
  ASSERT_NE(alarm_of(o2.id), nullptr);
  EXPECT_EQ(alarm_of(o2.id)->area, "gas-panel-1");
  EXPECT_TRUE(alarm_of(o2.id)->lo.has_value());
  EXPECT_EQ(storage_of(o2.id).point_class, "gas");
  const auto& va = find_point(drivers::PointKind::phase_a_voltage);
  ASSERT_NE(alarm_of(va.id), nullptr);
  EXPECT_EQ(alarm_of(va.id)->area, "meter-2");
  EXPECT_EQ(storage_of(va.id).point_class, "power");
  // Stored at the register's scale for integers, as floats without a fixed grid otherwise.
  for (const auto& p : map.points) {
    if (p.data_type == drivers::DataType::string) continue;
    bool is_float =
        p.data_type == drivers::DataType::float32 || p.data_type == drivers::DataType::float64;
    EXPECT_EQ(storage_of(p.id).resolution, is_float ? 0.0 : std::abs(p.scale)) << p.name;
  }
  // A kind without a profile (flow) is stored only.
  const auto& flow = find_point(drivers::PointKind::o2_flow);
  EXPECT_EQ(alarm_of(flow.id), nullptr);
  EXPECT_EQ(storage_of(flow.id).point_class, "default");
}

TEST(ConfigFromPointMapTest, TheSimulatorsHealthyValuesPassTheirProfiles) {
  // Five minutes of a healthy gas panel and power meter, once a second: the profiles chosen by
  // config_from_point_map must find nothing wrong (a simulator serving values its own profile
  // doubts would hide real faults in the demo and the examples).
  auto map = simulated_map();
  auto cfg = config_from_point_map(map);
  Verifier verifier;
  verifier.configure(cfg.verify, cfg.checks);
  for (int k = 0; k < 300; ++k) {
    auto t = testing::test_start + std::chrono::seconds(k);
    std::vector<Sample> batch;
    for (const auto& v : cfg.verify) {
      const auto& p = *std::find_if(map.points.begin(), map.points.end(),
                                    [&](const drivers::Point& q) { return q.id == v.point_id; });
      batch.push_back({p.id, to_micros(t), drivers::simulated_value(p, 1, t)});
    }
    verifier.verify(batch);
    if (k < 5) continue;  // rate and flat-line tests need history
    for (const auto& smp : batch)
      ASSERT_NE(smp.flag, Flag::fail) << "point " << smp.point_id << " value " << smp.value;
    for (const auto& smp : batch)
      EXPECT_NE(smp.flag, Flag::suspect)
          << "point " << smp.point_id << " at " << k << " s, value " << smp.value;
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace houqin::telemetry
