// The quarterly operation report and the annual record book on every backend: a quarter with
// work orders, hazards reported from a ward, a database outage seen by the health monitor and
// answered within 15 minutes and another nobody answered, a backup made and verified (and a bad
// file refused), an integrity check and kept performance. The report says what the ledgers and
// tables say, names the open problems, is kept as a record whose regeneration is its next revision,
// and renders as HTML, XLSX and PDF; the record book lists every record of the year behind a table
// of contents.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../repair/fixture.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/bi/operation_report.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using store::Op;
using store::Query;
using store::Repository;
using testing::expect_error;
using namespace std::chrono_literals;

class OperationReportTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> admin, nurse;
  std::filesystem::path dir;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    admin = pf.user_with("opsadmin", "ops_reporter",
                         {"bi.operation_report", "protect.backup", "protect.integrity",
                          "host.operate", "bi.manage"});
    // A ward nurse: her hazard reports are the ward's use of the hazard module.
    const Id id =
        pf.auth->create_user(pf.actor("sysadmin"),
                             {"nurse_li", "李护士", testing::test_password, site.nurse, site.ward});
    pf.auth->define_role(pf.actor("secadmin"), "ward_reporter", "ward_reporter", {"hazard.report"});
    pf.auth->grant(pf.actor("secadmin"), id, "ward_reporter", auth::ScopeKind::global,
                   std::nullopt);
    nurse = pf.actor("nurse_li");
    dir = std::filesystem::temp_directory_path() /
          ("houqin-oprep-" + std::to_string(::getpid()) + "-" + GetParam());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  /// A quarter's worth of records, from the fixture's start (2026-03-02, Q1).
  void quarter() {
    repair::WorkOrders wo(*s);
    const auto desk = testing::desk();
    for (int i = 0; i < 6; ++i) {
      auto o = wo.report(desk, testing::light_report(site));
      pf.clock.advance(30min);
      if (i % 2 == 0) {
        wo.dispatch(desk, {o.id, site.elec1, ""});
        wo.accept(desk, {o.id, ""});
        wo.start(desk, {o.id, ""});
        wo.complete(desk, {o.id, ""});
      }
      pf.clock.advance(5h);
    }
    hazard::Hazards hz(*s);
    for (int i = 0; i < 2; ++i) {
      hazard::ReportInput in;
      in.title = "消防通道堆放杂物";
      in.room_id = site.room_a101;
      hz.report(*nurse, in);
    }
    // The host's consumer projects the KPIs.
    HostConfig config;
    config.bi_check = 0ms;
    auto h = houqin::make_host(*s, config);
    for (int i = 0; i < 20 && h->run_once().more; ++i) {
    }
    // Health checks every minute: the database away for 5 of them, then for 2 more that nobody
    // answers.
    bool database_up = true;
    host::MonitorOptions mo;
    mo.database_check = [&]() -> std::optional<std::string> {
      if (database_up) return std::nullopt;
      return std::string("connection refused");
    };
    host::Monitor monitor(*s, mo);
    for (int i = 0; i < 25; ++i) {
      database_up = i < 10 || (i >= 15 && i < 20) || i >= 22;
      monitor.tick();
      pf.clock.advance(1min);
    }
    auto incident = Repository<host::ServiceIncident>(*s).find().at(0);
    pf.clock.set(incident.detected_at + 10min);
    host::respond(*s, *admin, {incident.code, "restarted the database"});
    pf.clock.advance(1h);
    // Kept performance of today.
    host::PerformanceRecorder(*s).record(metrics::snapshot(pf.clock.now()));
  }
};

TEST_P(OperationReportTest, TheQuarterlyReportSaysWhatTheLedgersAndTablesSay) {
  HQ_REQUIRE_STORE(s);
  quarter();
  // Data care: a backup, verified; a file that is no backup refused and recorded; a check.
  const auto backup = dir / "q1.sqlite";
  protect::backup(*s, *admin, backup);
  protect::verify_backup(*s, *admin, backup);
  std::ofstream(dir / "garbage.sqlite") << "not a backup";
  expect_error([&] { protect::verify_backup(*s, *admin, dir / "garbage.sqlite"); },
               ErrorCode::data_loss, "");
  const auto findings = protect::check_integrity(*s, *admin);
  // A warning firing now is an open problem.
  bi::WarningRule open;
  open.code = "WO-OPEN";
  open.title = "未完成工单";
  open.kpi = "repair.open";
  open.threshold = 0;
  bi::Bi(*s).save_rule(*admin, open);
  bi::Bi(*s).check(*admin);

  const Timestamp q_from = parse_timestamp("2025-12-31T16:00:00Z");  // 2026-01-01 local
  const Timestamp q_to = parse_timestamp("2026-03-31T16:00:00Z");
  const auto audit_records =
      Repository<audit::Record>(*s).count(Query<audit::Record>()
                                              .where(&audit::Record::time, Op::ge, q_from)
                                              .where(&audit::Record::time, Op::lt, q_to));
  auto out = service::call(*s, *admin, "bi.operation_report", {{"year", 2026}, {"quarter", 1}});
  const auto rec = json::from_json<bi::OperationReportRecord>(out);
  const auto& r = rec.report;
  EXPECT_EQ(rec.code, "OR-2026Q1");
  EXPECT_EQ(rec.revision, 1);
  EXPECT_EQ(r.from, parse_date("2026-01-01"));
  EXPECT_EQ(r.to, parse_date("2026-04-01"));

  // Availability: what the ledger says, a response within 15 minutes, months adding up.
  const auto a = host::availability_report(*s, {q_from, pf.clock.now(), 8, 15});
  EXPECT_GT(r.service_down_hours, 0);
  EXPECT_DOUBLE_EQ(r.service_down_hours, a.service_down_hours);
  EXPECT_EQ(r.incidents.size(), 2u);
  EXPECT_EQ(r.responded_in_time, 1);
  EXPECT_EQ(r.responded_late, 1);
  ASSERT_EQ(r.months.size(), 3u);
  double months_down = 0;
  for (const auto& m : r.months) months_down += m.down_hours;
  EXPECT_NEAR(months_down, r.service_down_hours, 1e-9);
  ASSERT_TRUE(r.service_availability);
  EXPECT_LT(*r.service_availability, 1.0);
  EXPECT_GT(*r.service_availability, 0.99);

  // The audit log, data care, integrity.
  EXPECT_EQ(r.audit_records, audit_records);
  EXPECT_TRUE(r.audit_chain_ok);
  EXPECT_EQ(r.backups, 1);
  EXPECT_EQ(r.backups_verified, 1);
  EXPECT_EQ(r.verifications_failed, 1);
  EXPECT_EQ(r.integrity_checks, 1);
  EXPECT_EQ(r.last_integrity_findings, static_cast<std::int64_t>(findings.size()));
  ASSERT_TRUE(r.last_backup_at);
  EXPECT_GE(r.care.size(), 4u);

  // The quarter's figures are the tables' rows.
  const auto reported = Repository<repair::WorkOrder>(*s).count(
      Query<repair::WorkOrder>()
          .where(&repair::WorkOrder::reported_at, Op::ge, q_from)
          .where(&repair::WorkOrder::reported_at, Op::lt, q_to));
  EXPECT_EQ(r.figures.reported, reported);
  EXPECT_EQ(r.figures.resolved, 3);
  EXPECT_EQ(r.figures.hazards_reported, 2);

  // Usage: the ward's nurse reported two hazards.
  const auto ward = Repository<site::Department>(*s).get(site.ward);
  ASSERT_TRUE(ward);
  auto use = std::find_if(r.usage.begin(), r.usage.end(), [&](const auto& u) {
    return u.department == ward->name && u.module == "hazard";
  });
  ASSERT_NE(use, r.usage.end());
  EXPECT_EQ(use->actions, 2);
  EXPECT_EQ(use->users, 1);

  // Kept performance; the open problems.
  EXPECT_FALSE(r.performance.empty());
  auto has_problem = [&](std::string_view kind) {
    return std::any_of(r.problems.begin(), r.problems.end(),
                       [&](const auto& p) { return p.kind == kind; });
  };
  EXPECT_TRUE(has_problem("warning"));
  EXPECT_FALSE(has_problem("incident"));  // both recovered
  EXPECT_TRUE(has_problem("incident_unanswered"));
  EXPECT_FALSE(has_problem("no_backup"));
  EXPECT_FALSE(has_problem("backup_unverified"));

  // Kept: a regeneration is the next revision of the one record.
  out = service::call(*s, *admin, "bi.operation_report", {{"year", 2026}, {"quarter", 1}});
  EXPECT_EQ(out["revision"], 2);
  EXPECT_EQ(Repository<bi::OperationReportRecord>(*s).count(), 1);

  // The documents.
  auto page = service::call(*s, *admin, "bi.operation_report_document", {{"code", "OR-2026Q1"}});
  const std::string html = page["data"];
  EXPECT_NE(html.find("系统运行报告 2026 年第 1 季度"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("WO-OPEN"), std::string::npos);
  auto xlsx = service::call(*s, *admin, "bi.operation_report_document",
                            {{"code", "OR-2026Q1"}, {"format", "xlsx"}});
  EXPECT_EQ(service::document_bytes(json::from_json<service::Document>(xlsx)).substr(0, 2), "PK");

  // Refusals, each naming what is wrong, nothing kept.
  expect_error(
      [&] {
        service::call(*s, *admin, "bi.operation_report_document",
                      {{"code", "OR-2026Q1"}, {"format", "csv"}});
      },
      ErrorCode::invalid_argument, "format: csv is not offered");
  expect_error(
      [&] {
        service::call(*s, *admin, "bi.operation_report_document", {{"code", "OR-2025Q9"}});
      },
      ErrorCode::not_found, "code: no operation report 'OR-2025Q9'");
  expect_error(
      [&] {
        service::call(*s, *admin, "bi.operation_report", {{"year", 2026}, {"quarter", 5}});
      },
      ErrorCode::invalid_argument, "quarter: must be 1..4");
  expect_error(
      [&] {
        service::call(*s, *admin, "bi.operation_report", {{"year", 2026}, {"quarter", 3}});
      },
      ErrorCode::failed_precondition, "quarter: OR-2026Q3 has not begun");
  expect_error(
      [&] {
        service::call(*s, *nurse, "bi.operation_report", {{"year", 2026}, {"quarter", 1}});
      },
      ErrorCode::permission_denied, "");
  EXPECT_EQ(Repository<bi::OperationReportRecord>(*s).count(), 1);
}

TEST_P(OperationReportTest, TheRecordBookListsTheYearBehindATableOfContents) {
  HQ_REQUIRE_STORE(s);
  quarter();
  service::call(*s, *admin, "bi.operation_report", {{"year", 2026}, {"quarter", 1}});
  const auto book = bi::record_book(*s, *admin, {2026});
  const auto year = Repository<repair::WorkOrder>(*s).count();
  EXPECT_EQ(static_cast<std::int64_t>(book.repairs.size()), year);
  EXPECT_EQ(book.hazards.size(), 2u);
  ASSERT_EQ(book.reports.size(), 1u);
  EXPECT_EQ(book.reports[0].code, "OR-2026Q1");
  std::int64_t done = 0;
  for (const auto& e : book.repairs) done += e.completed_at ? 1 : 0;
  EXPECT_EQ(done, 3);
  for (const auto& e : book.repairs) EXPECT_FALSE(e.location.empty()) << e.code;

  auto page = service::call(*s, *admin, "bi.record_book", {{"year", 2026}, {"format", "html"}});
  const std::string html = page["data"];
  EXPECT_NE(html.find("2026 年度维护保养及维修服务记录"), std::string::npos);
  EXPECT_NE(html.find("目录"), std::string::npos);
  EXPECT_NE(html.find("href=\"#repairs\""), std::string::npos);
  EXPECT_NE(html.find("id=\"repairs\""), std::string::npos);
  EXPECT_NE(html.find(book.repairs.front().code), std::string::npos);
  auto xlsx = service::call(*s, *admin, "bi.record_book", {{"year", 2026}, {"format", "xlsx"}});
  EXPECT_EQ(service::document_bytes(json::from_json<service::Document>(xlsx)).substr(0, 2), "PK");
  expect_error(
      [&] {
        service::call(*s, *admin, "bi.record_book", {{"year", 2027}});
      },
      ErrorCode::failed_precondition, "year: 2027 has not begun");
  expect_error(
      [&] {
        service::call(*s, *nurse, "bi.record_book", {{"year", 2026}});
      },
      ErrorCode::permission_denied, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, OperationReportTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
