// Availability accounting on every backend: health checks every 30 s record each component's up
// and down stretches; a device down opens a service incident that recovers when it is back; the
// database down keeps everything in memory and writes it when it answers again; a gap without
// checks is the host's downtime; the report measures the service's downtime against the yearly
// budget and the responses against 15 minutes; a second response is refused.
#include "houqin/host/availability.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "houqin/host/performance.hpp"
#include "houqin/platform.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
using host::ComponentKind;

class AvailabilityTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::BackendFixture fx;
  ManualClock clock{parse_timestamp("2026-08-01T00:00:00Z")};
  std::unique_ptr<store::Store> s;
  bool plc_up = true;
  bool database_up = true;
  std::optional<host::Monitor> monitor;

  void SetUp() override {
    store::StoreOptions o;
    o.clock = &clock;
    s = fx.open(GetParam(), o);
    if (!s) return;
    store::migrate(*s, houqin::migrations());
    host::MonitorOptions mo;
    mo.database_check = [this]() -> std::optional<std::string> {
      if (database_up) return std::nullopt;
      return std::string("connection refused");
    };
    monitor.emplace(*s, mo);
    monitor->add(
        {"modbus tcp 10.0.0.5:502", ComponentKind::device, [this]() -> std::optional<std::string> {
           if (plc_up) return std::nullopt;
           return std::string("timeout");
         }});
  }
  /// Checks every 30 s for `d`.
  void run_for(std::chrono::seconds d) {
    for (auto t = 0s; t < d; t += 30s) {
      monitor->tick();
      clock.advance(30s);
    }
  }
  std::vector<host::Uptime> stretches(const std::string& component) {
    return store::Repository<host::Uptime>(*s).find(
        store::Query<host::Uptime>()
            .where(&host::Uptime::component, store::Op::eq, component)
            .order_by("started_at"));
  }
};

TEST_P(AvailabilityTest, StretchesIncidentsAndTheDowntimeBudget) {
  HQ_REQUIRE_STORE(s);
  const Timestamp start = clock.now();
  run_for(10min);
  // The PLC stops answering for 20 minutes.
  plc_up = false;
  const Timestamp plc_down = clock.now();
  run_for(20min);
  plc_up = true;
  const Timestamp plc_back = clock.now();
  run_for(10min);
  // The database is down for 6 minutes: nothing can be written, nothing is lost.
  database_up = false;
  const Timestamp db_down = clock.now();
  run_for(6min);
  EXPECT_GT(monitor->pending(), 0u);
  database_up = true;
  const Timestamp db_back = clock.now();
  run_for(4min);
  EXPECT_EQ(monitor->pending(), 0u);
  // The process is not running for an hour: no checks at all.
  clock.advance(1h);
  const Timestamp restarted = clock.now();
  run_for(5min);

  auto plc = stretches("modbus tcp 10.0.0.5:502");
  ASSERT_EQ(plc.size(), 3u);
  EXPECT_TRUE(plc[0].up);
  EXPECT_FALSE(plc[1].up);
  EXPECT_EQ(plc[1].started_at, plc_down);
  EXPECT_EQ(plc[1].last_checked_at, plc_back - 30s);  // its last failed check
  EXPECT_EQ(plc[1].reason, "timeout");
  EXPECT_TRUE(plc[2].up && plc[2].ongoing);
  auto db = stretches("database");
  ASSERT_EQ(db.size(), 3u);
  EXPECT_FALSE(db[1].up);
  EXPECT_EQ(db[1].started_at, db_down);
  EXPECT_EQ(db[1].last_checked_at, db_back - 30s);
  auto hostside = stretches("host");
  ASSERT_EQ(hostside.size(), 3u);
  EXPECT_FALSE(hostside[1].up);
  EXPECT_EQ(hostside[1].last_checked_at, restarted);
  EXPECT_EQ(hostside[1].last_checked_at - hostside[1].started_at,
            1h + 30s);  // from its last check to the next

  auto incidents = store::Repository<host::ServiceIncident>(*s).find(
      store::Query<host::ServiceIncident>().order_by("detected_at"));
  ASSERT_EQ(incidents.size(), 3u);
  EXPECT_EQ(incidents[0].component, "modbus tcp 10.0.0.5:502");
  EXPECT_EQ(incidents[0].detected_at, plc_down);
  EXPECT_EQ(incidents[0].recovered_at, plc_back);
  EXPECT_EQ(incidents[1].component, "database");
  EXPECT_EQ(incidents[1].recovered_at, db_back);
  EXPECT_EQ(incidents[2].component, "host");

  // Someone takes the PLC's incident on 10 minutes after detection; the database's an hour late.
  const auto ops = auth::Actor::service("duty-engineer", {"host.operate"});
  clock.advance(1min);
  const auto back = clock.now();
  clock.set(incidents[0].detected_at + 10min);
  auto taken = host::respond(*s, ops, {incidents[0].code, "PLC power supply replaced"});
  EXPECT_EQ(taken.responded_by, ops.label());
  testing::expect_error(
      [&] {
        host::respond(*s, ops, {incidents[0].code, "again"});
      },
      ErrorCode::failed_precondition, "code: " + incidents[0].code);
  testing::expect_error(
      [&] {
        host::respond(*s, ops, {"SI-999999", ""});
      },
      ErrorCode::not_found, "code: no service incident");
  clock.set(incidents[1].detected_at + 1h);
  host::respond(*s, ops, {incidents[1].code, ""});
  clock.set(back);

  host::AvailabilityQuery q;
  q.from = start;
  q.to = clock.now();
  const auto r = host::availability_report(*s, q);
  // The service was down while the database was (5.5 min between checks) and the host was not
  // running (1 h 30 s); the PLC's outage is a device's, not the service's.
  const double expected_down = (5.5 + 60.5) / 60.0;
  EXPECT_NEAR(r.service_down_hours, expected_down, 1e-9);
  EXPECT_NEAR(r.budget_hours, 8.0 * (q.to - q.from) / std::chrono::hours(24 * 365) * 365 / 365.2425,
              1e-6);
  EXPECT_FALSE(r.within_budget);  // 1.1 h down in under two hours of a year's 8 h
  EXPECT_EQ(r.incidents.size(), 3u);
  EXPECT_EQ(r.responded_in_time, 1);
  EXPECT_EQ(r.responded_late, 2);  // an hour late, and never
  ASSERT_TRUE(r.mean_recovery_minutes);
  EXPECT_NEAR(*r.mean_recovery_minutes, (20.0 + 6.0 + 60.5) / 3, 1e-9);
  bool saw_plc = false;
  for (const auto& c : r.components)
    if (c.component == "modbus tcp 10.0.0.5:502") {
      saw_plc = true;
      EXPECT_EQ(c.outages, 1);
      EXPECT_NEAR(c.down_hours, 19.5 / 60, 1e-9);
      ASSERT_TRUE(c.availability);
      EXPECT_LT(*c.availability, 1.0);
    }
  EXPECT_TRUE(saw_plc);
  testing::expect_error(
      [&] {
        host::availability_report(*s, {q.to, q.from, 8, 15});
      },
      ErrorCode::invalid_argument, "to: must be after from");
}

// A source reports the components it knows at check time: the Modbus connections from the
// metrics their drivers publish (houqin_modbus_up), a connection appearing, dropping, returning.
TEST_P(AvailabilityTest, SourcesReportTheComponentsTheyFind) {
  if (!s) GTEST_SKIP();
  auto& up = metrics::gauge("houqin_modbus_up", "1 when the Modbus connection is up",
                            {{"connection", "tcp 127.0.0.9:1502 unit 3"}});
  up.set(1);
  monitor->add_source(host::modbus_source());
  std::vector<host::Observation> extra;
  monitor->add_source([&] { return extra; });
  run_for(60s);
  extra.push_back({"mqtt", ComponentKind::broker, std::string("refused")});
  up.set(0);
  run_for(60s);
  up.set(1);
  extra[0].failure.reset();
  run_for(60s);
  const auto plc = stretches("modbus tcp 127.0.0.9:1502 unit 3");
  ASSERT_EQ(plc.size(), 3u);
  EXPECT_TRUE(plc[0].up);
  EXPECT_FALSE(plc[1].up);
  EXPECT_EQ(plc[1].reason, "not connected");
  EXPECT_EQ(plc[1].kind, ComponentKind::device);
  EXPECT_TRUE(plc[2].up);
  const auto mqtt = stretches("mqtt");
  ASSERT_EQ(mqtt.size(), 2u);
  EXPECT_FALSE(mqtt[0].up);
  EXPECT_EQ(mqtt[0].kind, ComponentKind::broker);
  EXPECT_TRUE(mqtt[1].up);
  auto incidents = store::Repository<host::ServiceIncident>(*s).find();
  EXPECT_EQ(incidents.size(), 2u);
  for (const auto& i : incidents) EXPECT_TRUE(i.recovered_at) << i.component;
  testing::expect_error([&] { monitor->add_source({}); }, ErrorCode::invalid_argument, "source");
}

// The process's operation histograms are kept per local day: only their growth since the last
// record is added, errors by operation, and the quarter's figures read back with percentiles.
TEST_P(AvailabilityTest, PerformanceIsKeptPerDayAndOperation) {
  if (!s) GTEST_SKIP();
  auto& h = metrics::histogram("houqin_operation_seconds", "Time of a registry operation",
                               {{"operation", "test.kept_operation"}});
  auto& errors = metrics::counter("houqin_operation_errors_total", "failed",
                                  {{"operation", "test.kept_operation"}, {"code", "not_found"}});
  const auto before_calls = static_cast<std::int64_t>(h.count());
  const auto before_errors = static_cast<std::int64_t>(errors.value());
  host::PerformanceRecorder recorder(*s);
  recorder.record(metrics::snapshot(clock.now()));
  auto kept = [&] {
    return store::Repository<host::OperationDay>(*s).find(
        store::Query<host::OperationDay>()
            .where(&host::OperationDay::name, store::Op::eq, std::string("test.kept_operation"))
            .order_by("day"));
  };
  for (int i = 0; i < 19; ++i) h.observe(2ms);
  h.observe(3s);
  errors.add(2);
  recorder.record(metrics::snapshot(clock.now()));
  recorder.record(metrics::snapshot(clock.now()));  // nothing grew: nothing added
  auto rows = kept();
  ASSERT_EQ(rows.size(), 1u);
  // The first record holds what this process observed before (other backends' runs).
  EXPECT_EQ(rows[0].calls, before_calls + 20);
  EXPECT_EQ(rows[0].errors, before_errors + 2);
  EXPECT_EQ(rows[0].day, parse_date("2026-08-01"));  // 08:00 local
  ASSERT_EQ(rows[0].buckets.size(), metrics::latency_bounds.size() + 1);
  clock.advance(24h);
  h.observe(2ms);
  recorder.record(metrics::snapshot(clock.now()));
  rows = kept();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].calls, 1);
  EXPECT_EQ(rows[1].errors, 0);
  const auto stats = host::operation_stats(*s, parse_date("2026-08-01"), parse_date("2026-08-03"));
  auto it = std::find_if(stats.begin(), stats.end(),
                         [](const auto& o) { return o.name == "test.kept_operation"; });
  ASSERT_NE(it, stats.end());
  EXPECT_EQ(it->calls, rows[0].calls + 1);
  ASSERT_TRUE(it->p95_ms && it->mean_ms && it->error_rate);
  // Each run observes 20 calls of 2 ms, one of 3 s and 2 errors: 1 in 21 is slow.
  EXPECT_GT(*it->p95_ms, 1.0);
  EXPECT_LE(*it->p95_ms, 2.5);
  ASSERT_TRUE(it->p99_ms);
  EXPECT_GT(*it->p99_ms, 2500.0);
  EXPECT_NEAR(*it->error_rate, 2.0 / 21, 1e-9);
  // Store calls are kept too, named store.<call>.
  EXPECT_TRUE(std::any_of(stats.begin(), stats.end(),
                          [](const auto& o) { return o.name.rfind("store.", 0) == 0; }));
}

// The platform host checks its health on a thread of its own into the ledger and keeps its
// performance, with nothing asked of the embedding program.
TEST_P(AvailabilityTest, ThePlatformHostChecksItsHealth) {
  if (!s || GetParam() == "sqlite_memory") GTEST_SKIP();
  HostConfig config;
  config.health_every = 20ms;
  config.bi_check = 0ms;
  config.delivery.every = 0ms;
  {
    PlatformHost platform(fx.url(), {.keys = testing::test_keyring()}, config);
    for (int i = 0; i < 500 && platform.health_rounds() < 3; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_GE(platform.health_rounds(), 3);
  }
  const auto db = stretches("database");
  ASSERT_FALSE(db.empty());
  EXPECT_TRUE(db.back().up);
  EXPECT_FALSE(stretches("host").empty());
  EXPECT_GT(store::Repository<host::OperationDay>(*s).count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, AvailabilityTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
