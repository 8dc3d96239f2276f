// The quarterly system operation report and the annual maintenance record book (see
// operation_report.hpp): both gathered from stored records only -- the host's availability and
// performance ledgers, the audit log, the KPI counters and the domain tables.
#include "houqin/bi/operation_report.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/core/chart.hpp"
#include "houqin/core/html.hpp"
#include "houqin/emergency/model.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/inspection/model.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "page.hpp"

namespace houqin::bi {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool operation_report_tables_registered =
    store::register_tables<OperationReportRecord>("bi");
[[maybe_unused]] const bool operation_report_exposed = store::expose<OperationReportRecord>(
    {.read = "bi.operation_report", .write = "", .read_personal = ""});

constexpr std::string_view permission = "bi.operation_report";

Date first_of(int year, int month) {
  return Date(std::chrono::year_month_day(std::chrono::year(year),
                                          std::chrono::month(static_cast<unsigned>(month)),
                                          std::chrono::day(1)));
}

double hours_between(Timestamp a, Timestamp b) {
  return std::chrono::duration<double, std::ratio<3600>>(b - a).count();
}

using page::fixed;
using page::percent;
using page::tiles;

/// The figures of [from, to) from the KPI counters.
Figures figures_of(store::Store& s, Date from, Date to) {
  Bi bi(s);
  auto total = [&](std::string_view kpi) {
    std::pair<std::int64_t, std::int64_t> out{0, 0};
    for (const auto& p :
         bi.series({std::string(kpi), from, to, Period::year, GroupBy::none}).points) {
      out.first += p.count;
      out.second += p.sum;
    }
    return out;
  };
  auto mean = [](std::pair<std::int64_t, std::int64_t> t, double scale) -> std::optional<double> {
    if (t.first == 0) return std::nullopt;
    return static_cast<double>(t.second) / static_cast<double>(t.first) / scale;
  };
  Figures f;
  const auto resolved = total("repair.resolved");
  f.reported = total("repair.reported").first;
  f.resolved = resolved.first;
  if (resolved.first > 0)
    f.sla_compliance = static_cast<double>(total("repair.resolution_sla_met").first) /
                       static_cast<double>(resolved.first);
  f.first_response_minutes = mean(total("repair.responded"), 60);
  f.mttr_hours = mean(resolved, 3600);
  f.asset_failures = total("asset.failure").first;
  f.hazards_reported = total("hazard.reported").first;
  f.hazards_closed = total("hazard.closed").first;
  f.inspections_done = total("inspection.done").first;
  f.inspections_missed = total("inspection.missed").first;
  if (f.inspections_done + f.inspections_missed > 0)
    f.inspection_completion = static_cast<double>(f.inspections_done) /
                              static_cast<double>(f.inspections_done + f.inspections_missed);
  const auto waste = total("waste.generated");
  f.waste_bags = waste.first;
  f.waste_kg = static_cast<double>(waste.second) / 1000.0;
  f.alarms_raised = total("alarm.raised").first;
  f.surveys_closed = total("survey.closed").first;
  f.satisfaction_score = mean(total("survey.score"), 100);
  return f;
}

/// The leading number of "12 findings".
std::optional<std::int64_t> leading_number(const std::string& text) {
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') n = n * 10 + (text[i++] - '0');
  if (i == 0) return std::nullopt;
  return n;
}

const std::set<std::string, std::less<>>& care_actions() {
  static const std::set<std::string, std::less<>> actions{
      "protect.backup",      "protect.verify_backup", "protect.restore", "protect.integrity",
      "protect.rotate_keys", "protect.retention",     "audit.verify"};
  return actions;
}

/// The audit log of [from, to): counts, the data care records, the usage by department and
/// module. Read through a narrow projection: a quarter can hold millions of records.
void read_audit(store::Store& s, Timestamp from, Timestamp to, OperationReport& r) {
  std::map<Id, std::string> department_of_user;
  {
    std::map<Id, std::string> departments;
    for (const auto& d : Repository<site::Department>(s).find()) departments[d.id] = d.name;
    for (const auto& u : Repository<auth::User>(s).find())
      if (u.department_id) department_of_user[u.id] = departments[*u.department_id];
  }
  static const auto narrow =
      store::projection(store::table_info<audit::Record>(),
                        {"time", "actor", "user_id", "action", "outcome", "detail"});
  Query<audit::Record> q;
  q.where(&audit::Record::time, Op::ge, from).where(&audit::Record::time, Op::lt, to);
  q.order_by("time");
  struct Use {
    std::int64_t actions = 0;
    std::set<Id> users;
  };
  std::map<std::pair<std::string, std::string>, Use> usage;
  s.select_rows(narrow, q.spec(), [&](std::span<const store::Cell> row) {
    ++r.audit_records;
    const std::string& outcome = row[4].s;
    const std::string& action = row[3].s;
    if (outcome == "denied") ++r.audit_denied;
    if (outcome == "failed") ++r.audit_failed;
    const bool ok = outcome == "success";
    if (care_actions().count(action)) {
      const Timestamp at{std::chrono::microseconds(row[0].i)};
      r.care.push_back(
          {at, action, row[1].s,
           ok ? audit::Outcome::success
              : (outcome == "denied" ? audit::Outcome::denied : audit::Outcome::failed),
           row[5].s});
      if (action == "protect.backup") {
        ++(ok ? r.backups : r.backups_failed);
        if (ok) r.last_backup_at = at;
      } else if (action == "protect.verify_backup") {
        ++(ok ? r.backups_verified : r.verifications_failed);
      } else if (action == "protect.restore" && ok) {
        ++r.restores;
      } else if (action == "protect.integrity" && ok) {
        ++r.integrity_checks;
        r.last_integrity_findings = leading_number(row[5].s);
      }
    }
    if (!ok || row[2].null) return;  // usage: what people did
    const Id user = row[2].i;
    const auto dot = action.find('.');
    auto it = department_of_user.find(user);
    auto& u =
        usage[{it == department_of_user.end() ? std::string() : it->second, action.substr(0, dot)}];
    ++u.actions;
    u.users.insert(user);
  });
  for (const auto& [key, u] : usage)
    r.usage.push_back(
        {key.first, key.second, u.actions, static_cast<std::int64_t>(u.users.size())});
  std::stable_sort(r.usage.begin(), r.usage.end(),
                   [](const auto& a, const auto& b) { return a.actions > b.actions; });
}

void find_problems(store::Store& s, OperationReport& r) {
  for (const auto& w :
       Repository<Warning>(s).find(Query<Warning>().where_null(&Warning::cleared_at)))
    r.problems.push_back({"warning", std::string(enum_name(w.severity)),
                          w.rule + ": " + w.message + (w.silenced ? " (silenced)" : ""),
                          w.fired_at});
  for (const auto& i : Repository<host::ServiceIncident>(s).find(
           Query<host::ServiceIncident>().where_null(&host::ServiceIncident::recovered_at)))
    r.problems.push_back(
        {"incident", "critical", i.code + " " + i.component + " down: " + i.reason, i.detected_at});
  for (const auto& i : r.incidents)  // the quarter's
    if (i.recovered_at && !i.responded_at)
      r.problems.push_back({"incident_unanswered", "warning",
                            i.code + " " + i.component + ": nobody recorded a response",
                            i.detected_at});
  const auto snap = Bi(s).snapshot();
  auto gauge = [&](std::string kind, std::int64_t n, std::string what, std::string severity) {
    if (n > 0)
      r.problems.push_back({std::move(kind), std::move(severity),
                            std::to_string(n) + " " + std::move(what), std::nullopt});
  };
  gauge("work_orders_overdue", snap.work_orders_overdue, "work orders open past their SLA",
        "warning");
  gauge("hazards_overdue", snap.hazards_overdue, "hazards open past their deadline", "critical");
  gauge("assets_down", snap.assets_down, "assets with a fault open", "warning");
  gauge("stock_below_reorder", snap.stock_below_reorder, "stock items at or below reorder point",
        "notice");
  gauge("alarms_active", snap.alarms_active, "alarms active", "warning");
  const auto dead = Repository<host::DeadLetter>(s).count(
      Query<host::DeadLetter>().where_null(&host::DeadLetter::replayed_at));
  gauge("dead_letters", dead, "events parked by a consumer and not replayed", "warning");
  if (!r.audit_chain_ok)
    r.problems.push_back({"audit_chain", "critical", r.audit_chain_problem, std::nullopt});
  if (!r.within_budget)
    r.problems.push_back({"downtime_budget", "critical",
                          "downtime " + fixed(r.service_down_hours, 2) + " h over the budget of " +
                              fixed(r.budget_hours, 2) + " h",
                          std::nullopt});
  if (r.backups == 0)
    r.problems.push_back({"no_backup", "critical", "no backup made this quarter", std::nullopt});
  else if (r.backups_verified == 0)
    r.problems.push_back(
        {"backup_unverified", "warning", "no backup verified this quarter", std::nullopt});
  if (r.last_integrity_findings.value_or(0) > 0)
    r.problems.push_back(
        {"integrity", "warning",
         std::to_string(*r.last_integrity_findings) + " findings in the last integrity check",
         std::nullopt});
}

Date local_day(Timestamp t, std::int32_t offset_minutes) {
  return std::chrono::floor<std::chrono::days>(t + std::chrono::minutes(offset_minutes));
}

}  // namespace

std::vector<store::Migration> operation_report_migrations() {
  return {{"bi", 3, "the quarterly operation reports, kept as records",
           [](store::Store& s) { store::create_table<OperationReportRecord>(s); }}};
}

OperationReportRecord generate_operation_report(store::Store& store, const auth::Actor& actor,
                                                const QuarterInput& in) {
  return audit::audited(store, actor, "bi.operation_report", [&](audit::Call& call) {
    call.require(permission);
    if (in.quarter < 1 || in.quarter > 4)
      fail(ErrorCode::invalid_argument, "quarter: must be 1..4");
    if (in.year < 2000 || in.year > 2200)
      fail(ErrorCode::invalid_argument, "year: must be 2000..2200");
    OperationReport r;
    r.year = in.year;
    r.quarter = in.quarter;
    r.code = "OR-" + std::to_string(in.year) + "Q" + std::to_string(in.quarter);
    r.utc_offset_minutes = store::settings<Rules>(store).utc_offset_minutes;
    const auto offset = std::chrono::minutes(r.utc_offset_minutes);
    r.from = first_of(in.year, (in.quarter - 1) * 3 + 1);
    r.to = in.quarter == 4 ? first_of(in.year + 1, 1) : first_of(in.year, in.quarter * 3 + 1);
    r.generated_at = store.clock().now();
    r.generated_by = actor.label();
    const Timestamp from = Timestamp(r.from) - offset, to = Timestamp(r.to) - offset;
    if (r.generated_at <= from)
      fail(ErrorCode::failed_precondition,
           "quarter: " + r.code + " has not begun (it starts " + format_date(r.from) + ")");
    const Timestamp until = std::min(to, r.generated_at);

    // Availability, the quarter's and each month's.
    const auto a = host::availability_report(store, {from, until, 8, 15});
    r.service_down_hours = a.service_down_hours;
    r.budget_hours = a.budget_hours;
    r.budget_left_hours = a.budget_left_hours;
    r.within_budget = a.within_budget;
    r.service_availability = 1.0 - a.service_down_hours / hours_between(from, until);
    r.responded_in_time = a.responded_in_time;
    r.responded_late = a.responded_late;
    r.mean_recovery_minutes = a.mean_recovery_minutes;
    r.components = a.components;
    r.incidents = a.incidents;
    for (int m = 0; m < 3; ++m) {
      const int month = (in.quarter - 1) * 3 + 1 + m;
      const Date d0 = first_of(in.year, month);
      const Date d1 = month == 12 ? first_of(in.year + 1, 1) : first_of(in.year, month + 1);
      const Timestamp m0 = Timestamp(d0) - offset, m1 = std::min(Timestamp(d1) - offset, until);
      if (m1 <= m0) break;
      const auto ma = host::availability_report(store, {m0, m1, 8, 15});
      r.months.push_back({format_date(d0).substr(0, 7), ma.service_down_hours, ma.budget_hours,
                          1.0 - ma.service_down_hours / hours_between(m0, m1)});
    }

    // Performance kept by the platform host, the busiest 25.
    r.performance = host::operation_stats(store, r.from, r.to);
    if (r.performance.size() > 25) r.performance.resize(25);

    // The audit log and its chain, data care, usage.
    read_audit(store, from, to, r);
    const auto chain = audit::verify_chain(store);
    r.audit_chain_ok = chain.ok;
    r.audit_chain_problem = chain.problem;
    // A technical drill of the recovery plan restores a backup and checks it: a verification.
    for (const auto& d : Repository<emergency::Drill>(store).find(
             Query<emergency::Drill>()
                 .where(&emergency::Drill::kind, Op::eq, emergency::DrillKind::technical)
                 .where(&emergency::Drill::status, Op::eq, emergency::DrillStatus::done)))
      if (d.held_at && *d.held_at >= from && *d.held_at < to) {
        ++r.backups_verified;
        r.care.push_back({*d.held_at, "emergency.recovery_drill", d.recorded_by,
                          audit::Outcome::success, d.outcome});
      }
    std::stable_sort(r.care.begin(), r.care.end(),
                     [](const auto& x, const auto& y) { return x.time < y.time; });

    r.figures = figures_of(store, r.from, r.to);
    find_problems(store, r);

    Repository<OperationReportRecord> records(store);
    auto record = records.find_one(
        Query<OperationReportRecord>().where(&OperationReportRecord::code, Op::eq, r.code));
    if (record) {
      ++record->revision;
    } else {
      record.emplace();
      record->code = r.code;
      record->year = r.year;
      record->quarter = r.quarter;
    }
    record->generated_at = r.generated_at;
    record->generated_by = r.generated_by;
    record->report = r;
    if (record->id == 0)
      records.insert(*record);
    else
      records.update(*record);
    call.record(entity_traits<OperationReportRecord>::table, record->id, std::nullopt, std::nullopt,
                r.code + " revision " + std::to_string(record->revision) + ": " +
                    std::to_string(r.problems.size()) + " open problems");
    return *record;
  });
}

std::string to_html(const OperationReport& r) {
  const std::string title =
      "系统运行报告 " + std::to_string(r.year) + " 年第 " + std::to_string(r.quarter) + " 季度";
  std::string out = html::page_start(title, title) + std::string(page::style);
  out += "<p>" + html_escape(r.code) + " · " + html_escape(format_date(r.from)) + " — " +
         html_escape(format_date(r.to)) + " · 生成 " +
         html_escape(format_timestamp(r.generated_at)) + " · " + html_escape(r.generated_by) +
         "</p>\n";

  out += "<h2>可用性 Availability</h2>\n" +
         tiles({{"服务可用率", percent(r.service_availability, 3)},
                {"停机时长", fixed(r.service_down_hours, 2) + " h"},
                {"停机预算(季度)", fixed(r.budget_hours, 2) + " h"},
                {"预算内", r.within_budget ? "是" : "否"},
                {"15 分钟内响应", std::to_string(r.responded_in_time)},
                {"超时或未响应", std::to_string(r.responded_late)},
                {"平均恢复(分钟)",
                 r.mean_recovery_minutes ? fixed(*r.mean_recovery_minutes, 1) : "—"}});
  std::vector<chart::Bar> down;
  for (const auto& m : r.months) down.push_back({m.month + " 停机 h", m.down_hours});
  for (const auto& m : r.months) down.push_back({m.month + " 预算 h", m.budget_hours});
  out += chart::figure("停机与预算 Downtime and budget by month (h)", chart::bars(down));
  out += html::table(std::span<const MonthAvailability>(r.months));
  out += "<h3>组件 Components</h3>\n" +
         html::table(std::span<const host::ComponentAvailability>(r.components));
  out += "<h3>服务事件 Service incidents</h3>\n" +
         html::table(std::span<const host::ServiceIncident>(r.incidents));

  out += "<h2>性能 Performance</h2>\n";
  std::vector<chart::Bar> p95;
  for (const auto& o : r.performance)
    if (o.p95_ms && p95.size() < 12) p95.push_back({o.name, *o.p95_ms});
  if (!p95.empty())
    out += chart::figure("P95 延迟 latency of the busiest operations (ms)",
                         chart::bars(p95, {.width = 700, .label_width = 220}));
  out += html::table(std::span<const host::OperationStats>(r.performance));

  out += "<h2>安全审计与数据保护 Audit and data care</h2>\n" +
         tiles({{"审计记录", std::to_string(r.audit_records)},
                {"拒绝", std::to_string(r.audit_denied)},
                {"失败", std::to_string(r.audit_failed)},
                {"审计链", r.audit_chain_ok ? "完整" : "损坏"},
                {"备份", std::to_string(r.backups)},
                {"备份失败", std::to_string(r.backups_failed)},
                {"备份已验证", std::to_string(r.backups_verified)},
                {"恢复", std::to_string(r.restores)},
                {"完整性检查", std::to_string(r.integrity_checks)},
                {"最近检查发现",
                 r.last_integrity_findings ? std::to_string(*r.last_integrity_findings) : "—"}});
  out += html::table(std::span<const CareRecord>(r.care));

  const Figures& f = r.figures;
  out += "<h2>后勤业务 Logistics this quarter</h2>\n" +
         tiles({{"报修", std::to_string(f.reported)},
                {"完成", std::to_string(f.resolved)},
                {"时限达标率", percent(f.sla_compliance)},
                {"MTTR", f.mttr_hours ? fixed(*f.mttr_hours, 1) + " h" : "—"},
                {"设备故障", std::to_string(f.asset_failures)},
                {"隐患上报", std::to_string(f.hazards_reported)},
                {"隐患销号", std::to_string(f.hazards_closed)},
                {"巡检完成率", percent(f.inspection_completion)},
                {"医废", fixed(f.waste_kg, 1) + " kg"},
                {"告警", std::to_string(f.alarms_raised)},
                {"满意度", f.satisfaction_score ? fixed(*f.satisfaction_score, 1) + " %" : "—"}});

  out += "<h2>系统推广 Usage by module and department</h2>\n";
  std::map<std::string, double> by_module;
  for (const auto& u : r.usage) by_module[u.module] += static_cast<double>(u.actions);
  std::vector<chart::Bar> modules;
  for (const auto& [m, n] : by_module) modules.push_back({m, n});
  std::stable_sort(modules.begin(), modules.end(),
                   [](const auto& a, const auto& b) { return a.value > b.value; });
  if (!modules.empty())
    out += chart::figure("各模块操作数 Actions by module", chart::bars(modules));
  out += html::table(std::span<const ModuleUsage>(r.usage));

  out += "<h2>待解决问题 Open problems</h2>\n";
  out += r.problems.empty() ? std::string("<p>无 — none</p>\n")
                            : html::table(std::span<const Problem>(r.problems));
  return out + html::page_end();
}

RecordBook record_book(store::Store& store, const auth::Actor& actor, const YearInput& in) {
  return audit::audited(store, actor, "bi.record_book", [&](audit::Call& call) {
    call.require(permission);
    call.quiet();
    if (in.year < 2000 || in.year > 2200)
      fail(ErrorCode::invalid_argument, "year: must be 2000..2200");
    RecordBook b;
    b.year = in.year;
    b.utc_offset_minutes = store::settings<Rules>(store).utc_offset_minutes;
    b.generated_at = store.clock().now();
    const auto offset = std::chrono::minutes(b.utc_offset_minutes);
    const Date d0 = first_of(in.year, 1), d1 = first_of(in.year + 1, 1);
    const Timestamp from = Timestamp(d0) - offset, to = Timestamp(d1) - offset;
    if (b.generated_at <= from)
      fail(ErrorCode::failed_precondition, "year: " + std::to_string(in.year) + " has not begun");
    b.figures = figures_of(store, d0, d1);
    const Timestamp until = std::min(to, b.generated_at);
    const auto a = host::availability_report(store, {from, until, 8, 15});
    b.service_down_hours = a.service_down_hours;
    b.service_availability = 1.0 - a.service_down_hours / hours_between(from, until);

    std::map<Id, std::string> rooms, buildings, staff, plans;
    for (const auto& x : Repository<site::Room>(store).find()) rooms[x.id] = x.code + " " + x.name;
    for (const auto& x : Repository<site::Building>(store).find()) buildings[x.id] = x.name;
    for (const auto& x : Repository<site::Staff>(store).find()) staff[x.id] = x.name;
    for (const auto& x : Repository<inspection::Plan>(store).find()) plans[x.id] = x.name;
    auto name = [](const std::map<Id, std::string>& m, const std::optional<Id>& id) {
      if (!id) return std::string();
      auto it = m.find(*id);
      return it == m.end() ? "#" + std::to_string(*id) : it->second;
    };

    for (const auto& w : Repository<repair::WorkOrder>(store).find(
             Query<repair::WorkOrder>()
                 .where(&repair::WorkOrder::reported_at, Op::ge, from)
                 .where(&repair::WorkOrder::reported_at, Op::lt, to)
                 .order_by("reported_at")))
      b.repairs.push_back({w.code, w.reported_at,
                           w.room_id ? name(rooms, w.room_id) : name(buildings, w.building_id),
                           w.category, w.description, std::string(enum_name(w.status)),
                           name(staff, w.technician_id), w.completed_at, w.labour_minutes});
    for (const auto& t : Repository<inspection::Task>(store).find(
             Query<inspection::Task>()
                 .where(&inspection::Task::due_at, Op::ge, from)
                 .where(&inspection::Task::due_at, Op::lt, to)
                 .order_by("due_at")))
      b.maintenance.push_back(
          {t.code, name(plans, t.plan_id), std::string(enum_name(t.trigger)), t.due_at,
           std::string(enum_name(t.status)), t.completed_at, t.completed_by, t.late, t.findings,
           t.exempt_reason
               ? std::string(enum_name(*t.exempt_reason)) + (t.note.empty() ? "" : ": " + t.note)
               : t.note});
    for (const auto& h : Repository<hazard::Hazard>(store).find(
             Query<hazard::Hazard>()
                 .where(&hazard::Hazard::reported_at, Op::ge, from)
                 .where(&hazard::Hazard::reported_at, Op::lt, to)
                 .order_by("reported_at")))
      b.hazards.push_back({h.code, h.title, std::string(enum_name(h.grade)),
                           h.room_id ? name(rooms, h.room_id) : h.location, h.reported_at,
                           std::string(enum_name(h.status)), h.deadline, h.closed_at});
    for (const auto& d : Repository<emergency::Drill>(store).find(
             Query<emergency::Drill>()
                 .where(&emergency::Drill::scheduled_for, Op::ge, from)
                 .where(&emergency::Drill::scheduled_for, Op::lt, to)
                 .order_by("scheduled_for")))
      b.drills.push_back({d.plan_code, std::string(enum_name(d.kind)),
                          std::string(enum_name(d.status)), d.scheduled_for, d.held_at,
                          d.score ? std::optional<double>(*d.score) : std::nullopt, d.outcome});
    for (const auto& rec : Repository<OperationReportRecord>(store).find(
             Query<OperationReportRecord>()
                 .where(&OperationReportRecord::year, Op::eq, in.year)
                 .order_by("quarter")))
      b.reports.push_back({rec.code, rec.revision, rec.generated_at, rec.report.service_down_hours,
                           rec.report.within_budget, rec.report.backups,
                           static_cast<std::int64_t>(rec.report.problems.size())});
    return b;
  });
}

std::string to_html(const RecordBook& b) {
  const std::string title = std::to_string(b.year) + " 年度维护保养及维修服务记录";
  std::string out = html::page_start(title, title) + std::string(page::style);
  out += "<p class=\"cover\">生成 " + html_escape(format_timestamp(b.generated_at)) + "</p>\n";
  struct Chapter {
    std::string id, heading;
    std::size_t rows;
  };
  const Chapter chapters[] = {
      {"summary", "一、年度概况 Summary", 0},
      {"repairs", "二、维修记录 Repairs", b.repairs.size()},
      {"maintenance", "三、维护保养与巡检 Maintenance and inspection", b.maintenance.size()},
      {"hazards", "四、安全隐患 Hazards", b.hazards.size()},
      {"drills", "五、应急演练 Drills", b.drills.size()},
      {"reports", "六、季度运行报告 Quarterly operation reports", b.reports.size()},
  };
  out += "<h2>目录 Contents</h2>\n<ul class=\"toc\">\n";
  for (const auto& c : chapters)
    out += "<li><a href=\"#" + c.id + "\">" + html_escape(c.heading) +
           (c.id == "summary" ? std::string() : " (" + std::to_string(c.rows) + ")") +
           "</a></li>\n";
  out += "</ul>\n";
  auto chapter = [&](const Chapter& c) {
    return "<h2 class=\"chapter\" id=\"" + c.id + "\">" + html_escape(c.heading) + "</h2>\n";
  };
  const Figures& f = b.figures;
  out += chapter(chapters[0]) + tiles({{"服务可用率", percent(b.service_availability, 3)},
                                       {"停机时长", fixed(b.service_down_hours, 2) + " h"},
                                       {"报修", std::to_string(f.reported)},
                                       {"完成", std::to_string(f.resolved)},
                                       {"时限达标率", percent(f.sla_compliance)},
                                       {"巡检完成", std::to_string(f.inspections_done)},
                                       {"漏检", std::to_string(f.inspections_missed)},
                                       {"隐患上报", std::to_string(f.hazards_reported)},
                                       {"隐患销号", std::to_string(f.hazards_closed)},
                                       {"医废", fixed(f.waste_kg, 1) + " kg"}});
  // Repairs per month, as bars.
  std::map<std::string, double> per_month;
  for (const auto& w : b.repairs)
    per_month[format_date(local_day(w.reported_at, b.utc_offset_minutes)).substr(0, 7)] += 1;
  std::vector<chart::Bar> months;
  for (const auto& [m, n] : per_month) months.push_back({m, n});
  if (!months.empty()) out += chart::figure("每月报修 Repairs by month", chart::bars(months));
  out += chapter(chapters[1]) + html::table(std::span<const RepairEntry>(b.repairs));
  out += chapter(chapters[2]) + html::table(std::span<const MaintenanceEntry>(b.maintenance));
  out += chapter(chapters[3]) + html::table(std::span<const HazardEntry>(b.hazards));
  out += chapter(chapters[4]) + html::table(std::span<const DrillEntry>(b.drills));
  out += chapter(chapters[5]) + html::table(std::span<const ReportEntry>(b.reports));
  return out + html::page_end();
}

}  // namespace houqin::bi
