// The scheduler on every backend: each (job, due time) runs once, also with two processes; a host
// that was down catches up (every due time, or the latest); a failing run is rolled back and
// retried; all by the store's ManualClock.
#include "houqin/host/scheduler.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "../../support/backends.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace schedtest {

/// One row per run: unique by (job, due), so a double run would fail the insert.
struct Tick {
  Id id = 0;
  std::int64_t version = 0;
  std::string job;
  Timestamp due{};
};
BOOST_DESCRIBE_STRUCT(Tick, (), (id, version, job, due))

}  // namespace schedtest

template <>
struct entity_traits<schedtest::Tick> {
  static constexpr std::string_view table = "test_tick";
  static constexpr std::string_view collection = "ticks";
  static constexpr std::array<std::string_view, 1> unique{"job,due"};
};

namespace {

using namespace std::chrono_literals;
using host::CatchUp;
using host::Job;
using host::Scheduler;
using schedtest::Tick;

const Timestamp sched_t0 = parse_timestamp("2026-07-01T08:00:00Z");

class SchedulerTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<store::Store> open() {
    store::StoreOptions o;
    o.clock = &clock;
    auto s = fx.open(GetParam(), o);
    if (!s) return s;
    store::migrate(*s, host::migrations());
    store::create_table<Tick>(*s);
    return s;
  }
  Job ticking(std::string name, CatchUp catch_up) {
    return Job{name, 1min, catch_up, [this, name](store::Store& s, Timestamp due) {
                 Tick t{0, 0, name, due};
                 store::Repository<Tick>(s).insert(t);
                 if (failing) throw std::runtime_error("the check failed");
               }};
  }
  std::vector<Timestamp> ticks(store::Store& s, const std::string& job) {
    std::vector<Timestamp> out;
    for (const auto& t : store::Repository<Tick>(s).find(
             store::Query<Tick>().where(&Tick::job, store::Op::eq, job).order_by(&Tick::due)))
      out.push_back(t.due);
    return out;
  }
  bool failing = false;
  ManualClock clock{sched_t0};
  testing::BackendFixture fx;
};

TEST_P(SchedulerTest, EachDueTimeRunsOnceAndDowntimeIsCaughtUp) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  Scheduler sched;
  sched.add(ticking("reminders", CatchUp::every_due));
  sched.add(ticking("sla", CatchUp::latest));
  EXPECT_EQ(sched.run_due(*s).ran, 2);  // new jobs are due at once
  EXPECT_EQ(sched.run_due(*s).ran, 0);  // and not again within the minute
  clock.advance(30s);
  EXPECT_EQ(sched.run_due(*s).ran, 0);
  EXPECT_EQ(*sched.next_due(*s), sched_t0 + 1min);
  clock.advance(30s);
  EXPECT_EQ(sched.run_due(*s).ran, 2);
  // Down for five minutes and a bit: every missed minute for one, only the latest for the other.
  clock.advance(5min + 10s);
  auto r = sched.run_due(*s);
  EXPECT_EQ(r.ran, 5 + 1);
  EXPECT_EQ(r.skipped, 4);
  EXPECT_EQ(ticks(*s, "reminders"),
            (std::vector<Timestamp>{sched_t0, sched_t0 + 1min, sched_t0 + 2min, sched_t0 + 3min,
                                    sched_t0 + 4min, sched_t0 + 5min, sched_t0 + 6min}));
  EXPECT_EQ(ticks(*s, "sla"), (std::vector<Timestamp>{sched_t0, sched_t0 + 1min, sched_t0 + 6min}));
  auto st = sched.state(*s, "sla");
  EXPECT_EQ(st.runs, 3);
  EXPECT_EQ(st.skipped, 4);
  EXPECT_EQ(st.next_due, sched_t0 + 7min);
  // A restarted host (a new Scheduler) continues from the stored due times.
  Scheduler again;
  again.add(ticking("reminders", CatchUp::every_due));
  EXPECT_EQ(again.run_due(*s).ran, 0);
}

TEST_P(SchedulerTest, TwoProcessesRunEachDueTimeOnce) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  auto a = open();
  HQ_REQUIRE_STORE(a);
  store::StoreOptions o;
  o.clock = &clock;
  auto b = store::Store::open(fx.url(), o);
  Scheduler sa, sb;
  sa.add(ticking("reminders", CatchUp::every_due));
  sb.add(ticking("reminders", CatchUp::every_due));
  for (int minute = 0; minute < 4; ++minute) {
    auto ra = sa.run_due(*a);
    auto rb = sb.run_due(*b);
    EXPECT_EQ(ra.ran + rb.ran, 1) << "minute " << minute;
    clock.advance(1min);
  }
  EXPECT_EQ(ticks(*a, "reminders").size(), 4u);
}

TEST_P(SchedulerTest, AFailingRunIsRolledBackAndRetried) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  Scheduler sched;
  sched.add(ticking("reminders", CatchUp::every_due));
  failing = true;
  auto r = sched.run_due(*s);
  EXPECT_EQ(r.failed, 1);
  EXPECT_TRUE(ticks(*s, "reminders").empty());  // its write rolled back
  auto st = sched.state(*s, "reminders");
  EXPECT_EQ(st.failures, 1);
  EXPECT_EQ(st.last_error, "the check failed");
  EXPECT_EQ(st.next_due, sched_t0);  // still due
  failing = false;
  EXPECT_EQ(sched.run_due(*s).ran, 1);
  EXPECT_EQ(ticks(*s, "reminders"), (std::vector<Timestamp>{sched_t0}));
  EXPECT_EQ(sched.state(*s, "reminders").failures, 0);
}

TEST_P(SchedulerTest, AJobOutsideTheTransactionCommitsItsOwnWorkEvenWhenItFailsLater) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  Scheduler sched;
  auto job = ticking("deliver", CatchUp::latest);
  int depth = -1;
  auto body = job.run;
  job.run = [&, body](store::Store& st, Timestamp due) {
    depth = st.transaction_depth();
    try {
      body(st, due);
    } catch (const Error& e) {  // idempotent, as such a job must be: the tick is there already
      if (e.code() != ErrorCode::already_exists) throw;
    }
  };
  job.in_transaction = false;
  sched.add(job);
  failing = true;  // the tick is written (committed on its own), then the run throws
  EXPECT_EQ(sched.run_due(*s).failed, 1);
  EXPECT_EQ(depth, 0);
  EXPECT_EQ(ticks(*s, "deliver"), (std::vector<Timestamp>{sched_t0}));
  EXPECT_EQ(sched.state(*s, "deliver").next_due, sched_t0);  // still due: run again
  failing = false;
  EXPECT_EQ(sched.run_due(*s).ran, 1);  // run again for the same due time: at least once
  EXPECT_EQ(ticks(*s, "deliver"), (std::vector<Timestamp>{sched_t0}));
  EXPECT_EQ(sched.state(*s, "deliver").next_due, sched_t0 + 1min);
}

TEST_P(SchedulerTest, BadJobsAreRefused) {
  Scheduler sched;
  EXPECT_THROW(sched.add(Job{"", 1min, CatchUp::latest, [](store::Store&, Timestamp) {}}), Error);
  EXPECT_THROW(sched.add(Job{"x", 0min, CatchUp::latest, [](store::Store&, Timestamp) {}}), Error);
  EXPECT_THROW(sched.add(Job{"x", 1min, CatchUp::latest, {}}), Error);
  sched.add(Job{"x", 1min, CatchUp::latest, [](store::Store&, Timestamp) {}});
  EXPECT_THROW(sched.add(Job{"x", 1min, CatchUp::latest, [](store::Store&, Timestamp) {}}), Error);
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
