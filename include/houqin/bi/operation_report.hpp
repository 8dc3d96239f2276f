// The maintenance contract's two periodic documents.
//
// - The quarterly system operation report (系统运行报告, before every quarterly meeting): the
//   service's availability against the 8 h/year budget and its incidents with response and
//   recovery times, kept performance (latency and errors per operation), the audit log and its
//   chain, backups made and verified, integrity checks, the quarter's logistics figures, how much
//   each department used each module (系统推广), and the problems open at generation. Generated
//   from the stored records, kept as a record of its own (bi_operation_report, one per quarter,
//   a regeneration replaces it with the next revision), rendered as HTML with charts, PDF, XLSX.
// - The annual maintenance record book (全年维护保养及维修服务记录): every repair, maintenance and
//   inspection task, hazard, drill and operation report of a year in one document with a table
//   of contents.
//
// Both read across every domain and the host's ledgers; they need bi.operation_report (a system
// administrator's duty). docs/bi.md, "Operation reports".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/audit/audit.hpp"
#include "houqin/core/actor.hpp"
#include "houqin/host/availability.hpp"
#include "houqin/host/performance.hpp"
#include "houqin/service/document.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::bi {

struct QuarterInput {
  static constexpr std::array<std::string_view, 2> required_fields{"year", "quarter"};
  std::int32_t year = 0;
  std::int32_t quarter = 0;  // 1..4
};
BOOST_DESCRIBE_STRUCT(QuarterInput, (), (year, quarter))

/// The logistics figures of a span of days, from the KPI counters.
struct Figures {
  std::int64_t reported = 0;  // work orders
  std::int64_t resolved = 0;
  std::optional<double> sla_compliance;  // resolved within the SLA / resolved
  std::optional<double> first_response_minutes;
  std::optional<double> mttr_hours;
  std::int64_t asset_failures = 0;
  std::int64_t hazards_reported = 0;
  std::int64_t hazards_closed = 0;
  std::int64_t inspections_done = 0;
  std::int64_t inspections_missed = 0;
  std::optional<double> inspection_completion;  // done / (done + missed)
  std::int64_t waste_bags = 0;
  double waste_kg = 0;
  std::int64_t alarms_raised = 0;
  std::int64_t surveys_closed = 0;
  std::optional<double> satisfaction_score;  // mean of the closed surveys' scores, %
};
BOOST_DESCRIBE_STRUCT(Figures, (),
                      (reported, resolved, sla_compliance, first_response_minutes, mttr_hours,
                       asset_failures, hazards_reported, hazards_closed, inspections_done,
                       inspections_missed, inspection_completion, waste_bags, waste_kg,
                       alarms_raised, surveys_closed, satisfaction_score))

/// One month of the service's availability.
struct MonthAvailability {
  std::string month;  // "2026-10"
  double down_hours = 0;
  double budget_hours = 0;  // the yearly budget prorated to the month
  std::optional<double> availability;
};
BOOST_DESCRIBE_STRUCT(MonthAvailability, (), (month, down_hours, budget_hours, availability))

/// A backup, verification, restore, integrity check, key rotation or retention run, from the
/// audit log.
struct CareRecord {
  Timestamp time{};
  std::string action;  // protect.backup, protect.verify_backup, ...
  std::string actor;
  audit::Outcome outcome = audit::Outcome::success;
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(CareRecord, (), (time, action, actor, outcome, detail))

/// How much a department used a module: the changes its users made (audited actions).
struct ModuleUsage {
  std::string department;  // "" for service actors and users without one
  std::string module;      // the action's domain: repair, waste, inspection ...
  std::int64_t actions = 0;
  std::int64_t users = 0;  // distinct users
};
BOOST_DESCRIBE_STRUCT(ModuleUsage, (), (department, module, actions, users))

/// Something open when the report was made.
struct Problem {
  std::string kind;  // warning, incident, work_orders_overdue, hazards_overdue, ...
  std::string severity;
  std::string what;
  std::optional<Timestamp> since;
};
BOOST_DESCRIBE_STRUCT(Problem, (), (kind, severity, what, since))

struct OperationReport {
  std::string code;  // OR-2026Q4
  std::int32_t year = 0;
  std::int32_t quarter = 0;
  Date from{};  // local days, `to` exclusive
  Date to{};
  std::int32_t utc_offset_minutes = 480;
  Timestamp generated_at{};
  std::string generated_by;
  // Availability (host ledger).
  double service_down_hours = 0;
  double budget_hours = 0;
  double budget_left_hours = 0;
  bool within_budget = true;
  std::optional<double> service_availability;
  std::int64_t responded_in_time = 0;  // incidents taken on within 15 minutes
  std::int64_t responded_late = 0;
  std::optional<double> mean_recovery_minutes;
  // The audit log.
  std::int64_t audit_records = 0;
  std::int64_t audit_denied = 0;
  std::int64_t audit_failed = 0;
  bool audit_chain_ok = true;  // the whole chain verified at generation
  std::string audit_chain_problem;
  // Data care.
  std::int64_t backups = 0;
  std::int64_t backups_failed = 0;
  std::int64_t backups_verified = 0;
  std::int64_t verifications_failed = 0;
  std::int64_t restores = 0;
  std::int64_t integrity_checks = 0;
  std::optional<std::int64_t> last_integrity_findings;
  std::optional<Timestamp> last_backup_at;
  Figures figures;
  std::vector<MonthAvailability> months;
  std::vector<host::ComponentAvailability> components;
  std::vector<host::ServiceIncident> incidents;
  std::vector<host::OperationStats> performance;  // the busiest operations and store calls
  std::vector<CareRecord> care;
  std::vector<ModuleUsage> usage;
  std::vector<Problem> problems;
};
BOOST_DESCRIBE_STRUCT(OperationReport, (),
                      (code, year, quarter, from, to, utc_offset_minutes, generated_at,
                       generated_by, service_down_hours, budget_hours, budget_left_hours,
                       within_budget, service_availability, responded_in_time, responded_late,
                       mean_recovery_minutes, audit_records, audit_denied, audit_failed,
                       audit_chain_ok, audit_chain_problem, backups, backups_failed,
                       backups_verified, verifications_failed, restores, integrity_checks,
                       last_integrity_findings, last_backup_at, figures, months, components,
                       incidents, performance, care, usage, problems))

/// The stored record of a quarter's report: the report as it was generated.
struct OperationReportRecord {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // OR-2026Q4
  std::int32_t year = 0;
  std::int32_t quarter = 0;
  std::int32_t revision = 1;  // a regeneration replaces the report with the next revision
  Timestamp generated_at{};
  std::string generated_by;
  OperationReport report;
};
BOOST_DESCRIBE_STRUCT(OperationReportRecord, (),
                      (id, version, code, year, quarter, revision, generated_at, generated_by,
                       report))

/// Generates the quarter's report from the stored records (the quarter may still be running:
/// the report then covers it up to now) and stores it; needs bi.operation_report. Audited.
HOUQIN_EXPORT OperationReportRecord generate_operation_report(store::Store& store,
                                                              const auth::Actor& actor,
                                                              const QuarterInput& in);
/// The page: figures as tiles, charts of availability by month, usage by module and latency,
/// and every table.
HOUQIN_EXPORT std::string to_html(const OperationReport& report);

// ---- the annual record book ----

struct RepairEntry {
  std::string code;
  Timestamp reported_at{};
  std::string location;
  std::string category;
  std::string description;
  std::string status;
  std::string technician;
  std::optional<Timestamp> completed_at;
  std::int32_t labour_minutes = 0;
};
BOOST_DESCRIBE_STRUCT(RepairEntry, (),
                      (code, reported_at, location, category, description, status, technician,
                       completed_at, labour_minutes))

struct MaintenanceEntry {
  std::string code;
  std::string plan;
  std::string trigger;  // time, meter, condition
  Timestamp due_at{};
  std::string status;  // open, done, missed, exempt
  std::optional<Timestamp> completed_at;
  std::string completed_by;
  bool late = false;
  std::int64_t findings = 0;
  std::string note;  // the exemption's reason, the task's note
};
BOOST_DESCRIBE_STRUCT(MaintenanceEntry, (),
                      (code, plan, trigger, due_at, status, completed_at, completed_by, late,
                       findings, note))

struct HazardEntry {
  std::string code;
  std::string title;
  std::string grade;
  std::string location;
  Timestamp reported_at{};
  std::string status;
  std::optional<Timestamp> deadline;
  std::optional<Timestamp> closed_at;
};
BOOST_DESCRIBE_STRUCT(HazardEntry, (),
                      (code, title, grade, location, reported_at, status, deadline, closed_at))

struct DrillEntry {
  std::string plan_code;
  std::string kind;
  std::string status;
  Timestamp scheduled_for{};
  std::optional<Timestamp> held_at;
  std::optional<double> score;
  std::string outcome;
};
BOOST_DESCRIBE_STRUCT(DrillEntry, (),
                      (plan_code, kind, status, scheduled_for, held_at, score, outcome))

struct ReportEntry {
  std::string code;
  std::int32_t revision = 1;
  Timestamp generated_at{};
  double service_down_hours = 0;
  bool within_budget = true;
  std::int64_t backups = 0;
  std::int64_t problems = 0;
};
BOOST_DESCRIBE_STRUCT(ReportEntry, (),
                      (code, revision, generated_at, service_down_hours, within_budget, backups,
                       problems))

/// The year's maintenance record book.
struct RecordBook {
  std::int32_t year = 0;
  std::int32_t utc_offset_minutes = 480;
  Timestamp generated_at{};
  Figures figures;  // the year's
  double service_down_hours = 0;
  std::optional<double> service_availability;
  std::vector<RepairEntry> repairs;           // reported in the year
  std::vector<MaintenanceEntry> maintenance;  // inspection and PM tasks due in the year
  std::vector<HazardEntry> hazards;           // reported in the year
  std::vector<DrillEntry> drills;             // scheduled in the year
  std::vector<ReportEntry> reports;           // the year's quarterly operation reports
};
BOOST_DESCRIBE_STRUCT(RecordBook, (),
                      (year, utc_offset_minutes, generated_at, figures, service_down_hours,
                       service_availability, repairs, maintenance, hazards, drills, reports))

struct YearInput {
  static constexpr std::array<std::string_view, 1> required_fields{"year"};
  std::int32_t year = 0;
};
BOOST_DESCRIBE_STRUCT(YearInput, (), (year))

/// Collects the year's records; needs bi.operation_report. Audited.
HOUQIN_EXPORT RecordBook record_book(store::Store& store, const auth::Actor& actor,
                                     const YearInput& in);
/// The book as one page for print: a cover, a table of contents whose entries carry the page
/// numbers when printed (CSS target-counter), a chapter per kind of record, pages numbered.
HOUQIN_EXPORT std::string to_html(const RecordBook& book);

HOUQIN_EXPORT std::vector<store::Migration> operation_report_migrations();

}  // namespace houqin::bi

template <>
struct houqin::entity_traits<houqin::bi::OperationReportRecord> {
  static constexpr std::string_view table = "bi_operation_report";
  static constexpr std::string_view collection = "bi_operation_reports";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

// Instantiated once, in libhouqin (src/bi/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::bi::OperationReportRecord)
