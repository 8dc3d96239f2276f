// Hazards (隐患) on every backend: the closed loop reported -> assigned -> rectifying -> review ->
// closed with its records and events; a major hazard refused without its 五落实 plan; actions out
// of turn, a reviewer who submitted, missing photos and reasons, and a unit acting on another's
// hazard refused with nothing changed; extensions asked, granted, denied and capped; fixes on the
// spot; reopen on a failed review; hazards not assigned in time and past their deadline escalating
// once per level with the host telling the staff; a hazard's work order opened by the wiring and
// its completion closing the hazard; the report by grade, area and age; the registry's surface.
#include "houqin/hazard/hazards.hpp"

#include "../repair/fixture.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {
namespace {

using hazard::Action;
using hazard::Grade;
using hazard::Status;
using store::Repository;
using testing::expect_error;

class HazardTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> nurse, office, logistics, icu_unit, reviewer;
  std::vector<hazard::HazardChanged> changes;
  Subscription sub;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    nurse = pf.user_with("nurse", "staff", {"hazard.report"});
    office = pf.user_with("office", "safety", {"hazard.manage", "hazard.read", "hazard.review"});
    logistics = pf.user_with("fixer", "fixer", {"hazard.rectify", "hazard.report"},
                             auth::ScopeKind::department, site.logistics);
    icu_unit =
        pf.user_with("icu", "fixer_icu", {"hazard.rectify"}, auth::ScopeKind::department, site.icu);
    reviewer = pf.user_with("reviewer", "review", {"hazard.review", "hazard.read"});
    sub = s->events().subscribe<hazard::HazardChanged>(
        [this](const auto& e) { changes.push_back(e); });
  }
  hazard::Hazard found(Grade g = Grade::general, const char* title = "消防通道堆放杂物") {
    hazard::ReportInput in;
    in.title = title;
    in.grade = g;
    in.source = hazard::Source::patrol;
    in.room_id = site.room_a101;
    in.before_photos = {"file:before-1"};
    return hazard::Hazards(*s).report(*nurse, in);
  }
  hazard::AssignInput assign_to_logistics(const std::string& code) {
    hazard::AssignInput in;
    in.code = code;
    in.assigned_department_id = site.logistics;
    in.assignee_staff_id = site.elec1;
    return in;
  }
  hazard::Plan full_plan() {
    return hazard::Plan{site.elec2, "更换配电柜并加装漏电保护", 12000.0, "停电时启用备用电源"};
  }
  std::int64_t records() { return Repository<hazard::Record>(*s).count(); }
};

TEST_P(HazardTest, TheClosedLoopRunsFromReportToClosedWithRecordsAndEvents) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto h = found();
  EXPECT_EQ(h.code.rfind("HZ-20260302-0001", 0), 0u) << h.code;
  EXPECT_EQ(h.status, Status::reported);
  EXPECT_EQ(h.department_id, site.ward);  // from the room
  h = hz.assign(*office, assign_to_logistics(h.code));
  EXPECT_EQ(h.status, Status::assigned);
  ASSERT_TRUE(h.deadline);
  EXPECT_EQ(*h.deadline, pf.clock.now() + std::chrono::days(7));  // the general default
  h = hz.start(*logistics, h.code);
  EXPECT_EQ(h.status, Status::rectifying);
  h = hz.submit(*logistics, {h.code, "清理杂物，张贴禁止堆放标识", {"file:after-1"}});
  EXPECT_EQ(h.status, Status::review);
  EXPECT_EQ(h.submitted_by, "user:fixer");
  h = hz.approve(*reviewer, {h.code, "现场核查已清理"});
  EXPECT_EQ(h.status, Status::closed);
  EXPECT_EQ(h.closed_by, "user:reviewer");
  auto t = hz.trace(*office, h.code);
  ASSERT_EQ(t.records.size(), 5u);
  const Action expected[] = {Action::report, Action::assign, Action::start, Action::submit,
                             Action::approve};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(t.records[i].action, expected[i]);
  EXPECT_EQ(t.records[4].from_status, Status::review);
  EXPECT_EQ(t.records[4].to_status, Status::closed);
  EXPECT_EQ(t.records[1].actor, "user:office");
  ASSERT_EQ(changes.size(), 5u);  // one event per change, after commit
  EXPECT_EQ(changes.back().to, Status::closed);
  // Every action's row: the table decides, and names the states it allows.
  EXPECT_EQ(hazard::transition(Action::approve).from, hazard::bit(Status::review));
  EXPECT_EQ(hazard::transitions().size(), 15u);
}

TEST_P(HazardTest, AMajorHazardNeedsItsFivePointPlanAndIsNeverFixedOnTheSpot) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto h = found(Grade::major, "配电室电缆老化");
  const auto n = records();
  expect_error([&] { hz.assign(*office, assign_to_logistics(h.code)); },
               ErrorCode::failed_precondition,
               "hazard " + h.code +
                   " is major: its 五落实 plan lacks responsible_staff_id, measures, funds_yuan, "
                   "contingency");
  EXPECT_EQ(records(), n);
  EXPECT_EQ(hz.trace(*office, h.code).hazard.status, Status::reported);  // nothing changed
  auto in = assign_to_logistics(h.code);
  in.plan = full_plan();
  in.plan->contingency.clear();
  expect_error([&] { hz.assign(*office, in); }, ErrorCode::failed_precondition,
               "hazard " + h.code + " is major: its 五落实 plan lacks contingency");
  in.plan = full_plan();
  h = hz.assign(*office, in);
  EXPECT_EQ(h.status, Status::assigned);
  EXPECT_EQ(*h.deadline, pf.clock.now() + std::chrono::days(30));  // the major default
  EXPECT_EQ(*h.funds_yuan, 12000.0);
  EXPECT_EQ(h.responsible_staff_id, site.elec2);
  hazard::ReportInput spot;
  spot.title = "电缆破损";
  spot.grade = Grade::major;
  spot.location = "地下车库";
  spot.fixed_on_spot = true;
  spot.rectification = "包扎";
  spot.after_photos = {"file:x"};
  expect_error([&] { hz.report(*nurse, spot); }, ErrorCode::invalid_argument,
               "fixed_on_spot: a major hazard is not fixed on the spot");
}

TEST_P(HazardTest, ActionsOutOfTurnWrongPeopleAndMissingEvidenceAreRefusedChangingNothing) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto h = found();
  expect_error(
      [&] {
        hz.approve(*reviewer, {h.code, ""});
      },
      ErrorCode::failed_precondition,
      "hazard " + h.code + ": approve is not allowed when it is reported (only from review)");
  // Not assigned to anyone yet: no unit may start it.
  expect_error([&] { hz.start(*logistics, h.code); }, ErrorCode::permission_denied,
               "user:fixer lacks hazard.rectify");
  expect_error([&] { hz.assign(*nurse, assign_to_logistics(h.code)); },
               ErrorCode::permission_denied, "user:nurse lacks hazard.manage");
  hz.assign(*office, assign_to_logistics(h.code));
  expect_error(
      [&] {
        hz.submit(*logistics, {h.code, "已清理", {"file:a"}});
      },
      ErrorCode::failed_precondition,
      "hazard " + h.code +
          ": submit is not allowed when it is assigned (only from "
          "rectifying)");
  // The ICU's unit may rectify its own hazards, not those assigned to logistics.
  expect_error([&] { hz.start(*icu_unit, h.code); }, ErrorCode::permission_denied,
               "user:icu lacks hazard.rectify");
  hz.start(*logistics, h.code);
  const auto n = records();
  const auto version = hz.trace(*office, h.code).hazard.version;
  expect_error(
      [&] {
        hz.submit(*logistics, {h.code, "已清理", {}});
      },
      ErrorCode::invalid_argument, "after_photos: the rectification needs a photo after");
  expect_error(
      [&] {
        hz.submit(*logistics, {h.code, "", {"file:a"}});
      },
      ErrorCode::invalid_argument, "rectification: say what was done");
  expect_error(
      [&] {
        hz.cancel(*office, {h.code, "重复"});
      },
      ErrorCode::failed_precondition,
      "hazard " + h.code + ": cancel is not allowed when it is rectifying");
  EXPECT_EQ(records(), n);
  EXPECT_EQ(hz.trace(*office, h.code).hazard.version, version);
  // The one who submitted does not review their own work.
  auto both = pf.user_with("both", "both", {"hazard.rectify", "hazard.review"});
  hz.submit(both, {h.code, "已清理", {"file:a"}});
  expect_error(
      [&] {
        hz.approve(both, {h.code, ""});
      },
      ErrorCode::failed_precondition,
      "hazard " + h.code + ": user:both submitted the rectification");
  expect_error(
      [&] {
        hz.reject(*reviewer, {h.code, ""});
      },
      ErrorCode::invalid_argument, "reason: empty; reject needs a reason");
  // Unknown hazards, rooms and departments.
  expect_error([&] { hz.start(*logistics, "HZ-NONE"); }, ErrorCode::not_found,
               "hazard HZ-NONE not found");
  hazard::ReportInput bad;
  bad.title = "x";
  bad.room_id = 999999;
  expect_error([&] { hz.report(*nurse, bad); }, ErrorCode::invalid_argument,
               "room_id: room 999999 not found");
  bad.room_id.reset();
  expect_error([&] { hz.report(*nurse, bad); }, ErrorCode::invalid_argument,
               "location: give a room_id or say where in words");
}

TEST_P(HazardTest, AFailedReviewReopensAndAFixOnTheSpotGoesStraightToReview) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto h = found();
  hz.assign(*office, assign_to_logistics(h.code));
  hz.start(*logistics, h.code);
  hz.submit(*logistics, {h.code, "已清理", {"file:a"}});
  h = hz.reject(*reviewer, {h.code, "楼梯间仍有纸箱"});
  EXPECT_EQ(h.status, Status::rectifying);
  EXPECT_EQ(h.reopened, 1);
  EXPECT_EQ(h.review_note, "楼梯间仍有纸箱");
  hz.submit(*logistics, {h.code, "纸箱已移走", {"file:b"}});
  h = hz.approve(*reviewer, {h.code, ""});
  EXPECT_EQ(h.status, Status::closed);

  hazard::ReportInput spot;
  spot.title = "灭火器压力不足";
  spot.location = "B 楼 1 层走廊";
  spot.department_id = site.logistics;
  spot.fixed_on_spot = true;
  spot.rectification = "已更换灭火器";
  spot.after_photos = {"file:after"};
  auto f = hz.report(*logistics, spot);
  EXPECT_EQ(f.status, Status::review);
  EXPECT_TRUE(f.fixed_on_spot);
  expect_error(
      [&] {
        hz.approve(*logistics, {f.code, ""});
      },
      ErrorCode::permission_denied, "user:fixer lacks hazard.review");
  EXPECT_EQ(hz.approve(*reviewer, {f.code, ""}).status, Status::closed);
  spot.fixed_on_spot = false;
  expect_error([&] { hz.report(*logistics, spot); }, ErrorCode::invalid_argument,
               "rectification: given for a hazard not fixed on the spot");
}

TEST_P(HazardTest, ExtensionsAreAskedGrantedOrDeniedAndCapped) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto h = found();
  h = hz.assign(*office, assign_to_logistics(h.code));
  const auto first = *h.deadline;
  // Reassigned a day later to the ICU and back: the deadline stays where it was.
  pf.clock.advance(std::chrono::days(1));
  auto to_icu = assign_to_logistics(h.code);
  to_icu.assigned_department_id = site.icu;
  EXPECT_EQ(*hz.assign(*office, to_icu).deadline, *h.deadline);
  h = hz.assign(*office, assign_to_logistics(h.code));
  EXPECT_EQ(*h.deadline, first);
  expect_error(
      [&] {
        hz.request_extension(*logistics, {h.code, first, "等配件"});
      },
      ErrorCode::invalid_argument, "until: " + format_timestamp(first) + " is not after");
  expect_error(
      [&] {
        hz.grant_extension(*office, {h.code, ""});
      },
      ErrorCode::failed_precondition, "hazard " + h.code + ": no extension was asked for");
  h = hz.request_extension(*logistics, {h.code, first + std::chrono::days(3), "等配件"});
  EXPECT_EQ(h.extension_until, first + std::chrono::days(3));
  EXPECT_EQ(*h.deadline, first);  // not before it is granted
  expect_error(
      [&] {
        hz.request_extension(*logistics, {h.code, first + std::chrono::days(5), "x"});
      },
      ErrorCode::failed_precondition, "hazard " + h.code + ": an extension to");
  h = hz.grant_extension(*office, {h.code, "同意"});
  EXPECT_EQ(*h.deadline, first + std::chrono::days(3));
  EXPECT_EQ(h.extensions, 1);
  EXPECT_FALSE(h.extension_until);
  hz.request_extension(*logistics, {h.code, first + std::chrono::days(6), "厂家延期"});
  expect_error(
      [&] {
        hz.deny_extension(*office, {h.code, ""});
      },
      ErrorCode::invalid_argument, "reason: empty; deny_extension needs a reason");
  h = hz.deny_extension(*office, {h.code, "不可再延"});
  EXPECT_EQ(*h.deadline, first + std::chrono::days(3));
  hz.request_extension(*logistics, {h.code, first + std::chrono::days(6), "厂家延期"});
  h = hz.grant_extension(*office, {h.code, ""});
  EXPECT_EQ(h.extensions, 2);
  expect_error(
      [&] {
        hz.request_extension(*logistics, {h.code, first + std::chrono::days(9), "再延"});
      },
      ErrorCode::failed_precondition,
      "hazard " + h.code + ": 2 extensions granted already, the most the rules allow");
}

TEST_P(HazardTest, LateHazardsEscalateOncePerLevelAndTheHostTellsTheStaff) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto r = hz.rules();
  r.safety_officer_staff_id = site.elec2;
  r.administrator_staff_id = site.elec3;
  hz.save_rules(*office, r);
  auto host = houqin::make_host(*s);
  host->run_once();
  auto wiring = wiring::actor();
  auto h = found();
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 0);
  pf.clock.advance(std::chrono::hours(25));  // not assigned within 24 h
  auto c = hz.check_overdue(wiring);
  EXPECT_EQ(c.unassigned, 1);
  EXPECT_EQ(c.escalated, 1);
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 0);  // told once
  hz.assign(*office, assign_to_logistics(h.code));
  pf.clock.advance(std::chrono::days(7) + std::chrono::hours(1));
  c = hz.check_overdue(wiring);
  EXPECT_EQ(c.overdue, 1);
  EXPECT_EQ(c.escalated, 1);  // level 1: the assignee
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 0);
  pf.clock.advance(std::chrono::hours(24));
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 1);  // level 2: the safety officer
  pf.clock.advance(std::chrono::hours(72));
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 1);  // level 3, and no more
  pf.clock.advance(std::chrono::hours(72));
  EXPECT_EQ(hz.check_overdue(wiring).escalated, 0);
  for (int i = 0; i < 5; ++i) host->run_once();
  std::vector<notify::Message> told;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "hazard_overdue") told.push_back(m);
  ASSERT_EQ(told.size(), 4u);
  EXPECT_EQ(told[0].recipient_staff_id, site.elec2);  // not assigned: the safety officer
  EXPECT_EQ(told[1].recipient_staff_id, site.elec1);  // the assignee
  EXPECT_EQ(told[2].recipient_staff_id, site.elec2);
  EXPECT_EQ(told[3].recipient_staff_id, site.elec3);
  EXPECT_NE(told[1].body.find(h.code), std::string::npos) << told[1].body;
  EXPECT_EQ(hz.trace(*office, h.code).hazard.overdue_level, 3);
  // A hazard in review waits for the reviewer, not the unit: it is not overdue.
  hz.start(*logistics, h.code);
  hz.submit(*logistics, {h.code, "done", {"file:a"}});
  EXPECT_EQ(hz.check_overdue(wiring).overdue, 0);
  auto bad = r;
  bad.escalate_every_hours = 0;
  expect_error([&] { hz.save_rules(*office, bad); }, ErrorCode::invalid_argument,
               "escalate_every_hours: 0 is outside 1..720");
}

TEST_P(HazardTest, AHazardOpensAWorkOrderThroughTheWiringAndClosesWhenItCompletes) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  auto host = houqin::make_host(*s);
  host->run_once();
  auto h = found(Grade::general, "插座松动发热");
  hz.assign(*office, assign_to_logistics(h.code));
  h = hz.request_order(*office, {h.code, "electrical"});
  EXPECT_TRUE(h.order_requested);
  expect_error(
      [&] {
        hz.request_order(*office, {h.code, "electrical"});
      },
      ErrorCode::failed_precondition, "hazard " + h.code + " has asked for its work order");
  for (int i = 0; i < 3; ++i) host->run_once();
  h = hz.trace(*office, h.code).hazard;
  ASSERT_TRUE(h.work_order_id);
  auto order = Repository<repair::WorkOrder>(*s).require(*h.work_order_id);
  EXPECT_EQ(order.channel, repair::Channel::patrol);
  EXPECT_EQ(order.room_id, site.room_a101);
  EXPECT_EQ(order.category, "electrical");
  EXPECT_NE(order.description.find(h.code), std::string::npos);
  auto desk = testing::desk();
  repair::WorkOrders wo(*s);
  wo.dispatch(desk, {order.id, site.elec1, ""});
  wo.accept(desk, {order.id, ""});
  wo.start(desk, {order.id, ""});
  wo.complete(desk, {order.id, ""});
  for (int i = 0; i < 3; ++i) host->run_once();
  h = hz.trace(*office, h.code).hazard;
  EXPECT_EQ(h.status, Status::closed);
  EXPECT_EQ(h.closed_by, "service:wiring");
  EXPECT_EQ(h.rectification, "work order " + order.code + " completed");
  // Delivered again (a replay), nothing more happens.
  EXPECT_FALSE(hz.close_by_order(wiring::actor(), order.id, order.code));
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 1);
}

TEST_P(HazardTest, TheReportCountsByGradeAreaAndAgeWithCharts) {
  HQ_REQUIRE_STORE(s);
  hazard::Hazards hz(*s);
  const auto from = pf.clock.now();
  auto a = found();
  auto b = found(Grade::major, "配电室电缆老化");
  hazard::ReportInput other;
  other.title = "屋顶漏水";
  other.location = "后勤楼屋顶";
  other.department_id = site.logistics;
  auto c = hz.report(*nurse, other);
  hz.assign(*office, assign_to_logistics(a.code));
  hz.start(*logistics, a.code);
  hz.submit(*logistics, {a.code, "done", {"file:a"}});
  hz.approve(*reviewer, {a.code, ""});
  hz.cancel(*office, {c.code, "重复上报"});
  pf.clock.advance(std::chrono::days(10));
  auto r = hz.report({from, pf.clock.now()});
  EXPECT_EQ(r.reported, 3);
  EXPECT_EQ(r.general, 2);
  EXPECT_EQ(r.major, 1);
  EXPECT_EQ(r.closed, 1);
  EXPECT_EQ(r.closed_on_time, 1);
  EXPECT_EQ(r.open, 1);
  EXPECT_DOUBLE_EQ(r.rectification_rate, 0.5);  // 1 closed of 2 not cancelled
  ASSERT_EQ(r.areas.size(), 2u);
  EXPECT_EQ(r.areas[0].area, "A");  // building A, from the room
  EXPECT_EQ(r.areas[0].general, 1);
  EXPECT_EQ(r.areas[0].major, 1);
  EXPECT_EQ(r.areas[0].open, 1);
  EXPECT_EQ(r.areas[1].area, "Logistics");  // no room: the department
  ASSERT_EQ(r.ages.size(), 4u);
  EXPECT_EQ(r.ages[1].major, 1);  // open 10 days
  ASSERT_EQ(r.open_major.size(), 1u);
  EXPECT_EQ(r.open_major[0].code, b.code);
  auto csv = hazard::to_csv(r);
  EXPECT_EQ(csv.rfind("area,general,major,open,overdue\r\n", 0), 0u) << csv;
  auto html = hazard::to_html(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find(b.code), std::string::npos);
  expect_error(
      [&] {
        hz.report({from, from});
      },
      ErrorCode::invalid_argument, "to: must be after from");
}

TEST_P(HazardTest, TheRegistryReachesEveryStepWithStrictInput) {
  HQ_REQUIRE_STORE(s);
  auto h = service::call(
      *s, *nurse, "hazard.report",
      {{"title", "安全出口指示灯不亮"}, {"grade", "general"}, {"room_id", site.room_a102}});
  const std::string code = h["code"];
  EXPECT_EQ(h["status"], "reported");
  expect_error(
      [&] {
        service::call(*s, *nurse, "hazard.report",
                      {{"title", "x"}, {"grade", "minor"}, {"location", "y"}});
      },
      ErrorCode::invalid_argument, "hazard.report");
  expect_error(
      [&] {
        service::call(*s, *nurse, "hazard.report",
                      {{"title", "x"}, {"grade", "general"}, {"colour", 1}});
      },
      ErrorCode::invalid_argument, "hazard.report");
  service::call(*s, *office, "hazard.assign",
                {{"code", code}, {"assigned_department_id", site.logistics}});
  auto t = service::call(*s, *office, "hazard.trace", {{"code", code}});
  EXPECT_EQ(t["records"].size(), 2u);
  auto doc =
      service::call(*s, *office, "hazard.report_document",
                    {{"report", {{"from", "2026-01-01T00:00:00Z"}, {"to", "2027-01-01T00:00:00Z"}}},
                     {"format", "csv"}});
  EXPECT_EQ(doc["content_type"], "text/csv");
}

INSTANTIATE_TEST_SUITE_P(Backends, HazardTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
