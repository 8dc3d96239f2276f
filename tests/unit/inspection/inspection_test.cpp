// Preventive work on every backend with a manual clock: templates versioned with tasks keeping
// their revision; time plans issuing the same tasks whatever the generator's cadence over a
// simulated season, on weekdays, at month ends and at shift starts; at most one open task with
// skipped occurrences logged; meter and condition triggers (tolerance, hysteresis, wait) and
// whichever comes first; roster assignment; scans flagged (unknown, duplicate, out of order, too
// fast, outside the window, weak); answers judged with findings opening one work order through
// the host; exemptions and compliance; NTAG 424 DNA taps verified, replays and forgeries
// refused; the registry surface.
#include "houqin/inspection/planner.hpp"

#include "../repair/fixture.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/entities.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using inspection::ItemKind;
using inspection::Plan;
using inspection::ScanFlag;
using inspection::TaskStatus;
using store::Query;
using store::Repository;
using testing::expect_error;

class InspectionTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> admin, inspector, supervisor;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    admin = pf.user_with("pm-admin", "pm", {"inspection.configure", "inspection.record"});
    inspector = pf.user_with("inspector", "inspector", {"inspection.perform"});
    supervisor = pf.user_with("super", "super", {"inspection.supervise", "inspection.read"});
    inspection::TemplateInput t;
    t.code = "GAS-DAILY";
    t.name = "医用气体日检";
    t.asset_category = "medical_gas";
    t.items = {
        {"pressure", "汇流排压力", ItemKind::number, 0.35, 0.55, "MPa", {}, {}, true},
        {"leak", "有无泄漏", ItemKind::pass_fail, {}, {}, "", {}, {}, true},
        {"valve",
         "阀门状态",
         ItemKind::choice,
         {},
         {},
         "",
         {"open", "closed", "leaking"},
         {"leaking"},
         true,
         inspection::FindingOpens::general_hazard},  // a leak is a safety hazard
        {"note", "备注", ItemKind::text, {}, {}, "", {}, {}, false},
    };
    planner().save_template(*admin, t);
  }
  inspection::Planner planner() { return inspection::Planner(*s); }
  Plan daily(const std::string& code, Id room) {
    Plan p;
    p.code = code;
    p.template_code = "GAS-DAILY";
    p.room_id = room;
    p.every = 1;
    p.unit = inspection::IntervalUnit::day;
    p.start = testing::at("2026-03-03T00:00:00Z");  // 08:00 local, Tuesday
    p.window_minutes = 8 * 60;
    return planner().save_plan(*admin, p);
  }
  std::vector<inspection::Task> tasks() {
    return Repository<inspection::Task>(*s).find(
        Query<inspection::Task>().order_by(&inspection::Task::id));
  }
  std::vector<inspection::Result> good(int points = 1) {
    std::vector<inspection::Result> out;
    for (int p = 0; p < points; ++p) {
      out.push_back({"pressure", p, {}, 0.45, "", "", "", false, ""});
      out.push_back({"leak", p, true, {}, "", "", "", false, ""});
      out.push_back({"valve", p, {}, {}, "open", "", "", false, ""});
    }
    return out;
  }
  inspection::Tag tag(const std::string& uid, Id room,
                      inspection::TagType type = inspection::TagType::ntag21x) {
    inspection::Tag t;
    t.uid = uid;
    t.type = type;
    t.room_id = room;
    return planner().register_tag(*admin, t);
  }
  auth::Actor job() { return wiring::actor(); }
};

TEST_P(InspectionTest, TemplatesAreRevisedAndATaskKeepsTheRevisionItWasIssuedWith) {
  HQ_REQUIRE_STORE(s);
  daily("P1", site.room_a101);
  pf.clock.set(testing::at("2026-03-03T00:00:00Z"));
  ASSERT_EQ(planner().generate(job()).issued, 1);
  inspection::TemplateInput t;
  t.code = "GAS-DAILY";
  t.name = "医用气体日检 v2";
  t.items = {{"leak", "有无泄漏", ItemKind::pass_fail, {}, {}, "", {}, {}, true}};
  auto r2 = planner().save_template(*admin, t);
  EXPECT_EQ(r2.revision, 2);
  auto first = tasks().front();
  EXPECT_EQ(Repository<inspection::Template>(*s).require(first.template_id).revision, 1);
  // The old task is still answered against revision 1: "pressure" is one of its items.
  tag("04A1B2C3D4E5F6", site.room_a101);
  planner().scan(*inspector, {first.code, "04:a1:b2:c3:d4:e5:f6"});
  auto done = planner().complete(*inspector, {first.code, good(), ""});
  EXPECT_EQ(done.status, TaskStatus::done);
  // The next task gets revision 2.
  pf.clock.set(testing::at("2026-03-04T00:00:00Z"));
  planner().generate(job());
  EXPECT_EQ(Repository<inspection::Template>(*s).require(tasks().back().template_id).revision, 2);
  // Bad templates are named.
  t.items.push_back(t.items.front());
  expect_error([&] { planner().save_template(*admin, t); }, ErrorCode::invalid_argument,
               "items[1].key: 'leak' appears twice");
  t.items = {{"v", "v", ItemKind::choice, {}, {}, "", {"a"}, {"b"}, true}};
  expect_error([&] { planner().save_template(*admin, t); }, ErrorCode::invalid_argument,
               "items[0].failing_choices: 'b' is not one of the choices");
}

/// Runs the generator every `cadence` from `from` to `to`, completing each task it issues at
/// once (after scanning its point). Returns "code due" lines.
std::vector<std::string> run_season(InspectionTest& t, store::Store& s, ManualClock& clock,
                                    std::chrono::minutes cadence, Timestamp from, Timestamp to,
                                    const auth::Actor& job, const auth::Actor& inspector,
                                    const std::vector<inspection::Result>& answers) {
  std::vector<std::string> out;
  inspection::Planner planner(s);
  for (auto now = from; now < to; now += cadence) {
    clock.set(now);
    planner.generate(job);
    for (auto& task : Repository<inspection::Task>(s).find(Query<inspection::Task>().where(
             &inspection::Task::status, store::Op::eq, TaskStatus::open))) {
      if (now < task.due_at) continue;  // its window has not opened
      for (const auto& pt : task.points) {
        auto tag = Repository<inspection::Tag>(s).find_one(
            Query<inspection::Tag>().where(&inspection::Tag::room_id, store::Op::eq, *pt.room_id));
        planner.scan(inspector, {task.code, tag->uid});
      }
      planner.complete(inspector, {task.code, answers, ""});
      out.push_back(task.code + " " + format_timestamp(task.due_at));
    }
  }
  (void)t;
  return out;
}

TEST_P(InspectionTest, TimePlansIssueTheSameTasksWhateverTheGeneratorsCadence) {
  HQ_REQUIRE_STORE(s);
  tag("04A1B2C3D4E5F6", site.room_a101);
  tag("04A1B2C3D4E5F7", site.room_a102);
  tag("04A1B2C3D4E5F8", site.room_a201);
  auto weekdays = daily("WEEKDAYS", site.room_a101);
  weekdays.days_of_week = 0b0011111;  // Monday to Friday
  planner().save_plan(*admin, weekdays);
  Plan monthly;
  monthly.code = "MONTH-END";
  monthly.template_code = "GAS-DAILY";
  monthly.room_id = site.room_a102;
  monthly.every = 1;
  monthly.unit = inspection::IntervalUnit::month;
  monthly.start = testing::at("2026-03-31T02:00:00Z");  // the 31st, 10:00 local
  monthly.window_minutes = 3 * 24 * 60;
  planner().save_plan(*admin, monthly);
  Plan shift;
  shift.code = "NIGHT-ROUND";
  shift.template_code = "GAS-DAILY";
  shift.room_id = site.room_a201;
  shift.every = 1;
  shift.shift_id = site.night_shift;  // 22:00 local
  shift.start = testing::at("2026-03-03T00:00:00Z");
  shift.window_minutes = 120;
  shift.lead_minutes = 30;
  auto saved = planner().save_plan(*admin, shift);
  EXPECT_EQ(format_timestamp(saved.start), "2026-03-03T14:00:00Z");  // the shift's start

  const auto from = testing::at("2026-03-02T16:00:00Z"), to = testing::at("2026-06-01T16:00:00Z");
  auto a = run_season(*this, *s, pf.clock, std::chrono::minutes(60), from, to, job(), *inspector,
                      good());
  // The same plans in a second store, run every 25 minutes: the same tasks.
  auto s2 = pf.open(GetParam());
  testing::RepairSite site2;
  site2.build(*s2);
  inspection::Planner p2(*s2);
  p2.save_template(*admin, {"GAS-DAILY",
                            "x",
                            "",
                            {{"leak", "有无泄漏", ItemKind::pass_fail, {}, {}, "", {}, {}, true}}});
  for (auto plan : Repository<Plan>(*s).find()) {
    plan.id = 0;
    plan.last_due.reset();
    plan.last_completed.reset();
    plan.room_id = plan.room_id == site.room_a101   ? site2.room_a101
                   : plan.room_id == site.room_a102 ? site2.room_a102
                                                    : site2.room_a201;
    plan.shift_id = plan.shift_id ? std::optional(site2.night_shift) : std::nullopt;
    p2.save_plan(*admin, plan);
  }
  for (auto t : Repository<inspection::Tag>(*s).find()) {
    t.room_id = t.room_id == site.room_a101   ? site2.room_a101
                : t.room_id == site.room_a102 ? site2.room_a102
                                              : site2.room_a201;
    p2.register_tag(*admin, t);
  }
  auto b = run_season(*this, *s2, pf.clock, std::chrono::minutes(25), from, to, job(), *inspector,
                      {{"leak", 0, true, {}, "", "", "", false, ""}});
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  auto count = [&](const std::string& prefix) {
    return std::count_if(a.begin(), a.end(),
                         [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(count("PM-WEEKDAYS-"), 65);  // Tuesday 3 March .. Monday 1 June 2026: 65 weekdays
  EXPECT_EQ(count("PM-NIGHT-ROUND-"), 91);
  // Month ends: 31 Mar, 30 Apr (clamped), 31 May at 10:00 local.
  EXPECT_EQ(count("PM-MONTH-END-"), 3);
  EXPECT_NE(std::find(a.begin(), a.end(), "PM-MONTH-END-202604301000 2026-04-30T02:00:00Z"),
            a.end());
  EXPECT_EQ(Repository<inspection::Skip>(*s).count(), 0);  // nothing was ever skipped
}

TEST_P(InspectionTest, AtMostOneTaskIsOpenAndEveryOtherOccurrenceIsLoggedAsSkipped) {
  HQ_REQUIRE_STORE(s);
  auto p = daily("P1", site.room_a101);
  p.window_minutes = 3 * 24 * 60;  // a long window: the next days come while it is open
  planner().save_plan(*admin, p);
  pf.clock.set(testing::at("2026-03-03T00:00:00Z"));
  EXPECT_EQ(planner().generate(job()).issued, 1);
  pf.clock.set(testing::at("2026-03-04T00:00:00Z"));
  auto g = planner().generate(job());
  EXPECT_EQ(g.issued, 0);
  EXPECT_EQ(g.skipped, 1);
  auto skips = Repository<inspection::Skip>(*s).find();
  ASSERT_EQ(skips.size(), 1u);
  EXPECT_EQ(skips[0].reason, "task PM-P1-202603030800 is still open");
  EXPECT_EQ(format_timestamp(skips[0].due_at), "2026-03-04T00:00:00Z");
  // The window closes undone: missed (out of compliance); the plan goes on.
  pf.clock.set(testing::at("2026-03-06T00:00:00Z"));
  g = planner().generate(job());
  EXPECT_EQ(g.missed, 1);
  EXPECT_EQ(g.issued, 1);
  EXPECT_EQ(g.skipped, 1);  // 5 March is superseded by 6 March: a catch-up, logged
  EXPECT_EQ(tasks().front().status, TaskStatus::missed);
  auto c = planner().compliance(
      {testing::at("2026-03-01T00:00:00Z"), testing::at("2026-04-01T00:00:00Z")});
  EXPECT_EQ(c.total.due, 2);
  EXPECT_EQ(c.total.missed, 1);
  EXPECT_EQ(c.total.open, 1);
  EXPECT_DOUBLE_EQ(c.completion_rate, 0.0);
  // An exemption needs a reason and a supervisor.
  const auto code = tasks().back().code;
  expect_error(
      [&] {
        planner().exempt(*inspector, {code, inspection::ExemptReason::in_use, ""});
      },
      ErrorCode::permission_denied, "user:inspector lacks inspection.supervise");
  expect_error(
      [&] {
        planner().exempt(*supervisor, {code, inspection::ExemptReason::other, ""});
      },
      ErrorCode::invalid_argument, "note: an exemption for another reason says which");
  planner().exempt(*supervisor, {code, inspection::ExemptReason::in_use, "手术中"});
  c = planner().compliance(
      {testing::at("2026-03-01T00:00:00Z"), testing::at("2026-04-01T00:00:00Z")});
  EXPECT_EQ(c.total.exempt, 1);
  EXPECT_EQ(tasks().back().exempt_reason, inspection::ExemptReason::in_use);
}

TEST_P(InspectionTest, EachPlanCarriesWhenTheGeneratorMustNextLookAtIt) {
  HQ_REQUIRE_STORE(s);
  auto check = [&](const std::string& code) {
    return format_timestamp(Repository<Plan>(*s)
                                .find(Query<Plan>().where(&Plan::code, store::Op::eq, code))[0]
                                .next_check);
  };
  auto fixed = daily("FIXED", site.room_a101);  // every day at 00:00Z, an 8 h window
  fixed.lead_minutes = 60;
  fixed = planner().save_plan(*admin, fixed);
  EXPECT_EQ(fixed.next_check, Timestamp{});  // saved: the next run looks at it
  Plan after;
  after.code = "AFTER";
  after.template_code = "GAS-DAILY";
  after.room_id = site.room_a102;
  after.every = 2;
  after.unit = inspection::IntervalUnit::day;
  after.anchor = inspection::Anchor::completion;
  after.start = testing::at("2026-03-03T00:00:00Z");
  after.window_minutes = 8 * 60;
  planner().save_plan(*admin, after);

  pf.clock.set(testing::at("2026-03-02T23:30:00Z"));  // FIXED's lead time has begun
  EXPECT_EQ(planner().generate(job()).issued, 1);
  // Run again for the same time (the host's job commits before the scheduler moves it on, so a
  // crash in between runs it twice): nothing more is issued or skipped.
  auto again = planner().generate(job());
  EXPECT_EQ(again.issued + again.skipped + again.missed, 0);
  EXPECT_EQ(check("FIXED"), "2026-03-03T23:00:00Z");  // the next occurrence less the lead
  EXPECT_EQ(check("AFTER"), "2026-03-03T00:00:00Z");  // its first due
  pf.clock.set(testing::at("2026-03-03T00:00:00Z"));
  EXPECT_EQ(planner().generate(job()).issued, 1);
  EXPECT_EQ(check("AFTER"), "9999-01-01T00:00:00Z");  // nothing to wait for while its task is
  EXPECT_EQ(check("FIXED"), "2026-03-03T23:00:00Z");  // open; FIXED was not due
  // Both windows close undone: the plans are read for their missed tasks, and AFTER counts on
  // from the close in the same run.
  pf.clock.set(testing::at("2026-03-03T08:00:00Z"));
  auto g = planner().generate(job());
  EXPECT_EQ(g.missed, 2);
  EXPECT_EQ(g.issued, 0);
  EXPECT_EQ(check("AFTER"), "2026-03-05T08:00:00Z");
  EXPECT_EQ(check("FIXED"), "2026-03-03T23:00:00Z");
  pf.clock.set(testing::at("2026-03-05T08:00:00Z"));
  g = planner().generate(job());
  EXPECT_EQ(g.issued, 2);  // AFTER, and FIXED of 5 March (4 March superseded: a skip)
  // Closing AFTER's task (an exemption here) moves its next check from the close.
  const auto open = Repository<inspection::Task>(*s).find(
      Query<inspection::Task>().where(&inspection::Task::status, store::Op::eq, TaskStatus::open));
  const auto task = std::find_if(open.begin(), open.end(), [](const inspection::Task& t) {
    return t.code.rfind("PM-AFTER-", 0) == 0;
  });
  ASSERT_NE(task, open.end());
  pf.clock.set(testing::at("2026-03-05T09:00:00Z"));
  planner().exempt(*supervisor, {task->code, inspection::ExemptReason::in_use, "手术中"});
  EXPECT_EQ(check("AFTER"), "2026-03-07T09:00:00Z");
  pf.clock.set(testing::at("2026-03-07T08:59:00Z"));
  auto before = tasks().size();
  planner().generate(job());
  auto issued = tasks();
  EXPECT_EQ(
      std::count_if(issued.begin() + static_cast<std::ptrdiff_t>(before), issued.end(),
                    [](const inspection::Task& t) { return t.code.rfind("PM-AFTER-", 0) == 0; }),
      0);
  pf.clock.set(testing::at("2026-03-07T09:00:00Z"));
  before = tasks().size();
  planner().generate(job());
  issued = tasks();
  EXPECT_EQ(
      std::count_if(issued.begin() + static_cast<std::ptrdiff_t>(before), issued.end(),
                    [](const inspection::Task& t) { return t.code.rfind("PM-AFTER-", 0) == 0; }),
      1);
}

TEST_P(InspectionTest, MeterAndConditionTriggersWithToleranceHysteresisAndWait) {
  HQ_REQUIRE_STORE(s);
  Plan m;
  m.code = "CHILLER-500H";
  m.template_code = "GAS-DAILY";
  m.room_id = site.room_b101;
  m.meter_point_id = 901;
  m.meter_every = 500;
  m.meter_tolerance = 20;
  planner().save_plan(*admin, m);
  Plan c;
  c.code = "PUMP-HOT";
  c.template_code = "GAS-DAILY";
  c.room_id = site.room_a201;
  c.condition_point_id = 902;
  c.threshold = 30;
  c.hysteresis = 2;
  c.wait_minutes = 30;
  planner().save_plan(*admin, c);
  auto reading = [&](Id point, double v) {
    planner().record_meter(*admin, {point, v, "telemetry", std::nullopt});
  };
  reading(901, 1000);  // the base
  EXPECT_EQ(planner().generate(job()).issued, 0);
  reading(901, 1479);
  EXPECT_EQ(planner().generate(job()).issued, 0);
  reading(901, 1481);  // 481 >= 500 - 20: issued ahead, within the tolerance
  EXPECT_EQ(planner().generate(job()).issued, 1);
  EXPECT_EQ(tasks().back().trigger, inspection::Trigger::meter);

  reading(902, 31);
  pf.clock.advance(std::chrono::minutes(20));
  reading(902, 31.5);
  EXPECT_EQ(planner().generate(job()).issued, 0);  // 20 min of the 30
  pf.clock.advance(std::chrono::minutes(11));
  EXPECT_EQ(planner().generate(job()).issued, 1);
  auto hot = tasks().back();
  EXPECT_EQ(hot.trigger, inspection::Trigger::condition);
  EXPECT_EQ(hot.due_at, pf.clock.now() - std::chrono::minutes(1));  // since + wait
  planner().exempt(*supervisor, {hot.code, inspection::ExemptReason::out_of_service, ""});
  reading(902, 29);  // below the threshold, not yet by the hysteresis: stays disarmed
  reading(902, 33);
  pf.clock.advance(std::chrono::minutes(40));
  EXPECT_EQ(planner().generate(job()).issued, 0);
  reading(902, 27.5);  // back by 2: armed again
  reading(902, 31);
  pf.clock.advance(std::chrono::minutes(31));
  EXPECT_EQ(planner().generate(job()).issued, 1);

  // Whichever comes first: a time trigger due while the meter's task is open is skipped.
  auto both = Repository<Plan>(*s).find_one(
      Query<Plan>().where(&Plan::code, store::Op::eq, std::string("CHILLER-500H")));
  both->every = 30;
  both->start = pf.clock.now();
  planner().save_plan(*admin, *both);
  auto g = planner().generate(job());
  EXPECT_EQ(g.issued, 0);
  EXPECT_EQ(g.skipped, 1);
  EXPECT_NE(Repository<inspection::Skip>(*s).find().back().reason.find("is still open"),
            std::string::npos);
  // Bad triggers are named, nothing saved.
  Plan none;
  none.code = "NONE";
  none.template_code = "GAS-DAILY";
  none.room_id = site.room_a101;
  expect_error([&] { planner().save_plan(*admin, none); }, ErrorCode::invalid_argument,
               "a plan needs a trigger");
  none.meter_every = 10;
  none.meter_point_id = 5;
  none.meter_tolerance = 10;
  expect_error([&] { planner().save_plan(*admin, none); }, ErrorCode::invalid_argument,
               "meter_tolerance: must be at least 0 and below meter_every");
  none.meter_tolerance = 1;
  none.template_code = "NOPE";
  expect_error([&] { planner().save_plan(*admin, none); }, ErrorCode::not_found,
               "template_code: no template 'NOPE'");
  EXPECT_FALSE(Repository<Plan>(*s).find_one(
      Query<Plan>().where(&Plan::code, store::Op::eq, std::string("NONE"))));
}

TEST_P(InspectionTest, TasksGoToSomeoneOnShiftWithTheSkill) {
  HQ_REQUIRE_STORE(s);
  auto p = daily("ELEC", site.room_a101);
  p.skill = "electrical";
  planner().save_plan(*admin, p);
  const auto due = testing::at("2026-03-03T00:00:00Z");  // 08:00 local: night shift till 08:00
  site.roster(*s, site.elec2, site.day_shift, due);      // day shift from 08:00
  site.roster(*s, site.plumber, site.day_shift, due);    // on shift, no skill
  pf.clock.set(due);
  planner().generate(job());
  EXPECT_EQ(tasks().back().assignee_staff_id, site.elec2);
}

TEST_P(InspectionTest, ScansCountOnlyAtTheRightPointInTimeAndAtWalkingPaceAndAreFlagged) {
  HQ_REQUIRE_STORE(s);
  inspection::Route r;
  r.code = "R1";
  r.name = "气体巡检路线";
  r.points = {{site.room_a101, {}}, {site.room_a201, {}}, {site.room_b101, {}}};
  r = planner().save_route(*admin, r);
  Plan p;
  p.code = "ROUND";
  p.template_code = "GAS-DAILY";
  p.route_id = r.id;
  p.every = 1;
  p.start = testing::at("2026-03-03T00:00:00Z");
  p.lead_minutes = 60;
  p.window_minutes = 4 * 60;
  planner().save_plan(*admin, p);
  auto t1 = tag("04A1B2C3D4E5F6", site.room_a101);
  auto t2 = tag("A1B2C3D4", site.room_a201);  // a 4-byte UID
  EXPECT_TRUE(t2.weak);
  tag("04A1B2C3D4E5F8", site.room_b101);
  tag("04FFFFFFFFFFFF", site.room_a102);              // not on the route
  pf.clock.set(testing::at("2026-03-02T22:30:00Z"));  // before the lead time: nothing yet
  EXPECT_EQ(planner().generate(job()).issued, 0);
  pf.clock.set(testing::at("2026-03-02T23:10:00Z"));  // 07:10 local, inside the lead time
  ASSERT_EQ(planner().generate(job()).issued, 1);
  const auto code = tasks().front().code;
  EXPECT_EQ(tasks().front().points.size(), 3u);

  auto scan = [&](const char* uid) { return planner().scan(*inspector, {code, uid}); };
  auto sc = scan("04A1B2C3D4E5F6");
  EXPECT_TRUE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::none);
  EXPECT_EQ(scan("04A1B2C3D4E5F6").flag, ScanFlag::duplicate);
  EXPECT_EQ(scan("04FFFFFFFFFFFF").flag, ScanFlag::wrong_point);
  EXPECT_EQ(scan("04000000000001").flag, ScanFlag::wrong_point);  // not registered
  // Building B is 250 m away: 10 s later is too fast.
  pf.clock.advance(std::chrono::seconds(10));
  sc = scan("04A1B2C3D4E5F8");
  EXPECT_FALSE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::too_fast);
  EXPECT_NE(sc.detail.find("walking there takes at least"), std::string::npos) << sc.detail;
  pf.clock.advance(std::chrono::minutes(5));
  sc = scan("04A1B2C3D4E5F8");  // point 3 before point 2: counted, flagged
  EXPECT_TRUE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::out_of_order);
  expect_error(
      [&] {
        planner().complete(*inspector, {code, good(3), ""});
      },
      ErrorCode::failed_precondition,
      "inspection task " + code + ": point 2 has no accepted scan of its tag");
  pf.clock.advance(std::chrono::minutes(5));
  sc = scan("a1:b2:c3:d4");
  EXPECT_TRUE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::weak_tag);
  expect_error([&] { scan("04A1B2C3ZZ"); }, ErrorCode::invalid_argument,
               "uid: '04A1B2C3ZZ' is not hexadecimal");
  expect_error([&] { scan("04A1B2"); }, ErrorCode::invalid_argument, "uid: 3 bytes");
  // Every scan is kept as evidence, accepted or not.
  EXPECT_EQ(Repository<inspection::Scan>(*s).count(), 7);
  auto done = planner().complete(*inspector, {code, good(3), ""});
  EXPECT_EQ(done.status, TaskStatus::done);
  EXPECT_FALSE(done.late);
  // Scans after the task is done, and outside a window, do not count.
  expect_error([&] { scan("04A1B2C3D4E5F6"); }, ErrorCode::failed_precondition,
               "inspection task " + code + " is done");
  pf.clock.set(testing::at("2026-03-03T23:00:00Z"));
  planner().generate(job());
  pf.clock.set(testing::at("2026-03-04T04:30:00Z"));  // 12:30 local: the window closed at 12:00
  EXPECT_EQ(planner().scan(*inspector, {tasks().back().code, "04A1B2C3D4E5F6"}).flag,
            ScanFlag::outside_window);
}

TEST_P(InspectionTest, AnswersAreJudgedAndAFindingOpensOneWorkOrderThroughTheHost) {
  HQ_REQUIRE_STORE(s);
  daily("P1", site.room_a101);
  tag("04A1B2C3D4E5F6", site.room_a101);
  auto host = houqin::make_host(*s);
  host->run_once();
  pf.clock.set(testing::at("2026-03-03T00:00:00Z"));
  planner().generate(job());
  const auto code = tasks().front().code;
  planner().scan(*inspector, {code, "04A1B2C3D4E5F6"});
  const auto versions = tasks().front().version;
  auto answers = good();
  answers.push_back({"bogus", 0, true, {}, "", "", "", false, ""});
  expect_error(
      [&] {
        planner().complete(*inspector, {code, answers, ""});
      },
      ErrorCode::invalid_argument,
      "results[3].key: 'bogus' is not an item of GAS-DAILY revision 1");
  answers = good();
  answers[0].number.reset();
  expect_error(
      [&] {
        planner().complete(*inspector, {code, answers, ""});
      },
      ErrorCode::invalid_argument, "results[0]: item 'pressure' (number) needs a finite number");
  answers = good();
  answers.pop_back();
  expect_error(
      [&] {
        planner().complete(*inspector, {code, answers, ""});
      },
      ErrorCode::invalid_argument, "results: required item 'valve' at point 0 is not answered");
  answers = good();
  answers[2].choice = "ajar";
  expect_error(
      [&] {
        planner().complete(*inspector, {code, answers, ""});
      },
      ErrorCode::invalid_argument, "results[2].choice: 'ajar' is not a choice");
  EXPECT_EQ(tasks().front().version, versions);  // nothing changed
  EXPECT_EQ(tasks().front().status, TaskStatus::open);

  answers = good();
  answers[0].number = 0.28;       // below 0.35 MPa
  answers[2].choice = "leaking";  // a failing choice
  std::vector<inspection::InspectionFinding> findings;
  auto sub = s->events().subscribe<inspection::InspectionFinding>(
      [&](const auto& e) { findings.push_back(e); });
  auto done = planner().complete(*inspector, {code, answers, "复查"});
  EXPECT_EQ(done.findings, 2);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].finding, "汇流排压力: 0.28 MPa outside 0.35..0.55 MPa");
  EXPECT_EQ(findings[0].room_id, site.room_a101);
  EXPECT_TRUE(findings[0].scan_id.has_value());
  for (int i = 0; i < 5; ++i) host->run_once();
  auto orders = Repository<repair::WorkOrder>(*s).find(Query<repair::WorkOrder>().where(
      &repair::WorkOrder::channel, store::Op::eq, repair::Channel::inspection));
  ASSERT_EQ(orders.size(), 1u);  // the pressure; the leaking valve is a hazard
  EXPECT_NE(orders[0].description.find("task " + code + ", item pressure"), std::string::npos)
      << orders[0].description;
  EXPECT_EQ(orders[0].room_id, site.room_a101);
  auto hazards = Repository<hazard::Hazard>(*s).find();
  ASSERT_EQ(hazards.size(), 1u);
  EXPECT_EQ(hazards[0].source, hazard::Source::inspection);
  EXPECT_EQ(hazards[0].grade, hazard::Grade::general);
  EXPECT_EQ(hazards[0].status, hazard::Status::reported);
  EXPECT_EQ(hazards[0].room_id, site.room_a101);
  EXPECT_EQ(hazards[0].title, findings[1].finding);  // it names its item
  EXPECT_EQ(hazards[0].source_ref.rfind("inspection:task=" + code + ";item=valve;point=0;scan=", 0),
            0u)
      << hazards[0].source_ref;
  for (int i = 0; i < 3; ++i) host->run_once();  // nothing more
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 1);
  EXPECT_EQ(Repository<hazard::Hazard>(*s).count(), 1);
  auto c = planner().compliance(
      {testing::at("2026-03-01T00:00:00Z"), testing::at("2026-04-01T00:00:00Z")});
  EXPECT_EQ(c.total.done, 1);
  EXPECT_EQ(c.total.findings, 2);
  EXPECT_DOUBLE_EQ(c.completion_rate, 1.0);
  // The report: charts, and tables and CSV from the descriptions.
  const auto html = inspection::to_html(c);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<th>findings</th>"), std::string::npos);
  EXPECT_NE(html.find("completion rate 100.0 %; 2 findings."), std::string::npos);
  EXPECT_EQ(
      inspection::to_csv(c).rfind("plan_id,plan,due,done,late,missed,exempt,open,findings"
                                  "\r\n" +
                                      std::to_string(c.plans[0].plan_id) + ",P1,1,1,0,0,0,0,2",
                                  0),
      0u)
      << inspection::to_csv(c);
  auto reader = pf.user_with("reader", "reader", {"inspection.read"});
  auto doc =
      service::call(*s, reader, "inspection.compliance_document",
                    {{"query", {{"from", "2026-03-01T00:00:00Z"}, {"to", "2026-04-01T00:00:00Z"}}},
                     {"format", "csv"}});
  EXPECT_EQ(doc["content_type"], "text/csv");
}

TEST_P(InspectionTest, Ntag424TapsAreVerifiedAndCopiesReplaysAndBareUidsRefused) {
  HQ_REQUIRE_STORE(s);
  // The tag of AN12196's examples: UID 04DE5F1EACC040, all-zero keys; its tap with counter 61
  // is https://ntag.nxp.com/424?e=EF963FF7828658A599F3041510671E88&c=94EED9EE65337086.
  const std::string zero(32, '0');
  inspection::Tag t;
  t.uid = "04DE5F1EACC040";
  t.type = inspection::TagType::ntag424_dna;
  t.room_id = site.room_a101;
  t.sun_meta_key = zero;
  t.sun_file_key = zero;
  planner().register_tag(*admin, t);
  // Another point's tag, provisioned from a master key: a different key.
  auto other = planner().provision_tag(
      *admin, {"04958CAA5C5E80", "00112233445566778899AABBCCDDEEFF", site.room_a102, {}});
  EXPECT_EQ(other.sun_meta_key.size(), 32u);
  EXPECT_NE(other.sun_meta_key, other.sun_file_key);
  EXPECT_FALSE(other.weak);
  // Keys are sealed at rest: the stored cell is not the hex.
  std::string stored;
  store::QuerySpec q;
  store::Cell id;
  id.i = other.id;
  q.filters.push_back({"id", store::Op::eq, {id}});
  s->select_rows(store::projection(store::as_stored(store::table_info<inspection::Tag>()),
                                   {"id", "sun_meta_key"}),
                 q, [&](std::span<const store::Cell> row) { stored = row[1].s; });
  EXPECT_EQ(stored.rfind("hq1:", 0), 0u) << stored;

  daily("A101", site.room_a101);
  daily("A102", site.room_a102);
  pf.clock.set(testing::at("2026-03-03T00:00:00Z"));
  planner().generate(job());
  const auto a101 = tasks()[0].code, a102 = tasks()[1].code;
  const std::string e = "EF963FF7828658A599F3041510671E88", c = "94EED9EE65337086";
  // The right tag's message for another point's task: no tag of that task made it.
  auto sc = planner().scan_sun(*inspector, {a102, e, c});
  EXPECT_FALSE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::forged);
  sc = planner().scan_sun(*inspector, {a101, e, "94EED9EE65337087"});  // altered
  EXPECT_EQ(sc.flag, ScanFlag::forged);
  EXPECT_FALSE(sc.verified);
  // The bare UID (what a copy of the tag shows) does not count for a 424 DNA.
  EXPECT_EQ(planner().scan(*inspector, {a101, "04DE5F1EACC040"}).flag, ScanFlag::forged);
  sc = planner().scan_sun(*inspector, {a101, e, c});
  EXPECT_TRUE(sc.accepted);
  EXPECT_TRUE(sc.verified);
  EXPECT_EQ(sc.uid, "04DE5F1EACC040");
  EXPECT_EQ(sc.counter, 61);
  // The same URL again (copied from the phone's history): a replay.
  sc = planner().scan_sun(*inspector, {a101, e, c});
  EXPECT_FALSE(sc.accepted);
  EXPECT_EQ(sc.flag, ScanFlag::replayed);
  EXPECT_EQ(Repository<inspection::Tag>(*s)
                .find_one(Query<inspection::Tag>().where(&inspection::Tag::uid, store::Op::eq,
                                                         std::string("04DE5F1EACC040")))
                ->sun_counter,
            61);
  expect_error(
      [&] {
        planner().scan_sun(*inspector, {a101, "EF96", c});
      },
      ErrorCode::invalid_argument, "picc_data: 32 hexadecimal digits expected");
  EXPECT_EQ(planner().complete(*inspector, {a101, good(), ""}).status, TaskStatus::done);
  // Through the entity API the keys are masked.
  auto reader = pf.user_with("reader", "reader", {"inspection.read"});
  auto rows = protect::find_entities(*s, reader, "nfc_tags", nullptr);
  ASSERT_EQ(rows["items"].size(), 2u);
  for (const auto& row : rows["items"]) {
    EXPECT_NE(row["sun_meta_key"], zero) << row.dump();
    EXPECT_NE(row["sun_meta_key"], other.sun_meta_key) << row.dump();
  }
}

TEST_P(InspectionTest, ThroughTheRegistryWithNamedErrorsAndAPointLabel) {
  HQ_REQUIRE_STORE(s);
  auto reader = pf.user_with("reader", "reader", {"inspection.read"});
  testing::expect_error(
      [&] {
        service::call(*s, *admin, "inspection.save_template",
                      {{"code", "X"},
                       {"name", "x"},
                       {"items", {{{"key", "a"}, {"text", "a"}, {"kind", "slider"}}}}});
      },
      ErrorCode::invalid_argument, "inspection.save_template");
  service::call(*s, *admin, "inspection.register_tag",
                {{"uid", "04a1b2c3d4e5f6"}, {"type", "ntag21x"}, {"room_id", site.room_a101}});
  auto l = service::call(*s, reader, "inspection.label", {{"uid", "04A1B2C3D4E5F6"}});
  EXPECT_EQ(l["title"], "巡检点");
  EXPECT_EQ(l["code"], "houqin-point:room:A-1-101");
  EXPECT_EQ(l["fields"][1]["value"], "04A1B2C3D4E5F6");
  testing::expect_error(
      [&] {
        service::call(*s, *admin, "inspection.register_tag",
                      {{"uid", "04a1b2c3d4e5f7"}, {"type", "ntag21x"}});
      },
      ErrorCode::invalid_argument, "a tag is bound to one point");
  auto c = service::call(*s, reader, "inspection.compliance",
                         {{"from", "2026-03-01T00:00:00Z"}, {"to", "2026-04-01T00:00:00Z"}});
  EXPECT_EQ(c["completion_rate"], 1.0);
}

INSTANTIATE_TEST_SUITE_P(Backends, InspectionTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
