// The compliance report as CSV and as an HTML page with charts (see planner.hpp). Tables come
// from the descriptions (html::table, csv::write): no column is written by hand.
#include <array>
#include <cstdio>
#include <vector>

#include "houqin/core/chart.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/html.hpp"
#include "houqin/inspection/planner.hpp"

namespace houqin::inspection {

std::string to_csv(const Compliance& c) {
  return csv::write(std::span<const PlanCompliance>(c.plans));
}

std::string to_html(const Compliance& c) {
  std::vector<chart::Bar> rate, findings;
  for (const auto& p : c.plans) {
    const auto judged = p.due - p.exempt - p.open;
    rate.push_back({p.plan, judged > 0 ? 100.0 * static_cast<double>(p.done) / judged : 100.0});
    if (p.findings > 0) findings.push_back({p.plan, static_cast<double>(p.findings)});
  }
  const auto& t = c.total;
  const std::vector<chart::Bar> outcomes{{"done in time", static_cast<double>(t.done)},
                                         {"late", static_cast<double>(t.late)},
                                         {"missed", static_cast<double>(t.missed)},
                                         {"exempt", static_cast<double>(t.exempt)},
                                         {"open", static_cast<double>(t.open)}};
  char summary[160];
  std::snprintf(summary, sizeof summary,
                "%lld tasks due, %lld done in time, %lld late, %lld missed, %lld exempt, %lld "
                "open; completion rate %.1f %%; %lld findings.",
                static_cast<long long>(t.due), static_cast<long long>(t.done),
                static_cast<long long>(t.late), static_cast<long long>(t.missed),
                static_cast<long long>(t.exempt), static_cast<long long>(t.open),
                100.0 * c.completion_rate, static_cast<long long>(t.findings));
  std::string out = html::page_start("巡检合规报表", "巡检合规报表 Inspection compliance") + "<p>" +
                    html_escape(format_timestamp(c.query.from)) + " – " +
                    html_escape(format_timestamp(c.query.to)) + ": " + html_escape(summary) +
                    "</p>\n";
  out += chart::figure("Tasks by outcome", chart::bars(outcomes));
  if (!rate.empty()) out += chart::figure("Done in time per plan (%)", chart::bars(rate));
  if (!findings.empty()) out += chart::figure("Findings per plan", chart::bars(findings));
  out += "<h2>Per plan</h2>\n" + html::table(std::span<const PlanCompliance>(c.plans));
  static constexpr std::array<std::string_view, 5> overdue{"code", "due_at", "window_end",
                                                           "assignee_staff_id", "trigger"};
  out += "<h2>Overdue now</h2>\n" + html::table(std::span<const Task>(c.overdue), overdue);
  return out + html::page_end();
}

}  // namespace houqin::inspection
