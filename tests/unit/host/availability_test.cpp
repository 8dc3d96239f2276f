// Availability accounting on every backend: health checks every 30 s record each component's up
// and down stretches; a device down opens a service incident that recovers when it is back; the
// database down keeps everything in memory and writes it when it answers again; a gap without
// checks is the host's downtime; the report measures the service's downtime against the yearly
// budget and the responses against 15 minutes; a second response is refused.
#include "houqin/host/availability.hpp"

#include <gtest/gtest.h>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
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

INSTANTIATE_TEST_SUITE_P(Backends, AvailabilityTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
