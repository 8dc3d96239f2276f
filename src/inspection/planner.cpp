// Preventive work: templates, plans and their triggers, the generator, scans and completion (see
// planner.hpp).
#include "houqin/inspection/planner.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/inspection/sun.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::inspection {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Template, Route, Plan, Task, Skip, MeterReading, Tag, Scan>(
        "inspection");
// Read through the generic entity API with inspection.read (tag keys stay sealed and masked);
// changes go through the planner only.
[[maybe_unused]] const bool exposed =
    store::expose<Template, Route, Plan, Task, Skip, MeterReading, Tag, Scan>(
        {.read = "inspection.read", .write = "", .read_personal = ""});

// ---- time ----

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::year_month_day;

/// `months` calendar months after `t` in the plan's local time, the day clamped to the month's
/// last (a plan on the 31st is due on the 30th in April).
Timestamp add_months(Timestamp t, std::int64_t months, minutes offset) {
  const auto local = t + offset;
  const auto day = std::chrono::floor<days>(local);
  const auto time_of_day = local - day;
  year_month_day ymd{sys_days(day)};
  auto ym = std::chrono::year_month(ymd.year(), ymd.month()) + std::chrono::months(months);
  const auto last =
      std::chrono::year_month_day_last(ym.year(), std::chrono::month_day_last(ym.month()));
  const auto d = std::min(static_cast<unsigned>(ymd.day()), static_cast<unsigned>(last.day()));
  const sys_days out{ym.year() / ym.month() / std::chrono::day(d)};
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(out.time_since_epoch())) +
         time_of_day - offset;
}

std::chrono::microseconds unit_length(IntervalUnit u) {
  switch (u) {
    case IntervalUnit::hour:
      return std::chrono::hours(1);
    case IntervalUnit::day:
      return days(1);
    case IntervalUnit::week:
      return days(7);
    case IntervalUnit::month:
      break;
  }
  return {};
}

/// Occurrence k of a fixed plan.
Timestamp occurrence(const Plan& p, std::int64_t k) {
  if (p.unit == IntervalUnit::month)
    return add_months(p.start, k * p.every, minutes(p.utc_offset_minutes));
  return p.start + k * p.every * unit_length(p.unit);
}

/// Monday 0 .. Sunday 6 of the local day of t.
int weekday(Timestamp t, minutes offset) {
  const std::chrono::weekday wd{std::chrono::floor<days>(t + offset)};
  return static_cast<int>(wd.iso_encoding()) - 1;
}

bool on_allowed_day(const Plan& p, Timestamp t) {
  return p.days_of_week == 0 || (p.days_of_week >> weekday(t, minutes(p.utc_offset_minutes))) & 1;
}

std::string local_stamp(Timestamp t, minutes offset) {
  // "2026-03-02T08:00:00Z" of local time -> "202603020800"
  const auto s = format_timestamp(t + offset);
  return s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2) + s.substr(11, 2) + s.substr(14, 2);
}

// ---- checks ----

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_template(const TemplateInput& in) {
  if (in.code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
  if (in.name.empty()) fail(ErrorCode::invalid_argument, "name: empty");
  if (in.items.empty()) fail(ErrorCode::invalid_argument, "items: a checklist needs an item");
  std::set<std::string> keys;
  for (std::size_t i = 0; i < in.items.size(); ++i) {
    const auto& it = in.items[i];
    const std::string at = "items[" + std::to_string(i) + "]";
    if (it.key.empty() || it.text.empty())
      fail(ErrorCode::invalid_argument, at + ": key and text are required");
    if (!keys.insert(it.key).second)
      fail(ErrorCode::invalid_argument, at + ".key: '" + it.key + "' appears twice");
    if (it.kind == ItemKind::number && it.min && it.max && *it.min > *it.max)
      fail(ErrorCode::invalid_argument,
           at + ": min " + number(*it.min) + " is above max " + number(*it.max));
    if (it.kind == ItemKind::choice) {
      if (it.choices.empty()) fail(ErrorCode::invalid_argument, at + ".choices: empty");
      for (const auto& f : it.failing_choices)
        if (std::find(it.choices.begin(), it.choices.end(), f) == it.choices.end())
          fail(ErrorCode::invalid_argument,
               at + ".failing_choices: '" + f + "' is not one of the choices");
    }
  }
}

void check_plan(store::Store& s, Plan& p) {
  if (p.code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
  if (!Repository<Template>(s).find_one(
          Query<Template>().where(&Template::code, Op::eq, p.template_code)))
    fail(ErrorCode::not_found, "template_code: no template '" + p.template_code + "'");
  const int targets = (p.asset_id ? 1 : 0) + (p.room_id ? 1 : 0) + (p.route_id ? 1 : 0);
  if (targets != 1)
    fail(ErrorCode::invalid_argument, "a plan inspects one asset, one room or one route");
  const bool time = p.every > 0, meter = p.meter_every > 0,
             condition = p.condition_point_id.has_value();
  if (!time && !meter && !condition)
    fail(ErrorCode::invalid_argument,
         "a plan needs a trigger: every (time), meter_every (meter) or condition_point_id");
  if (p.every < 0 || p.every > 1000) fail(ErrorCode::invalid_argument, "every: outside 0..1000");
  if (time && p.start == Timestamp{})
    fail(ErrorCode::invalid_argument, "start: a time trigger needs its first occurrence");
  if (p.days_of_week < 0 || p.days_of_week > 127)
    fail(ErrorCode::invalid_argument, "days_of_week: a bit mask of 7 days, 0..127");
  if (p.days_of_week != 0 && !(p.unit == IntervalUnit::day && p.every == 1))
    fail(ErrorCode::invalid_argument, "days_of_week: only with every 1 day");
  if (p.shift_id) {
    if (p.unit != IntervalUnit::day)
      fail(ErrorCode::invalid_argument, "shift_id: a shift-based plan is daily (unit day)");
    auto shift = Repository<site::Shift>(s).get(*p.shift_id);
    if (!shift) fail(ErrorCode::not_found, "shift_id: no shift " + std::to_string(*p.shift_id));
    // Due at the shift's start, local time, from the start day on.
    const minutes offset(p.utc_offset_minutes);
    const auto day = std::chrono::floor<days>(p.start + offset);
    p.start = day + minutes(shift->start_minute) - offset;
  }
  if (p.meter_every < 0) fail(ErrorCode::invalid_argument, "meter_every: below 0");
  if (meter && (p.meter_tolerance < 0 || p.meter_tolerance >= p.meter_every))
    fail(ErrorCode::invalid_argument, "meter_tolerance: must be at least 0 and below meter_every");
  if (meter && !p.meter_point_id)
    fail(ErrorCode::invalid_argument, "meter_point_id: a meter trigger needs its point");
  if (condition && (p.hysteresis < 0 || p.wait_minutes < 0))
    fail(ErrorCode::invalid_argument, "hysteresis and wait_minutes: must be at least 0");
  if (p.lead_minutes < 0 || p.lead_minutes > 60 * 24 * 90)
    fail(ErrorCode::invalid_argument, "lead_minutes: outside 0..129600");
  if (p.window_minutes < 1 || p.window_minutes > 60 * 24 * 366)
    fail(ErrorCode::invalid_argument, "window_minutes: outside 1..527040");
  if (p.utc_offset_minutes < -14 * 60 || p.utc_offset_minutes > 14 * 60)
    fail(ErrorCode::invalid_argument, "utc_offset_minutes: outside -840..840");
}

/// "04:a1:B2..." or "04 A1 b2" -> "04A1B2"; Error(invalid_argument) naming what is wrong.
std::string normal_uid(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c == ':' || c == ' ' || c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      fail(ErrorCode::invalid_argument, "uid: '" + std::string(raw) + "' is not hexadecimal");
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.size() != 8 && out.size() != 14 && out.size() != 16 && out.size() != 20)
    fail(ErrorCode::invalid_argument,
         "uid: " + std::to_string(out.size() / 2) + " bytes; NFC UIDs have 4, 7, 8 or 10 bytes");
  return out;
}

Task require_task(store::Store& s, const std::string& code) {
  if (code.empty()) fail(ErrorCode::invalid_argument, "task_code: empty");
  auto t = Repository<Task>(s).find_one(Query<Task>().where(&Task::code, Op::eq, code));
  if (!t) fail(ErrorCode::not_found, "inspection task " + code + " not found");
  return *t;
}

void require_open(const Task& t) {
  if (t.status != TaskStatus::open)
    fail(ErrorCode::failed_precondition,
         "inspection task " + t.code + " is " + std::string(enum_name(t.status)));
}

std::string hex_of(const Key128& k) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (auto b : k) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

/// A SUN message's two parameters: 16 bytes of PICCData and an 8-byte CMAC, in hex.
void check_sun_format(const std::string& picc, const std::string& cmac) {
  auto hex = [](const std::string& v) {
    return std::all_of(v.begin(), v.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  };
  if (picc.size() != 32 || !hex(picc))
    fail(ErrorCode::invalid_argument,
         "picc_data: 32 hexadecimal digits expected, got '" + picc.substr(0, 40) + "'");
  if (cmac.size() != 16 || !hex(cmac))
    fail(ErrorCode::invalid_argument,
         "cmac: 16 hexadecimal digits expected, got '" + cmac.substr(0, 40) + "'");
}

/// Where a point is: its room (an asset's room), floor level and building, for walking times.
struct Place {
  std::optional<Id> room;
  int level = 0;
  Id building = 0;
};

Place place_of(store::Store& s, std::optional<Id> room_id, std::optional<Id> asset_id) {
  Place p;
  if (!room_id && asset_id)
    if (auto a = Repository<asset::Asset>(s).get(*asset_id)) room_id = a->room_id;
  p.room = room_id;
  if (!room_id) return p;
  if (auto r = Repository<site::Room>(s).get(*room_id))
    if (auto f = Repository<site::Floor>(s).get(r->floor_id)) {
      p.level = f->level;
      p.building = f->building_id;
    }
  return p;
}

double walk_seconds(const WalkModel& w, const Place& a, const Place& b) {
  if (!a.room || !b.room || *a.room == *b.room) return 0;
  double m = w.same_floor_m;
  if (a.building != b.building)
    m = w.other_building_m + w.per_floor_m * (std::abs(a.level - 1) + std::abs(b.level - 1));
  else
    m += w.per_floor_m * std::abs(a.level - b.level);
  return m / w.metres_per_second;
}

std::string describe_answer(const ChecklistItem& item, const Result& r) {
  switch (item.kind) {
    case ItemKind::pass_fail:
      return r.pass ? (*r.pass ? "pass" : "fail") : "";
    case ItemKind::number:
      return r.number ? number(*r.number) + (item.unit.empty() ? "" : " " + item.unit) : "";
    case ItemKind::choice:
      return r.choice;
    case ItemKind::text:
      return r.text;
    case ItemKind::photo:
      return r.photo;
  }
  return "";
}

/// Checks an answer against its item: Error(invalid_argument) when it is not an answer of the
/// item's kind; sets failed and finding when it is one that fails.
void judge(const ChecklistItem& item, Result& r, const std::string& at) {
  r.failed = false;
  r.finding.clear();
  auto need = [&](bool present, const char* field) {
    if (!present)
      fail(ErrorCode::invalid_argument, at + ": item '" + item.key + "' (" +
                                            std::string(enum_name(item.kind)) + ") needs " + field);
  };
  switch (item.kind) {
    case ItemKind::pass_fail:
      need(r.pass.has_value(), "pass");
      if (!*r.pass) {
        r.failed = true;
        r.finding = item.text + ": failed";
      }
      break;
    case ItemKind::number:
      need(r.number.has_value() && std::isfinite(*r.number), "a finite number");
      if ((item.min && *r.number < *item.min) || (item.max && *r.number > *item.max)) {
        r.failed = true;
        r.finding = item.text + ": " + describe_answer(item, r) + " outside " +
                    (item.min ? number(*item.min) : std::string("-inf")) + ".." +
                    (item.max ? number(*item.max) : std::string("inf")) +
                    (item.unit.empty() ? "" : " " + item.unit);
      }
      break;
    case ItemKind::choice:
      need(!r.choice.empty(), "a choice");
      if (std::find(item.choices.begin(), item.choices.end(), r.choice) == item.choices.end())
        fail(ErrorCode::invalid_argument,
             at + ".choice: '" + r.choice + "' is not a choice of item '" + item.key + "'");
      if (std::find(item.failing_choices.begin(), item.failing_choices.end(), r.choice) !=
          item.failing_choices.end()) {
        r.failed = true;
        r.finding = item.text + ": " + r.choice;
      }
      break;
    case ItemKind::text:
      need(!r.text.empty(), "text");
      break;
    case ItemKind::photo:
      need(!r.photo.empty(), "a photo reference");
      break;
  }
}

/// Plan::next_check of a plan that waits for nothing but its time trigger's next occurrence.
constexpr Timestamp never{std::chrono::sys_days{std::chrono::year{9999} / 1 / 1}};

/// Plan::next_check for the plan as it stands: meter and condition triggers are looked at every
/// run (their readings arrive in between); a time trigger from its next occurrence's lead time.
Timestamp check_at(const Plan& p) {
  if ((p.meter_every > 0 && p.meter_point_id) || p.condition_point_id) return Timestamp{};
  const auto next = next_time_due(p);
  return next ? *next - minutes(p.lead_minutes) : never;
}

/// A task of the plan was done or exempted at `at` (missed ones: generate): a completion-anchored
/// plan counts its next occurrence from there.
void close_for_anchor(store::Store& s, Id plan_id, Timestamp at) {
  Repository<Plan> plans(s);
  auto p = plans.require(plan_id);
  const auto before = p;
  p.last_completed = at;
  p.next_check = check_at(p);
  plans.update(p, before);
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {
      {"inspection", 1, "preventive work: templates, routes, plans, tasks, skips, meters, NFC",
       [](store::Store& s) {
         store::create_table<Template>(s);
         store::create_table<Route>(s);
         store::create_table<Plan>(s);
         store::create_table<Task>(s);
         store::create_table<Skip>(s);
         store::create_table<MeterReading>(s);
         store::create_table<Tag>(s);
         store::create_table<Scan>(s);
         // The generator finds open tasks by status and window, compliance by due time.
         s.execute(
             "CREATE INDEX IF NOT EXISTS inspection_task_status ON inspection_task "
             "(status, window_end)");
         s.execute("CREATE INDEX IF NOT EXISTS inspection_task_due ON inspection_task (due_at)");
         s.execute(
             "CREATE INDEX IF NOT EXISTS inspection_reading_point ON "
             "inspection_meter_reading (point_id, at)");
       }},
      {"inspection", 2,
       "plans carry when the generator must next look at them, so a run reads only those",
       [](store::Store& s) {
         store::add_column(s, &Plan::next_check);  // old rows: the epoch, looked at next run
         s.execute(
             "CREATE INDEX IF NOT EXISTS inspection_plan_check ON inspection_plan "
             "(active, next_check)");
       }}};
}

std::optional<Timestamp> next_time_due(const Plan& p) {
  if (p.every <= 0) return std::nullopt;
  if (p.anchor == Anchor::completion) {
    if (!p.last_completed) return p.last_due ? std::nullopt : std::optional(p.start);
    Timestamp next = p.unit == IntervalUnit::month
                         ? add_months(*p.last_completed, p.every, minutes(p.utc_offset_minutes))
                         : *p.last_completed + p.every * unit_length(p.unit);
    if (p.last_due && next <= *p.last_due) return std::nullopt;  // its task is still to come
    return next;
  }
  // Fixed: the first occurrence after the last one handled, on an allowed day.
  std::int64_t k = 0;
  if (p.last_due) {
    if (p.unit == IntervalUnit::month) {
      const auto a = year_month_day{std::chrono::floor<days>(p.start)};
      const auto b = year_month_day{std::chrono::floor<days>(*p.last_due)};
      const std::int64_t months = (int(b.year()) - int(a.year())) * 12 +
                                  (int(unsigned(b.month())) - int(unsigned(a.month())));
      k = std::max<std::int64_t>(0, months / p.every - 1);
    } else {
      k = std::max<std::int64_t>(0, (*p.last_due - p.start) / (p.every * unit_length(p.unit)));
    }
    while (occurrence(p, k) <= *p.last_due) ++k;
  }
  for (int guard = 0; guard < 7; ++guard, ++k)
    if (on_allowed_day(p, occurrence(p, k))) return occurrence(p, k);
  return std::nullopt;  // days_of_week with no day set cannot happen (checked on save)
}

Template Planner::save_template(const auth::Actor& actor, const TemplateInput& in) {
  return audit::audited(store_, actor, "inspection.save_template", [&](audit::Call& call) {
    call.require("inspection.configure");
    check_template(in);
    Repository<Template> repo(store_);
    auto last = repo.find_one(Query<Template>()
                                  .where(&Template::code, Op::eq, in.code)
                                  .order_by(&Template::revision, true)
                                  .limit(1));
    Template t;
    t.code = in.code;
    t.revision = last ? last->revision + 1 : 1;
    t.name = in.name;
    t.asset_category = in.asset_category;
    t.items = in.items;
    t.created_at = store_.clock().now();
    t.created_by = actor.label();
    repo.insert(t);
    call.record(entity_traits<Template>::table, t.id, std::nullopt, json::to_json(t));
    return t;
  });
}

Route Planner::save_route(const auth::Actor& actor, Route r) {
  return audit::audited(store_, actor, "inspection.save_route", [&](audit::Call& call) {
    call.require("inspection.configure");
    if (r.code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
    if (r.points.empty()) fail(ErrorCode::invalid_argument, "points: a route needs a point");
    for (std::size_t i = 0; i < r.points.size(); ++i)
      if (r.points[i].room_id.has_value() == r.points[i].asset_id.has_value())
        fail(ErrorCode::invalid_argument,
             "points[" + std::to_string(i) + "]: a room or an asset, one of them");
    Repository<Route> repo(store_);
    auto old = repo.find_one(Query<Route>().where(&Route::code, Op::eq, r.code));
    if (old) {
      r.id = old->id;
      r.version = old->version;
      repo.update(r);
    } else {
      repo.insert(r);
    }
    call.record(entity_traits<Route>::table, r.id,
                old ? std::optional(json::to_json(*old)) : std::nullopt, json::to_json(r));
    return r;
  });
}

Plan Planner::save_plan(const auth::Actor& actor, Plan p) {
  return audit::audited(store_, actor, "inspection.save_plan", [&](audit::Call& call) {
    call.require("inspection.configure");
    check_plan(store_, p);
    Repository<Plan> repo(store_);
    auto old = repo.find_one(Query<Plan>().where(&Plan::code, Op::eq, p.code));
    if (old) {
      p.id = old->id;
      p.version = old->version;
      p.last_due = old->last_due;
      p.last_completed = old->last_completed;
      p.meter_base = old->meter_base;
      p.condition_since = old->condition_since;
      p.condition_armed = old->condition_armed;
      p.next_check = Timestamp{};  // the next run looks at it as saved
      repo.update(p);
    } else {
      p.last_due.reset();
      p.last_completed.reset();
      p.meter_base.reset();
      p.condition_since.reset();
      p.condition_armed = true;
      p.next_check = Timestamp{};
      repo.insert(p);
    }
    call.record(entity_traits<Plan>::table, p.id,
                old ? std::optional(json::to_json(*old)) : std::nullopt, json::to_json(p));
    return p;
  });
}

MeterReading Planner::record_meter(const auth::Actor& actor, const MeterInput& in) {
  return audit::audited(store_, actor, "inspection.record_meter", [&](audit::Call& call) {
    call.require("inspection.record");
    call.quiet();  // a reading is data, not a change anyone reviews
    if (!std::isfinite(in.value)) fail(ErrorCode::invalid_argument, "value: not a finite number");
    const auto now = store_.clock().now();
    if (in.at && *in.at > now + minutes(1))
      fail(ErrorCode::invalid_argument, "at: " + format_timestamp(*in.at) + " is in the future");
    MeterReading r{0, 0, in.point_id, in.value, in.at.value_or(now), in.source};
    Repository<MeterReading>(store_).insert(r);
    // The condition triggers watching the point.
    Repository<Plan> plans(store_);
    for (auto& p : plans.find(Query<Plan>()
                                  .where(&Plan::condition_point_id, Op::eq, in.point_id)
                                  .where(&Plan::active, Op::eq, true))) {
      const bool beyond = p.sense == Sense::above ? in.value > p.threshold : in.value < p.threshold;
      const bool back = p.sense == Sense::above ? in.value <= p.threshold - p.hysteresis
                                                : in.value >= p.threshold + p.hysteresis;
      auto before = std::pair{p.condition_since, p.condition_armed};
      if (p.condition_armed) {
        if (beyond && !p.condition_since) p.condition_since = r.at;
        if (!beyond) p.condition_since.reset();
      } else if (back) {
        p.condition_armed = true;
        p.condition_since.reset();
      }
      if (before != std::pair{p.condition_since, p.condition_armed}) plans.update(p);
    }
    return r;
  });
}

std::vector<Id> Planner::watched_points() {
  std::set<Id> points;
  for (const auto& p :
       Repository<Plan>(store_).find(Query<Plan>().where(&Plan::active, Op::eq, true))) {
    if (p.meter_point_id && p.meter_every > 0) points.insert(*p.meter_point_id);
    if (p.condition_point_id) points.insert(*p.condition_point_id);
  }
  return {points.begin(), points.end()};
}

std::optional<Timestamp> Planner::last_reading(Id point) {
  auto r =
      Repository<MeterReading>(store_).find_one(Query<MeterReading>()
                                                    .where(&MeterReading::point_id, Op::eq, point)
                                                    .order_by(&MeterReading::at, true)
                                                    .limit(1));
  return r ? std::optional(r->at) : std::nullopt;
}

Generation Planner::generate(const auth::Actor& actor) {
  return audit::audited(store_, actor, "inspection.generate", [&](audit::Call& call) {
    call.require("inspection.configure");
    call.quiet();  // every task and skip it writes is a row of its own
    const auto now = store_.clock().now();
    Generation out;
    Repository<Task> tasks(store_);
    Repository<Skip> skips(store_);
    Repository<Plan> plans(store_);

    // Every open task read once: those whose window closed, and those still open.
    std::vector<Task> closed, still_open;
    for (auto& t : tasks.find(
             Query<Task>().where(&Task::status, Op::eq, TaskStatus::open).order_by(&Task::id)))
      (t.window_end <= now ? closed : still_open).push_back(std::move(t));
    // The active plans to look at, read once: those whose next check has come (Plan::next_check)
    // and the completion-anchored ones of the tasks about to be missed, which count on from the
    // close (a fixed plan's occurrences do not depend on it). A plan is written back only when
    // its state moved, and then only what moved.
    auto active = plans.find(Query<Plan>()
                                 .where(&Plan::active, Op::eq, true)
                                 .where(&Plan::next_check, Op::le, now)
                                 .order_by(&Plan::id));
    std::map<Id, Plan> idle;  // inactive completion-anchored plans of missed tasks
    {
      std::set<Id> more;
      for (const auto& t : closed) more.insert(t.plan_id);
      for (const auto& p : active) more.erase(p.id);
      std::vector<Id> batch;
      for (auto it = more.begin(); it != more.end();) {
        batch.push_back(*it++);
        if (batch.size() < 500 && it != more.end()) continue;
        for (auto& p : plans.find(Query<Plan>()
                                      .where(&Plan::anchor, Op::eq, Anchor::completion)
                                      .where_in(&Plan::id, batch))) {
          if (p.active)
            active.push_back(std::move(p));
          else
            idle.emplace(p.id, std::move(p));
        }
        batch.clear();
      }
      std::sort(active.begin(), active.end(),
                [](const Plan& a, const Plan& b) { return a.id < b.id; });
    }
    const auto as_read = active;
    std::map<Id, std::size_t> plan_at;
    for (std::size_t i = 0; i < active.size(); ++i) plan_at[active[i].id] = i;
    std::vector<bool> changed(active.size(), false);

    // Windows that closed undone: out of compliance.
    for (auto& t : closed) {
      const auto open = t;
      t.status = TaskStatus::missed;
      tasks.update(t, open);
      if (auto at = plan_at.find(t.plan_id); at != plan_at.end()) {
        if (active[at->second].anchor == Anchor::completion) {
          active[at->second].last_completed = t.window_end;
          changed[at->second] = true;
        }
      } else if (auto it = idle.find(t.plan_id); it != idle.end()) {
        const auto read = it->second;
        it->second.last_completed = t.window_end;
        it->second.next_check = check_at(it->second);
        plans.update(it->second, read);
      }
      store_.events().publish(TaskMissed{t.id, t.code, t.plan_id, t.due_at}, actor.label());
      ++out.missed;
    }
    // The tasks still open after that, by plan: at most one each.
    std::map<Id, std::string> open_task;
    std::map<Id, std::int64_t> open_load;  // open tasks per assignee, kept as tasks are issued
    for (const auto& t : still_open) {
      open_task[t.plan_id] = t.code;
      if (t.assignee_staff_id) ++open_load[*t.assignee_staff_id];
    }

    // Who is on shift when, for plans assigned by skill: staff and shifts loaded once a run, the
    // roster once per local day asked about.
    std::vector<site::Staff> staff;
    std::map<Id, site::Shift> shifts;
    std::map<Date, std::vector<site::ShiftAssignment>> roster;
    bool roster_loaded = false;
    auto on_shift = [&](const std::string& skill, Timestamp due,
                        minutes offset) -> std::optional<Id> {
      if (!roster_loaded) {
        staff = Repository<site::Staff>(store_).find(Query<site::Staff>()
                                                         .where(&site::Staff::active, Op::eq, true)
                                                         .order_by(&site::Staff::id));
        for (auto& sh : Repository<site::Shift>(store_).find()) shifts[sh.id] = sh;
        roster_loaded = true;
      }
      const auto local = due + offset;
      const auto day = std::chrono::floor<days>(local);
      std::optional<Id> best;
      std::int64_t best_load = 0;
      // Who works a shift covering the due time (a night shift from yesterday reaches today).
      std::set<Id> on_duty;
      for (auto d : {day - days(1), day}) {
        auto it = roster.find(Date(d));
        if (it == roster.end())
          it = roster
                   .emplace(Date(d), Repository<site::ShiftAssignment>(store_).find(
                                         Query<site::ShiftAssignment>().where(
                                             &site::ShiftAssignment::day, Op::eq, Date(d))))
                   .first;
        for (const auto& a : it->second) {
          auto sh = shifts.find(a.shift_id);
          if (sh == shifts.end()) continue;
          const auto begin = d + minutes(sh->second.start_minute);
          if (local >= begin && local < begin + minutes(sh->second.duration_minutes))
            on_duty.insert(a.staff_id);
        }
      }
      for (const auto& st : staff) {
        if (!on_duty.count(st.id)) continue;
        if (std::find(st.skills.begin(), st.skills.end(), skill) == st.skills.end()) continue;
        const auto load = open_load[st.id];
        if (!best || load < best_load) {
          best = st.id;
          best_load = load;
        }
      }
      return best;
    };

    std::map<std::string, std::optional<Template>> templates;  // the latest revision, per code
    for (std::size_t index = 0; index < active.size(); ++index) {
      auto& p = active[index];
      const minutes offset(p.utc_offset_minutes);
      const auto lead = minutes(p.lead_minutes);
      const auto meter_before = p.meter_base;
      struct Candidate {
        Trigger trigger;
        Timestamp due;
      };
      std::vector<Candidate> due;
      auto skip = [&](Trigger trigger, Timestamp at, std::string reason) {
        Skip sk{0, 0, p.id, at, trigger, std::move(reason), now};
        skips.insert(sk);
        ++out.skipped;
      };
      // Time: the latest occurrence whose lead time has begun; earlier ones not yet handled are
      // skipped (the generator did not run while they were due).
      for (int guard = 0; guard < 100000; ++guard) {
        auto next = next_time_due(p);
        if (!next || *next - lead > now) break;
        if (!due.empty() && due.back().trigger == Trigger::time) {
          skip(Trigger::time, due.back().due,
               "superseded by the occurrence at " + format_timestamp(*next) + " (catch-up)");
          due.pop_back();
        }
        due.push_back({Trigger::time, *next});
        p.last_due = *next;
        if (p.anchor == Anchor::completion) break;
      }
      // Meter: the latest reading against the base the last issue left.
      if (p.meter_every > 0 && p.meter_point_id) {
        auto last = Repository<MeterReading>(store_).find_one(
            Query<MeterReading>()
                .where(&MeterReading::point_id, Op::eq, *p.meter_point_id)
                .order_by(&MeterReading::at, true)
                .order_by(&MeterReading::id, true)
                .limit(1));
        if (last) {
          if (!p.meter_base)
            p.meter_base = last->value;  // the first reading is where counting starts
          else if (last->value >= *p.meter_base + p.meter_every - p.meter_tolerance) {
            due.push_back({Trigger::meter, last->at});
            p.meter_base = last->value;
          }
        }
      }
      // Condition: beyond the threshold for the wait period.
      if (p.condition_point_id && p.condition_armed && p.condition_since &&
          *p.condition_since + minutes(p.wait_minutes) <= now) {
        due.push_back({Trigger::condition, *p.condition_since + minutes(p.wait_minutes)});
        p.condition_armed = false;
        p.condition_since.reset();
      }
      p.next_check = check_at(p);
      if (due.empty()) {
        // The first reading became the meter's base, a missed task closed, or the plan was
        // looked at early (saved, or its next occurrence moved).
        if (changed[index] || p.meter_base != meter_before ||
            p.next_check != as_read[index].next_check)
          plans.update(p, as_read[index]);
        continue;
      }
      std::sort(due.begin(), due.end(),
                [](const Candidate& a, const Candidate& b) { return a.due < b.due; });
      const auto open = open_task.find(p.id);
      auto cached = templates.find(p.template_code);
      if (cached == templates.end())
        cached =
            templates
                .emplace(p.template_code, Repository<Template>(store_).find_one(
                                              Query<Template>()
                                                  .where(&Template::code, Op::eq, p.template_code)
                                                  .order_by(&Template::revision, true)
                                                  .limit(1)))
                .first;
      const auto& tmpl = cached->second;
      const auto& first = due.front();
      if (open != open_task.end() || !tmpl) {
        for (const auto& c : due)
          skip(c.trigger, c.due,
               open != open_task.end() ? "task " + open->second + " is still open"
                                       : "template " + p.template_code + " does not exist");
        plans.update(p, as_read[index]);
        continue;
      }
      // Whichever comes first issues the task; the others it covers are logged.
      Task t;
      t.code = "PM-" + p.code + "-" + local_stamp(first.due, offset);
      t.plan_id = p.id;
      t.template_id = tmpl->id;
      t.trigger = first.trigger;
      t.due_at = first.due;
      t.window_end = first.due + minutes(p.window_minutes);
      t.issued_at = now;
      t.assignee_staff_id =
          p.assignee_staff_id
              ? p.assignee_staff_id
              : (p.skill.empty() ? std::nullopt : on_shift(p.skill, first.due, offset));
      if (p.route_id) {
        for (const auto& pt : Repository<Route>(store_).require(*p.route_id).points)
          t.points.push_back({pt.room_id, pt.asset_id, std::nullopt, std::nullopt});
      } else {
        t.points.push_back({p.room_id, p.asset_id, std::nullopt, std::nullopt});
      }
      // The plan's state moves in the same transaction, so an occurrence is issued once; the
      // unique code is the last guard.
      tasks.insert(t);
      if (t.assignee_staff_id) ++open_load[*t.assignee_staff_id];
      for (std::size_t i = 1; i < due.size(); ++i)
        skip(due[i].trigger, due[i].due, "covered by task " + t.code);
      plans.update(p, as_read[index]);
      store_.events().publish(
          TaskIssued{t.id, t.code, p.id, t.trigger, t.due_at, t.assignee_staff_id}, actor.label());
      ++out.issued;
    }
    return out;
  });
}

Tag Planner::register_tag(const auth::Actor& actor, Tag tag) {
  return audit::audited(store_, actor, "inspection.register_tag", [&](audit::Call& call) {
    call.require("inspection.configure");
    tag.uid = normal_uid(tag.uid);
    if (tag.room_id.has_value() == tag.asset_id.has_value())
      fail(ErrorCode::invalid_argument, "a tag is bound to one point: a room or an asset");
    if (tag.type == TagType::ntag424_dna) {
      if (tag.uid.size() != 14)
        fail(ErrorCode::invalid_argument, "uid: an NTAG 424 DNA has a 7-byte UID");
      parse_key(tag.sun_meta_key, "sun_meta_key");
      parse_key(tag.sun_file_key, "sun_file_key");
    } else if (!tag.sun_meta_key.empty() || !tag.sun_file_key.empty()) {
      fail(ErrorCode::invalid_argument, "sun keys: only an ntag424_dna tag has them");
    }
    // A 4-byte UID repeats across tags and is cloned with cheap tools: it proves little.
    tag.weak = tag.uid.size() == 8 || tag.type == TagType::mifare_classic;
    tag.id = 0;
    tag.version = 0;
    tag.sun_counter = -1;
    Repository<Tag>(store_).insert(tag);  // a UID already registered: Error(already_exists)
    auto shown = json::to_json(tag);
    shown.erase("sun_meta_key");
    shown.erase("sun_file_key");
    call.record(entity_traits<Tag>::table, tag.id, std::nullopt, shown);
    return tag;
  });
}

Tag Planner::provision_tag(const auth::Actor& actor, const ProvisionInput& in) {
  const auto master = parse_key(in.master_key, "master_key");
  Tag tag;
  tag.uid = normal_uid(in.uid);
  tag.type = TagType::ntag424_dna;
  tag.room_id = in.room_id;
  tag.asset_id = in.asset_id;
  // Two keys from one master: the system identifiers (01 meta read, 02 file read) keep them
  // apart.
  tag.sun_meta_key = hex_of(diversify(master, tag.uid, "01"));
  tag.sun_file_key = hex_of(diversify(master, tag.uid, "02"));
  return register_tag(actor, tag);
}

Scan Planner::tap(const auth::Actor& actor, const std::string& task_code,
                  const std::function<std::optional<std::size_t>(Task&, Scan&)>& decide) {
  return audit::audited(store_, actor, "inspection.scan", [&](audit::Call& call) {
    call.require("inspection.perform");
    auto t = require_task(store_, task_code);
    call.target(entity_traits<Task>::table, t.id);
    require_open(t);
    Scan sc;
    sc.task_id = t.id;
    sc.at = store_.clock().now();
    sc.actor = actor.label();
    const auto point = decide(t, sc);
    Repository<Scan>(store_).insert(sc);  // every tap is evidence, counted or not
    if (point) {
      t.points[*point].scan_id = sc.id;
      Repository<Task>(store_).update(t);
    }
    call.record(entity_traits<Scan>::table, sc.id, std::nullopt, json::to_json(sc),
                sc.accepted ? "accepted" : "refused: " + sc.detail);
    return sc;
  });
}

Scan Planner::scan(const auth::Actor& actor, const ScanInput& in) {
  return tap(actor, in.task_code, [&](Task& t, Scan& sc) -> std::optional<std::size_t> {
    sc.uid = normal_uid(in.uid);
    auto tag = Repository<Tag>(store_).find_one(Query<Tag>().where(&Tag::uid, Op::eq, sc.uid));
    if (tag && tag->type == TagType::ntag424_dna) {  // its bare UID is what a copy shows
      sc.tag_id = tag->id;
      sc.flag = ScanFlag::forged;
      sc.detail = "an NTAG 424 DNA counts only by its SUN message, not by its bare UID";
      return std::nullopt;
    }
    return accept_scan(t, tag, sc);
  });
}

Scan Planner::scan_sun(const auth::Actor& actor, const SunScanInput& in) {
  check_sun_format(in.picc_data, in.cmac);
  return tap(actor, in.task_code, [&](Task& t, Scan& sc) -> std::optional<std::size_t> {
    // The message names its tag only once decrypted: try the tags of the task's points.
    std::optional<Tag> tag;
    std::optional<SunTap> sun;
    Repository<Tag> tags(store_);
    for (const auto& pt : t.points) {
      Query<Tag> q;
      q.where(&Tag::type, Op::eq, TagType::ntag424_dna).where(&Tag::active, Op::eq, true);
      if (pt.room_id) q.where(&Tag::room_id, Op::eq, *pt.room_id);
      if (pt.asset_id) q.where(&Tag::asset_id, Op::eq, *pt.asset_id);
      for (auto& candidate : tags.find(q)) {
        try {
          sun = verify(in.picc_data, in.cmac, parse_key(candidate.sun_meta_key, "sun_meta_key"),
                       parse_key(candidate.sun_file_key, "sun_file_key"));
        } catch (const Error&) {
          continue;  // not this tag's keys
        }
        if (sun->uid == candidate.uid) {
          tag = candidate;
          break;
        }
        sun.reset();  // decrypted under this tag's keys but names another tag: a clone
      }
      if (tag) break;
    }
    if (!tag) {
      sc.flag = ScanFlag::forged;
      sc.detail = "no tag of this task's points made this message (copied, altered or cloned)";
      return std::nullopt;
    }
    sc.uid = tag->uid;
    sc.tag_id = tag->id;
    sc.counter = sun->counter;
    sc.verified = true;
    if (static_cast<std::int64_t>(sun->counter) <= tag->sun_counter) {
      sc.flag = ScanFlag::replayed;
      sc.detail = "tap counter " + std::to_string(sun->counter) + " is not above " +
                  std::to_string(tag->sun_counter) + ": a replayed tap";
      return std::nullopt;
    }
    tag->sun_counter = sun->counter;
    tags.update(*tag);
    return accept_scan(t, tag, sc);
  });
}

std::optional<std::size_t> Planner::accept_scan(Task& t, const std::optional<Tag>& tag, Scan& sc) {
  if (!tag || !tag->active) {
    sc.flag = ScanFlag::wrong_point;
    sc.detail = "tag " + sc.uid + " is not registered";
    return std::nullopt;
  }
  sc.tag_id = tag->id;
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const auto& pt = t.points[i];
    if ((pt.room_id && pt.room_id == tag->room_id) ||
        (pt.asset_id && pt.asset_id == tag->asset_id)) {
      if (!at || (t.points[*at].scan_id && !pt.scan_id)) at = i;  // the first not yet scanned
    }
  }
  if (!at) {
    sc.flag = ScanFlag::wrong_point;
    sc.detail = "tag " + tag->uid + " is not at a point of task " + t.code;
    return std::nullopt;
  }
  auto& pt = t.points[*at];
  if (pt.scan_id) {
    sc.flag = ScanFlag::duplicate;
    sc.detail = "point " + std::to_string(*at + 1) + " was scanned already";
    return std::nullopt;
  }
  const auto plan = Repository<Plan>(store_).require(t.plan_id);
  const auto opens = t.due_at - minutes(plan.lead_minutes);
  if (sc.at < opens || sc.at > t.window_end) {
    sc.flag = ScanFlag::outside_window;
    sc.detail = "outside the task's window " + format_timestamp(opens) + " .. " +
                format_timestamp(t.window_end);
    return std::nullopt;
  }
  // Walking from the last point scanned must have been possible.
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < t.points.size(); ++i)
    if (t.points[i].scanned_at && (!last || *t.points[i].scanned_at > *t.points[*last].scanned_at))
      last = i;
  if (last) {
    const auto& from = t.points[*last];
    const double need = walk_seconds(walk_, place_of(store_, from.room_id, from.asset_id),
                                     place_of(store_, pt.room_id, pt.asset_id));
    const double took = std::chrono::duration<double>(sc.at - *from.scanned_at).count();
    if (took < need) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "%.0f s after point %zu, but walking there takes at least %.0f s", took,
                    *last + 1, need);
      sc.flag = ScanFlag::too_fast;
      sc.detail = buf;
      return std::nullopt;
    }
  }
  sc.accepted = true;
  pt.scanned_at = sc.at;
  bool earlier_missing = false;
  for (std::size_t i = 0; i < *at; ++i)
    earlier_missing = earlier_missing || !t.points[i].scanned_at;
  if (earlier_missing) {
    sc.flag = ScanFlag::out_of_order;
    sc.detail = "point " + std::to_string(*at + 1) + " before an earlier point of the route";
  } else if (tag->weak) {
    sc.flag = ScanFlag::weak_tag;
    sc.detail = "a 4-byte UID repeats and clones: weak evidence";
  }
  return at;
}

Task Planner::complete(const auth::Actor& actor, const CompleteInput& in) {
  return audit::audited(store_, actor, "inspection.complete", [&](audit::Call& call) {
    call.require("inspection.perform");
    auto t = require_task(store_, in.task_code);
    call.target(entity_traits<Task>::table, t.id);
    require_open(t);
    for (std::size_t i = 0; i < t.points.size(); ++i)
      if (!t.points[i].scan_id)
        fail(ErrorCode::failed_precondition, "inspection task " + t.code + ": point " +
                                                 std::to_string(i + 1) +
                                                 " has no accepted scan of its tag");
    const auto tmpl = Repository<Template>(store_).require(t.template_id);
    std::map<std::pair<std::string, int>, std::size_t> seen;
    auto results = in.results;
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto& r = results[i];
      const std::string at = "results[" + std::to_string(i) + "]";
      auto item = std::find_if(tmpl.items.begin(), tmpl.items.end(),
                               [&](const ChecklistItem& c) { return c.key == r.key; });
      if (item == tmpl.items.end())
        fail(ErrorCode::invalid_argument, at + ".key: '" + r.key + "' is not an item of " +
                                              tmpl.code + " revision " +
                                              std::to_string(tmpl.revision));
      if (r.point < 0 || r.point >= static_cast<std::int32_t>(t.points.size()))
        fail(ErrorCode::invalid_argument,
             at + ".point: the task has points 0.." + std::to_string(t.points.size() - 1));
      if (!seen.emplace(std::pair{r.key, r.point}, i).second)
        fail(ErrorCode::invalid_argument,
             at + ": item '" + r.key + "' at point " + std::to_string(r.point) + " answered twice");
      judge(*item, r, at);
    }
    for (const auto& item : tmpl.items)
      for (std::size_t p = 0; p < t.points.size(); ++p)
        if (item.required && !seen.count({item.key, static_cast<int>(p)}))
          fail(ErrorCode::invalid_argument, "results: required item '" + item.key + "' at point " +
                                                std::to_string(p) + " is not answered");
    const auto before = json::to_json(t);
    const auto now = store_.clock().now();
    t.results = std::move(results);
    t.status = TaskStatus::done;
    t.completed_at = now;
    t.completed_by = actor.label();
    t.late = now > t.window_end;
    t.note = in.note;
    t.findings = 0;
    for (const auto& r : t.results) t.findings += r.failed ? 1 : 0;
    Repository<Task>(store_).update(t);
    close_for_anchor(store_, t.plan_id, now);
    call.record(entity_traits<Task>::table, t.id, before, json::to_json(t), "completed");
    store_.events().publish(TaskCompleted{t.id, t.code, t.plan_id, t.late, t.findings, now},
                            actor.label());
    for (const auto& r : t.results) {
      if (!r.failed) continue;
      const auto& item = *std::find_if(tmpl.items.begin(), tmpl.items.end(),
                                       [&](const ChecklistItem& c) { return c.key == r.key; });
      const auto& pt = t.points[static_cast<std::size_t>(r.point)];
      store_.events().publish(
          InspectionFinding{t.id, t.code, t.plan_id, r.key, r.point, item.text,
                            describe_answer(item, r), r.finding, pt.asset_id, pt.room_id,
                            pt.scan_id, actor.label(), now, item.opens},
          actor.label());
    }
    return t;
  });
}

Task Planner::exempt(const auth::Actor& actor, const ExemptInput& in) {
  return audit::audited(store_, actor, "inspection.exempt", [&](audit::Call& call) {
    call.require("inspection.supervise");
    auto t = require_task(store_, in.task_code);
    call.target(entity_traits<Task>::table, t.id);
    require_open(t);
    if (in.reason == ExemptReason::other && in.note.empty())
      fail(ErrorCode::invalid_argument, "note: an exemption for another reason says which");
    const auto before = json::to_json(t);
    t.status = TaskStatus::exempt;
    t.exempt_reason = in.reason;
    t.note = in.note;
    t.completed_at = store_.clock().now();
    t.completed_by = actor.label();
    Repository<Task>(store_).update(t);
    close_for_anchor(store_, t.plan_id, *t.completed_at);
    call.record(entity_traits<Task>::table, t.id, before, json::to_json(t),
                "exempt: " + std::string(enum_name(in.reason)));
    return t;
  });
}

Compliance Planner::compliance(const ComplianceInput& in) {
  if (in.to <= in.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  Compliance c;
  c.query = in;
  std::map<Id, PlanCompliance> by;
  std::map<Id, std::string> names;
  for (const auto& p : Repository<Plan>(store_).find())
    names[p.id] = p.name.empty() ? p.code : p.name;
  auto add = [](PlanCompliance& pc, const Task& t) {
    ++pc.due;
    switch (t.status) {
      case TaskStatus::open:
        ++pc.open;
        break;
      case TaskStatus::done:
        ++(t.late ? pc.late : pc.done);
        break;
      case TaskStatus::missed:
        ++pc.missed;
        break;
      case TaskStatus::exempt:
        ++pc.exempt;
        break;
    }
    pc.findings += t.findings;
  };
  for (const auto& t : Repository<Task>(store_).find(Query<Task>()
                                                         .where(&Task::due_at, Op::ge, in.from)
                                                         .where(&Task::due_at, Op::lt, in.to)
                                                         .order_by(&Task::id))) {
    auto& pc = by[t.plan_id];
    pc.plan_id = t.plan_id;
    pc.plan = names[t.plan_id];
    add(pc, t);
    add(c.total, t);
  }
  for (auto& [id, pc] : by) c.plans.push_back(pc);
  const auto judged = c.total.due - c.total.exempt - c.total.open;
  c.completion_rate = judged > 0 ? static_cast<double>(c.total.done) / judged : 1.0;
  const auto now = store_.clock().now();
  c.overdue = Repository<Task>(store_).find(Query<Task>()
                                                .where(&Task::status, Op::eq, TaskStatus::open)
                                                .where(&Task::due_at, Op::lt, now)
                                                .order_by(&Task::due_at));
  return c;
}

}  // namespace houqin::inspection
