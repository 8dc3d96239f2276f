// Durable reactions across real processes: a repair reported and dispatched through the C ABI in
// one process (host_child report) is reminded exactly once by a host in another (host_child host);
// a host killed with SIGKILL while its reaction is in flight leaves nothing behind, and the host
// started after it reacts once; of two racing hosts one reacts, and when it is killed the standby
// takes over within the lease's ttl with nothing lost or doubled.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "../support/process.hpp"
#include "../unit/repair/fixture.hpp"
#include "houqin/asset/ledger.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/lease.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
using store::Repository;

class HostProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // The children read the store's keys from the environment, as every C ABI host does: the
    // same key as the test keyring's.
    ::setenv("HOUQIN_KEYS", "test1 WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=", 0);
    s = fx.open(GetParam());
    if (!s) return;
    auto m = houqin::migrations();
    store::migrate(*s, m);
    site.build(*s);
    asset::Asset a{};
    a.code = "PUMP-1";
    a.name = "Vacuum pump";
    a.category = "pump";
    a.room_id = site.room_a101;
    a.status = asset::AssetStatus::in_service;
    pump = asset::Ledger(*s).register_asset(auth::Actor::service("keeper", {"asset.edit"}), a).id;
  }

  /// A host process; returns once it has done its first round (so it has its checkpoint).
  std::unique_ptr<testing::Child> start_host(const std::string& holder) {
    auto c = std::make_unique<testing::Child>(
        std::vector<std::string>{HOUQIN_HOST_CHILD, "host", fx.url(), holder, "60"}, true);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = c->read_line(5s);
      if (!line) break;
      if (line->rfind("{", 0) == 0 && json::parse(*line, "status")["rounds"].get<int>() >= 1)
        return c;
    }
    ADD_FAILURE() << "host " << holder << " did not start";
    return c;
  }
  /// Reports and dispatches a repair of the pump from another process, through the C ABI.
  Id report_from_another_process() {
    testing::Child c({HOUQIN_HOST_CHILD, "report", fx.url(), std::to_string(site.room_a101),
                      std::to_string(pump), std::to_string(site.elec1)},
                     true);
    auto out = c.read_all(20s);
    EXPECT_EQ(c.wait(5s), 0) << out;
    return std::atoll(out.c_str());
  }
  std::vector<notify::Message> reminders_of(Id order) {
    const auto code = Repository<repair::WorkOrder>(*s).require(order).code;
    std::vector<notify::Message> out;
    for (auto& m : Repository<notify::Message>(*s).find())
      if (m.template_name == "new_assignment" && m.body.find(code) != std::string::npos)
        out.push_back(m);
    return out;
  }
  /// Waits (bounded) until `done` holds.
  static bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }
  std::string lease_holder() {
    auto l = host::find_lease(*s, "consumer:wiring");
    return l ? l->holder : "";
  }

  testing::BackendFixture fx;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  Id pump = 0;
};

TEST_P(HostProcessTest, AChangeThroughTheCAbiIsRemindedOnceByTheHostInAnotherProcess) {
  HQ_REQUIRE_STORE(s);
  auto host = start_host("b");
  const Id order = report_from_another_process();
  ASSERT_GT(order, 0);
  EXPECT_TRUE(eventually([&] { return reminders_of(order).size() == 1; }, 10s));
  EXPECT_TRUE(eventually(
      [&] { return Repository<asset::Asset>(*s).require(pump).status == asset::AssetStatus::down; },
      10s));
  std::this_thread::sleep_for(500ms);  // a few more rounds of the host: nothing more
  EXPECT_EQ(reminders_of(order).size(), 1u);
  EXPECT_EQ(Repository<asset::Fault>(*s).count(), 1);
  EXPECT_EQ(reminders_of(order)[0].recipient_staff_id, site.elec1);
}

TEST_P(HostProcessTest, AHostKilledWhileReactingLeavesNothingAndItsSuccessorReactsOnce) {
  HQ_REQUIRE_STORE(s);
  if (GetParam() != "postgresql") GTEST_SKIP() << "needs a lock another process waits on";
  auto first = start_host("doomed");
  // Hold the outbox: the host's reminder waits inside its transaction, after the commit of the
  // change it reacts to and before its own.
  auto locker = store::Store::open(fx.url(), {.keys = testing::test_keyring()});
  store::Transaction hold(*locker);
  locker->execute("LOCK TABLE notify_message IN ACCESS EXCLUSIVE MODE");
  const Id order = report_from_another_process();
  auto* pg = static_cast<PGconn*>(locker->native_handle());
  auto waiting = [&] {
    PGresult* r = PQexec(pg,
                         "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                         "AND pid <> pg_backend_pid()");
    bool yes = PQresultStatus(r) == PGRES_TUPLES_OK && std::atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    return yes;
  };
  ASSERT_TRUE(eventually(waiting, 10s)) << "the host never reached the outbox";
  first->kill();  // kill -9 between the commit and the reaction's commit
  hold.rollback();
  locker.reset();
  EXPECT_TRUE(reminders_of(order).empty());
  auto second = start_host("successor");  // takes over once the dead host's lease expires
  EXPECT_TRUE(eventually([&] { return reminders_of(order).size() == 1; }, 15s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(reminders_of(order).size(), 1u);
  EXPECT_EQ(Repository<asset::Fault>(*s).count(), 1);
  EXPECT_EQ(lease_holder(), "successor");
}

TEST_P(HostProcessTest, OfTwoRacingHostsOneReactsAndTheStandbyTakesOverAfterAKill) {
  HQ_REQUIRE_STORE(s);
  auto a = start_host("a");
  auto b = start_host("b");
  const Id first = report_from_another_process();
  ASSERT_TRUE(eventually([&] { return reminders_of(first).size() == 1; }, 10s));
  const std::string active = lease_holder();
  ASSERT_TRUE(active == "a" || active == "b") << active;
  (active == "a" ? a : b)->kill();
  const auto killed_at = std::chrono::steady_clock::now();
  const Id second = report_from_another_process();
  ASSERT_TRUE(eventually([&] { return reminders_of(second).size() == 1; }, 15s));
  // The lease's ttl is 2 s: the standby reacted well inside the 10 s the platform promises.
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 10s);
  EXPECT_EQ(lease_holder(), active == "a" ? "b" : "a");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(reminders_of(first).size(), 1u);
  EXPECT_EQ(reminders_of(second).size(), 1u);
  for (const auto& dl : host::dead_letters(*s))
    ADD_FAILURE() << "dead letter of " << dl.consumer << ": " << dl.type << ": " << dl.error;
}

INSTANTIATE_TEST_SUITE_P(Backends, HostProcessTest, ::testing::Values("sqlite_file", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
