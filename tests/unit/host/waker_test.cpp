// The waker: another connection's commit wakes a waiting host within a bounded time (LISTEN/NOTIFY
// on PostgreSQL, inotify and data_version on a SQLite file); without one it sleeps to its timeout.
#include "houqin/host/waker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "../../support/backends.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/migration.hpp"

namespace houqin {
namespace wakertest {

struct Knocked {
  static constexpr std::string_view aggregate = "test_door";
  Id aggregate_id() const { return door_id; }
  Id door_id = 0;
};
BOOST_DESCRIBE_STRUCT(Knocked, (), (door_id))

}  // namespace wakertest

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

class WakerTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::BackendFixture fx;
};

TEST_P(WakerTest, AnotherConnectionsCommitWakesTheWaiter) {
  auto host = fx.open(GetParam());
  HQ_REQUIRE_STORE(host);
  store::migrate(*host, std::vector<store::Migration>{});
  auto writer = store::Store::open(fx.url());
  host::Waker waker(*host);
  // Nothing committed: the wait sleeps its whole timeout.
  auto t = Steady::now();
  EXPECT_FALSE(waker.wait(150ms));
  EXPECT_GE(Steady::now() - t, 140ms);
  // A commit from another connection while waiting with a long timeout.
  auto woke = std::async(std::launch::async, [&] {
    auto start = Steady::now();
    bool got = waker.wait(10s);
    return std::pair{got, Steady::now() - start};
  });
  std::this_thread::sleep_for(100ms);
  writer->events().publish(wakertest::Knocked{1});
  auto [got, took] = woke.get();
  EXPECT_TRUE(got);
  EXPECT_LT(took, 2s) << "woken only by the timeout";
  EXPECT_EQ(store::read_events(*host, 0, 10).size(), 1u);
}

TEST(WakerPgTest, CommitsInAnotherSchemaOfTheDatabaseDoNotWakeIt) {
  testing::BackendFixture mine, theirs;
  auto host = mine.open("postgresql");
  HQ_REQUIRE_STORE(host);
  auto other = theirs.open("postgresql");
  store::migrate(*host, std::vector<store::Migration>{});
  host::Waker waker(*host);
  // Another store in the same database commits events while this one waits: the wait sleeps its
  // whole timeout.
  auto woke = std::async(std::launch::async, [&] {
    auto start = Steady::now();
    bool got = waker.wait(400ms);
    return std::pair{got, Steady::now() - start};
  });
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(50ms);
    other->events().publish(wakertest::Knocked{1});
  }
  auto [got, took] = woke.get();
  EXPECT_FALSE(got) << "woken by another schema's commit";
  EXPECT_GE(took, 390ms);
  // Its own schema's commit does wake it.
  auto writer = store::Store::open(mine.url());
  auto again = std::async(std::launch::async, [&] { return waker.wait(10s); });
  std::this_thread::sleep_for(50ms);
  writer->events().publish(wakertest::Knocked{2});
  EXPECT_TRUE(again.get());
}

INSTANTIATE_TEST_SUITE_P(Backends, WakerTest, ::testing::Values("sqlite_file", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
