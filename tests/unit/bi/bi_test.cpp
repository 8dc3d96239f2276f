// BI on every backend: a year of work orders and hazards in the test site, kept by the host's
// "bi" consumer, gives the counters and projections a rebuild from the tables gives; the service
// desk's figures equal what the tables say; refreshing a row again changes nothing; a KPI as a
// series by day and by department; an unknown KPI refused by name; the registry's surface.
#include "houqin/bi/bi.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "../repair/fixture.hpp"
#include "houqin/asset/ledger.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inspection/model.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin {
namespace {

using repair::Status;
using store::Repository;
using testing::expect_error;

class BiTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::unique_ptr<host::Host> host;
  std::optional<auth::Actor> safety, reviewer, analyst;
  std::vector<Id> assets;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    HostConfig config;
    config.bi_check = std::chrono::milliseconds(0);  // the tests check when they mean to
    host = houqin::make_host(*s, config);
    safety = pf.user_with("safety", "safety",
                          {"hazard.report", "hazard.manage", "hazard.rectify", "hazard.read"});
    reviewer = pf.user_with("reviewer", "reviewer", {"hazard.review"});
    for (int i = 0; i < 3; ++i) {
      asset::Asset a;
      a.code = "PUMP-" + std::to_string(i);
      a.name = "输液泵";
      a.category = "infusion_pump";
      a.room_id = site.room_a101;
      a.department_id = site.ward;
      a.status = asset::AssetStatus::in_service;
      // Through the ledger, which publishes what happens to the asset (BI follows the events).
      assets.push_back(
          asset::Ledger(*s).register_asset(auth::Actor::service("clerk", {"asset.edit"}), a).id);
    }
    analyst = pf.user_with("analyst", "analyst", {"bi.read", "bi.manage", "notify.send"});
  }
  void react() {
    for (int i = 0; i < 20 && host->run_once().more; ++i) {
    }
    host->run_once();
  }
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> counters() {
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& c : Repository<bi::Counter>(*s).find()) out[c.key] = {c.count, c.sum};
    return out;
  }
  // The keys whose (count, sum) differ, as "key: a vs b" lines; "" when equal.
  static std::string differences(
      const std::map<std::string, std::pair<std::int64_t, std::int64_t>>& a,
      const std::map<std::string, std::pair<std::int64_t, std::int64_t>>& b) {
    std::string out;
    auto text = [](const auto& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end()
                 ? std::string("none")
                 : std::to_string(it->second.first) + "/" + std::to_string(it->second.second);
    };
    std::set<std::string> keys;
    for (const auto& [k, _] : a) keys.insert(k);
    for (const auto& [k, _] : b) keys.insert(k);
    for (const auto& k : keys)
      if (text(a, k) != text(b, k)) out += k + ": " + text(a, k) + " vs " + text(b, k) + "\n";
    return out;
  }
  // An inspection plan (on `asset` when given) of one shared template, for tasks written
  // directly to the table.
  Id round_template = 0;
  Id round_plan(const std::string& code, std::optional<Id> asset = std::nullopt) {
    if (round_template == 0) {
      inspection::Template tpl;
      tpl.code = "ROUND";
      tpl.name = "round";
      tpl.created_at = s->clock().now();
      round_template = Repository<inspection::Template>(*s).insert(tpl);
    }
    inspection::Plan plan;
    plan.code = code;
    plan.name = code;
    plan.template_code = "ROUND";
    plan.asset_id = asset;
    plan.start = s->clock().now();
    return Repository<inspection::Plan>(*s).insert(plan);
  }
  // A task of `plan` done now (due half an hour ago), at `points`; returns its id.
  Id done_task(Id plan, std::string code, std::vector<inspection::TaskPoint> points = {}) {
    inspection::Task t;
    t.code = std::move(code);
    t.plan_id = plan;
    t.template_id = round_template;
    t.due_at = t.issued_at = s->clock().now() - std::chrono::minutes(30);
    t.window_end = s->clock().now() + std::chrono::hours(1);
    t.status = inspection::TaskStatus::done;
    t.completed_at = s->clock().now();
    t.points = std::move(points);
    return Repository<inspection::Task>(*s).insert(t);
  }
  std::map<std::string, std::vector<bi::Contribution>> projections() {
    std::map<std::string, std::vector<bi::Contribution>> out;
    for (const auto& p : Repository<bi::Projection>(*s).find()) out[p.source] = p.contributions;
    return out;
  }

  // `days` days (a month by default): each day a few work orders, taken to random states; hazards
  // found and closed.
  void month(int days = 24) {
    repair::WorkOrders wo(*s);
    hazard::Hazards hz(*s);
    const auto desk = testing::desk();
    std::mt19937 rng(7);
    std::vector<Id> open;
    for (int day = 0; day < days; ++day) {
      for (int i = 0; i < 3; ++i) {
        auto in = testing::light_report(site);
        if (rng() % 2) in.room_id = site.room_a201;  // the ICU's, in building A too
        if (rng() % 4 == 0) in.asset_id = assets[rng() % assets.size()];  // a fault opens
        auto o = wo.report(desk, in);
        const int to = static_cast<int>(rng() % 6);
        pf.clock.advance(std::chrono::minutes(10 + rng() % 50));
        if (to == 0) {
          wo.cancel(desk, {o.id, "duplicate"});
          continue;
        }
        wo.dispatch(desk, {o.id, site.elec1, ""});
        if (to >= 2) wo.accept(desk, {o.id, ""});
        pf.clock.advance(std::chrono::minutes(20 + rng() % 200));
        if (to >= 3) {
          wo.start(desk, {o.id, ""});
          wo.complete(desk, {o.id, ""});
        }
        if (to >= 4) wo.verify(desk, {o.id, ""});
        if (to >= 5) wo.close(desk, {o.id, ""});
      }
      if (day % 3 == 0) {
        hazard::ReportInput in;
        in.title = "配电箱未上锁";
        in.room_id = site.room_a101;
        auto h = hz.report(*safety, in);
        if (day % 2 == 0) {
          hazard::AssignInput a;
          a.code = h.code;
          a.assigned_department_id = site.logistics;
          hz.assign(*safety, a);
          hz.start(*safety, h.code);
          hz.submit(*safety, {h.code, "已上锁", {"file:after"}});
          hz.approve(*reviewer, {h.code, "ok"});
        }
      }
      if (day % 5 == 0) react();  // the consumer catches up now and then
      pf.clock.advance(std::chrono::hours(20));
    }
    react();
  }
};

TEST_P(BiTest, TheIncrementalCountersEqualARebuildFromTheTables) {
  HQ_REQUIRE_STORE(s);
  month(365);  // a simulated year
  const auto incremental = counters();
  const auto projected = projections();
  ASSERT_FALSE(incremental.empty());
  EXPECT_TRUE(incremental.count("repair.open|1970-01-01|" + std::to_string(site.building_a) + "|" +
                                std::to_string(site.ward)));
  auto report = bi::Bi(*s).rebuild(*analyst);
  EXPECT_EQ(report.counters, static_cast<std::int64_t>(incremental.size()));
  EXPECT_EQ(differences(counters(), incremental), "");
  EXPECT_TRUE(projections() == projected);
  // Refreshing rows again, as a redelivered event would, changes nothing.
  for (const auto& o : Repository<repair::WorkOrder>(*s).find())
    bi::Bi(*s).refresh_work_order(o.id);
  for (const auto& h : Repository<hazard::Hazard>(*s).find()) bi::Bi(*s).refresh_hazard(h.id);
  EXPECT_EQ(counters(), incremental);
  expect_error([&] { bi::Bi(*s).rebuild(testing::desk()); }, ErrorCode::permission_denied, "");
}

TEST_P(BiTest, TheServiceDeskSaysWhatTheTablesSay) {
  HQ_REQUIRE_STORE(s);
  month();
  auto snap = bi::Bi(*s).snapshot();
  EXPECT_EQ(format_date(snap.month_from), "2026-03-01");
  // From the tables, by hand: open orders, this month's reports and resolutions and their mean.
  std::int64_t open = 0, overdue = 0, reported = 0, resolved = 0, met = 0, responded = 0;
  double seconds = 0, response_seconds = 0;
  for (const auto& o : Repository<repair::WorkOrder>(*s).find()) {
    const bool finished =
        o.status == Status::completed || o.status == Status::verified || o.status == Status::closed;
    if (!finished && o.status != Status::cancelled) {
      ++open;
      if (o.response_breached || o.resolution_breached) ++overdue;
    }
    ++reported;  // all in March (local time)
    if (finished) {
      ++resolved;
      seconds += std::chrono::duration<double>(*o.completed_at - o.reported_at).count();
      if (!o.resolution_breached) ++met;
    }
    if (o.accepted_at) {
      ++responded;
      response_seconds += std::chrono::duration<double>(*o.accepted_at - o.reported_at).count();
    }
  }
  EXPECT_EQ(snap.work_orders_open, open);
  EXPECT_EQ(snap.work_orders_overdue, overdue);
  EXPECT_GT(overdue, 0);  // the SLA tick marked some breached
  EXPECT_EQ(snap.reported_this_month, reported);
  EXPECT_EQ(snap.resolved_this_month, resolved);
  ASSERT_TRUE(snap.mttr_hours);
  EXPECT_NEAR(*snap.mttr_hours, seconds / resolved / 3600.0, 1e-9);
  EXPECT_NEAR(*snap.first_response_minutes, response_seconds / responded / 60.0, 1e-9);
  EXPECT_NEAR(*snap.sla_compliance, static_cast<double>(met) / resolved, 1e-12);
  // Equipment: the ledger's faults, opened and closed by the wiring from the orders.
  std::int64_t down = 0, failures = 0, repaired = 0;
  double downtime = 0;
  for (const auto& f : Repository<asset::Fault>(*s).find()) {
    ++failures;
    if (!f.ended_at) {
      ++down;
    } else {
      ++repaired;
      downtime += std::chrono::duration<double>(*f.ended_at - f.started_at).count();
    }
  }
  EXPECT_GT(failures, 0);
  EXPECT_EQ(snap.assets_in_service, 3);
  EXPECT_EQ(snap.assets_down, down);
  EXPECT_EQ(snap.asset_failures_this_month, failures);
  ASSERT_TRUE(snap.equipment_mttr_hours);
  EXPECT_NEAR(*snap.equipment_mttr_hours, downtime / repaired / 3600.0, 1e-9);
  ASSERT_TRUE(snap.mtbf_hours);
  const double fleet_hours =
      3.0 *
      std::chrono::duration<double>(snap.at - parse_timestamp("2026-02-28T16:00:00Z")).count() /
      3600.0;
  EXPECT_NEAR(*snap.mtbf_hours, (fleet_hours - downtime / 3600.0) / failures, 1e-6);
  std::int64_t hazards_open = 0;
  for (const auto& h : Repository<hazard::Hazard>(*s).find())
    if (h.status != hazard::Status::closed) ++hazards_open;
  EXPECT_EQ(snap.hazards_open, hazards_open);
  EXPECT_GT(hazards_open, 0);
  EXPECT_LT(hazards_open, static_cast<std::int64_t>(Repository<hazard::Hazard>(*s).count()));
  // Through the registry, with bi.read only.
  auto j = service::call(*s, *analyst, "bi.snapshot", json::Json::object());
  EXPECT_EQ(j["work_orders_open"].get<std::int64_t>(), open);
  expect_error([&] { service::call(*s, testing::desk(), "bi.rebuild", json::Json::object()); },
               ErrorCode::permission_denied, "");
}

TEST_P(BiTest, AKpiIsASeriesByPeriodAndByDepartment) {
  HQ_REQUIRE_STORE(s);
  month();
  bi::Bi bi(*s);
  bi::SeriesQuery q;
  q.kpi = "repair.reported";
  q.from = parse_date("2026-03-01");
  q.to = parse_date("2026-04-01");
  q.period = bi::Period::day;
  auto by_day = bi.series(q);
  std::int64_t total = 0;
  for (const auto& p : by_day.points) total += p.count;
  EXPECT_EQ(total, Repository<repair::WorkOrder>(*s).count());
  EXPECT_EQ(by_day.points.front().period, "2026-03-02");
  q.period = bi::Period::quarter;
  q.group = bi::GroupBy::department;
  auto by_dept = bi.series(q);
  ASSERT_EQ(by_dept.points.size(), 2u);  // the ward and the ICU
  EXPECT_EQ(by_dept.points[0].period, "2026Q1");
  EXPECT_EQ(by_dept.points[0].count + by_dept.points[1].count, total);
  q.kpi = "repair.resolved";
  q.group = bi::GroupBy::none;
  auto mttr = bi.series(q);
  ASSERT_EQ(mttr.points.size(), 1u);
  EXPECT_EQ(mttr.sum_unit, "s");
  ASSERT_TRUE(mttr.points[0].mean);
  EXPECT_NEAR(*mttr.points[0].mean / 3600.0, *bi.snapshot().mttr_hours, 1e-9);
  q.kpi = "repair.nothing";
  expect_error([&] { bi.series(q); }, ErrorCode::invalid_argument,
               "kpi: unknown 'repair.nothing' (known: repair.reported");
  auto cat = service::call(*s, *analyst, "bi.catalogue", json::Json::object());
  EXPECT_GE(cat["kpis"].size(), 20u);
}

TEST_P(BiTest, TheServiceDeskPageShowsTheSnapshotTheWarningsAndTheDays) {
  HQ_REQUIRE_STORE(s);
  month();
  bi::Bi bi(*s);
  bi::WarningRule open;
  open.code = "WO-OPEN";
  open.title = "未完成工单过多";
  open.kpi = "repair.open";
  open.threshold = 0;
  open.severity = bi::Severity::critical;
  bi.save_rule(*analyst, open);
  bi.check(*analyst);
  const auto desk = bi.desk(10);
  // The snapshot is the snapshot; the firing rule is listed; ten days end today.
  EXPECT_EQ(json::to_json(desk.snapshot), json::to_json(bi.snapshot()));
  ASSERT_EQ(desk.warnings.size(), 1u);
  EXPECT_EQ(desk.warnings[0].rule, "WO-OPEN");
  ASSERT_EQ(desk.days.size(), 10u);
  const auto offset = std::chrono::minutes(480);
  EXPECT_EQ(desk.days.back().day, std::chrono::floor<std::chrono::days>(s->clock().now() + offset));
  // Each day's figures are the KPI series' figures of that day.
  const auto series =
      bi.series({"repair.reported", desk.days.front().day,
                 desk.days.back().day + std::chrono::days(1), bi::Period::day, bi::GroupBy::none});
  std::int64_t in_series = 0, on_desk = 0;
  for (const auto& p : series.points) in_series += p.count;
  for (const auto& d : desk.days) on_desk += d.reported;
  EXPECT_EQ(on_desk, in_series);
  EXPECT_GT(on_desk, 0);
  // Through the registry: the page, with the overdue tile drawn red and the warning listed.
  auto page = service::call(*s, *analyst, "bi.desk", {{"days", 10}});
  EXPECT_EQ(page["content_type"], "text/html");
  const std::string html = page["data"];
  EXPECT_NE(html.find("服务台"), std::string::npos);
  EXPECT_NE(html.find("WO-OPEN"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("未完成工单</div><b>" + std::to_string(desk.snapshot.work_orders_open)),
            std::string::npos);
  auto csv = service::call(*s, *analyst, "bi.desk", {{"days", 10}, {"format", "csv"}});
  const std::string csv_text = csv["data"];
  EXPECT_EQ(std::count(csv_text.begin(), csv_text.end(), '\n'), 11);  // the header and ten days
  auto xlsx = service::call(*s, *analyst, "bi.desk", {{"format", "xlsx"}});
  EXPECT_EQ(xlsx["encoding"], "base64");
  expect_error(
      [&] {
        service::call(*s, *analyst, "bi.desk", {{"days", 0}});
      },
      ErrorCode::invalid_argument, "days: must be 1..366");
  expect_error(
      [&] {
        service::call(*s, auth::Actor::service("nobody", {}), "bi.desk", json::Json::object());
      },
      ErrorCode::permission_denied, "");
  auto chart = service::call(*s, *analyst, "bi.series_document",
                             {{"series",
                               {{"kpi", "repair.reported"},
                                {"from", "2000-01-01"},
                                {"to", "2100-01-01"},
                                {"period", "month"},
                                {"group", "building"}}}});
  EXPECT_NE(chart["data"].get<std::string>().find("repair.reported"), std::string::npos);
}

TEST_P(BiTest, WarningRulesFireEscalateClearAndTellTheStaffUnlessSilenced) {
  HQ_REQUIRE_STORE(s);
  bi::Bi bi(*s);
  repair::WorkOrders wo(*s);
  const auto desk = testing::desk();
  auto messages = [&](const std::string& to_phone) {
    std::int64_t n = 0;
    for (const auto& m : Repository<notify::Message>(*s).find())
      if (m.template_name == "bi_warning" && m.address == to_phone) ++n;
    return n;
  };
  bi::WarningRule open;
  open.code = "WO-OPEN";
  open.title = "未完成工单过多";
  open.kpi = "repair.open";
  open.threshold = 2;
  open.severity = bi::Severity::critical;
  open.notify_staff_ids = {site.nurse};
  open.escalate_staff_id = site.elec1;
  open.escalate_after_hours = 4;
  bi.save_rule(*analyst, open);
  // Refusals name what is wrong and store nothing.
  auto bad = [&](auto change, const std::string& start) {
    auto r = open;
    r.code = "BAD";
    change(r);
    expect_error([&] { bi.save_rule(*analyst, r); }, ErrorCode::invalid_argument, start);
  };
  bad([](auto& r) { r.kpi = "repair.nope"; }, "kpi: unknown 'repair.nope'");
  bad([](auto& r) { r.kind = bi::RuleKind::trend; }, "kind: a trend rule needs a tally");
  bad([](auto& r) { r.measure = bi::Measure::ratio; }, "ratio_kpi: a ratio needs a known KPI");
  bad([](auto& r) { r.escalate_staff_id.reset(); }, "escalate_staff_id: escalation needs");
  bad([](auto& r) { r.window_days = 0; }, "window_days: must be in 1..366");
  EXPECT_EQ(Repository<bi::WarningRule>(*s).count(), 1);

  std::vector<Id> orders;
  for (int i = 0; i < 3; ++i) orders.push_back(wo.report(desk, testing::light_report(site)).id);
  react();
  std::vector<bi::WarningRaised> raised;
  auto sub = s->events().subscribe<bi::WarningRaised>([&](const auto& e) { raised.push_back(e); });
  auto r = bi.check(*analyst);
  EXPECT_EQ(r.fired, 1);
  EXPECT_EQ(messages("13812345678"), 1);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, bi::Severity::critical);
  EXPECT_EQ(raised[0].value, 3.0);
  EXPECT_EQ(bi.check(*analyst).fired, 0);  // still firing: told once
  EXPECT_EQ(messages("13812345678"), 1);
  pf.clock.advance(std::chrono::hours(5));
  EXPECT_EQ(bi.check(*analyst).escalated, 1);
  EXPECT_EQ(messages("13900000001"), 1);  // elec1
  EXPECT_EQ(bi.check(*analyst).escalated, 0);
  // Two done: 1 open, not above 2; the firing clears.
  for (int i = 0; i < 2; ++i) wo.cancel(desk, {orders[static_cast<std::size_t>(i)], "duplicate"});
  react();
  EXPECT_EQ(bi.check(*analyst).cleared, 1);
  auto w = Repository<bi::Warning>(*s).find();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_TRUE(w[0].cleared_at);
  EXPECT_TRUE(w[0].escalated);

  // A silenced rule fires and is recorded, and nobody is told; the silence is audited.
  bi::WarningRule busy;
  busy.code = "WO-TODAY";
  busy.title = "今日报修激增";
  busy.kpi = "repair.reported";
  busy.kind = bi::RuleKind::trend;
  busy.threshold = 50;  // % more than the day before
  busy.notify_staff_ids = {site.nurse};
  bi.save_rule(*analyst, busy);
  expect_error(
      [&] {
        bi.silence(*analyst, {"WO-TODAY", pf.clock.now(), "x"});
      },
      ErrorCode::invalid_argument, "until: must be in the future");
  expect_error(
      [&] {
        bi.silence(*analyst, {"WO-TODAY", pf.clock.now() + std::chrono::hours(1), ""});
      },
      ErrorCode::invalid_argument, "reason: a silence needs one");
  bi.silence(*analyst,
             {"WO-TODAY", pf.clock.now() + std::chrono::hours(30), "演练日，预期报修增多"});
  auto silences = Repository<audit::Record>(*s).find(
      store::Query<audit::Record>()
          .where(&audit::Record::action, store::Op::eq, std::string("bi.silence"))
          .where(&audit::Record::outcome, store::Op::eq, audit::Outcome::success));
  ASSERT_EQ(silences.size(), 1u);  // and the two refused attempts as failures
  EXPECT_NE(silences[0].detail.find("演练日"), std::string::npos);
  // Yesterday 3 reported (the clock moved past midnight local); today 5: +67 %.
  pf.clock.advance(std::chrono::hours(12));
  for (int i = 0; i < 5; ++i) wo.report(desk, testing::light_report(site));
  react();
  const auto before = messages("13812345678");
  r = bi.check(*analyst);
  auto trend = Repository<bi::WarningRule>(*s).find_one(store::Query<bi::WarningRule>().where(
      &bi::WarningRule::code, store::Op::eq, std::string("WO-TODAY")));
  ASSERT_TRUE(trend && trend->last_value);
  EXPECT_NEAR(*trend->last_value, (5.0 - 3.0) / 3.0 * 100.0, 1e-9);
  EXPECT_TRUE(trend->firing);
  EXPECT_EQ(messages("13812345678"), before + 1);  // WO-OPEN fired again (6 open), not WO-TODAY
  auto silenced = Repository<bi::Warning>(*s).find(store::Query<bi::Warning>().where(
      &bi::Warning::rule, store::Op::eq, std::string("WO-TODAY")));
  ASSERT_EQ(silenced.size(), 1u);
  EXPECT_TRUE(silenced[0].silenced);

  // Absence: no inspection done today.
  bi::WarningRule none;
  none.code = "NO-INSPECTION";
  none.title = "今日无巡检完成";
  none.kind = bi::RuleKind::absence;
  none.kpi = "inspection.done";
  bi.save_rule(*analyst, none);
  EXPECT_GE(bi.check(*analyst).fired, 1);
  expect_error([&] { service::call(*s, testing::desk(), "bi.check", json::Json::object()); },
               ErrorCode::permission_denied, "");
}

TEST_P(BiTest, ThePlatformHostChecksTheRulesOnItsOwn) {
  HQ_REQUIRE_STORE(s);
  bi::WarningRule open;
  open.code = "WO-OPEN";
  open.title = "未完成工单";
  open.kpi = "repair.open";
  open.threshold = 0;
  bi::Bi(*s).save_rule(*analyst, open);
  repair::WorkOrders(*s).report(testing::desk(), testing::light_report(site));
  auto own = houqin::make_host(*s);  // bi.check every 5 minutes by default
  own->run_once();                   // the consumer projects the order
  pf.clock.advance(std::chrono::minutes(6));
  own->run_once();  // the job checks
  auto rule = Repository<bi::WarningRule>(*s).find().front();
  EXPECT_TRUE(rule.firing);
  EXPECT_EQ(rule.last_value, 1.0);
}

// "No inspection of the O2 manifold in 8 h": an absence over hours, narrowed to the plans of one
// asset, counted from the tasks' own completion times; another over hours of work orders in a
// department; the refusals name the field.
TEST_P(BiTest, AbsenceOverHoursOfOneAssetsInspections) {
  HQ_REQUIRE_STORE(s);
  bi::Bi bi(*s);
  asset::Asset manifold;
  manifold.code = "O2-MANIFOLD";
  manifold.name = "氧气汇流排";
  manifold.category = "medical_gas";
  manifold.room_id = site.room_a101;
  manifold.status = asset::AssetStatus::in_service;
  const Id plan_id = round_plan("O2-ROUND", Repository<asset::Asset>(*s).insert(manifold));
  const Id other_id = round_plan("PUMP-ROUND", assets[0]);
  auto done = [&](Id plan_of, std::string code) { done_task(plan_of, std::move(code)); };

  bi::WarningRule rule;
  rule.code = "O2-ABSENT";
  rule.title = "氧气汇流排 8 小时未巡检";
  rule.kind = bi::RuleKind::absence;
  rule.kpi = "inspection.done";
  rule.window_hours = 8;
  rule.subject = "O2-MANIFOLD";
  rule.severity = bi::Severity::critical;
  bi.save_rule(*analyst, rule);
  done(other_id, "T-PUMP");  // another asset's round does not count
  bi.check(*analyst);
  auto saved = Repository<bi::WarningRule>(*s).find_one(store::Query<bi::WarningRule>().where(
      &bi::WarningRule::code, store::Op::eq, std::string("O2-ABSENT")));
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->firing);
  EXPECT_EQ(saved->last_value, 0.0);
  pf.clock.advance(std::chrono::hours(1));
  done(plan_id, "T-O2-1");
  bi.check(*analyst);
  saved = Repository<bi::WarningRule>(*s).get(saved->id);
  EXPECT_FALSE(saved->firing);
  EXPECT_EQ(saved->last_value, 1.0);
  pf.clock.advance(std::chrono::hours(7) + std::chrono::minutes(59));  // still within 8 h
  bi.check(*analyst);
  EXPECT_FALSE(Repository<bi::WarningRule>(*s).get(saved->id)->firing);
  pf.clock.advance(std::chrono::minutes(2));  // 8 h and a minute since the round
  bi.check(*analyst);
  EXPECT_TRUE(Repository<bi::WarningRule>(*s).get(saved->id)->firing);

  // Work orders of one department over hours.
  bi::WarningRule quiet;
  quiet.code = "WARD-QUIET";
  quiet.title = "病区 4 小时无报修";
  quiet.kind = bi::RuleKind::absence;
  quiet.kpi = "repair.reported";
  quiet.window_hours = 4;
  quiet.department_id = site.ward;
  bi.save_rule(*analyst, quiet);
  EXPECT_EQ(
      bi.measure(*Repository<bi::WarningRule>(*s).find_one(store::Query<bi::WarningRule>().where(
          &bi::WarningRule::code, store::Op::eq, std::string("WARD-QUIET")))),
      0.0);
  auto in = testing::light_report(site);
  repair::WorkOrders(*s).report(testing::desk(), in);
  EXPECT_EQ(
      bi.measure(*Repository<bi::WarningRule>(*s).find_one(store::Query<bi::WarningRule>().where(
          &bi::WarningRule::code, store::Op::eq, std::string("WARD-QUIET")))),
      1.0);

  auto refused = [&](auto change, const std::string& message) {
    bi::WarningRule r = rule;
    r.code = "BAD";
    change(r);
    expect_error([&] { bi.save_rule(*analyst, r); }, ErrorCode::invalid_argument, message);
  };
  refused([](auto& r) { r.subject = "NO-SUCH"; },
          "subject: no inspection plan or asset with code 'NO-SUCH'");
  refused([](auto& r) { r.kind = bi::RuleKind::threshold; },
          "window_hours: only an absence rule counts hours");
  refused([](auto& r) { r.kpi = "survey.closed", r.subject.clear(); },
          "kpi: an absence over hours counts one of");
  refused([](auto& r) { r.window_hours = 0; }, "subject: only an absence of inspection.done");
  refused([](auto& r) { r.window_hours = 721; }, "window_hours: must be in 0..720");
  EXPECT_FALSE(Repository<bi::WarningRule>(*s).find_one(store::Query<bi::WarningRule>().where(
      &bi::WarningRule::code, store::Op::eq, std::string("BAD"))));
}

// Inspection and PM tasks count in the building and department of the room they were issued for
// (or of their asset's room), so completion is available per building and department.
TEST_P(BiTest, TasksCountInTheirRoomsBuildingAndDepartment) {
  HQ_REQUIRE_STORE(s);
  react();  // the fixture's assets
  bi::Bi bi(*s);
  const Id plan_id = round_plan("ROUND-1");
  auto task = [&](std::string code, inspection::TaskPoint point) {
    bi.refresh_task(done_task(plan_id, std::move(code), {point}));
  };
  task("T-ROOM", {site.room_b101, {}, {}, {}});  // building B
  task("T-ASSET", {{}, assets[0], {}, {}});      // a pump in A-1-101, the ward's
  const auto day = format_date(
      std::chrono::floor<std::chrono::days>(s->clock().now() + std::chrono::minutes(480)));
  const auto room_b = Repository<site::Room>(*s).get(site.room_b101);
  ASSERT_TRUE(room_b);
  const auto now = counters();
  EXPECT_TRUE(now.count("inspection.done|" + day + "|" + std::to_string(site.building_a) + "|" +
                        std::to_string(site.ward)));
  EXPECT_TRUE(now.count("inspection.done|" + day + "|" + std::to_string(site.building_b) + "|" +
                        std::to_string(room_b->department_id.value_or(0))));
  const auto by_building =
      bi.series({"inspection.done", parse_date("2000-01-01"), parse_date("2100-01-01"),
                 bi::Period::year, bi::GroupBy::building});
  EXPECT_EQ(by_building.points.size(), 2u);
  bi.rebuild(*analyst);
  EXPECT_EQ(differences(now, counters()), "");
}

// Alarm floods (more than 10 raised in one 10-minute interval) are tallied per interval from the
// alarm history, again and again without change, and as a rebuild gives them; standing alarms
// (active, raised more than 24 h ago) are read at the snapshot.
TEST_P(BiTest, AlarmFloodsAndStandingAlarms) {
  HQ_REQUIRE_STORE(s);
  react();  // the fixture's assets
  using telemetry::AlarmEvent;
  using telemetry::AlarmState;
  const auto now = s->clock().now();
  const auto interval = std::chrono::microseconds(telemetry::flood_interval_us);
  const auto us = (now - 2 * interval).time_since_epoch().count();
  const Timestamp start{std::chrono::microseconds(us - us % telemetry::flood_interval_us)};
  Repository<AlarmEvent> events(*s);
  bi::Bi bi(*s);
  auto raise = [&](Id point, std::int64_t episode, Timestamp at) {
    AlarmEvent e;
    e.point_id = point;
    e.episode = episode;
    e.from_state = AlarmState::normal;
    e.to_state = AlarmState::unacknowledged;
    e.time = at;
    events.insert(e);
    AlarmEvent ack = e;  // an acknowledgement is no raise
    ack.from_state = AlarmState::unacknowledged;
    ack.to_state = AlarmState::acknowledged;
    ack.cause = telemetry::AlarmCause::acknowledged;
    ack.time = at + std::chrono::seconds(5);
    events.insert(ack);
    bi.refresh_alarm(point, e.kind, episode);
    bi.refresh_flood(at);
  };
  for (int i = 0; i < 12; ++i) raise(100 + i, 100 + i, start + std::chrono::seconds(40 * i));
  for (int i = 0; i < 10; ++i)
    raise(200 + i, 200 + i, start + interval + std::chrono::seconds(50 * i));
  auto floods = Repository<bi::Counter>(*s).find(store::Query<bi::Counter>().where(
      &bi::Counter::kpi, store::Op::eq, std::string("alarm.flood")));
  ASSERT_EQ(floods.size(), 1u);  // ten in the second interval is not more than ten
  EXPECT_EQ(floods[0].count, 1);
  EXPECT_EQ(floods[0].sum, 12);
  const auto before = counters();
  bi.refresh_flood(start + std::chrono::seconds(1));  // again: nothing changes
  EXPECT_EQ(differences(before, counters()), "");
  EXPECT_EQ(bi.snapshot().alarm_floods_this_month, 1);

  // Standing: active, raised more than a day ago; one raised an hour ago is not.
  // Episodes are numbered across points (the engine hands them out).
  auto active = [&](Id point, Timestamp raised) {
    raise(point, point, raised);
    telemetry::AlarmRecord r;
    r.point_id = point;
    r.episode = point;
    r.active = true;
    r.state = AlarmState::acknowledged;
    r.changed_at = now;
    Repository<telemetry::AlarmRecord>(*s).insert(r);
    bi.refresh_alarm(point, r.kind, point);
  };
  active(300, now - std::chrono::hours(25));
  active(301, now - std::chrono::hours(1));
  const auto snap = bi.snapshot();
  EXPECT_EQ(snap.alarms_active, 2);
  EXPECT_EQ(snap.alarms_standing, 1);
  const auto incremental = counters();
  bi.rebuild(*analyst);
  EXPECT_EQ(differences(incremental, counters()), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, BiTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
