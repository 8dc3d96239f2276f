// Durable consumers on every backend: commit order, exactly-once store effects across restarts and
// racing processes, retries with backoff by the store's clock, dead letters and their replay.
#include "houqin/host/consumer.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "../../support/backends.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace hosttest {

/// A durable event the tests publish.
struct Rang {
  static constexpr std::string_view aggregate = "test_bell";
  Id aggregate_id() const { return bell_id; }
  Id bell_id = 0;
  std::string note;
};
BOOST_DESCRIBE_STRUCT(Rang, (), (bell_id, note))

/// Another, which the consumer below has no handler for.
struct Polished {
  static constexpr std::string_view aggregate = "test_bell";
  Id aggregate_id() const { return bell_id; }
  Id bell_id = 0;
};
BOOST_DESCRIBE_STRUCT(Polished, (), (bell_id))

/// What a handler writes: one row per handled event, unique by the event's sequence, so a second
/// handling of one event would fail rather than go unnoticed.
struct Echo {
  Id id = 0;
  std::int64_t version = 0;
  std::int64_t seq = 0;
  Id bell_id = 0;
  std::string consumer;
};
BOOST_DESCRIBE_STRUCT(Echo, (), (id, version, seq, bell_id, consumer))

}  // namespace hosttest

template <>
struct entity_traits<hosttest::Echo> {
  static constexpr std::string_view table = "test_echo";
  static constexpr std::string_view collection = "echoes";
  static constexpr std::array<std::string_view, 1> unique{"consumer,seq"};
};

namespace {

using namespace houqin::store;
using host::Consumer;
using host::ConsumerOptions;
using host::Delivery;
using host::StartAt;
using hosttest::Echo;
using hosttest::Polished;
using hosttest::Rang;

const Timestamp host_t0 = parse_timestamp("2026-05-01T00:00:00Z");

class ConsumerTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Store> open() {
    StoreOptions o;
    o.clock = &clock;
    auto s = fx.open(GetParam(), o);
    if (!s) return s;
    migrate(*s, host::migrations());
    create_table<Echo>(*s);
    return s;
  }
  std::unique_ptr<Store> second() {
    StoreOptions o;
    o.clock = &clock;
    return Store::open(fx.url(), o);
  }
  /// A consumer that echoes every Rang; `fail_for` bells make it throw.
  Consumer echoer(std::string name = "echo", ConsumerOptions options = {}) {
    options.start_at = StartAt::beginning;
    Consumer c(std::move(name), options);
    c.on<Rang>([this, n = c.name()](Delivery& d, const Rang& e) {
      Echo echo{0, 0, d.event.id, e.bell_id, n};
      Repository<Echo>(d.store).insert(echo);  // written before a failure: must roll back
      if (fail_for.count(e.bell_id))
        throw std::runtime_error("bell " + std::to_string(e.bell_id) + " is cracked");
    });
    return c;
  }
  std::vector<Id> echoed(Store& s) {
    std::vector<Id> out;
    for (const auto& e : Repository<Echo>(s).find(Query<Echo>().order_by(&Echo::seq)))
      out.push_back(e.bell_id);
    return out;
  }
  void ring(Store& s, std::initializer_list<Id> bells) {
    Transaction tx(s);
    for (Id b : bells) s.events().publish(Rang{b, "ding"});
    tx.commit();
  }
  std::set<Id> fail_for;
  ManualClock clock{host_t0};
  testing::BackendFixture fx;
};

TEST_P(ConsumerTest, HandlesInCommitOrderOnceAndResumesFromItsCheckpoint) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2});
  s->events().publish(Polished{2});  // no handler: skipped, but passed
  ring(*s, {3});
  auto c = echoer();
  auto r = c.poll(*s);
  EXPECT_EQ(r.handled, 3);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1, 2, 3}));
  EXPECT_EQ(c.poll(*s).handled, 0);  // nothing new: nothing twice
  ring(*s, {4});
  auto restarted = echoer();  // a new process: the same name, the stored checkpoint
  EXPECT_EQ(restarted.poll(*s).handled, 1);
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1, 2, 3, 4}));
  EXPECT_EQ(restarted.state(*s).position, last_event_seq(*s));
}

TEST_P(ConsumerTest, OutsideATransactionEachEffectIsCheckpointedOnItsOwn) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2, 3});
  s->events().publish(Polished{2});  // no handler, and not for on_any: passed over
  ring(*s, {4});
  ConsumerOptions o;
  o.start_at = StartAt::beginning;
  o.outside_transaction = true;
  o.retry.first_delay = std::chrono::seconds(1);
  Consumer c("outside", o);
  std::vector<Id> sent;  // an effect outside the store, as a webhook's POST
  std::vector<int> depths;
  c.on_any([](std::string_view type) { return type == "hosttest.Rang"; },
           [&](Delivery& d) {
             depths.push_back(d.store.transaction_depth());
             Id bell = d.event.payload.at("bell_id").get<Id>();
             if (fail_for.count(bell)) throw std::runtime_error("down");
             sent.push_back(bell);
           });
  fail_for = {3};
  auto r = c.poll(*s);
  EXPECT_EQ(r.handled, 2);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(sent, (std::vector<Id>{1, 2})) << "the failure of 3 does not undo 1 and 2";
  for (int d : depths) EXPECT_EQ(d, 0) << "no transaction open while the handler runs";
  fail_for.clear();
  clock.advance(std::chrono::seconds(1));
  r = c.poll(*s);
  EXPECT_EQ(r.handled, 2);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(sent, (std::vector<Id>{1, 2, 3, 4})) << "nothing acknowledged is sent twice";
  EXPECT_EQ(c.state(*s).position, last_event_seq(*s));
}

TEST_P(ConsumerTest, ANewConsumerStartsAfterTheHistoryUnlessAskedForAll) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2});
  Consumer late("late");  // StartAt::end by default
  int seen = 0;
  late.on<Rang>([&](Delivery&, const Rang&) { ++seen; });
  EXPECT_EQ(late.poll(*s).handled, 0);
  ring(*s, {3});
  EXPECT_EQ(late.poll(*s).handled, 1);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(echoer("all").poll(*s).handled, 3);
}

TEST_P(ConsumerTest, AFailureRollsBackTheHandlerAndRetriesWithBackoff) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2, 3});
  fail_for = {2};
  ConsumerOptions o;
  o.retry.max_attempts = 3;
  o.retry.first_delay = std::chrono::seconds(10);
  auto c = echoer("echo", o);
  auto r = c.poll(*s);
  EXPECT_EQ(r.handled, 1);
  EXPECT_EQ(r.failed, 1);
  EXPECT_TRUE(r.waiting_for_retry);
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1}));  // bell 2's echo rolled back with the failure
  auto st = c.state(*s);
  EXPECT_EQ(st.attempts, 1);
  EXPECT_EQ(st.last_error, "bell 2 is cracked");
  ASSERT_TRUE(st.retry_at);
  EXPECT_EQ(*st.retry_at, host_t0 + std::chrono::seconds(10));
  EXPECT_TRUE(c.poll(*s).waiting_for_retry);  // not due yet: nothing runs
  EXPECT_EQ(c.state(*s).attempts, 1);
  clock.advance(std::chrono::seconds(10));
  fail_for.clear();  // the cause is fixed before the retry
  auto again = c.poll(*s);
  EXPECT_EQ(again.handled, 2);
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1, 2, 3}));
  EXPECT_EQ(c.state(*s).attempts, 0);
}

TEST_P(ConsumerTest, AfterMaxAttemptsTheEventIsParkedAndReplayedOnceFixed) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2, 3});
  fail_for = {2};
  ConsumerOptions o;
  o.retry.max_attempts = 3;
  o.retry.first_delay = std::chrono::seconds(1);
  auto c = echoer("echo", o);
  c.poll(*s);  // attempt 1
  clock.advance(std::chrono::seconds(1));
  c.poll(*s);  // attempt 2, then 2 s
  EXPECT_EQ(*c.state(*s).retry_at, clock.now() + std::chrono::seconds(2));
  clock.advance(std::chrono::seconds(2));
  auto r = c.poll(*s);  // attempt 3: parked, and bell 3 behind it goes on
  EXPECT_EQ(r.parked, 1);
  EXPECT_EQ(r.handled, 1);
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1, 3}));
  auto letters = host::dead_letters(*s, "echo");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].type, "hosttest.Rang");
  EXPECT_EQ(letters[0].attempts, 3);
  EXPECT_EQ(letters[0].error, "bell 2 is cracked");
  // A replay that still fails keeps it parked and says why.
  EXPECT_THROW(c.replay(*s, letters[0].id), std::runtime_error);
  EXPECT_EQ(host::dead_letters(*s, "echo").at(0).attempts, 4);
  fail_for.clear();
  EXPECT_TRUE(c.replay(*s, letters[0].id));
  EXPECT_EQ(echoed(*s), (std::vector<Id>{1, 2, 3}));
  EXPECT_TRUE(host::dead_letters(*s, "echo").empty());
  EXPECT_FALSE(c.replay(*s, letters[0].id));  // once
  Consumer other("other");
  EXPECT_THROW(other.replay(*s, letters[0].id), Error);  // not its letter
}

TEST_P(ConsumerTest, TwoProcessesRacingHandleEachEventOnce) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  auto a = open();
  HQ_REQUIRE_STORE(a);
  auto b = second();
  ring(*a, {1, 2});
  auto ca = echoer();
  auto cb = echoer();
  ca.state(*a);
  if (GetParam() == "postgresql") {
    // b polls from inside a's first handler, after a read the checkpoint: b handles both events
    // and commits first; a's checkpoint update then loses, and its handler's write rolls back.
    Consumer racer("echo", ConsumerOptions{{}, StartAt::beginning, 256});
    bool raced = false;
    racer.on<Rang>([&](Delivery& d, const Rang& e) {
      if (!raced) {
        raced = true;
        EXPECT_EQ(cb.poll(*b).handled, 2);
      }
      Echo echo{0, 0, d.event.id + 1000, e.bell_id, "racer"};  // a write of its own
      Repository<Echo>(d.store).insert(echo);
    });
    auto r = racer.poll(*a);
    EXPECT_TRUE(r.lost_race);
    EXPECT_EQ(r.handled, 0);
  } else {
    EXPECT_EQ(cb.poll(*b).handled, 2);
    EXPECT_EQ(ca.poll(*a).handled, 0);
  }
  EXPECT_EQ(echoed(*a), (std::vector<Id>{1, 2}));  // each once, none from the loser
  EXPECT_EQ(ca.poll(*a).handled, 0);
}

TEST_P(ConsumerTest, PollInsideATransactionAndBadOptionsAreRefused) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto c = echoer();
  Transaction tx(*s);
  EXPECT_THROW(c.poll(*s), Error);
  tx.rollback();
  EXPECT_THROW(Consumer(""), Error);
  ConsumerOptions bad;
  bad.batch = 0;
  EXPECT_THROW(Consumer("x", bad), Error);
  EXPECT_EQ(host::RetryPolicy{}.delay_after(1), std::chrono::milliseconds(200));
  EXPECT_EQ(host::RetryPolicy{}.delay_after(3), std::chrono::milliseconds(800));
  EXPECT_EQ(host::RetryPolicy{}.delay_after(40), std::chrono::seconds(30));
}

TEST_P(ConsumerTest, RetentionPrunesOnlyOldEventsEveryConsumerHasPassed) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  ring(*s, {1, 2});  // at t0
  clock.advance(std::chrono::hours(24 * 31));
  ring(*s, {3});  // recent
  auto fast = echoer("fast");
  auto slow = echoer("slow", ConsumerOptions{{}, StartAt::beginning, 1});  // one per poll
  fast.poll(*s);
  slow.poll(*s);  // has passed bell 1 only
  const auto days30 = std::chrono::hours(24 * 30);
  EXPECT_EQ(host::prune_events(*s, days30), 1);  // bell 1: old and passed by both
  EXPECT_EQ(read_events(*s, 0, 10).size(), 2u);
  slow.poll(*s);
  slow.poll(*s);
  EXPECT_EQ(host::prune_events(*s, days30), 1);  // bell 2; bell 3 is too recent
  auto left = read_events(*s, 0, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(json::from_json<Rang>(left[0].payload, "p").bell_id, 3);
  EXPECT_EQ(slow.poll(*s).handled, 0);  // positions still valid after pruning
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsumerTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
