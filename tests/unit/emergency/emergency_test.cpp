// Emergency management on every backend: plans saved as revisions with review dates and their
// scenario's drill interval (a longer one, steps out of order, unknown items and points refused,
// nothing saved); drills scheduled and recorded with follow-up hazards, once; trainings; plans due
// a drill or a review told to their owner once by the host; a plan activated for real as an
// incident with its timeline, its duty roster told; a live alarm's work order naming the plan
// that covers the point with its first steps; the drill report against the required.
#include "houqin/emergency/emergency.hpp"

#include "../repair/fixture.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/inventory/model.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {
namespace {

using emergency::DrillStatus;
using emergency::Scenario;
using store::Repository;
using testing::expect_error;

class EmergencyTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> office, duty;
  Id point = 0;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    office = pf.user_with("office", "emergency",
                          {"emergency.manage", "emergency.read", "hazard.report"});
    duty = pf.user_with("duty", "duty", {"emergency.activate"});
    drivers::Device d{};
    d.name = "gas-panel";
    d.host = "127.0.0.1";
    d.port = 1502;
    Repository<drivers::Device>(*s).insert(d);
    drivers::Point p{};
    p.device_id = d.id;
    p.name = "O2 source pressure";
    p.unit = "kPa";
    point = Repository<drivers::Point>(*s).insert(p);
  }
  emergency::PlanInput o2() {
    emergency::PlanInput in;
    in.code = "O2-FAILURE";
    in.scenario = Scenario::medical_gas_failure;
    in.title = "医用氧气供应中断应急预案";
    in.scope = "全院医用氧气系统";
    in.levels = {{"I", "全院供氧中断", "启用备用汇流排，通知各病区改用氧气瓶"},
                 {"II", "局部压力低", "检查区域阀门，排查泄漏"}};
    in.organisation = {{"总指挥", site.elec3, "决策、上报"},
                       {"现场处置组", site.elec1, "切换汇流排、排查"},
                       {"后勤保障组", std::nullopt, "调配氧气瓶"}};
    in.reporting_chain = {"动力班组", "后勤保障部", "分管院长"};
    in.steps = {{"确认报警并通知动力班组", "值班员", 0},
                {"切换至备用汇流排", "现场处置组", 5},
                {"通知病区启用氧气瓶", "后勤保障组", 10},
                {"排查原因并恢复供氧", "现场处置组", 60}};
    in.resources = {{std::nullopt, "氧气钢瓶", 20, "动力中心"}};
    in.alarm_point_ids = {point};
    in.owner_staff_id = site.elec2;
    return in;
  }
};

TEST_P(EmergencyTest, PlansAreRevisedWithReviewDatesAndTheirScenariosDrillInterval) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  auto p = em.save_plan(*office, o2());
  EXPECT_EQ(p.revision, 1);
  EXPECT_EQ(p.drill_every_months, 12);  // a gas plan: at least once a year
  EXPECT_EQ(p.next_review, testing::at("2027-03-02T08:00:00Z"));
  auto fire = o2();
  fire.code = "FIRE";
  fire.scenario = Scenario::fire;
  fire.alarm_point_ids.clear();
  fire.drill_every_months = 12;
  expect_error([&] { em.save_plan(*office, fire); }, ErrorCode::invalid_argument,
               "drill_every_months: 12 is outside 1..6 (a fire plan is drilled at least every 6 "
               "months)");
  auto bad = o2();
  std::swap(bad.steps[1], bad.steps[2]);
  bad.steps[1].within_minutes = 10;
  bad.steps[2].within_minutes = 5;
  expect_error([&] { em.save_plan(*office, bad); }, ErrorCode::invalid_argument,
               "steps[2].within_minutes: steps are in order of time");
  bad = o2();
  bad.resources = {{Id{424242}, "", 1, ""}};
  expect_error([&] { em.save_plan(*office, bad); }, ErrorCode::invalid_argument,
               "resources[0].item_id: item 424242 not found");
  bad = o2();
  bad.alarm_point_ids = {point + 1000};
  expect_error([&] { em.save_plan(*office, bad); }, ErrorCode::invalid_argument,
               "alarm_point_ids[0]: point");
  expect_error([&] { em.save_plan(*duty, o2()); }, ErrorCode::permission_denied,
               "user:duty lacks emergency.manage");
  EXPECT_EQ(Repository<emergency::Plan>(*s).count(), 1);  // nothing saved
  fire.drill_every_months.reset();
  EXPECT_EQ(em.save_plan(*office, fire).drill_every_months, 6);
  auto again = o2();
  again.steps.push_back({"事后总结评估", "总指挥", 24 * 60});
  auto p2 = em.save_plan(*office, again);
  EXPECT_EQ(p2.revision, 2);
  EXPECT_EQ(em.plan("O2-FAILURE").steps.size(), 5u);
  EXPECT_FALSE(Repository<emergency::Plan>(*s).require(p.id).active);  // kept, not active
  EXPECT_EQ(em.plan_for_point(point)->revision, 2);
  EXPECT_FALSE(em.plan_for_point(point + 1));
}

TEST_P(EmergencyTest, DrillsAreScheduledAndRecordedOnceWithFollowUpHazardsAndCounted) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  em.save_plan(*office, o2());
  const auto start = pf.clock.now();
  auto d = em.schedule_drill(
      *office, {"O2-FAILURE", emergency::DrillKind::full_scale, start + std::chrono::days(10)});
  EXPECT_EQ(d.status, DrillStatus::scheduled);
  EXPECT_EQ(d.plan_revision, 1);
  pf.clock.advance(std::chrono::days(10));
  emergency::RecordInput in;
  in.drill_id = d.id;
  in.participants = {"张工", "李工", "王护士长"};
  in.timeline = {{pf.clock.now() + std::chrono::minutes(-5), "切换至备用汇流排", "张工"},
                 {pf.clock.now() + std::chrono::minutes(-20), "报警确认", "值班员"}};
  in.findings = {"备用汇流排阀门锈蚀，切换用时 8 分钟"};
  in.follow_ups = {{"备用汇流排阀门锈蚀", hazard::Grade::general, site.room_a201, ""}};
  in.evaluation = "基本达到预期";
  in.score = 85;
  auto held = em.record_drill(*office, in);
  EXPECT_EQ(held.status, DrillStatus::done);
  ASSERT_EQ(held.timeline.size(), 2u);
  EXPECT_EQ(held.timeline[0].what, "报警确认");  // in order of time
  ASSERT_EQ(held.hazard_codes.size(), 1u);
  auto hz = Repository<hazard::Hazard>(*s).find();
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_EQ(hz[0].code, held.hazard_codes[0]);
  EXPECT_EQ(hz[0].room_id, site.room_a201);
  EXPECT_EQ(hz[0].source_ref, "drill:" + std::to_string(d.id) + ";plan=O2-FAILURE");
  expect_error([&] { em.record_drill(*office, in); }, ErrorCode::failed_precondition,
               "drill " + std::to_string(d.id) + " is done; only a scheduled drill is recorded");
  auto d2 =
      em.schedule_drill(*office, {"O2-FAILURE", emergency::DrillKind::tabletop, pf.clock.now()});
  in.drill_id = d2.id;
  in.score = 120;
  expect_error([&] { em.record_drill(*office, in); }, ErrorCode::invalid_argument,
               "score: outside 0..100");
  in.score.reset();
  in.participants.clear();
  expect_error([&] { em.record_drill(*office, in); }, ErrorCode::invalid_argument,
               "participants: a drill has participants");
  EXPECT_EQ(Repository<hazard::Hazard>(*s).count(), 1);  // nothing more
  em.record_training(*office,
                     {"O2-FAILURE", "汇流排切换操作", std::nullopt, "张工", {"李工", "赵工"}, 2.0});
  auto r = em.drills({start, start + std::chrono::days(365)});
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_EQ(r.plans[0].required, 1);
  EXPECT_EQ(r.plans[0].done, 1);
  EXPECT_EQ(r.plans[0].trainings, 1);
  EXPECT_EQ(r.plans[0].attendees, 2);
  // Who took part is sealed at rest: the stored column holds no name.
  std::string raw;
  store::QuerySpec q;
  store::Cell id;
  id.i = d.id;
  q.filters.push_back({"id", store::Op::eq, {id}});
  s->select_rows(store::projection(store::as_stored(store::table_info<emergency::Drill>()),
                                   {"id", "participants"}),
                 q, [&](std::span<const store::Cell> row) { raw = row[1].s; });
  EXPECT_EQ(raw.rfind("hq1:", 0), 0u) << raw;
  EXPECT_EQ(raw.find("张工"), std::string::npos) << raw;
  EXPECT_EQ(Repository<emergency::Drill>(*s).require(d.id).participants,
            (std::vector<std::string>{"张工", "李工", "王护士长"}));  // opened again on read
  EXPECT_FALSE(r.plans[0].overdue);
  EXPECT_EQ(r.plans[0].next_due, testing::at("2027-03-12T08:00:00Z"));  // a year after it
  EXPECT_EQ(emergency::to_csv(r).rfind("plan_code,title,scenario,drill_every_months,required,"
                                       "done,last_held,next_due,overdue,trainings,attendees\r\n",
                                       0),
            0u);
  EXPECT_NE(emergency::to_html(r).find("<svg"), std::string::npos);
}

TEST_P(EmergencyTest, ADueDrillOrReviewIsToldToTheOwnerOnce) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  auto fire = o2();
  fire.code = "FIRE";
  fire.scenario = Scenario::fire;
  em.save_plan(*office, fire);
  auto host = houqin::make_host(*s);
  host->run_once();
  auto job = wiring::actor();
  EXPECT_EQ(em.check_due(job).told, 0);
  pf.clock.advance(std::chrono::days(190));  // no drill for more than 6 months
  auto c = em.check_due(job);
  EXPECT_EQ(c.drills_due, 1);
  EXPECT_EQ(c.reviews_due, 0);
  EXPECT_EQ(c.told, 1);
  EXPECT_EQ(em.check_due(job).told, 0);      // once per due date
  pf.clock.advance(std::chrono::days(200));  // and past the yearly review
  c = em.check_due(job);
  EXPECT_EQ(c.reviews_due, 1);
  EXPECT_EQ(c.told, 1);
  for (int i = 0; i < 3; ++i) host->run_once();
  std::vector<notify::Message> told;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "emergency_due") told.push_back(m);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[0].recipient_staff_id, site.elec2);
  EXPECT_NE(told[0].body.find("演练"), std::string::npos) << told[0].body;
  EXPECT_NE(told[1].body.find("评审修订"), std::string::npos) << told[1].body;
}

TEST_P(EmergencyTest, AnActivatedPlanIsAnIncidentWithATimelineAndTellsTheDutyRoster) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  em.save_plan(*office, o2());
  auto host = houqin::make_host(*s);
  host->run_once();
  expect_error(
      [&] {
        em.activate(*duty, {"O2-FAILURE", "V", "", std::nullopt, std::nullopt});
      },
      ErrorCode::invalid_argument, "level: 'V' is not a level of plan O2-FAILURE (I, II)");
  expect_error(
      [&] {
        em.activate(*office, {"O2-FAILURE", "I", "", std::nullopt, std::nullopt});
      },
      ErrorCode::permission_denied, "user:office lacks emergency.activate");
  auto i = em.activate(*duty, {"O2-FAILURE", "II", "ICU 压力低", point, std::int64_t{3}});
  EXPECT_EQ(i.code, "EM-20260302-001");
  EXPECT_EQ(i.plan_revision, 1);
  ASSERT_EQ(i.timeline.size(), 1u);
  pf.clock.advance(std::chrono::minutes(4));
  em.log(*duty, {i.code, "已切换至备用汇流排"});
  pf.clock.advance(std::chrono::minutes(40));
  i = em.close(*duty, {i.code, "汇流排减压阀故障，已更换，供氧恢复"});
  EXPECT_EQ(i.status, emergency::IncidentStatus::closed);
  ASSERT_EQ(i.timeline.size(), 3u);
  EXPECT_EQ(i.timeline[1].what, "已切换至备用汇流排");
  EXPECT_EQ(i.timeline[2].at, *i.closed_at);
  expect_error(
      [&] {
        em.log(*duty, {i.code, "x"});
      },
      ErrorCode::failed_precondition, "incident " + i.code + " is closed");
  for (int k = 0; k < 3; ++k) host->run_once();
  std::vector<notify::Message> told;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "emergency_activated") told.push_back(m);
  ASSERT_EQ(told.size(), 2u);  // the roles with a person
  EXPECT_EQ(told[0].recipient_staff_id, site.elec3);
  EXPECT_EQ(told[1].recipient_staff_id, site.elec1);
  EXPECT_NE(told[1].body.find("现场处置组"), std::string::npos) << told[1].body;
}

TEST_P(EmergencyTest, ALiveAlarmsWorkOrderNamesThePlanCoveringThePointWithItsFirstSteps) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  em.save_plan(*office, o2());
  auto host = houqin::make_host(*s);
  host->run_once();
  s->events().publish(telemetry::AlarmRaised{
      point, telemetry::AlarmKind::lo, telemetry::Priority::critical, 1, 180.0, pf.clock.now()});
  for (int k = 0; k < 3; ++k) host->run_once();
  auto orders = Repository<repair::WorkOrder>(*s).find();
  ASSERT_EQ(orders.size(), 1u);
  const auto& a = orders[0].attachments;
  EXPECT_NE(std::find(a.begin(), a.end(), "emergency_plan:O2-FAILURE;revision=1"), a.end());
  EXPECT_NE(orders[0].description.find("应急预案 O2-FAILURE"), std::string::npos)
      << orders[0].description;
  EXPECT_NE(orders[0].description.find("2. 切换至备用汇流排 (现场处置组)"), std::string::npos);
  EXPECT_EQ(orders[0].description.find("排查原因并恢复供氧"), std::string::npos);  // three only
  // The duty roster, by role and name.
  const auto commander = Repository<site::Staff>(*s).require(site.elec3).name;
  EXPECT_NE(orders[0].description.find("值班: 总指挥 " + commander + "; 现场处置组 "),
            std::string::npos)
      << orders[0].description;
  auto r = service::call(*s, *office, "emergency.plan", {{"code", "O2-FAILURE"}});
  EXPECT_EQ(r["steps"].size(), 4u);
  expect_error(
      [&] {
        service::call(*s, *office, "emergency.save_plan",
                      {{"code", "X"}, {"scenario", "meteor"}, {"title", "x"}});
      },
      ErrorCode::invalid_argument, "emergency.save_plan");
}

TEST_P(EmergencyTest, TheDashboardGetsThePlanCoveringAnAlarmPointWithTheRostersNames) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency(*s).save_plan(*office, o2());
  auto out = service::call(*s, *office, "emergency.plan_for_point", {{"point_id", point}});
  EXPECT_EQ(out["covered"], true);
  EXPECT_EQ(out["code"], "O2-FAILURE");
  EXPECT_EQ(out["revision"], 1);
  EXPECT_EQ(out["scenario"], "medical_gas_failure");
  ASSERT_EQ(out["steps"].size(), 4u);
  EXPECT_EQ(out["steps"][1]["action"], "切换至备用汇流排");
  ASSERT_EQ(out["roster"].size(), 3u);
  EXPECT_EQ(out["roster"][0]["role"], "总指挥");
  EXPECT_EQ(out["roster"][0]["name"], "孙电工");  // who holds the role now, by name
  EXPECT_EQ(out["roster"][2]["name"], "");        // a role nobody is named to
  EXPECT_EQ(out["levels"][0]["level"], "I");
  EXPECT_EQ(out["reporting_chain"].size(), 3u);
  // A point no plan covers, and an actor who may not read plans.
  out = service::call(*s, *office, "emergency.plan_for_point", {{"point_id", point + 1000}});
  EXPECT_EQ(out["covered"], false);
  EXPECT_EQ(out["steps"].size(), 0u);
  expect_error(
      [&] {
        service::call(*s, *duty, "emergency.plan_for_point", {{"point_id", point}});
      },
      ErrorCode::permission_denied, "user:duty lacks emergency.read");
}

TEST_P(EmergencyTest, ARecoveryDrillRestoresABackupIntoAScratchStoreAndRecordsItsMeasuredTime) {
  HQ_REQUIRE_STORE(s);
  emergency::Emergency em(*s);
  auto sys = o2();
  sys.code = "SYSTEM-FAILURE";
  sys.scenario = Scenario::system_failure;
  sys.title = "信息系统故障应急预案";
  em.save_plan(*office, sys);
  expect_error(
      [&] {
        houqin::recovery_drill(*s, *office, {"SYSTEM-FAILURE", ""});
      },
      ErrorCode::permission_denied, "user:office lacks protect.backup");
  auto dr =
      pf.user_with("dr", "recovery",
                   {"emergency.manage", "protect.backup", "protect.restore", "protect.integrity"});
  expect_error(
      [&] {
        houqin::recovery_drill(*s, dr, {"NONE", ""});
      },
      ErrorCode::not_found, "emergency plan NONE not found");
  EXPECT_EQ(Repository<emergency::Drill>(*s).count(), 0);  // nothing recorded
  auto d = houqin::recovery_drill(*s, dr, {"SYSTEM-FAILURE", ""});
  EXPECT_EQ(d.kind, emergency::DrillKind::technical);
  EXPECT_EQ(d.status, DrillStatus::done);
  ASSERT_TRUE(d.recovery_seconds);
  EXPECT_GT(*d.recovery_seconds, 0.0);
  EXPECT_EQ(d.outcome.rfind("restored and verified: ", 0), 0u) << d.outcome;
  EXPECT_NE(d.outcome.find("integrity checks clean"), std::string::npos);
  EXPECT_EQ(d.evaluation, "passed");
  ASSERT_EQ(d.timeline.size(), 4u);
  EXPECT_EQ(d.participants, std::vector<std::string>{"user:dr"});
  auto r =
      em.drills({pf.clock.now() - std::chrono::days(1), pf.clock.now() + std::chrono::days(1)});
  auto row = std::find_if(r.plans.begin(), r.plans.end(),
                          [](const auto& p) { return p.plan_code == "SYSTEM-FAILURE"; });
  ASSERT_NE(row, r.plans.end());
  EXPECT_EQ(row->done, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, EmergencyTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
