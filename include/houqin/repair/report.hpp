// Repair reports: per team, technician, department, category or period, the counts, first
// response and resolution times, SLA compliance, MTTR and average rating of the orders reported
// in a time range; as JSON (described structs), CSV and an HTML page with inline SVG charts.
// Definitions are in docs/repair.md. Reads only the columns it needs, in one pass.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/store.hpp"

namespace houqin::repair {

BOOST_DEFINE_ENUM_CLASS(GroupBy, team, technician, department, category, period)
BOOST_DEFINE_ENUM_CLASS(Period, day, week, month)

struct ReportQuery {
  std::optional<Timestamp> from;  // reported_at >= from
  std::optional<Timestamp> to;    // reported_at < to
  GroupBy group_by = GroupBy::category;
  Period period = Period::month;          // for group_by period
  std::int32_t utc_offset_minutes = 480;  // local days, weeks and months
};

struct ReportRow {
  std::string key;  // the group: team, staff id, department id, category, or period start
  std::string label;
  std::int64_t reported = 0;
  std::int64_t completed = 0;  // completed, verified or closed
  std::int64_t cancelled = 0;
  std::int64_t open = 0;
  std::optional<double> avg_first_response_minutes;  // accepted_at - reported_at
  std::optional<double> avg_resolution_minutes;      // completed_at - reported_at
  std::optional<double> mttr_minutes;                // completed_at - started_at
  std::int64_t response_sla_measured = 0;
  std::int64_t response_sla_met = 0;
  std::optional<double> response_compliance;  // met / measured
  std::int64_t resolution_sla_measured = 0;
  std::int64_t resolution_sla_met = 0;
  std::optional<double> resolution_compliance;
  std::int64_t ratings = 0;
  std::optional<double> avg_rating;
};

struct Report {
  ReportQuery query;
  std::vector<ReportRow> rows;  // by key
  ReportRow total;
};

BOOST_DESCRIBE_STRUCT(ReportQuery, (), (from, to, group_by, period, utc_offset_minutes))
BOOST_DESCRIBE_STRUCT(ReportRow, (),
                      (key, label, reported, completed, cancelled, open, avg_first_response_minutes,
                       avg_resolution_minutes, mttr_minutes, response_sla_measured,
                       response_sla_met, response_compliance, resolution_sla_measured,
                       resolution_sla_met, resolution_compliance, ratings, avg_rating))
BOOST_DESCRIBE_STRUCT(Report, (), (query, rows, total))

/// The report (bi.read; a read without personal data: only failures are audited).
HOUQIN_EXPORT Report summarize(store::Store& store, const auth::Actor& actor,
                               const ReportQuery& query);
/// One line per row plus a total line; header first.
HOUQIN_EXPORT std::string to_csv(const Report& report);
/// A self-contained HTML page: a table per report, bars of counts per group of `by_group`, and a
/// line of counts over the periods of `trend` (a report grouped by period).
HOUQIN_EXPORT std::string to_html(const Report& by_group, const Report& trend,
                                  const std::string& title);

}  // namespace houqin::repair
