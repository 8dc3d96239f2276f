#include "houqin/repair/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "houqin/audit/call.hpp"
#include "houqin/core/chart.hpp"
#include "houqin/core/html.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::repair {
namespace {

using store::Cell;

struct Acc {
  ReportRow row;
  double response_sum = 0, resolution_sum = 0, repair_sum = 0, rating_sum = 0;
  std::int64_t response_n = 0, resolution_n = 0, repair_n = 0;
};

void finish(Acc& a) {
  auto& r = a.row;
  if (a.response_n) r.avg_first_response_minutes = a.response_sum / double(a.response_n);
  if (a.resolution_n) r.avg_resolution_minutes = a.resolution_sum / double(a.resolution_n);
  if (a.repair_n) r.mttr_minutes = a.repair_sum / double(a.repair_n);
  if (r.response_sla_measured)
    r.response_compliance = double(r.response_sla_met) / double(r.response_sla_measured);
  if (r.resolution_sla_measured)
    r.resolution_compliance = double(r.resolution_sla_met) / double(r.resolution_sla_measured);
  if (r.ratings) r.avg_rating = a.rating_sum / double(r.ratings);
}

std::string period_key(std::int64_t reported_us, const ReportQuery& q) {
  using namespace std::chrono;
  auto local = Timestamp{microseconds{reported_us}} + minutes{q.utc_offset_minutes};
  auto day = floor<days>(local);
  if (q.period == Period::week) {
    unsigned wd = weekday{day}.iso_encoding();
    day -= days{wd - 1};
  }
  auto text = format_date(day);
  if (q.period == Period::month) text.resize(7);
  return text;
}

std::string fmt(const std::optional<double>& v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Report summarize(store::Store& store, const auth::Actor& actor, const ReportQuery& q) {
  return audit::audited(store, actor, "repair.report_summary", [&](audit::Call& call) {
    call.require("bi.read");
    call.quiet();
    // Only the columns the figures need, plus the one the rows are grouped by (index 9).
    std::vector<std::string_view> cols{
        "id",           "status",        "reported_at",       "accepted_at",        "started_at",
        "completed_at", "sla_policy_id", "response_breached", "resolution_breached"};
    switch (q.group_by) {
      case GroupBy::team:
        cols.push_back("team");
        break;
      case GroupBy::technician:
        cols.push_back("technician_id");
        break;
      case GroupBy::department:
        cols.push_back("department_id");
        break;
      case GroupBy::category:
        cols.push_back("category");
        break;
      case GroupBy::period:
        break;
    }
    const auto orders = store::projection(store::table_info<WorkOrder>(), cols);
    store::QuerySpec spec;
    Cell from, to;
    if (q.from) {
      from.i = q.from->time_since_epoch().count();
      spec.filters.push_back({"reported_at", store::Op::ge, {from}});
    }
    if (q.to) {
      to.i = q.to->time_since_epoch().count();
      spec.filters.push_back({"reported_at", store::Op::lt, {to}});
    }
    std::unordered_map<Id, int> scores;
    const auto ratings =
        store::projection(store::table_info<Rating>(), {"id", "work_order_id", "score"});
    store.select_rows(ratings, store::QuerySpec{},
                      [&](std::span<const Cell> r) { scores[r[1].i] = static_cast<int>(r[2].i); });

    std::map<std::string, Acc> groups;
    Acc total;
    auto add = [&](Acc& a, std::span<const Cell> r) {
      auto& row = a.row;
      ++row.reported;
      const std::string& status = r[1].s;
      std::int64_t reported = r[2].i;
      bool done = !r[5].null;
      if (done)
        ++row.completed;
      else if (status == "cancelled")
        ++row.cancelled;
      else
        ++row.open;
      if (!r[3].null) {
        a.response_sum += double(r[3].i - reported) / 60e6;
        ++a.response_n;
      }
      if (done) {
        a.resolution_sum += double(r[5].i - reported) / 60e6;
        ++a.resolution_n;
        if (!r[4].null) {
          a.repair_sum += double(r[5].i - r[4].i) / 60e6;
          ++a.repair_n;
        }
      }
      if (!r[6].null) {  // under an SLA
        bool resp_breached = r[7].i != 0, res_breached = r[8].i != 0;
        if (!r[3].null || resp_breached) {
          ++row.response_sla_measured;
          if (!resp_breached) ++row.response_sla_met;
        }
        if (done || res_breached) {
          ++row.resolution_sla_measured;
          if (!res_breached) ++row.resolution_sla_met;
        }
      }
      if (auto it = scores.find(r[0].i); it != scores.end()) {
        ++row.ratings;
        a.rating_sum += it->second;
      }
    };
    store.select_rows(orders, spec, [&](std::span<const Cell> r) {
      std::string key;
      switch (q.group_by) {
        case GroupBy::team:
        case GroupBy::category:
          key = r[9].s;
          break;
        case GroupBy::technician:
        case GroupBy::department:
          key = r[9].null ? std::string() : std::to_string(r[9].i);
          break;
        case GroupBy::period:
          key = period_key(r[2].i, q);
          break;
      }
      add(groups[key], r);
      add(total, r);
    });

    Report out;
    out.query = q;
    std::unordered_map<Id, std::string> names;
    if (q.group_by == GroupBy::technician) {
      const auto staff = store::projection(store::table_info<site::Staff>(), {"id", "name"});
      store.select_rows(staff, store::QuerySpec{},
                        [&](std::span<const Cell> r) { names[r[0].i] = r[1].s; });
    } else if (q.group_by == GroupBy::department) {
      for (const auto& d : store::Repository<site::Department>(store).find()) names[d.id] = d.name;
    }
    for (auto& [key, acc] : groups) {
      finish(acc);
      acc.row.key = key;
      acc.row.label = key.empty() ? "(none)" : key;
      if (!key.empty() && (q.group_by == GroupBy::technician || q.group_by == GroupBy::department))
        if (auto it = names.find(std::stoll(key)); it != names.end()) acc.row.label = it->second;
      out.rows.push_back(std::move(acc.row));
    }
    finish(total);
    total.row.key = "total";
    total.row.label = "total";
    out.total = std::move(total.row);
    return out;
  });
}

std::string to_csv(const Report& report) {
  std::string out =
      "key,label,reported,completed,cancelled,open,avg_first_response_minutes,"
      "avg_resolution_minutes,mttr_minutes,response_sla_measured,response_sla_met,"
      "response_compliance,resolution_sla_measured,resolution_sla_met,resolution_compliance,"
      "ratings,avg_rating\n";
  auto line = [&](const ReportRow& r) {
    out += csv_field(r.key) + "," + csv_field(r.label) + "," + std::to_string(r.reported) + "," +
           std::to_string(r.completed) + "," + std::to_string(r.cancelled) + "," +
           std::to_string(r.open) + "," + fmt(r.avg_first_response_minutes) + "," +
           fmt(r.avg_resolution_minutes) + "," + fmt(r.mttr_minutes) + "," +
           std::to_string(r.response_sla_measured) + "," + std::to_string(r.response_sla_met) +
           "," + fmt(r.response_compliance) + "," + std::to_string(r.resolution_sla_measured) +
           "," + std::to_string(r.resolution_sla_met) + "," + fmt(r.resolution_compliance) + "," +
           std::to_string(r.ratings) + "," + fmt(r.avg_rating) + "\n";
  };
  for (const auto& r : report.rows) line(r);
  line(report.total);
  return out;
}

namespace {

std::string table_html(const Report& r) {
  std::string out =
      "<table><tr><th>group</th><th>reported</th><th>completed</th><th>open</th>"
      "<th>first response (min)</th><th>resolution (min)</th><th>MTTR (min)</th>"
      "<th>response SLA</th><th>resolution SLA</th><th>rating</th></tr>\n";
  auto pct = [](const std::optional<double>& v) {
    return v ? fmt(std::optional<double>(*v * 100)) + " %" : std::string("-");
  };
  auto row = [&](const ReportRow& x) {
    out += "<tr><td>" + html_escape(x.label) + "</td><td>" + std::to_string(x.reported) +
           "</td><td>" + std::to_string(x.completed) + "</td><td>" + std::to_string(x.open) +
           "</td><td>" + fmt(x.avg_first_response_minutes) + "</td><td>" +
           fmt(x.avg_resolution_minutes) + "</td><td>" + fmt(x.mttr_minutes) + "</td><td>" +
           pct(x.response_compliance) + "</td><td>" + pct(x.resolution_compliance) + "</td><td>" +
           fmt(x.avg_rating) + "</td></tr>\n";
  };
  for (const auto& x : r.rows) row(x);
  row(r.total);
  return out + "</table>\n";
}

}  // namespace

std::string to_html(const Report& by_group, const Report& trend, const std::string& title) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                    html_escape(title) +
                    "</title><style>body{font-family:" + std::string(html::fonts) +
                    "}table{border-collapse:collapse}"
                    "td,th{border:1px solid #999;padding:2px 6px;text-align:right}</style>"
                    "</head><body>\n<h1>" +
                    html_escape(title) + "</h1>\n";
  // Bars: reported orders per group; a line: reported orders per period.
  std::vector<chart::Bar> bars;
  for (const auto& r : by_group.rows) bars.push_back({r.label, static_cast<double>(r.reported)});
  out += "<h2>Orders per " + std::string(enum_name(by_group.query.group_by)) + "</h2>\n" +
         chart::bars(bars) + "\n" + table_html(by_group);
  chart::Series reported{.label = "reported", .color = "#d5553a"};
  chart::LineOptions lo{.width = 640, .height = 220, .y_title = "orders"};
  for (std::size_t i = 0; i < trend.rows.size(); ++i) {
    reported.x.push_back(static_cast<double>(i));
    reported.y.push_back(static_cast<double>(trend.rows[i].reported));
    lo.x_labels.push_back(trend.rows[i].label);
  }
  out += "<h2>Trend per " + std::string(enum_name(trend.query.period)) + "</h2>\n" +
         chart::lines(std::span(&reported, 1), {}, lo) + "\n";
  out += table_html(trend) + "</body></html>\n";
  return out;
}

}  // namespace houqin::repair
