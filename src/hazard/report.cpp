// The hazard report: what was found in a period by grade, area and age, how much of it was closed
// and on time, and every open major hazard; as JSON (the described Report), CSV and an HTML page
// with SVG charts.
#include <cstdio>
#include <map>

#include "houqin/core/chart.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/html.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::hazard {
namespace {

using store::Op;
using store::Query;
using store::Repository;

constexpr const char* age_buckets[] = {"<= 7 d", "8-30 d", "31-90 d", "> 90 d"};

std::size_t age_bucket(Timestamp reported, Timestamp now) {
  const auto days = std::chrono::duration_cast<std::chrono::hours>(now - reported).count() / 24;
  return days <= 7 ? 0 : days <= 30 ? 1 : days <= 90 ? 2 : 3;
}

bool is_open(Status s) {
  return (open_states & bit(s)) != 0;
}

}  // namespace

Report Hazards::report(const ReportQuery& in) {
  if (in.to <= in.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  const auto now = store_.clock().now();
  Report r;
  r.query = in;
  // Areas: the building of the room, else the department, else "-".
  std::map<Id, std::string> building_of_floor, department_name;
  std::map<Id, Id> floor_of_room;
  {
    std::map<Id, std::string> buildings;
    for (const auto& b : Repository<site::Building>(store_).find()) buildings[b.id] = b.code;
    for (const auto& f : Repository<site::Floor>(store_).find())
      building_of_floor[f.id] = buildings[f.building_id];
    for (const auto& room : Repository<site::Room>(store_).find())
      floor_of_room[room.id] = room.floor_id;
    for (const auto& d : Repository<site::Department>(store_).find())
      department_name[d.id] = d.name;
  }
  auto area_of = [&](const Hazard& h) -> std::string {
    if (h.room_id)
      if (auto f = floor_of_room.find(*h.room_id); f != floor_of_room.end())
        return building_of_floor[f->second];
    if (h.department_id) return department_name[*h.department_id];
    return "-";
  };
  std::map<std::string, AreaRow> areas;
  std::array<AgeRow, 4> ages;
  for (std::size_t i = 0; i < ages.size(); ++i) ages[i].age = age_buckets[i];
  std::int64_t cancelled = 0;
  const auto hazards =
      Repository<Hazard>(store_).find(Query<Hazard>()
                                          .where(&Hazard::reported_at, Op::ge, in.from)
                                          .where(&Hazard::reported_at, Op::lt, in.to)
                                          .order_by(&Hazard::id));
  for (const auto& h : hazards) {
    ++r.reported;
    const bool major = h.grade == Grade::major;
    ++(major ? r.major : r.general);
    if (h.fixed_on_spot) ++r.fixed_on_spot;
    r.reopened += h.reopened;
    if (h.status == Status::cancelled) ++cancelled;
    if (h.status == Status::closed) {
      ++r.closed;
      if (h.closed_at && (!h.deadline || *h.closed_at <= *h.deadline)) ++r.closed_on_time;
    }
    auto& area = areas[area_of(h)];
    area.area = area_of(h);
    ++(major ? area.major : area.general);
    if (is_open(h.status)) {
      ++r.open;
      ++area.open;
      auto& age = ages[age_bucket(h.reported_at, now)];
      ++(major ? age.major : age.general);
      if (h.status != Status::review && h.deadline && now > *h.deadline) {
        ++r.overdue;
        ++area.overdue;
      }
    }
  }
  if (r.reported > cancelled)
    r.rectification_rate =
        static_cast<double>(r.closed) / static_cast<double>(r.reported - cancelled);
  for (auto& [_, a] : areas) r.areas.push_back(std::move(a));
  r.ages.assign(ages.begin(), ages.end());
  for (auto& h : Repository<Hazard>(store_).find(
           Query<Hazard>().where(&Hazard::grade, Op::eq, Grade::major).order_by(&Hazard::id)))
    if (is_open(h.status)) r.open_major.push_back(std::move(h));
  return r;
}

std::string to_csv(const Report& report) {
  return csv::write(std::span<const AreaRow>(report.areas));
}

std::string to_html(const Report& r) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f %%", r.rectification_rate * 100.0);
  std::string out = html::page_start("安全隐患报告", "安全隐患报告 Hazards") + "<p>" +
                    html_escape(format_timestamp(r.query.from)) + " — " +
                    html_escape(format_timestamp(r.query.to)) + "</p>\n";
  out += "<p>reported " + std::to_string(r.reported) + " (general " + std::to_string(r.general) +
         ", major " + std::to_string(r.major) + "), closed " + std::to_string(r.closed) +
         " (on time " + std::to_string(r.closed_on_time) + "), fixed on the spot " +
         std::to_string(r.fixed_on_spot) + ", open " + std::to_string(r.open) + ", overdue " +
         std::to_string(r.overdue) + ", reopened " + std::to_string(r.reopened) +
         "; rectification rate " + rate + "</p>\n";
  std::vector<chart::Bar> by_grade{{"一般 general", static_cast<double>(r.general)},
                                   {"重大 major", static_cast<double>(r.major)}};
  out += chart::figure("Hazards by grade", chart::bars(by_grade));
  std::vector<chart::Bar> by_area, by_age;
  for (const auto& a : r.areas)
    by_area.push_back({a.area, static_cast<double>(a.general + a.major)});
  for (const auto& a : r.ages) by_age.push_back({a.age, static_cast<double>(a.general + a.major)});
  out += chart::figure("Hazards by area", chart::bars(by_area));
  out += chart::figure("Open hazards by age", chart::bars(by_age));
  out += "<h2>By area</h2>\n" + html::table(std::span<const AreaRow>(r.areas));
  out += "<h2>Open by age</h2>\n" + html::table(std::span<const AgeRow>(r.ages));
  static constexpr std::string_view major_columns[] = {
      "code", "title", "status", "deadline", "measures", "funds_yuan", "contingency"};
  out += "<h2>Open major hazards (重大隐患)</h2>\n" +
         html::table(std::span<const Hazard>(r.open_major), major_columns);
  return out + html::page_end();
}

}  // namespace houqin::hazard
