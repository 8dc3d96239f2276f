// BI's reads (see bi.hpp): the KPI catalogue, the service desk's snapshot and a KPI as a series.
#include <chrono>
#include <cmath>
#include <map>

#include "houqin/bi/bi.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin::bi {
namespace {

using store::Op;
using store::Query;
using store::Repository;

const std::vector<Kpi>& kpi_table() {
  static const std::vector<Kpi> table = {
      {"repair.reported", false, "", "work orders reported"},
      {"repair.responded", false, "s",
       "work orders accepted (first response); sum: seconds from report"},
      {"repair.response_sla_met", false, "", "first responses within the response SLA"},
      {"repair.resolved", false, "s", "work orders completed; sum: seconds from report (MTTR)"},
      {"repair.resolution_sla_met", false, "", "completions within the resolution SLA"},
      {"repair.closed", false, "", "work orders closed"},
      {"repair.cancelled", false, "", "work orders cancelled"},
      {"repair.open", true, "", "work orders open now"},
      {"repair.overdue", true, "", "open work orders with a response or resolution SLA breached"},
      {"hazard.reported", false, "", "hazards reported"},
      {"hazard.closed", false, "", "hazards closed (销号)"},
      {"hazard.cancelled", false, "", "hazard reports cancelled"},
      {"hazard.open", true, "", "hazards open now"},
      {"hazard.overdue", true, "", "open hazards escalated as overdue"},
      {"inspection.issued", false, "", "inspection and PM tasks issued"},
      {"inspection.due", false, "", "tasks due"},
      {"inspection.done", false, "", "tasks done"},
      {"inspection.missed", false, "", "tasks missed (window closed undone)"},
      {"inspection.exempt", false, "", "tasks exempted with a reason"},
      {"inspection.open", true, "", "tasks open now"},
      {"waste.generated", false, "g", "medical waste bags produced; sum: grams"},
      {"waste.generated:<category>", false, "g", "the same for one category of the catalogue"},
      {"waste.in_storage", true, "", "bags in the temporary store now"},
      {"alarm.raised", false, "", "alarm episodes raised"},
      {"alarm.active", true, "", "alarms active now"},
      {"alarm.flood", false, "",
       "10-minute intervals with more than 10 alarms raised (ISA-18.2 flood); sum: the alarms"},
      {"stock.below_reorder", true, "", "stock items at or below their reorder point"},
      {"asset.failure", false, "", "unplanned equipment faults started"},
      {"asset.repaired", false, "s", "unplanned faults ended; sum: seconds of downtime"},
      {"asset.down", true, "", "assets with a fault open now"},
      {"asset.in_service", true, "", "assets installed and not scrapped (the fleet)"},
      {"survey.closed", false, "", "satisfaction surveys closed"},
      {"survey.score", false, "0.01 %",
       "closed surveys with a shown score; sum: the overall weighted % x 100"},
  };
  return table;
}

struct Sum {
  std::int64_t count = 0;
  std::int64_t sum = 0;
};

Sum total(store::Store& s, const std::string& kpi, Date from, std::optional<Date> to = {}) {
  Query<Counter> q;
  q.where(&Counter::kpi, Op::eq, kpi).where(&Counter::day, Op::ge, from);
  if (to) q.where(&Counter::day, Op::lt, *to);
  // Only the two numbers are read: the service desk adds up thousands of counters a month.
  static const auto narrow = store::projection(
      store::table_info<Counter>(), {"count", "sum", "kpi", "day", "building_id", "department_id"});
  Sum out;
  s.select_rows(narrow, q.spec(), [&](std::span<const store::Cell> row) {
    out.count += row[0].i;
    out.sum += row[1].i;
  });
  return out;
}

/// Active alarms whose episode was raised before `before`: the active episodes (one row per
/// point and kind), then their raises before then in one query (episodes are unique across
/// points; the history is indexed by episode).
std::int64_t standing_alarms(store::Store& s, Timestamp before) {
  using telemetry::AlarmEvent;
  using telemetry::AlarmRecord;
  std::vector<std::int64_t> episodes;
  for (const auto& r : Repository<AlarmRecord>(s).find(
           Query<AlarmRecord>().where(&AlarmRecord::active, Op::eq, true)))
    if (r.episode > 0) episodes.push_back(r.episode);
  if (episodes.empty()) return 0;
  return Repository<AlarmEvent>(s).count(
      Query<AlarmEvent>()
          .where_in(&AlarmEvent::episode, episodes)
          .where(&AlarmEvent::from_state, Op::eq, telemetry::AlarmState::normal)
          .where(&AlarmEvent::to_state, Op::ne, telemetry::AlarmState::normal)
          .where(&AlarmEvent::time, Op::lt, before));
}

Sum gauge(store::Store& s, const std::string& kpi) {
  return total(s, kpi, gauge_day, gauge_day + std::chrono::days(1));
}

std::string period_label(Date d, Period p) {
  const std::chrono::year_month_day ymd{d};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  char buf[32];
  switch (p) {
    case Period::day:
      return format_date(d);
    case Period::month:
      std::snprintf(buf, sizeof buf, "%04d-%02u", y, m);
      return buf;
    case Period::quarter:
      std::snprintf(buf, sizeof buf, "%04dQ%u", y, (m - 1) / 3 + 1);
      return buf;
    case Period::year:
      std::snprintf(buf, sizeof buf, "%04d", y);
      return buf;
  }
  return {};
}

bool known_kpi(const std::string& name) {
  for (const auto& k : kpi_table())
    if (k.name == name) return true;
  return name.rfind("waste.generated:", 0) == 0;
}

}  // namespace

std::span<const Kpi> catalogue() {
  return kpi_table();
}

Snapshot Bi::snapshot() {
  Snapshot out;
  out.at = store_.clock().now();
  const auto offset = std::chrono::minutes(store::settings<Rules>(store_).utc_offset_minutes);
  const Date today = std::chrono::floor<std::chrono::days>(out.at + offset);
  const std::chrono::year_month_day ymd{today};
  out.month_from = std::chrono::sys_days{ymd.year() / ymd.month() / 1};
  const auto from = out.month_from;
  out.work_orders_open = gauge(store_, "repair.open").count;
  out.work_orders_overdue = gauge(store_, "repair.overdue").count;
  out.reported_this_month = total(store_, "repair.reported", from).count;
  const auto responded = total(store_, "repair.responded", from);
  if (responded.count > 0)
    out.first_response_minutes =
        static_cast<double>(responded.sum) / static_cast<double>(responded.count) / 60.0;
  const auto resolved = total(store_, "repair.resolved", from);
  out.resolved_this_month = resolved.count;
  if (resolved.count > 0) {
    out.mttr_hours =
        static_cast<double>(resolved.sum) / static_cast<double>(resolved.count) / 3600.0;
    out.sla_compliance =
        static_cast<double>(total(store_, "repair.resolution_sla_met", from).count) /
        static_cast<double>(resolved.count);
  }
  out.assets_in_service = gauge(store_, "asset.in_service").count;
  out.assets_down = gauge(store_, "asset.down").count;
  out.asset_failures_this_month = total(store_, "asset.failure", from).count;
  const auto repaired = total(store_, "asset.repaired", from);
  if (repaired.count > 0)
    out.equipment_mttr_hours =
        static_cast<double>(repaired.sum) / static_cast<double>(repaired.count) / 3600.0;
  if (out.asset_failures_this_month > 0) {
    const double hours =
        std::chrono::duration<double>(out.at - (Timestamp(from) - offset)).count() / 3600.0;
    out.mtbf_hours = (static_cast<double>(out.assets_in_service) * hours -
                      static_cast<double>(repaired.sum) / 3600.0) /
                     static_cast<double>(out.asset_failures_this_month);
  }
  out.hazards_open = gauge(store_, "hazard.open").count;
  out.hazards_overdue = gauge(store_, "hazard.overdue").count;
  out.inspections_open = gauge(store_, "inspection.open").count;
  out.inspections_due_this_month = total(store_, "inspection.due", from).count;
  out.inspections_done_this_month = total(store_, "inspection.done", from).count;
  out.inspections_missed_this_month = total(store_, "inspection.missed", from).count;
  if (const auto judged = out.inspections_done_this_month + out.inspections_missed_this_month;
      judged > 0)
    out.inspection_completion =
        static_cast<double>(out.inspections_done_this_month) / static_cast<double>(judged);
  const auto waste = total(store_, "waste.generated", from);
  out.waste_bags_this_month = waste.count;
  out.waste_kg_this_month = static_cast<double>(waste.sum) / 1000.0;
  out.waste_in_storage = gauge(store_, "waste.in_storage").count;
  out.alarms_active = gauge(store_, "alarm.active").count;
  out.alarms_raised_this_month = total(store_, "alarm.raised", from).count;
  out.alarm_floods_this_month = total(store_, "alarm.flood", from).count;
  out.alarms_standing = standing_alarms(store_, out.at - std::chrono::hours(24));
  out.stock_below_reorder = gauge(store_, "stock.below_reorder").count;
  // The last closed survey with a shown score: the latest day's.
  if (auto last = Repository<Counter>(store_).find_one(
          Query<Counter>()
              .where(&Counter::kpi, Op::eq, std::string("survey.score"))
              .order_by(&Counter::day, true)))
    if (last->count > 0)
      out.satisfaction_score =
          static_cast<double>(last->sum) / static_cast<double>(last->count) / 100.0;
  return out;
}

Series Bi::series(const SeriesQuery& q) {
  if (!known_kpi(q.kpi)) {
    std::string names;
    for (const auto& k : kpi_table()) names += (names.empty() ? "" : ", ") + k.name;
    fail(ErrorCode::invalid_argument, "kpi: unknown '" + q.kpi + "' (known: " + names + ")");
  }
  if (q.to <= q.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  Series out;
  out.query = q;
  bool gauge_kpi = false;
  for (const auto& k : kpi_table())
    if (k.name == q.kpi) {
      out.sum_unit = k.sum_unit;
      gauge_kpi = k.gauge;
    }
  if (q.kpi.rfind("waste.generated:", 0) == 0) out.sum_unit = "g";
  Query<Counter> query;
  query.where(&Counter::kpi, Op::eq, q.kpi);
  if (gauge_kpi) {
    query.where(&Counter::day, Op::eq, gauge_day);
  } else {
    query.where(&Counter::day, Op::ge, q.from).where(&Counter::day, Op::lt, q.to);
  }
  std::map<std::tuple<std::string, Id, Id>, Sum> cells;
  for (const auto& c : Repository<Counter>(store_).find(query)) {
    const auto label = gauge_kpi ? std::string("now") : period_label(c.day, q.period);
    const Id b = q.group == GroupBy::building ? c.building_id : 0;
    const Id d = q.group == GroupBy::department ? c.department_id : 0;
    auto& cell = cells[{label, b, d}];
    cell.count += c.count;
    cell.sum += c.sum;
  }
  for (const auto& [k, v] : cells) {
    SeriesPoint p;
    p.period = std::get<0>(k);
    p.building_id = std::get<1>(k);
    p.department_id = std::get<2>(k);
    p.count = v.count;
    p.sum = v.sum;
    if (!out.sum_unit.empty() && v.count > 0)
      p.mean = static_cast<double>(v.sum) / static_cast<double>(v.count);
    out.points.push_back(p);
  }
  return out;
}

}  // namespace houqin::bi
