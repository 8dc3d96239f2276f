// The durable event log on every backend: an event is a row exactly when its transaction
// committed, rows are numbered in commit order and never reuse a number, and in-process
// subscribers still get the typed event after commit.
#include "houqin/store/event_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../../support/backends.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace logtest {

BOOST_DEFINE_ENUM_CLASS(Colour, red, green)

/// A durable event as a domain declares one.
struct Painted {
  static constexpr std::string_view aggregate = "test_wall";
  Id aggregate_id() const { return wall_id; }
  Id wall_id = 0;
  Colour colour = Colour::red;
  std::string note;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(Painted, (), (wall_id, colour, note, at))

/// Not durable (no aggregate): in-process subscribers only.
struct Passing {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(Passing, (), (n))

static_assert(DurableEvent<Painted>);
static_assert(!DurableEvent<Passing>);

}  // namespace logtest

namespace {

using namespace houqin::store;
using logtest::Colour;
using logtest::Painted;
using logtest::Passing;

const Timestamp log_t0 = parse_timestamp("2026-03-01T08:00:00Z");

Painted wall(Id id) {
  return Painted{id, Colour::red, "", log_t0};
}

class EventLogTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Store> open() {
    StoreOptions o;
    o.clock = &clock;
    auto s = fx.open(GetParam(), o);
    if (s) migrate(*s, std::vector<Migration>{});
    return s;
  }
  std::vector<StoredEvent> all(Store& s) { return read_events(s, 0, 1000); }
  ManualClock clock{log_t0};
  testing::BackendFixture fx;
};

TEST_P(EventLogTest, ACommittedEventIsOneRowWithItsDescribedPayload) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  std::vector<Painted> seen;
  auto sub = s->events().subscribe<Painted>([&](const Painted& e) {
    // Delivered after commit: the row is already there.
    EXPECT_EQ(last_event_seq(*s), static_cast<std::int64_t>(seen.size()) + 1);
    seen.push_back(e);
  });
  {
    Transaction tx(*s);
    s->events().publish(Painted{7, Colour::green, "二楼走廊", log_t0}, "user:alice");
    s->events().publish(Passing{3});
    clock.advance(std::chrono::seconds(5));  // the row's time is the commit's
    EXPECT_TRUE(all(*s).empty());            // nothing before commit
    tx.commit();
  }
  ASSERT_EQ(seen.size(), 1u);
  auto rows = all(*s);
  ASSERT_EQ(rows.size(), 1u);  // Passing is not durable
  EXPECT_EQ(rows[0].type, "logtest.Painted");
  EXPECT_EQ(rows[0].aggregate, "test_wall");
  EXPECT_EQ(rows[0].aggregate_id, 7);
  EXPECT_EQ(rows[0].actor, "user:alice");
  EXPECT_EQ(rows[0].time, log_t0 + std::chrono::seconds(5));
  EXPECT_EQ(rows[0].payload, json::to_json(Painted{7, Colour::green, "二楼走廊", log_t0}));
  EXPECT_EQ(json::from_json<Painted>(rows[0].payload, "payload").note, "二楼走廊");
}

TEST_P(EventLogTest, RolledBackTransactionsAndSavepointsLeaveNoRow) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  int delivered = 0;
  auto sub = s->events().subscribe<Painted>([&](const Painted&) { ++delivered; });
  {
    Transaction tx(*s);
    s->events().publish(wall(1));
  }  // rolled back
  {
    Transaction outer(*s);
    s->events().publish(wall(2));
    {
      Transaction inner(*s);
      s->events().publish(wall(3));
    }  // the savepoint rolls back with its event
    {
      Transaction inner(*s);
      s->events().publish(wall(4));
      inner.commit();
    }
    outer.commit();
  }
  auto rows = all(*s);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].aggregate_id, 2);
  EXPECT_EQ(rows[1].aggregate_id, 4);
  EXPECT_LT(rows[0].id, rows[1].id);
  EXPECT_EQ(delivered, 2);
}

TEST_P(EventLogTest, AnEventOutsideATransactionIsWrittenBeforeItIsDelivered) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  std::int64_t seq_when_delivered = -1;
  auto sub = s->events().subscribe<Painted>(
      [&](const Painted&) { seq_when_delivered = last_event_seq(*s); });
  s->events().publish(wall(9), "service:test");
  EXPECT_EQ(seq_when_delivered, 1);
  ASSERT_EQ(all(*s).size(), 1u);
  EXPECT_EQ(all(*s)[0].actor, "service:test");
}

TEST_P(EventLogTest, SequenceNumbersAreNeverReusedAfterPruning) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  for (int i = 0; i < 3; ++i) s->events().publish(wall(i));
  EXPECT_EQ(last_event_seq(*s), 3);
  s->execute("DELETE FROM houqin_event");  // pruning everything, the newest row included
  s->events().publish(wall(99));
  auto rows = all(*s);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GT(rows[0].id, 3);  // a consumer at position 3 does not skip it
}

TEST_P(EventLogTest, ReadsPageInSequenceOrder) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  {
    Transaction tx(*s);
    for (int i = 1; i <= 10; ++i) s->events().publish(wall(i));
    tx.commit();
  }
  auto page = read_events(*s, 4, 3);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, 5);
  EXPECT_EQ(page[2].aggregate_id, 7);
  EXPECT_TRUE(read_events(*s, 10, 5).empty());
}

TEST_P(EventLogTest, AStoreThatWasNeverMigratedCreatesTheLogOnItsFirstEvent) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  EXPECT_FALSE(s->table_exists("houqin_event"));
  s->events().publish(wall(1));
  EXPECT_EQ(last_event_seq(*s), 1);
}

TEST_P(EventLogTest, RowsFollowCommitOrderAcrossConnections) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "SQLite has one writer at a time";
  auto a = open();
  HQ_REQUIRE_STORE(a);
  auto b = Store::open(fx.url());
  auto reader = Store::open(fx.url());
  // a has written its row (sequence 1) and is slow to commit; b commits an event meanwhile.
  Transaction ta(*a);
  EventEntry entry{"logtest.Painted", "test_wall", 1, "", json::to_json(wall(1))};
  const EventEntry* entries[] = {&entry};
  append_events(*a, entries);
  std::atomic<bool> b_done{false};
  std::thread tb([&] {
    Transaction t(*b);
    b->events().publish(wall(2));
    t.commit();
    b_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Had b committed sequence 2 now, a reader at position 2 would never see sequence 1.
  EXPECT_FALSE(b_done.load()) << "b committed its event while an earlier one was still open";
  EXPECT_TRUE(read_events(*reader, 0, 10).empty());
  ta.commit();
  tb.join();
  auto rows = read_events(*reader, 0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].aggregate_id, 1);
  EXPECT_EQ(rows[1].aggregate_id, 2);
  EXPECT_LT(rows[0].id, rows[1].id);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventLogTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
