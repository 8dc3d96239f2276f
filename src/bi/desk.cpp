// The service desk's page (服务台): the snapshot as tiles, the warnings firing now and the last
// days' trend, from the counters; and a KPI series as a page.
#include <algorithm>
#include <map>

#include "houqin/bi/bi.hpp"
#include "houqin/core/chart.hpp"
#include "houqin/core/html.hpp"
#include "houqin/store/repository.hpp"
#include "page.hpp"

namespace houqin::bi {
namespace {

using page::fixed;
using page::shown;
using page::tiles;

}  // namespace

Desk Bi::desk(std::int32_t days) {
  if (days < 1 || days > 366) fail(ErrorCode::invalid_argument, "days: must be 1..366");
  Desk out;
  out.snapshot = snapshot();
  out.warnings = store::Repository<Warning>(store_).find(
      store::Query<Warning>().where_null(&Warning::cleared_at));
  std::stable_sort(out.warnings.begin(), out.warnings.end(), [](const auto& a, const auto& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);
  });
  const auto offset = std::chrono::minutes(store::settings<Rules>(store_).utc_offset_minutes);
  const Date today = std::chrono::floor<std::chrono::days>(out.snapshot.at + offset);
  const Date from = today - std::chrono::days(days - 1);
  for (Date d = from; d <= today; d += std::chrono::days(1)) out.days.push_back({.day = d});
  auto fill = [&](std::string_view kpi, auto&& set) {
    SeriesQuery q{std::string(kpi), from, today + std::chrono::days(1), Period::day, GroupBy::none};
    for (const auto& p : series(q).points) {
      const auto i = (parse_date(p.period) - from).count();
      if (i >= 0 && i < static_cast<long>(out.days.size()))
        set(out.days[static_cast<std::size_t>(i)], p);
    }
  };
  fill("repair.reported", [](DeskDay& d, const SeriesPoint& p) { d.reported = p.count; });
  fill("repair.resolved", [](DeskDay& d, const SeriesPoint& p) { d.resolved = p.count; });
  fill("hazard.reported", [](DeskDay& d, const SeriesPoint& p) { d.hazards_reported = p.count; });
  fill("inspection.done", [](DeskDay& d, const SeriesPoint& p) { d.inspections_done = p.count; });
  fill("inspection.missed",
       [](DeskDay& d, const SeriesPoint& p) { d.inspections_missed = p.count; });
  fill("waste.generated", [](DeskDay& d, const SeriesPoint& p) {
    d.waste_bags = p.count;
    d.waste_kg = static_cast<double>(p.sum) / 1000.0;
  });
  fill("alarm.raised", [](DeskDay& d, const SeriesPoint& p) { d.alarms_raised = p.count; });
  return out;
}

std::string to_csv(const Desk& desk) {
  return csv::write(std::span<const DeskDay>(desk.days));
}

std::string to_html(const Desk& desk) {
  const Snapshot& s = desk.snapshot;
  std::string out = html::page_start("服务台", "服务台 Service desk") + std::string(page::style);
  out += "<p>" + html_escape(format_timestamp(s.at)) + " · 本月自 " +
         html_escape(format_date(s.month_from)) + "</p>\n";
  out += "<h2>维修 Repairs</h2>\n" +
         tiles({{"未完成工单", std::to_string(s.work_orders_open)},
                {"超时工单", std::to_string(s.work_orders_overdue), s.work_orders_overdue > 0},
                {"本月报修", std::to_string(s.reported_this_month)},
                {"本月完成", std::to_string(s.resolved_this_month)},
                {"平均首次响应", shown(s.first_response_minutes, 1, " min")},
                {"平均修复时间 MTTR", shown(s.mttr_hours, 1, " h")},
                {"时限达标率", s.sla_compliance ? fixed(*s.sla_compliance * 100, 1) + " %" : "—",
                 s.sla_compliance && *s.sla_compliance < 0.9}});
  out += "<h2>设备 Equipment</h2>\n" +
         tiles({{"在用设备", std::to_string(s.assets_in_service)},
                {"故障停机", std::to_string(s.assets_down), s.assets_down > 0},
                {"本月故障", std::to_string(s.asset_failures_this_month)},
                {"MTBF", shown(s.mtbf_hours, 0, " h")},
                {"设备 MTTR", shown(s.equipment_mttr_hours, 1, " h")}});
  out += "<h2>安全与巡检 Safety and inspection</h2>\n" +
         tiles({{"未销号隐患", std::to_string(s.hazards_open)},
                {"逾期隐患", std::to_string(s.hazards_overdue), s.hazards_overdue > 0},
                {"未完成巡检", std::to_string(s.inspections_open)},
                {"本月漏检", std::to_string(s.inspections_missed_this_month),
                 s.inspections_missed_this_month > 0},
                {"巡检完成率",
                 s.inspection_completion ? fixed(*s.inspection_completion * 100, 1) + " %" : "—",
                 s.inspection_completion && *s.inspection_completion < 0.95}});
  out += "<h2>医废、告警、库存、满意度 Waste, alarms, stock, satisfaction</h2>\n" +
         tiles({{"本月医废袋数", std::to_string(s.waste_bags_this_month)},
                {"本月医废重量", fixed(s.waste_kg_this_month, 1) + " kg"},
                {"暂存间在存", std::to_string(s.waste_in_storage)},
                {"活动告警", std::to_string(s.alarms_active), s.alarms_active > 0},
                {"长期告警(>24 h)", std::to_string(s.alarms_standing), s.alarms_standing > 0},
                {"本月告警", std::to_string(s.alarms_raised_this_month)},
                {"本月告警泛滥", std::to_string(s.alarm_floods_this_month),
                 s.alarm_floods_this_month > 0},
                {"低于再订货点", std::to_string(s.stock_below_reorder), s.stock_below_reorder > 0},
                {"满意度", shown(s.satisfaction_score, 1, " %")}});

  out += "<h2>预警 Warnings firing</h2>\n";
  if (desk.warnings.empty()) {
    out += "<p>无 — none</p>\n";
  } else {
    out += "<table><tr><th>规则</th><th>级别</th><th>触发时间</th><th>值</th><th>说明</th></tr>\n";
    for (const auto& w : desk.warnings)
      out += std::string("<tr") + (w.severity == Severity::critical ? " class=\"critical\"" : "") +
             "><td>" + html_escape(w.rule) + "</td><td>" +
             html_escape(std::string(enum_name(w.severity))) + (w.silenced ? " (静默)" : "") +
             "</td><td>" + html_escape(format_timestamp(w.fired_at)) + "</td><td>" +
             shown(w.value, 2) + "</td><td style=\"text-align:left\">" + html_escape(w.message) +
             "</td></tr>\n";
    out += "</table>\n";
  }

  chart::LineOptions lo{.width = 760, .height = 240, .y_title = "per day"};
  chart::Series reported{.label = "报修 reported", .color = "#d5553a"};
  chart::Series resolved{.label = "完成 resolved", .color = "#2b7bb9"};
  chart::Series done{.label = "巡检 done", .color = "#2b7bb9"};
  chart::Series missed{.label = "漏检 missed", .color = "#d5553a"};
  chart::Series kg{.label = "医废 kg", .color = "#8a5ab5"};
  for (std::size_t i = 0; i < desk.days.size(); ++i) {
    const auto& d = desk.days[i];
    const double x = static_cast<double>(i);
    lo.x_labels.push_back(format_date(d.day).substr(5));
    reported.x.push_back(x), reported.y.push_back(static_cast<double>(d.reported));
    resolved.x.push_back(x), resolved.y.push_back(static_cast<double>(d.resolved));
    done.x.push_back(x), done.y.push_back(static_cast<double>(d.inspections_done));
    missed.x.push_back(x), missed.y.push_back(static_cast<double>(d.inspections_missed));
    kg.x.push_back(x), kg.y.push_back(d.waste_kg);
  }
  const chart::Series work[] = {reported, resolved};
  const chart::Series rounds[] = {done, missed};
  out += chart::figure("工单 Work orders per day", chart::lines(work, {}, lo));
  out += chart::figure("巡检 Inspections per day", chart::lines(rounds, {}, lo));
  out += chart::figure("医废 Medical waste per day (kg)", chart::lines(std::span(&kg, 1), {}, lo));
  out += "<h2>每日 By day</h2>\n" + html::table(std::span<const DeskDay>(desk.days));
  return out + html::page_end();
}

std::string to_csv(const Series& series) {
  return csv::write(std::span<const SeriesPoint>(series.points));
}

std::string to_html(const Series& series) {
  const auto& q = series.query;
  const std::string heading = "指标 KPI " + q.kpi;
  std::string out = html::page_start(heading, heading);
  out += "<p>" + html_escape(format_date(q.from)) + " — " + html_escape(format_date(q.to)) + " · " +
         std::string(enum_name(q.period)) + " · " + std::string(enum_name(q.group)) + "</p>\n";
  // One line per building or department (0: the whole hospital), over the periods found.
  std::vector<std::string> periods;
  for (const auto& p : series.points)
    if (std::find(periods.begin(), periods.end(), p.period) == periods.end())
      periods.push_back(p.period);
  std::sort(periods.begin(), periods.end());
  std::map<Id, chart::Series> lines;
  static constexpr const char* colors[] = {"#2b7bb9", "#d5553a", "#3a9d5d",
                                           "#8a5ab5", "#c9a227", "#555555"};
  for (const auto& p : series.points) {
    const Id key = q.group == GroupBy::building ? p.building_id : p.department_id;
    auto [it, fresh] = lines.try_emplace(key);
    if (fresh) {
      it->second.label = key == 0 ? "全院 all" : "#" + std::to_string(key);
      it->second.color = colors[(lines.size() - 1) % std::size(colors)];
    }
    const auto x = std::find(periods.begin(), periods.end(), p.period) - periods.begin();
    it->second.x.push_back(static_cast<double>(x));
    it->second.y.push_back(static_cast<double>(p.count));
  }
  std::vector<chart::Series> drawn;
  for (auto& [key, line] : lines)
    if (drawn.size() < std::size(colors)) drawn.push_back(std::move(line));
  chart::LineOptions lo{.width = 760, .height = 260, .y_title = "count"};
  lo.x_labels = periods;
  out += chart::figure(q.kpi, chart::lines(drawn, {}, lo));
  out += html::table(std::span<const SeriesPoint>(series.points));
  return out + html::page_end();
}

}  // namespace houqin::bi
