// Safety patrols on every backend: an area's inspection plans made to its type's minimum by day
// and night (fewer refused, nothing changed), the fire-safety checklist whose failed item reports
// a hazard, the NFC round completed by the patroller and countersigned by another person once, a
// missed patrol told to the area's supervisor by the host, and compliance against the required
// patrols; the registry's strict input.
#include "houqin/patrol/patrol.hpp"

#include "../repair/fixture.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {
namespace {

using inspection::TaskStatus;
using store::Query;
using store::Repository;
using testing::expect_error;

class PatrolTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> office, patroller, supervisor;
  Id route = 0;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    office =
        pf.user_with("office", "safety", {"patrol.plan", "patrol.read", "inspection.configure"});
    patroller = pf.user_with("guard", "guard", {"inspection.perform", "hazard.report"});
    supervisor = pf.user_with("chief", "chief", {"patrol.plan", "patrol.read"},
                              auth::ScopeKind::department, site.ward);
    patrol::Patrols(*s).install_checklist(*office);
    inspection::Planner planner(*s);
    inspection::Route r;
    r.code = "A-1F";
    r.name = "A 楼 1 层";
    r.points = {{site.room_a101, std::nullopt}, {site.room_a102, std::nullopt}};
    route = planner.save_route(*office, r).id;
    for (auto [uid, room] : {std::pair{"04A1B2C3D4E5F6", site.room_a101},
                             std::pair{"04A1B2C3D4E5F7", site.room_a102}}) {
      inspection::Tag t;
      t.uid = uid;
      t.room_id = room;
      planner.register_tag(*office, t);
    }
  }
  patrol::Area wards() {
    patrol::Area a;
    a.code = "A-WARDS";
    a.name = "A 楼病区";
    a.type = patrol::AreaType::inpatient;
    a.route_id = route;
    a.department_id = site.ward;
    a.supervisor_staff_id = site.elec2;
    a.patroller_staff_id = site.elec1;
    return a;
  }
  std::vector<inspection::Task> tasks() {
    return Repository<inspection::Task>(*s).find(
        Query<inspection::Task>().order_by(&inspection::Task::id));
  }
  std::vector<inspection::Result> answers(const char* electrical = "正常") {
    std::vector<inspection::Result> out;
    for (int p = 0; p < 2; ++p) {
      for (const char* key : {"exits_clear", "fire_doors_closed", "extinguishers_present",
                              "extinguishers_in_date", "emergency_lighting", "hydrants_clear"}) {
        inspection::Result r;
        r.key = key;
        r.point = p;
        r.pass = true;
        out.push_back(r);
      }
      inspection::Result e;
      e.key = "electrical";
      e.point = p;
      e.choice = p == 1 ? electrical : "正常";
      out.push_back(e);
    }
    return out;
  }
  void patrol(const std::string& code, const char* electrical = "正常") {
    inspection::Planner planner(*s);
    planner.scan(*patroller, {code, "04A1B2C3D4E5F6"});
    pf.clock.advance(std::chrono::minutes(3));
    planner.scan(*patroller, {code, "04A1B2C3D4E5F7"});
    planner.complete(*patroller, {code, answers(electrical), ""});
  }
};

TEST_P(PatrolTest, AnAreaIsPatrolledAsOftenAsItsTypeNeedsByDayAndNight) {
  HQ_REQUIRE_STORE(s);
  patrol::Patrols p(*s);
  auto too_few = wards();
  too_few.day_patrols = 1;
  expect_error([&] { p.save_area(*office, too_few); }, ErrorCode::invalid_argument,
               "day_patrols: 1 is outside 2..24 (the minimum for inpatient areas)");
  EXPECT_EQ(Repository<patrol::Area>(*s).count(), 0);
  EXPECT_EQ(Repository<inspection::Plan>(*s).count(), 0);  // nothing changed
  auto a = p.save_area(*office, wards());
  ASSERT_EQ(a.day_plan_ids.size(), 2u);  // WS 308: >= 2 by day, >= 2 at night
  ASSERT_EQ(a.night_plan_ids.size(), 2u);
  Repository<inspection::Plan> plans(*s);
  auto d1 = plans.require(a.day_plan_ids[0]), d2 = plans.require(a.day_plan_ids[1]);
  auto n1 = plans.require(a.night_plan_ids[0]), n2 = plans.require(a.night_plan_ids[1]);
  EXPECT_EQ(d1.code, "PATROL-A-WARDS-D1");
  EXPECT_EQ(d1.template_code, "FIRE-SAFETY");
  EXPECT_EQ(d1.route_id, route);
  EXPECT_EQ(d1.window_minutes, 6 * 60);
  // Now is 16:00 local: the day patrols start tomorrow at 08:00 and 14:00, the night ones
  // tonight at 20:00 and 02:00.
  EXPECT_EQ(d1.start, testing::at("2026-03-03T00:00:00Z"));
  EXPECT_EQ(d2.start, testing::at("2026-03-03T06:00:00Z"));
  EXPECT_EQ(n1.start, testing::at("2026-03-02T12:00:00Z"));
  EXPECT_EQ(n2.start, testing::at("2026-03-02T18:00:00Z"));
  EXPECT_EQ(n1.assignee_staff_id, site.elec1);
  // More patrols by day: three plans over the 12 hours; back to the minimum retires the third.
  auto more = wards();
  more.day_patrols = 3;
  a = p.save_area(*office, more);
  ASSERT_EQ(a.day_plan_ids.size(), 3u);
  EXPECT_EQ(plans.require(a.day_plan_ids[1]).start, testing::at("2026-03-03T04:00:00Z"));
  EXPECT_EQ(plans.require(a.day_plan_ids[2]).window_minutes, 4 * 60);
  const Id third = a.day_plan_ids[2];
  a = p.save_area(*office, wards());
  EXPECT_EQ(a.day_plan_ids.size(), 2u);
  EXPECT_FALSE(plans.require(third).active);
  EXPECT_EQ(Repository<patrol::Area>(*s).count(), 1);
  // An outpatient area needs no night patrols; other areas one a day.
  auto clinic = wards();
  clinic.code = "B-CLINIC";
  clinic.type = patrol::AreaType::outpatient;
  auto c = p.save_area(*office, clinic);
  EXPECT_EQ(c.day_plan_ids.size(), 2u);
  EXPECT_EQ(c.night_plan_ids.size(), 0u);
  auto bad = wards();
  bad.template_code = "NONE";
  expect_error([&] { p.save_area(*office, bad); }, ErrorCode::invalid_argument,
               "template_code: no checklist 'NONE'");
  expect_error([&] { p.save_area(*supervisor, clinic); }, ErrorCode::permission_denied,
               "user:chief lacks inspection.configure");
}

TEST_P(PatrolTest, APatrolIsSignedByThePatrollerAndCountersignedByAnotherPersonOnce) {
  HQ_REQUIRE_STORE(s);
  patrol::Patrols p(*s);
  p.save_area(*office, wards());
  auto host = houqin::make_host(*s);
  host->run_once();
  pf.clock.advance(std::chrono::hours(4));  // 20:00 local: the first night patrol
  inspection::Planner(*s).generate(wiring::actor());
  ASSERT_EQ(tasks().size(), 1u);
  const auto code = tasks()[0].code;
  expect_error(
      [&] {
        p.countersign(*supervisor, {code, ""});
      },
      ErrorCode::failed_precondition,
      "patrol " + code + " is open; only a completed patrol is countersigned");
  patrol(code, "私拉乱接");
  EXPECT_EQ(tasks()[0].status, TaskStatus::done);
  EXPECT_EQ(tasks()[0].findings, 1);
  for (int i = 0; i < 3; ++i) host->run_once();
  // The failed electrical item reported a hazard where it was found.
  auto hazards = Repository<hazard::Hazard>(*s).find();
  ASSERT_EQ(hazards.size(), 1u);
  EXPECT_EQ(hazards[0].room_id, site.room_a102);
  EXPECT_EQ(hazards[0].source, hazard::Source::inspection);
  EXPECT_EQ(hazards[0].title, "电气安全: 私拉乱接");
  // The patroller is not the supervisor.
  auto both = pf.user_with("both", "both", {"patrol.plan"});
  Repository<inspection::Task> task_repo(*s);
  auto t = task_repo.require(tasks()[0].id);
  t.completed_by = "user:both";  // as if the person holding both had patrolled
  task_repo.update(t);
  expect_error(
      [&] {
        p.countersign(both, {code, ""});
      },
      ErrorCode::failed_precondition,
      "patrol " + code + ": user:both patrolled; the supervisor is another person");
  t = task_repo.require(t.id);
  t.completed_by = "user:guard";
  task_repo.update(t);
  auto icu_chief = pf.user_with("icu-chief", "icu-chief", {"patrol.plan"},
                                auth::ScopeKind::department, site.icu);
  expect_error(
      [&] {
        p.countersign(icu_chief, {code, ""});
      },
      ErrorCode::permission_denied, "user:icu-chief lacks patrol.plan");
  auto so = p.countersign(*supervisor, {code, "已核查"});
  EXPECT_EQ(so.patroller, "user:guard");
  EXPECT_EQ(so.supervisor, "user:chief");
  expect_error(
      [&] {
        p.countersign(*supervisor, {code, ""});
      },
      ErrorCode::already_exists, "patrol " + code + " is countersigned already");
  EXPECT_EQ(Repository<patrol::Signoff>(*s).count(), 1);
}

TEST_P(PatrolTest, AMissedPatrolIsToldToTheSupervisorAndComplianceCountsAgainstTheRequired) {
  HQ_REQUIRE_STORE(s);
  patrol::Patrols p(*s);
  p.save_area(*office, wards());
  auto host = houqin::make_host(*s);
  host->run_once();
  inspection::Planner planner(*s);
  const auto from = pf.clock.now() + std::chrono::hours(4);
  pf.clock.advance(std::chrono::hours(4));
  planner.generate(wiring::actor());
  patrol(tasks()[0].code);
  p.countersign(*supervisor, {tasks()[0].code, ""});
  pf.clock.advance(std::chrono::hours(6) - std::chrono::minutes(3));  // 02:00: the second
  planner.generate(wiring::actor());
  ASSERT_EQ(tasks().size(), 2u);
  pf.clock.advance(std::chrono::hours(6) + std::chrono::minutes(1));  // its window closed
  planner.generate(wiring::actor());
  EXPECT_EQ(tasks()[1].status, TaskStatus::missed);
  for (int i = 0; i < 3; ++i) host->run_once();
  std::vector<notify::Message> told;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "patrol_missed") told.push_back(m);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].recipient_staff_id, site.elec2);
  EXPECT_NE(told[0].body.find(tasks()[1].code), std::string::npos) << told[0].body;
  for (int i = 0; i < 3; ++i) host->run_once();  // once
  EXPECT_EQ(Repository<notify::Message>(*s).count(), 1);

  auto c = p.compliance({from, from + std::chrono::days(1)});
  ASSERT_EQ(c.areas.size(), 1u);
  EXPECT_EQ(c.areas[0].required, 4);  // 2 by day + 2 at night, one day
  EXPECT_EQ(c.areas[0].done, 1);
  EXPECT_EQ(c.areas[0].missed, 1);
  EXPECT_EQ(c.areas[0].countersigned, 1);
  EXPECT_DOUBLE_EQ(c.rate, 0.25);
  EXPECT_EQ(patrol::to_csv(c).rfind("area_id,area,type,required,done,late,missed,exempt,"
                                    "countersigned,findings,rate\r\n",
                                    0),
            0u);
  EXPECT_NE(patrol::to_html(c).find("<svg"), std::string::npos);
  expect_error(
      [&] {
        p.compliance({from, from});
      },
      ErrorCode::invalid_argument, "to: must be after from");
}

TEST_P(PatrolTest, TheRegistryReachesPatrolsWithStrictInput) {
  HQ_REQUIRE_STORE(s);
  auto a = service::call(*s, *office, "patrol.save_area",
                         {{"code", "ER"}, {"type", "emergency"}, {"route_id", route}});
  EXPECT_EQ(a["day_plan_ids"].size(), 1u);    // the emergency department: daily by day ...
  EXPECT_EQ(a["night_plan_ids"].size(), 2u);  // ... and twice at night
  expect_error(
      [&] {
        service::call(*s, *office, "patrol.save_area",
                      {{"code", "X"}, {"type", "ward"}, {"route_id", route}});
      },
      ErrorCode::invalid_argument, "patrol.save_area");
  auto r = service::call(*s, *office, "patrol.compliance",
                         {{"from", "2026-03-01T00:00:00Z"}, {"to", "2026-03-08T00:00:00Z"}});
  EXPECT_EQ(r["areas"][0]["required"], 21);
  auto rules = patrol::Patrols(*s).rules();
  rules.other_day = -1;
  expect_error([&] { patrol::Patrols(*s).save_rules(*office, rules); }, ErrorCode::invalid_argument,
               "other_day: -1 is outside 0..24");
}

INSTANTIATE_TEST_SUITE_P(Backends, PatrolTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
