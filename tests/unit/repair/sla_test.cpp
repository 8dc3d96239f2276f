// SLA: working-time arithmetic over hours, weekends, holidays and make-up days; ranked rule
// matching; clocks across a pause over midnight and a holiday, a reopen and a policy changed
// mid-flight (the GLPI/ERPNext bugs); warnings and escalations exactly once per cycle. Times are
// UTC; the hospital's local time is UTC+8 (test_start 2026-03-02T08:00Z is Monday 16:00 local).
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using repair::Status;
using store::Repository;
using testing::at;
using testing::expect_error;

/// Monday to Friday 08:00-17:00 local, Tuesday 2026-03-03 a holiday.
repair::Calendar work_calendar() {
  repair::Calendar c;
  c.code = "WORK";
  c.name = "Office hours";
  for (int d = 1; d <= 5; ++d) c.hours.push_back({d, 480, 1020});
  c.holidays.push_back(parse_date("2026-03-03"));
  return c;
}

TEST(SlaCalendar, WorkingSecondsSkipNightsWeekendsAndHolidays) {
  auto c = work_calendar();
  // Mon 16:00 -> Wed 09:00 local: 1 h Monday, Tuesday is a holiday, 1 h Wednesday.
  EXPECT_EQ(repair::working_seconds(&c, at("2026-03-02T08:00:00Z"), at("2026-03-04T01:00:00Z")),
            7200);
  EXPECT_EQ(repair::working_seconds(&c, at("2026-03-04T01:00:00Z"), at("2026-03-02T08:00:00Z")), 0);
  // Mon 16:30 local + 1 h lands on Wednesday 08:30 local.
  EXPECT_EQ(repair::add_working_seconds(&c, at("2026-03-02T08:30:00Z"), 3600),
            at("2026-03-04T00:30:00Z"));
  // Fri 16:00 local + 2 h: over the weekend to Monday 09:00 local.
  EXPECT_EQ(repair::add_working_seconds(&c, at("2026-03-06T08:00:00Z"), 7200),
            at("2026-03-09T01:00:00Z"));
  // Saturday made a working day (调休) works Monday's hours.
  c.working_days.push_back(parse_date("2026-03-07"));
  EXPECT_EQ(repair::add_working_seconds(&c, at("2026-03-06T08:00:00Z"), 7200),
            at("2026-03-07T01:00:00Z"));
  EXPECT_TRUE(repair::in_working_time(&c, at("2026-03-02T08:59:59Z")));
  EXPECT_FALSE(repair::in_working_time(&c, at("2026-03-02T09:00:00Z")));  // 17:00 local
  EXPECT_FALSE(repair::in_working_time(&c, at("2026-03-03T02:00:00Z")));  // holiday
  EXPECT_TRUE(repair::in_working_time(&c, at("2026-03-02T00:00:00Z")));   // 08:00 local
  EXPECT_FALSE(repair::in_working_time(&c, at("2026-03-01T23:59:59Z")));  // 07:59 local
  // No calendar: around the clock.
  EXPECT_EQ(
      repair::working_seconds(nullptr, at("2026-03-02T08:00:00Z"), at("2026-03-03T08:00:00Z")),
      86400);
  EXPECT_EQ(repair::add_working_seconds(nullptr, at("2026-03-02T08:00:00Z"), 60),
            at("2026-03-02T08:01:00Z"));
}

TEST(SlaCalendar, SplitDaysAndCalendarsWithoutWorkingTime) {
  repair::Calendar c;
  c.code = "SPLIT";
  c.hours = {{1, 480, 720}, {1, 840, 1080}};  // Monday 08-12 and 14-18 local
  // Monday 11:00 local + 2 h: 1 h before lunch, 1 h after: 15:00 local.
  EXPECT_EQ(repair::add_working_seconds(&c, at("2026-03-02T03:00:00Z"), 7200),
            at("2026-03-02T07:00:00Z"));
  EXPECT_EQ(repair::working_seconds(&c, at("2026-03-02T00:00:00Z"), at("2026-03-03T00:00:00Z")),
            8 * 3600);
  repair::Calendar never;
  never.code = "NEVER";
  never.hours = {{1, 480, 1080}};
  for (int i = 0; i < 4000; ++i)  // every Monday for years is a holiday
    never.holidays.push_back(parse_date("2026-03-02") + std::chrono::days{7 * i});
  expect_error([&] { repair::add_working_seconds(&never, at("2026-03-02T00:00:00Z"), 60); },
               ErrorCode::failed_precondition, "calendar NEVER: no working time within ten years");
}

class SlaTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  auth::Actor desk = testing::desk();
  Id work_calendar_id = 0;

  void open() {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    work_calendar_id = repair::save_config(*s, desk, work_calendar()).id;
  }
  repair::SlaPolicy policy(const char* code, int response, int resolution,
                           std::optional<Id> calendar, std::string chain = {}) {
    repair::SlaPolicy p{0, 0, code, code, response, resolution, calendar, {Status::on_hold}, chain};
    return repair::save_config(*s, desk, p);
  }
  repair::SlaRule rule(const char* code, int rank, Id policy_id) {
    repair::SlaRule r;
    r.code = code;
    r.rank = rank;
    r.policy_id = policy_id;
    return r;
  }
  void advance(std::chrono::minutes m) { pf.clock.advance(m); }
  void go(const char* iso) { pf.clock.set(at(iso)); }
};

TEST_P(SlaTest, RankedRulesChooseThePolicy) {
  open();
  HQ_REQUIRE_STORE(s);
  auto a = policy("A", 30, 480, std::nullopt);
  auto b = policy("B", 20, 240, std::nullopt);
  auto c = policy("C", 5, 60, std::nullopt);
  auto night = policy("NIGHT", 10, 120, std::nullopt);
  auto r1 = rule("R1", 10, a.id);
  r1.category = "electrical";
  repair::save_config(*s, desk, r1);
  auto r2 = rule("R2", 10, b.id);  // same rank, more specific
  r2.category = "electrical";
  r2.building_id = site.building_a;
  repair::save_config(*s, desk, r2);
  auto r3 = rule("R3", 5, c.id);
  r3.priority = repair::Priority::p1;
  repair::save_config(*s, desk, r3);
  auto r4 = rule("R4", 1, night.id);  // out of office hours
  r4.during_calendar_id = work_calendar_id;
  r4.outside_calendar = true;
  repair::save_config(*s, desk, r4);

  repair::WorkOrders wo(*s);
  auto in = testing::light_report(site);  // electrical, A-1-101, high x medium = p2
  EXPECT_EQ(wo.report(desk, in).sla_policy_id, b.id);
  in.impact = repair::Level::high;  // p1
  EXPECT_EQ(wo.report(desk, in).sla_policy_id, c.id);
  in.impact = repair::Level::medium;
  in.room_id = site.room_b101;
  EXPECT_EQ(wo.report(desk, in).sla_policy_id, a.id);
  in.repair_item_id = site.item_tap;  // plumbing: only the seed's catch-all
  auto seeded = wo.report(desk, in);
  auto def = Repository<repair::SlaPolicy>(*s).require(*seeded.sla_policy_id);
  EXPECT_EQ(def.code, "DEFAULT");
  EXPECT_EQ(seeded.response_target_minutes, 15) << "the seed's response target";
  go("2026-03-02T10:00:00Z");  // 18:00 local, outside office hours
  EXPECT_EQ(wo.report(desk, in).sla_policy_id, night.id);
}

TEST_P(SlaTest, PauseAcrossMidnightAndAHolidayKeepsTheRunTime) {
  open();
  HQ_REQUIRE_STORE(s);
  auto p = policy("OFFICE", 15, 240, work_calendar_id);
  auto r = rule("R", 1, p.id);
  r.category = "electrical";
  repair::save_config(*s, desk, r);
  repair::WorkOrders wo(*s);
  auto o = wo.report(desk, testing::light_report(site));  // Mon 16:00 local
  EXPECT_EQ(o.response_due, at("2026-03-02T08:15:00Z"));
  EXPECT_EQ(o.resolution_due, at("2026-03-04T03:00:00Z"));  // 1 h Mon + 3 h Wed (Tue holiday)
  advance(std::chrono::minutes(10));
  wo.dispatch(desk, {o.id, site.elec1, ""});
  o = wo.accept(desk, {o.id, ""});
  EXPECT_EQ(o.response_elapsed_s, 600);
  EXPECT_FALSE(o.response_breached);
  EXPECT_FALSE(o.response_due);
  wo.start(desk, {o.id, ""});
  advance(std::chrono::minutes(20));  // 16:30 local
  o = wo.hold(desk, {o.id, repair::HoldReason::parts, "no spare ballast"});
  EXPECT_EQ(o.resolution_elapsed_s, 1800);
  EXPECT_FALSE(o.sla_running_since);
  EXPECT_FALSE(o.resolution_due) << "no deadline while paused";
  go("2026-03-04T02:00:00Z");  // Wednesday 10:00 local: over midnight twice and the holiday
  o = wo.resume(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 1800) << "no time lost or added while pending";
  EXPECT_EQ(o.resolution_due, at("2026-03-04T05:30:00Z"));  // 3.5 h of Wednesday left
  advance(std::chrono::minutes(30));
  o = wo.complete(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 3600);  // without the pause it would be 12600
  EXPECT_FALSE(o.resolution_breached);
  EXPECT_EQ(o.response_elapsed_s, 600);

  // Around the clock (the seed's policy): a hold from 23:00 to 01:00 local is not counted.
  go("2026-03-02T08:00:00Z");
  auto in = testing::light_report(site);
  in.repair_item_id = site.item_tap;
  in.pooled = true;
  auto q = wo.report(desk, in);
  wo.grab(desk, {q.id, site.plumber});
  wo.start(desk, {q.id, ""});
  go("2026-03-02T15:00:00Z");  // 23:00 local
  wo.hold(desk, {q.id, repair::HoldReason::clinical_access, "patient asleep"});
  go("2026-03-02T17:00:00Z");  // 01:00 local
  wo.resume(desk, {q.id, ""});
  go("2026-03-02T18:00:00Z");
  q = wo.complete(desk, {q.id, ""});
  EXPECT_EQ(q.resolution_elapsed_s, 7 * 3600 + 3600);
  EXPECT_TRUE(q.resolution_breached);  // 8 h against 4 h
  EXPECT_EQ(q.response_elapsed_s, 0) << "grabbed at once";
}

TEST_P(SlaTest, ReopenContinuesFromCompletionWithoutTheStoppedTime) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto o = wo.report(desk, testing::light_report(site));  // seed policy, 24x7
  advance(std::chrono::minutes(5));
  wo.dispatch(desk, {o.id, site.elec1, ""});
  wo.accept(desk, {o.id, ""});
  wo.start(desk, {o.id, ""});
  advance(std::chrono::minutes(55));
  o = wo.complete(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 3600);
  advance(std::chrono::hours(2));  // done: the clock is stopped
  o = wo.verify(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 3600);
  o = wo.reopen(desk, {o.id, "flickers again"});
  EXPECT_EQ(o.resolution_elapsed_s, 3600) << "reopen neither resets nor counts the stopped time";
  EXPECT_EQ(o.resolution_due, pf.clock.now() + std::chrono::hours(3));
  advance(std::chrono::minutes(30));
  o = wo.complete(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 5400);
  EXPECT_EQ(o.response_elapsed_s, 300);
  EXPECT_FALSE(o.resolution_breached);
}

TEST_P(SlaTest, ChangedPolicyMidFlightKeepsElapsedTime) {
  open();
  HQ_REQUIRE_STORE(s);
  auto tight = policy("TIGHT", 15, 120, work_calendar_id);
  repair::WorkOrders wo(*s);
  auto o = wo.report(desk, testing::light_report(site));  // seed policy, 24x7, 240 min
  advance(std::chrono::minutes(10));
  wo.dispatch(desk, {o.id, site.elec1, ""});
  wo.accept(desk, {o.id, ""});
  wo.start(desk, {o.id, ""});
  advance(std::chrono::minutes(90));  // Mon 17:40 local, after office hours
  repair::Sla sla(*s);
  expect_error([&] { sla.change_policy(desk, o.id, tight.id, ""); }, ErrorCode::invalid_argument,
               "reason: required");
  o = sla.change_policy(desk, o.id, tight.id, "ward escalated it to critical");
  EXPECT_EQ(o.sla_policy_id, tight.id);
  EXPECT_EQ(o.resolution_target_minutes, 120);
  EXPECT_EQ(o.resolution_elapsed_s, 6000) << "100 minutes already run are kept";
  // 20 minutes left, in office hours of the new calendar: Wednesday 08:20 local.
  EXPECT_EQ(o.resolution_due, at("2026-03-04T00:20:00Z"));
  go("2026-03-04T00:30:00Z");
  o = wo.complete(desk, {o.id, ""});
  EXPECT_EQ(o.resolution_elapsed_s, 6000 + 1800);
  EXPECT_TRUE(o.resolution_breached);
  expect_error([&] { sla.change_policy(desk, o.id, tight.id, "too late"); },
               ErrorCode::failed_precondition, "work order " + o.code + ": the SLA of a completed");
  auto hist = wo.history(desk, o.id);
  bool changed = false;
  for (const auto& h : hist) changed = changed || h.reason == "ward escalated it to critical";
  EXPECT_TRUE(changed);
}

TEST_P(SlaTest, WarningsAndEscalationsFireExactlyOncePerCycle) {
  open();
  HQ_REQUIRE_STORE(s);
  auto p = policy("CHAINED", 15, 60, std::nullopt, "CH");
  auto r = rule("R", 1, p.id);
  r.category = "electrical";
  repair::save_config(*s, desk, r);
  auto step = [&](repair::SlaTarget t, int level, int offset, std::optional<Id> staff,
                  const char* role) {
    repair::EscalationStep e{0, 0, "CH", t, level, offset, staff, role};
    return repair::save_config(*s, desk, e);
  };
  step(repair::SlaTarget::response, 1, -5, std::nullopt, "team_leader");
  step(repair::SlaTarget::response, 2, 0, site.elec1, "");
  step(repair::SlaTarget::resolution, 3, 30, std::nullopt, "logistics_director");
  std::vector<repair::SlaWarning> warnings;
  std::vector<repair::SlaEscalated> escalations;
  auto w = s->events().subscribe<repair::SlaWarning>([&](auto& e) { warnings.push_back(e); });
  auto x = s->events().subscribe<repair::SlaEscalated>([&](auto& e) { escalations.push_back(e); });
  repair::WorkOrders wo(*s);
  repair::Sla sla(*s);
  auto o = wo.report(desk, testing::light_report(site));
  auto tick = [&] { return sla.tick(desk); };

  advance(std::chrono::minutes(9));
  EXPECT_EQ(tick().orders_checked, 1);
  EXPECT_TRUE(warnings.empty());
  advance(std::chrono::minutes(1));  // 10 min: 5 before the response deadline
  auto t = tick();
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_EQ(t.warnings[0].level, 1);
  EXPECT_EQ(t.warnings[0].notify_role, "team_leader");
  EXPECT_EQ(t.warnings[0].elapsed_minutes, 10);
  EXPECT_EQ(t.warnings[0].target_minutes, 15);
  EXPECT_TRUE(tick().warnings.empty());
  advance(std::chrono::minutes(6));  // 16 min: response deadline passed
  t = tick();
  ASSERT_EQ(t.escalations.size(), 1u);
  EXPECT_EQ(t.escalations[0].level, 2);
  EXPECT_EQ(t.escalations[0].notify_staff_id, site.elec1);
  EXPECT_TRUE(Repository<repair::WorkOrder>(*s).require(o.id).response_breached);
  t = tick();
  EXPECT_TRUE(t.warnings.empty() && t.escalations.empty());
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(escalations.size(), 1u);

  wo.dispatch(desk, {o.id, site.elec1, ""});
  o = wo.accept(desk, {o.id, ""});
  EXPECT_TRUE(o.response_breached) << "answered late stays late";
  wo.start(desk, {o.id, ""});
  advance(std::chrono::minutes(89 - 16));  // 89 min of resolution time
  EXPECT_TRUE(tick().escalations.empty());
  advance(std::chrono::minutes(1));
  t = tick();
  ASSERT_EQ(t.escalations.size(), 1u);
  EXPECT_EQ(t.escalations[0].level, 3);
  EXPECT_EQ(t.escalations[0].target, repair::SlaTarget::resolution);
  EXPECT_TRUE(tick().escalations.empty());
  // Paused: nothing new however long it waits.
  wo.hold(desk, {o.id, repair::HoldReason::vendor, "vendor visit"});
  advance(std::chrono::hours(10));
  t = tick();
  EXPECT_EQ(t.orders_checked, 1);
  EXPECT_TRUE(t.escalations.empty() && t.warnings.empty());
  wo.resume(desk, {o.id, ""});
  wo.complete(desk, {o.id, ""});
  EXPECT_EQ(tick().orders_checked, 0);
  // A reopen starts a new cycle: the overdue step fires once more, then not again.
  wo.reopen(desk, {o.id, "not fixed"});
  auto j = service::call(*s, desk, "repair.sla_tick", json::Json::object());  // as hosts call it
  ASSERT_EQ(j["escalations"].size(), 1u);
  EXPECT_EQ(j["escalations"][0]["level"], 3);
  EXPECT_EQ(j["escalations"][0]["notify_role"], "logistics_director");
  EXPECT_TRUE(tick().escalations.empty());
  EXPECT_EQ(escalations.size(), 3u);
  EXPECT_EQ(Repository<repair::SlaFiring>(*s).count(), 4);

  auto clerk = pf.user_with("clerk", "clerk", {"repair.report"});
  expect_error([&] { sla.tick(clerk); }, ErrorCode::permission_denied,
               "user:clerk lacks repair.dispatch");
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
