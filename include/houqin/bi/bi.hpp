// BI (统计): KPIs over every domain, kept incrementally from the event log and equal to a rebuild
// from the tables. Each domain row is projected to the contributions it makes (a work order
// reported on a day in a building and department, resolved in so many seconds, open now, ...); an
// event about the row projects it again and applies the difference to the counters. The projection
// is the same function the rebuild runs over every row, so the two agree by construction, and an
// event handled twice changes nothing. On top: the service desk's snapshot (服务台) and any KPI as
// a series by day, month, quarter or year, per building or department.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "houqin/bi/model.hpp"
#include "houqin/core/actor.hpp"
#include "houqin/host/host.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin::bi {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// One KPI of the catalogue: its name, whether it is a gauge (what is open now; its counters sit
/// on gauge_day) or a tally by day, the unit of its sum, and what it counts.
struct Kpi {
  std::string name;
  bool gauge = false;
  std::string sum_unit;  // "" when the sum means nothing
  std::string what;
};
BOOST_DESCRIBE_STRUCT(Kpi, (), (name, gauge, sum_unit, what))
/// Every KPI BI keeps (docs/bi.md lists them).
HOUQIN_EXPORT std::span<const Kpi> catalogue();

BOOST_DEFINE_ENUM_CLASS(Period, day, month, quarter, year)
BOOST_DEFINE_ENUM_CLASS(GroupBy, none, building, department)

struct SeriesQuery {
  static constexpr std::array<std::string_view, 3> required_fields{"kpi", "from", "to"};
  std::string kpi;
  Date from{};
  Date to{};  // exclusive
  Period period = Period::month;
  GroupBy group = GroupBy::none;
};
BOOST_DESCRIBE_STRUCT(SeriesQuery, (), (kpi, from, to, period, group))

struct SeriesPoint {
  std::string period;  // "2026-03-02", "2026-03", "2026Q1", "2026"
  Id building_id = 0;
  Id department_id = 0;
  std::int64_t count = 0;
  std::int64_t sum = 0;
  std::optional<double> mean;  // sum / count, in the sum's unit
};
BOOST_DESCRIBE_STRUCT(SeriesPoint, (), (period, building_id, department_id, count, sum, mean))

struct Series {
  SeriesQuery query;
  std::string sum_unit;
  std::vector<SeriesPoint> points;  // by period, then building or department
};
BOOST_DESCRIBE_STRUCT(Series, (), (query, sum_unit, points))

/// The service desk (服务台): what is open now and this month so far, over every module.
struct Snapshot {
  Timestamp at{};
  Date month_from{};
  std::int64_t work_orders_open = 0;
  std::int64_t work_orders_overdue = 0;  // open with a response or resolution SLA breached
  std::int64_t reported_this_month = 0;
  std::int64_t resolved_this_month = 0;
  std::optional<double> first_response_minutes;  // mean, this month
  std::optional<double> mttr_hours;              // mean time to resolve, this month
  std::optional<double> sla_compliance;          // resolved within the SLA / resolved
  std::int64_t assets_in_service = 0;            // installed and not scrapped
  std::int64_t assets_down = 0;                  // with a fault open now
  std::int64_t asset_failures_this_month = 0;    // unplanned faults started
  /// Mean time between failures this month: the fleet's operating hours so far this month less
  /// the downtime repaired in it, over the failures.
  std::optional<double> mtbf_hours;
  std::optional<double> equipment_mttr_hours;  // mean downtime of the faults repaired this month
  std::int64_t hazards_open = 0;
  std::int64_t hazards_overdue = 0;
  std::int64_t inspections_open = 0;
  std::int64_t inspections_due_this_month = 0;
  std::int64_t inspections_done_this_month = 0;
  std::int64_t inspections_missed_this_month = 0;
  std::optional<double> inspection_completion;  // done / (done + missed), this month
  std::int64_t waste_bags_this_month = 0;
  double waste_kg_this_month = 0;
  std::int64_t waste_in_storage = 0;
  std::int64_t alarms_active = 0;
  /// Active alarms raised more than 24 h ago (standing; ISA-18.2 calls them stale): read from
  /// the alarm tables at the snapshot, not a counter, since they become standing by time alone.
  std::int64_t alarms_standing = 0;
  std::int64_t alarms_raised_this_month = 0;
  std::int64_t alarm_floods_this_month = 0;  // 10-minute intervals with more than 10 raised
  std::int64_t stock_below_reorder = 0;
  std::optional<double> satisfaction_score;  // the last closed survey's overall weighted %
};
BOOST_DESCRIBE_STRUCT(Snapshot, (),
                      (at, month_from, work_orders_open, work_orders_overdue, reported_this_month,
                       resolved_this_month, first_response_minutes, mttr_hours, sla_compliance,
                       assets_in_service, assets_down, asset_failures_this_month, mtbf_hours,
                       equipment_mttr_hours, hazards_open, hazards_overdue, inspections_open,
                       inspections_due_this_month, inspections_done_this_month,
                       inspections_missed_this_month, inspection_completion, waste_bags_this_month,
                       waste_kg_this_month, waste_in_storage, alarms_active, alarms_standing,
                       alarms_raised_this_month, alarm_floods_this_month, stock_below_reorder,
                       satisfaction_score))

/// One day on the service desk's trend.
struct DeskDay {
  Date day{};
  std::int64_t reported = 0;  // work orders
  std::int64_t resolved = 0;
  std::int64_t hazards_reported = 0;
  std::int64_t inspections_done = 0;
  std::int64_t inspections_missed = 0;
  std::int64_t waste_bags = 0;
  double waste_kg = 0;
  std::int64_t alarms_raised = 0;
};
BOOST_DESCRIBE_STRUCT(DeskDay, (),
                      (day, reported, resolved, hazards_reported, inspections_done,
                       inspections_missed, waste_bags, waste_kg, alarms_raised))

/// The service desk's page: the snapshot, the warnings firing now and the last days' trend.
struct Desk {
  Snapshot snapshot;
  std::vector<Warning> warnings;  // not cleared, most severe first
  std::vector<DeskDay> days;      // oldest first, today last
};
BOOST_DESCRIBE_STRUCT(Desk, (), (snapshot, warnings, days))

/// The service desk as a page: figure tiles (red where something needs attention), the warnings
/// firing, and charts of the last days; self-contained HTML with inline SVG.
HOUQIN_EXPORT std::string to_html(const Desk& desk);
/// The desk's days.
HOUQIN_EXPORT std::string to_csv(const Desk& desk);
/// A KPI series as a page: a line per building or department (or one), and its table.
HOUQIN_EXPORT std::string to_html(const Series& series);
HOUQIN_EXPORT std::string to_csv(const Series& series);

/// What a rebuild did.
struct RebuildReport {
  std::int64_t sources = 0;
  std::int64_t counters = 0;
};
BOOST_DESCRIBE_STRUCT(RebuildReport, (), (sources, counters))

// ---- warnings (预警) ----

struct SilenceInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "until", "reason"};
  std::string code;
  Timestamp until{};
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(SilenceInput, (), (code, until, reason))

/// What one check of the rules did.
struct CheckReport {
  std::int64_t checked = 0;
  std::int64_t fired = 0;
  std::int64_t cleared = 0;
  std::int64_t escalated = 0;
  std::int64_t notified = 0;  // messages queued
};
BOOST_DESCRIBE_STRUCT(CheckReport, (), (checked, fired, cleared, escalated, notified))

/// A rule started firing (its value and severity), cleared, or still fires past its escalation.
struct WarningRaised {
  static constexpr std::string_view aggregate = "bi_warning_rule";
  Id aggregate_id() const { return rule_id; }
  Id rule_id = 0;
  std::string code;
  Severity severity = Severity::warning;
  std::optional<double> value;
  bool silenced = false;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(WarningRaised, (), (rule_id, code, severity, value, silenced, at))
struct WarningCleared {
  static constexpr std::string_view aggregate = "bi_warning_rule";
  Id aggregate_id() const { return rule_id; }
  Id rule_id = 0;
  std::string code;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(WarningCleared, (), (rule_id, code, at))
struct WarningEscalated {
  static constexpr std::string_view aggregate = "bi_warning_rule";
  Id aggregate_id() const { return rule_id; }
  Id rule_id = 0;
  std::string code;
  std::optional<Id> staff_id;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(WarningEscalated, (), (rule_id, code, staff_id, at))

class HOUQIN_EXPORT Bi {
 public:
  explicit Bi(store::Store& store) : store_(store) {}

  // Projects one row again and applies the difference (the consumer calls these; idempotent).
  void refresh_work_order(Id id);
  void refresh_hazard(Id id);
  void refresh_task(Id id);
  void refresh_bag(Id id);
  void refresh_alarm(Id point_id, telemetry::AlarmKind kind, std::int64_t episode);
  /// Projects the 10-minute interval an alarm was raised in again (alarm.flood).
  void refresh_flood(Timestamp raised_at);
  void refresh_item(Id id);
  void refresh_survey(Id id);
  void refresh_fault(Id id);
  void refresh_asset(Id id);

  /// Drops every counter and projection and derives them again from the domain tables, in one
  /// transaction; needs bi.manage.
  RebuildReport rebuild(const auth::Actor& actor);

  Snapshot snapshot();
  Series series(const SeriesQuery& query);
  /// The service desk: the snapshot, the warnings firing and the last `days` local days.
  Desk desk(std::int32_t days = 30);

  /// Saves a warning rule (new or changed; its state is kept); needs bi.manage.
  WarningRule save_rule(const auth::Actor& actor, WarningRule rule);
  /// Silences a rule until a time, with the reason (audited); needs bi.manage.
  WarningRule silence(const auth::Actor& actor, const SilenceInput& in);
  /// Evaluates every active rule now: fires, clears and escalates, telling the staff named
  /// through notify (template bi_warning) unless silenced; needs bi.manage and notify.send.
  CheckReport check(const auth::Actor& actor);
  /// The value a rule measures now (nullopt: nothing to measure, e.g. a mean of no count).
  std::optional<double> measure(const WarningRule& rule);

 private:
  store::Store& store_;
};

/// BI's service actor (bi.manage, bi.read, notify.send): what the host's check runs as.
HOUQIN_EXPORT auth::Actor actor();
/// The host's job "bi.check": Bi::check every `every`.
HOUQIN_EXPORT host::Job check_job(std::chrono::milliseconds every);
inline constexpr std::string_view check_job_name = "bi.check";

/// The durable consumer "bi": every domain event that changes a KPI refreshes its row.
HOUQIN_EXPORT host::Consumer consumer();
inline constexpr std::string_view consumer_name = "bi";

}  // namespace houqin::bi
