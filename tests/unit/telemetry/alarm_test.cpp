// The alarm engine: every ISA-18.2 transition (allowed and refused) with the manual clock,
// deadband, on/off-delay and re-alarm edges, shelving expiry, suppression, out of service,
// episodes, flood counting; then the audited service and the stored history on every backend.
#include "houqin/telemetry/alarm.hpp"

#include <gtest/gtest.h>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::telemetry {
namespace {

using testing::expect_error;
using S = AlarmState;
using C = AlarmCause;
using namespace std::chrono_literals;

constexpr Micros sec = 1'000'000;

class AlarmEngineTest : public ::testing::Test {
 protected:
  ManualClock clock{testing::test_start};
  AlarmEngine engine{clock};
  std::vector<AlarmTransition> out;
  Micros t0 = to_micros(testing::test_start);

  /// Evaluates one good sample of `point` at t0 + dt seconds; returns the transitions it caused.
  std::vector<AlarmTransition> feed(double value, Micros dt_s = 0, Id point = 1,
                                    Flag flag = Flag::pass, QualityCode q = quality_good) {
    out.clear();
    Sample x{point, t0 + dt_s * sec, value, q, flag};
    engine.evaluate(std::span(&x, 1), out);
    return out;
  }
  /// Moves the clock to t0 + dt seconds.
  void at(Micros dt_s) { clock.set(from_micros(t0 + dt_s * sec)); }
  S state(AlarmKind k = AlarmKind::hi, Id point = 1) { return engine.status({point, k}).state; }
};

void expect_transition(const std::vector<AlarmTransition>& trs, S from, S to, C cause) {
  ASSERT_EQ(trs.size(), 1u);
  EXPECT_EQ(trs[0].from, from) << enum_name(trs[0].from);
  EXPECT_EQ(trs[0].to, to) << enum_name(trs[0].to);
  EXPECT_EQ(trs[0].cause, cause) << enum_name(trs[0].cause);
}

TEST_F(AlarmEngineTest, HiAlarmActivatesAboveTheLimitAndClearsOnlyPastTheDeadband) {
  engine.configure({{.point_id = 1, .hi = 100, .deadband = 5}});
  EXPECT_TRUE(feed(100, 0).empty()) << "at the limit is not above it";
  auto a = feed(101, 1);
  expect_transition(a, S::normal, S::unacknowledged, C::activated);
  EXPECT_TRUE(a[0].raise);
  EXPECT_EQ(a[0].episode, 1u);
  EXPECT_EQ(a[0].value, 101);
  EXPECT_EQ(a[0].time, t0 + sec);
  EXPECT_TRUE(feed(99, 2).empty()) << "inside the deadband: still active";
  EXPECT_TRUE(feed(95.5, 3).empty());
  auto c = feed(95, 4);
  expect_transition(c, S::unacknowledged, S::returned_unacknowledged, C::cleared);
  EXPECT_FALSE(c[0].clear) << "the episode ends only when acknowledged";
  auto ack = engine.acknowledge({1, AlarmKind::hi});
  EXPECT_EQ(ack.from, S::returned_unacknowledged);
  EXPECT_EQ(ack.to, S::normal);
  EXPECT_TRUE(ack.clear);
  EXPECT_EQ(ack.episode, 1u);
  EXPECT_EQ(feed(101, 5)[0].episode, 2u) << "a new episode gets a new id";
}

TEST_F(AlarmEngineTest, AcknowledgedWhileActiveThenClearsToNormal) {
  engine.configure({{.point_id = 1, .lo = 10, .lolo = 5}});
  auto a = feed(4, 0);
  ASSERT_EQ(a.size(), 2u) << "lo and lolo are alarms of their own";
  EXPECT_EQ(a[0].kind, AlarmKind::lo);
  EXPECT_EQ(a[1].kind, AlarmKind::lolo);
  EXPECT_NE(a[0].episode, a[1].episode);
  auto ack = engine.acknowledge({1, AlarmKind::lolo});
  EXPECT_EQ(ack.to, S::acknowledged);
  EXPECT_FALSE(ack.clear);
  auto c = feed(7, 1);
  expect_transition(c, S::acknowledged, S::normal, C::cleared);
  EXPECT_TRUE(c[0].clear);
  EXPECT_EQ(state(AlarmKind::lo), S::unacknowledged);
  expect_error(
      [&] {
        engine.acknowledge({1, AlarmKind::lolo});
      },
      ErrorCode::failed_precondition, "alarm 1/lolo: cannot acknowledge in state normal");
  expect_error(
      [&] {
        engine.acknowledge({1, AlarmKind::hi});
      },
      ErrorCode::not_found, "alarm 1/hi: no such alarm");
}

TEST_F(AlarmEngineTest, OnDelayNeedsTheConditionToHoldContinuously) {
  engine.configure({{.point_id = 1, .hi = 100, .on_delay_us = 10 * sec}});
  EXPECT_TRUE(feed(101, 0).empty());
  EXPECT_TRUE(feed(101, 9).empty());
  EXPECT_TRUE(feed(99, 10).empty()) << "dropped out: the delay starts again";
  EXPECT_TRUE(feed(101, 11).empty());
  EXPECT_TRUE(feed(102, 20).empty());
  expect_transition(feed(101, 21), S::normal, S::unacknowledged, C::activated);
}

TEST_F(AlarmEngineTest, OffDelayNeedsTheConditionAbsentContinuously) {
  engine.configure({{.point_id = 1, .hi = 100, .off_delay_us = 5 * sec}});
  feed(101, 0);
  engine.acknowledge({1, AlarmKind::hi});
  EXPECT_TRUE(feed(90, 1).empty());
  EXPECT_TRUE(feed(101, 3).empty()) << "back: the off-delay starts again";
  EXPECT_TRUE(feed(90, 4).empty());
  EXPECT_TRUE(feed(90, 8).empty());
  expect_transition(feed(90, 9), S::acknowledged, S::normal, C::cleared);
}

TEST_F(AlarmEngineTest, ReAlarmAnnunciatesAnAlarmStillActiveAfterItsAcknowledgement) {
  engine.configure({{.point_id = 1, .hi = 100, .realarm_us = 60 * sec}});
  auto a = feed(101, 0);
  at(10);
  engine.acknowledge({1, AlarmKind::hi});
  EXPECT_TRUE(feed(101, 69).empty());
  auto r = feed(101, 70);
  expect_transition(r, S::acknowledged, S::unacknowledged, C::realarmed);
  EXPECT_EQ(r[0].episode, a[0].episode) << "same episode";
  EXPECT_FALSE(r[0].raise);
  EXPECT_TRUE(feed(101, 200).empty()) << "unacknowledged: nothing to re-annunciate";
}

TEST_F(AlarmEngineTest, DigitalAlarmFollowsTheStateValue) {
  engine.configure({{.point_id = 7, .digital = 1, .digital_priority = Priority::critical}});
  EXPECT_TRUE(feed(0, 0, 7).empty());
  auto a = feed(1, 1, 7);
  expect_transition(a, S::normal, S::unacknowledged, C::activated);
  EXPECT_EQ(a[0].kind, AlarmKind::digital);
  EXPECT_EQ(a[0].priority, Priority::critical);
  expect_transition(feed(0, 2, 7), S::unacknowledged, S::returned_unacknowledged, C::cleared);
}

TEST_F(AlarmEngineTest, LatchedAlarmStaysUntilResetAndResetIsRefusedWhileActive) {
  engine.configure({{.point_id = 1, .hi = 100, .latching = true}});
  feed(101, 0);
  expect_error(
      [&] {
        engine.reset({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot reset in state unacknowledged");
  expect_transition(feed(99, 1), S::unacknowledged, S::latched, C::cleared);
  auto ack = engine.acknowledge({1, AlarmKind::hi});
  EXPECT_EQ(ack.from, S::latched);
  EXPECT_EQ(ack.to, S::latched) << "acknowledged but still latched";
  EXPECT_FALSE(ack.clear);
  expect_error(
      [&] {
        engine.acknowledge({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot acknowledge in state latched");
  auto r = engine.reset({1, AlarmKind::hi});
  EXPECT_EQ(r.to, S::normal);
  EXPECT_EQ(r.cause, C::reset);
  EXPECT_TRUE(r.clear);
  expect_error(
      [&] {
        engine.reset({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot reset in state normal");
}

TEST_F(AlarmEngineTest, ShelvedAlarmsAreStillEvaluatedAndAnnunciatedWhenUnshelved) {
  engine.configure({{.point_id = 1, .hi = 100}});
  auto sh = engine.shelve({1, AlarmKind::hi}, 1h);
  EXPECT_EQ(sh.to, S::shelved);
  EXPECT_EQ(sh.shelved_until, t0 + 3600 * sec);
  auto a = feed(101, 1);
  expect_transition(a, S::shelved, S::shelved, C::activated);
  EXPECT_FALSE(a[0].raise) << "a shelved alarm is not annunciated";
  EXPECT_NE(a[0].episode, 0u);
  EXPECT_TRUE(engine.status({1, AlarmKind::hi}).active);
  at(60);
  auto u = engine.unshelve({1, AlarmKind::hi});
  EXPECT_EQ(u.from, S::shelved);
  EXPECT_EQ(u.to, S::unacknowledged);
  EXPECT_TRUE(u.raise) << "shown for the first time now";
  EXPECT_EQ(u.episode, a[0].episode);
  expect_error(
      [&] {
        engine.unshelve({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot unshelve in state unacknowledged");
}

TEST_F(AlarmEngineTest, AnEpisodeThatStartsAndEndsWhileShelvedEndsQuietly) {
  engine.configure({{.point_id = 1, .hi = 100}});
  engine.shelve({1, AlarmKind::hi}, 1h);
  feed(101, 1);
  auto c = feed(90, 2);
  expect_transition(c, S::shelved, S::shelved, C::cleared);
  EXPECT_FALSE(c[0].clear) << "never raised, so never cleared";
  EXPECT_EQ(engine.status({1, AlarmKind::hi}).episode, 0u);
  EXPECT_EQ(engine.unshelve({1, AlarmKind::hi}).to, S::normal);
}

TEST_F(AlarmEngineTest, ShelvingExpiresByTheClock) {
  engine.configure({{.point_id = 1, .hi = 100}, {.point_id = 2, .hi = 100}});
  engine.shelve({1, AlarmKind::hi}, 30min);
  feed(101, 1);
  at(30 * 60 - 1);
  EXPECT_TRUE(feed(101, 30 * 60 - 1).empty());
  at(30 * 60);
  out.clear();
  engine.evaluate({}, out);  // an empty batch still expires shelving
  expect_transition(out, S::shelved, S::unacknowledged, C::shelve_expired);
  EXPECT_TRUE(out[0].raise);
  EXPECT_EQ(out[0].time, t0 + 1800 * sec);
  // tick() does the same without samples.
  engine.shelve({2, AlarmKind::hi}, 1min);
  at(30 * 60 + 60);
  out.clear();
  engine.tick(out);
  expect_transition(out, S::shelved, S::normal, C::shelve_expired);
}

TEST_F(AlarmEngineTest, ShelvingIsRefusedWhenItMakesNoSense) {
  engine.configure({{.point_id = 1, .hi = 100}});
  expect_error(
      [&] {
        engine.shelve({1, AlarmKind::hi}, 0s);
      },
      ErrorCode::invalid_argument, "alarm 1/hi: shelve duration");
  expect_error(
      [&] {
        engine.shelve({1, AlarmKind::hi}, 13h);
      },
      ErrorCode::invalid_argument, "alarm 1/hi: shelve duration");
  engine.shelve({1, AlarmKind::hi}, 1h);
  expect_error(
      [&] {
        engine.shelve({1, AlarmKind::hi}, 1h);
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot shelve in state shelved");
  engine.remove_from_service({1, AlarmKind::hi});
  expect_error(
      [&] {
        engine.shelve({1, AlarmKind::hi}, 1h);
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot shelve in state out_of_service");
}

TEST_F(AlarmEngineTest, OutOfServiceAlarmsAreNotEvaluatedAndReturnNormal) {
  engine.configure({{.point_id = 1, .hi = 100}});
  auto a = feed(101, 0);
  auto o = engine.remove_from_service({1, AlarmKind::hi});
  EXPECT_EQ(o.from, S::unacknowledged);
  EXPECT_EQ(o.to, S::out_of_service);
  EXPECT_TRUE(o.clear) << "the open episode ends";
  EXPECT_TRUE(feed(150, 1).empty());
  expect_error(
      [&] {
        engine.remove_from_service({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot remove from service");
  EXPECT_EQ(engine.return_to_service({1, AlarmKind::hi}).to, S::normal);
  expect_error(
      [&] {
        engine.return_to_service({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot return to service in state normal");
  auto again = feed(150, 2);
  expect_transition(again, S::normal, S::unacknowledged, C::activated);
  EXPECT_GT(again[0].episode, a[0].episode);
}

TEST_F(AlarmEngineTest, SuppressedByDesignIsEvaluatedButNeverAnnunciated) {
  engine.configure({{.point_id = 1, .hi = 100, .suppressed = true}});
  EXPECT_EQ(state(), S::suppressed);
  auto a = feed(101, 0);
  expect_transition(a, S::suppressed, S::suppressed, C::activated);
  EXPECT_FALSE(a[0].raise);
  auto u = engine.set_suppressed({1, AlarmKind::hi}, false);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->to, S::unacknowledged);
  EXPECT_TRUE(u->raise);
  EXPECT_FALSE(engine.set_suppressed({1, AlarmKind::hi}, false)) << "no change, no transition";
  auto s = engine.set_suppressed({1, AlarmKind::hi}, true);
  EXPECT_EQ(s->to, S::suppressed);
  expect_error(
      [&] {
        engine.acknowledge({1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot acknowledge in state suppressed");
}

TEST_F(AlarmEngineTest, FailedOrBadSamplesNeitherRaiseNorClear) {
  engine.configure({{.point_id = 1, .hi = 100}});
  EXPECT_TRUE(feed(150, 0, 1, Flag::fail).empty());
  EXPECT_TRUE(feed(150, 1, 1, Flag::not_evaluated, 2).empty());
  EXPECT_EQ(feed(150, 2, 1, Flag::suspect).size(), 1u) << "suspect samples count";
  EXPECT_TRUE(feed(50, 3, 1, Flag::fail).empty()) << "a broken sensor holds the state";
  EXPECT_TRUE(feed(50, 1).empty()) << "older than what was seen";
  EXPECT_EQ(state(), S::unacknowledged);
  EXPECT_TRUE(feed(50, 5, 99).empty()) << "unknown point";
}

TEST_F(AlarmEngineTest, RestoredAcknowledgedAlarmsReAlarmFromTheRestart) {
  engine.configure({{.point_id = 1, .hi = 100, .realarm_us = 60 * sec}});
  AlarmEngine::Saved saved{{1, AlarmKind::hi}, S::acknowledged, true, true, false, 7, {}};
  engine.restore(std::span(&saved, 1), 8);
  EXPECT_EQ(state(), S::acknowledged);
  EXPECT_TRUE(feed(101, 59).empty()) << "not re-alarmed at once";
  expect_transition(feed(101, 60), S::acknowledged, S::unacknowledged, C::realarmed);
  EXPECT_EQ(out[0].episode, 7u);
  EXPECT_EQ(engine.next_episode(), 8u);
}

TEST_F(AlarmEngineTest, FloodIsMoreThanTenAlarmsPerAreaInTenMinutes) {
  std::vector<AlarmConfig> cfg;
  for (Id p = 1; p <= 12; ++p) cfg.push_back({.point_id = p, .area = "ICU", .hi = 100});
  cfg.push_back({.point_id = 50, .area = "OR", .hi = 100});
  engine.configure(cfg);
  at(0);
  for (Id p = 1; p <= 10; ++p) feed(101, p, p);
  feed(101, 20, 50);
  at(30);
  EXPECT_TRUE(engine.areas_in_flood().empty()) << "10 is the benchmark, not a flood";
  feed(101, 30, 11);
  EXPECT_EQ(engine.areas_in_flood(), std::vector<std::string>{"ICU"});
  auto iv = engine.flood_intervals();
  ASSERT_EQ(iv.size(), 2u);
  EXPECT_EQ(iv[0].area, "ICU");
  EXPECT_EQ(iv[0].alarms, 11);
  EXPECT_TRUE(iv[0].flood);
  EXPECT_EQ(iv[0].start, testing::test_start) << "08:00 is on a 10-minute boundary";
  EXPECT_EQ(iv[1].area, "OR");
  EXPECT_FALSE(iv[1].flood);
  // Ten minutes later the sliding count has dropped; the interval stays in the history.
  at(11 * 60);
  EXPECT_TRUE(engine.areas_in_flood().empty());
  feed(101, 11 * 60, 12);
  iv = engine.flood_intervals();
  ASSERT_EQ(iv.size(), 3u);
  EXPECT_EQ(iv[1].alarms, 1);
  EXPECT_EQ(iv[1].start, testing::test_start + 10min);
}

TEST_F(AlarmEngineTest, ConfigurationErrorsNameThePoint) {
  expect_error([&] { engine.configure({{.point_id = 3, .hihi = 90, .hi = 100}}); },
               ErrorCode::invalid_argument, "point 3: hi 100");
  expect_error([&] { engine.configure({{.point_id = 3, .hi = 1, .deadband = -1}}); },
               ErrorCode::invalid_argument, "point 3: deadband");
  expect_error([&] { engine.configure({{.point_id = 3, .on_delay_us = -1}}); },
               ErrorCode::invalid_argument, "point 3: on_delay_us");
  expect_error(
      [&] {
        engine.configure({{.point_id = 3}, {.point_id = 3}});
      },
      ErrorCode::invalid_argument, "point 3: configured twice");
}

// ---- the audited service and the stored history
// --------------------------------------------------

class AlarmStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  std::unique_ptr<AlarmEngine> engine;
  Micros t0 = to_micros(testing::test_start);

  void open() {
    s = pf.open(GetParam());
    if (!s) return;
    engine = std::make_unique<AlarmEngine>(pf.clock);
    engine->configure({{.point_id = 1, .area = "plant", .hi = 100},
                       {.point_id = 2, .area = "plant", .lo = 300, .latching = true}});
  }
  std::vector<AlarmTransition> feed(Id point, double v, Micros dt_s) {
    std::vector<AlarmTransition> out;
    Sample x{point, t0 + dt_s * 1'000'000, v, quality_good, Flag::pass};
    engine->evaluate(std::span(&x, 1), out);
    return out;
  }
  std::vector<audit::Record> audit_of(const std::string& action) {
    return store::Repository<audit::Record>(*s).find(
        store::Query<audit::Record>().where(&audit::Record::action, store::Op::eq, action));
  }
};

TEST_P(AlarmStoreTest, TransitionsAreStoredAndPublishedAfterCommit) {
  open();
  HQ_REQUIRE_STORE(s);
  std::vector<AlarmRaised> raised;
  std::vector<AlarmCleared> cleared;
  auto sub1 =
      s->events().subscribe<AlarmRaised>([&](const AlarmRaised& e) { raised.push_back(e); });
  auto sub2 =
      s->events().subscribe<AlarmCleared>([&](const AlarmCleared& e) { cleared.push_back(e); });
  AlarmLog log(*s);
  auto a = feed(1, 120, 0);
  auto b = feed(1, 90, 1);
  a.insert(a.end(), b.begin(), b.end());
  log.persist(a);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].point_id, 1);
  EXPECT_EQ(raised[0].episode, a[0].episode);
  EXPECT_EQ(raised[0].value, 120);
  EXPECT_EQ(raised[0].time, testing::test_start);
  EXPECT_TRUE(cleared.empty());

  auto op = pf.user_with("op", "operator", {"telemetry.ack", "telemetry.read"});
  Alarms alarms(*s, *engine);
  auto st = alarms.acknowledge(op, {1, AlarmKind::hi}, "checked the manifold");
  EXPECT_EQ(st.state, S::normal);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].episode, a[0].episode);

  auto events =
      store::Repository<AlarmEvent>(*s).find(store::Query<AlarmEvent>().order_by(&AlarmEvent::id));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].to_state, S::unacknowledged);
  EXPECT_EQ(events[0].cause, C::activated);
  EXPECT_EQ(events[0].actor, "");
  EXPECT_EQ(events[1].to_state, S::returned_unacknowledged);
  EXPECT_EQ(events[2].from_state, S::returned_unacknowledged);
  EXPECT_EQ(events[2].to_state, S::normal);
  EXPECT_EQ(events[2].actor, "user:op");
  EXPECT_EQ(events[2].comment, "checked the manifold");
  EXPECT_EQ(events[2].time, pf.clock.now());
  auto rows = store::Repository<AlarmRecord>(*s).find();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, S::normal);
  EXPECT_EQ(rows[0].episode, 0);
  auto rec = audit_of("telemetry.acknowledge_alarm");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].outcome, audit::Outcome::success);
  EXPECT_EQ(rec[0].entity, "telemetry_alarm");
}

TEST_P(AlarmStoreTest, ActionsWithoutPermissionAreDeniedAuditedAndChangeNothing) {
  open();
  HQ_REQUIRE_STORE(s);
  AlarmLog(*s).persist(feed(1, 120, 0));
  auto viewer = pf.user_with("viewer", "viewer", {"telemetry.read"});
  Alarms alarms(*s, *engine);
  expect_error(
      [&] {
        alarms.acknowledge(viewer, {1, AlarmKind::hi});
      },
      ErrorCode::permission_denied, "");
  expect_error(
      [&] {
        alarms.shelve(viewer, {1, AlarmKind::hi}, 1h, "maintenance");
      },
      ErrorCode::permission_denied, "");
  expect_error([&] { alarms.reset(viewer, {2, AlarmKind::lo}); }, ErrorCode::permission_denied, "");
  EXPECT_EQ(engine->status({1, AlarmKind::hi}).state, S::unacknowledged);
  EXPECT_EQ(store::Repository<AlarmEvent>(*s).count(), 1);
  auto rec = audit_of("telemetry.acknowledge_alarm");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].outcome, audit::Outcome::denied);
  EXPECT_EQ(rec[0].actor, "user:viewer");
  EXPECT_EQ(audit_of("telemetry.shelve_alarm").at(0).outcome, audit::Outcome::denied);
  EXPECT_EQ(alarms.standing(viewer).size(), 1u);
}

TEST_P(AlarmStoreTest, IllegalActionsAreRefusedAuditedAndStoreNothing) {
  open();
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("op", "operator",
                         {"telemetry.ack", "telemetry.shelve", "telemetry.out_of_service",
                          "telemetry.reset", "telemetry.read"});
  Alarms alarms(*s, *engine);
  expect_error(
      [&] {
        alarms.unshelve(op, {1, AlarmKind::hi});
      },
      ErrorCode::failed_precondition, "alarm 1/hi: cannot unshelve in state normal");
  expect_error(
      [&] {
        alarms.shelve(op, {1, AlarmKind::hi}, 1h, "");
      },
      ErrorCode::invalid_argument, "alarm 1/hi: shelving needs a reason");
  expect_error(
      [&] {
        alarms.acknowledge(op, {9, AlarmKind::hi});
      },
      ErrorCode::not_found, "alarm 9/hi: no such alarm");
  EXPECT_EQ(store::Repository<AlarmEvent>(*s).count(), 0);
  auto rec = audit_of("telemetry.unshelve_alarm");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].outcome, audit::Outcome::failed);

  // The whole cycle by an operator who may: shelve, unshelve, out of service, back, reset.
  EXPECT_EQ(alarms.shelve(op, {1, AlarmKind::hi}, 2h, "sensor swap").state, S::shelved);
  auto row = store::Repository<AlarmRecord>(*s).find().at(0);
  ASSERT_TRUE(row.shelved_until);
  EXPECT_EQ(*row.shelved_until, testing::test_start + 2h);
  EXPECT_EQ(alarms.unshelve(op, {1, AlarmKind::hi}).state, S::normal);
  EXPECT_EQ(alarms.remove_from_service(op, {1, AlarmKind::hi}, "replaced").state,
            S::out_of_service);
  EXPECT_EQ(alarms.return_to_service(op, {1, AlarmKind::hi}).state, S::normal);
  AlarmLog(*s).persist(feed(2, 250, 1));
  AlarmLog(*s).persist(feed(2, 320, 2));
  EXPECT_EQ(alarms.acknowledge(op, {2, AlarmKind::lo}).state, S::latched);
  EXPECT_EQ(alarms.reset(op, {2, AlarmKind::lo}).state, S::normal);
  EXPECT_EQ(store::Repository<AlarmEvent>(*s).count(), 8);
  EXPECT_EQ(audit_of("telemetry.reset_alarm").at(0).outcome, audit::Outcome::success);
}

TEST_P(AlarmStoreTest, StateAndEpisodeIdsSurviveARestart) {
  open();
  HQ_REQUIRE_STORE(s);
  AlarmLog log(*s);
  log.persist(feed(1, 120, 0));
  log.persist(feed(2, 250, 0));
  log.persist(feed(2, 350, 1));  // latched
  auto episode1 = engine->status({1, AlarmKind::hi}).episode;

  AlarmEngine restarted(pf.clock);
  restarted.configure({{.point_id = 1, .area = "plant", .hi = 100},
                       {.point_id = 2, .area = "plant", .lo = 300, .latching = true}});
  AlarmLog(*s).restore(restarted);
  auto st = restarted.status({1, AlarmKind::hi});
  EXPECT_EQ(st.state, S::unacknowledged);
  EXPECT_EQ(st.episode, episode1);
  EXPECT_EQ(restarted.status({2, AlarmKind::lo}).state, S::latched);
  EXPECT_EQ(restarted.next_episode(), 3u);
  // It continues where it was: the value drops, the alarm returns unacknowledged.
  std::vector<AlarmTransition> out;
  Sample x{1, t0 + 5'000'000, 90, quality_good, Flag::pass};
  restarted.evaluate(std::span(&x, 1), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, S::returned_unacknowledged);
  EXPECT_EQ(out[0].episode, episode1);
}

TEST_P(AlarmStoreTest, OperationsAreInTheServiceRegistry) {
  open();
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("op", "operator", {"telemetry.ack", "telemetry.read"});
  expect_error([&] { service::call(*s, op, "telemetry.standing_alarms", json::Json::object()); },
               ErrorCode::failed_precondition, "telemetry: no alarm engine");
  serve_alarm_operations(engine.get());
  AlarmLog(*s).persist(feed(1, 120, 0));
  auto standing = service::call(*s, op, "telemetry.standing_alarms", json::Json::object());
  ASSERT_EQ(standing["alarms"].size(), 1u);
  EXPECT_EQ(standing["alarms"][0]["state"], "unacknowledged");
  auto r = service::call(*s, op, "telemetry.acknowledge_alarm",
                         {{"point_id", 1}, {"kind", "hi"}, {"comment", "seen"}});
  EXPECT_EQ(r["state"], "acknowledged");
  expect_error(
      [&] {
        service::call(*s, op, "telemetry.shelve_alarm",
                      {{"point_id", 1}, {"kind", "hi"}, {"duration_s", 60}, {"reason", "x"}});
      },
      ErrorCode::permission_denied, "");
  EXPECT_EQ(service::operation("telemetry.reset_alarm").permission, "telemetry.reset");
  EXPECT_EQ(auth::permission("telemetry.out_of_service").name, "telemetry.out_of_service");
  serve_alarm_operations(nullptr);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlarmStoreTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin::telemetry
