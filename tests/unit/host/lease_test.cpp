// Leases on every backend: one holder at a time across connections, renewal, takeover after
// expiry by the store's clock, release, and the epoch that counts hand-overs.
#include "houqin/host/lease.hpp"

#include <gtest/gtest.h>

#include <set>

#include "../../support/backends.hpp"
#include "houqin/host/consumer.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
using host::acquire_lease;
using host::find_lease;
using host::release_lease;

class LeaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<store::Store> open() {
    store::StoreOptions o;
    o.clock = &clock;
    auto s = fx.open(GetParam(), o);
    if (s) store::migrate(*s, host::migrations());
    return s;
  }
  /// Another connection to the same database (the same handle for an in-memory SQLite).
  store::Store& other(store::Store& first) {
    if (GetParam() == "sqlite_memory") return first;
    store::StoreOptions o;
    o.clock = &clock;
    second_ = store::Store::open(fx.url(), o);
    return *second_;
  }
  ManualClock clock{parse_timestamp("2026-06-01T00:00:00Z")};
  testing::BackendFixture fx;
  std::unique_ptr<store::Store> second_;
};

TEST_P(LeaseTest, OneHolderUntilItExpiresThenTheStandbyTakesOver) {
  auto a = open();
  HQ_REQUIRE_STORE(a);
  auto& b = other(*a);
  EXPECT_TRUE(acquire_lease(*a, "consumer:wiring", "host-a", 6s));
  EXPECT_FALSE(acquire_lease(b, "consumer:wiring", "host-b", 6s));  // held
  clock.advance(4s);
  EXPECT_TRUE(acquire_lease(*a, "consumer:wiring", "host-a", 6s));  // renewed to t+10
  clock.advance(5s);
  EXPECT_FALSE(acquire_lease(b, "consumer:wiring", "host-b", 6s));  // still a's
  EXPECT_EQ(find_lease(b, "consumer:wiring")->epoch, 1);
  clock.advance(1s);  // a stopped renewing: expired at t+10
  EXPECT_TRUE(acquire_lease(b, "consumer:wiring", "host-b", 6s));
  auto l = find_lease(*a, "consumer:wiring");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->holder, "host-b");
  EXPECT_EQ(l->epoch, 2);
  EXPECT_EQ(l->acquired_at, clock.now());
  EXPECT_FALSE(acquire_lease(*a, "consumer:wiring", "host-a", 6s));  // a came back: standby now
  release_lease(*a, "consumer:wiring", "host-a");                    // not a's to give up
  EXPECT_EQ(find_lease(*a, "consumer:wiring")->holder, "host-b");
  // Leases are per name.
  EXPECT_TRUE(acquire_lease(*a, "scheduler", "host-a", 6s));
}

TEST_P(LeaseTest, ReleaseLetsTheStandbyTakeOverAtOnce) {
  auto a = open();
  HQ_REQUIRE_STORE(a);
  auto& b = other(*a);
  ASSERT_TRUE(acquire_lease(*a, "scheduler", "host-a", 6s));
  release_lease(*a, "scheduler", "host-a");
  EXPECT_TRUE(acquire_lease(b, "scheduler", "host-b", 6s));
  EXPECT_EQ(find_lease(b, "scheduler")->epoch, 2);
}

TEST_P(LeaseTest, BadArgumentsAreRefusedAndHolderIdsAreUnique) {
  auto a = open();
  HQ_REQUIRE_STORE(a);
  EXPECT_THROW(acquire_lease(*a, "", "h", 1s), Error);
  EXPECT_THROW(acquire_lease(*a, "x", "", 1s), Error);
  EXPECT_THROW(acquire_lease(*a, "x", "h", 0s), Error);
  EXPECT_FALSE(find_lease(*a, "x"));
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.insert(host::make_holder_id());
  EXPECT_EQ(ids.size(), 20u);
}

INSTANTIATE_TEST_SUITE_P(Backends, LeaseTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
