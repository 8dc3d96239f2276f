// The host: two hosts on one store, one active per consumer and for the scheduler, takeover when
// the active one stops or dies (its lease expires), and the thread that reacts to another
// connection's commit without being polled.
#include "houqin/host/host.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../../support/backends.hpp"
#include "houqin/store/event_log.hpp"

namespace houqin {
namespace hostrun {

struct Called {
  static constexpr std::string_view aggregate = "test_phone";
  Id aggregate_id() const { return phone_id; }
  Id phone_id = 0;
};
BOOST_DESCRIBE_STRUCT(Called, (), (phone_id))

}  // namespace hostrun

namespace {

using namespace std::chrono_literals;
using host::Consumer;
using host::ConsumerOptions;
using host::Delivery;
using host::Host;
using host::HostOptions;
using host::StartAt;
using hostrun::Called;

class HostTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<store::Store> open() {
    store::StoreOptions o;
    o.clock = &clock;
    auto s = fx.open(GetParam(), o);
    if (s) store::migrate(*s, host::migrations());
    return s;
  }
  std::unique_ptr<store::Store> connect() {
    store::StoreOptions o;
    o.clock = &clock;
    return store::Store::open(fx.url(), o);
  }
  /// A consumer counting the calls it handles into `count`.
  Consumer counter(std::atomic<int>& count) {
    ConsumerOptions o;
    o.start_at = StartAt::beginning;
    Consumer c("calls", o);
    c.on<Called>([&count](Delivery&, const Called&) { ++count; });
    return c;
  }
  HostOptions options(std::string holder) {
    HostOptions o;
    o.holder = std::move(holder);
    o.lease_ttl = 6s;
    return o;
  }
  ManualClock clock{parse_timestamp("2026-08-01T00:00:00Z")};
  testing::BackendFixture fx;
};

TEST_P(HostTest, OneOfTwoHostsIsActiveAndTheOtherTakesOver) {
  auto sa = open();
  HQ_REQUIRE_STORE(sa);
  auto sb = connect();
  std::atomic<int> by_a{0}, by_b{0};
  Host a(*sa, options("host-a")), b(*sb, options("host-b"));
  a.add(counter(by_a));
  b.add(counter(by_b));
  int jobs_a = 0, jobs_b = 0;
  a.add(
      host::Job{"tick", 1min, host::CatchUp::latest, [&](store::Store&, Timestamp) { ++jobs_a; }});
  b.add(
      host::Job{"tick", 1min, host::CatchUp::latest, [&](store::Store&, Timestamp) { ++jobs_b; }});
  sa->events().publish(Called{1});
  a.run_once();
  b.run_once();
  EXPECT_EQ(by_a, 1);
  EXPECT_EQ(by_b, 0);  // standing by
  EXPECT_EQ(jobs_a + jobs_b, 1);
  auto st = b.status();
  ASSERT_EQ(st.consumers.size(), 1u);
  EXPECT_FALSE(st.consumers[0].active);
  EXPECT_EQ(st.consumers[0].lease_holder, "host-a");
  EXPECT_EQ(st.consumers[0].lag, 0);
  EXPECT_EQ(st.scheduler_holder, "host-a");
  // a dies (no more rounds, no release): b takes over once a's lease has expired.
  sa->events().publish(Called{2});
  clock.advance(5s);
  b.run_once();
  EXPECT_EQ(by_b, 0);
  EXPECT_EQ(b.status().consumers[0].lag, 1);
  clock.advance(2s);
  b.run_once();
  EXPECT_EQ(by_b, 1);
  EXPECT_TRUE(b.status().consumers[0].active);
  EXPECT_EQ(by_a + by_b, 2);  // nothing lost, nothing twice
  // b stops cleanly: a takes over at once.
  b.stop();
  sa->events().publish(Called{3});
  a.run_once();
  EXPECT_EQ(by_a, 2);
}

TEST_P(HostTest, TheThreadReactsToAnotherConnectionsCommit) {
  auto sh = open();
  HQ_REQUIRE_STORE(sh);
  auto writer = connect();
  std::atomic<int> count{0};
  HostOptions o = options("host-t");
  o.idle = 10s;  // so only the waker can make it react quickly
  Host h(*sh, o);
  h.add(counter(count));
  h.start();
  // Wait until the host's first round has taken the lease, then commit from elsewhere.
  for (int i = 0; i < 500 && h.status().rounds == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GT(h.status().rounds, 0);
  auto t = std::chrono::steady_clock::now();
  writer->events().publish(Called{7});
  for (int i = 0; i < 500 && count == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(count, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t, 2s);
  h.stop();
  auto lease = host::find_lease(*writer, "consumer:calls");
  ASSERT_TRUE(lease);
  EXPECT_LE(lease->expires_at, clock.now());  // given up on stop
}

INSTANTIATE_TEST_SUITE_P(Backends, HostTest, ::testing::Values("sqlite_file", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
