// Safety patrols on the inspection machinery (see patrol.hpp).
#include "houqin/patrol/patrol.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::patrol {
namespace {

using inspection::ChecklistItem;
using inspection::FindingOpens;
using inspection::ItemKind;
using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Area, Signoff, Rules>("patrol");
[[maybe_unused]] const bool exposed =
    store::expose<Area, Signoff, Rules>({.read = "patrol.read", .write = "", .read_personal = ""});

ChecklistItem check(const char* key, const char* text) {
  ChecklistItem i;
  i.key = key;
  i.text = text;
  i.kind = ItemKind::pass_fail;
  i.opens = FindingOpens::general_hazard;
  return i;
}

/// The rules' minimum patrols a day for an area type: {by day, by night}.
std::pair<std::int32_t, std::int32_t> minimum(const Rules& r, AreaType t) {
  switch (t) {
    case AreaType::inpatient:
      return {r.inpatient_day, r.inpatient_night};
    case AreaType::outpatient:
      return {r.outpatient_day, r.outpatient_night};
    case AreaType::emergency:
      return {r.emergency_day, r.emergency_night};
    case AreaType::other:
      return {r.other_day, r.other_night};
  }
  return {1, 0};
}

/// The next time at or after now that is `minute_of_day` local.
Timestamp next_local(Timestamp now, std::int32_t minute_of_day, std::int32_t utc_offset_minutes) {
  const auto offset = std::chrono::minutes(utc_offset_minutes);
  const auto local = now + offset;
  auto at = std::chrono::floor<std::chrono::days>(local) + std::chrono::minutes(minute_of_day);
  if (at < local) at += std::chrono::days(1);
  return at - offset;
}

/// The plan codes of an area's patrols: PATROL-<area>-D1.. by day, -N1.. by night.
std::string plan_code(const Area& a, bool night, std::size_t i) {
  return "PATROL-" + a.code + (night ? "-N" : "-D") + std::to_string(i + 1);
}

/// Makes, changes or retires the plans of one half of the day: n patrols spread over 12 hours
/// from `start_minute`, each with a window of 12 h / n.
std::vector<Id> sync_plans(store::Store& s, const auth::Actor& actor, const Area& a, bool night,
                           std::int32_t n, std::int32_t start_minute, std::int32_t utc_offset,
                           const std::vector<Id>& before) {
  inspection::Planner planner(s);
  Repository<inspection::Plan> plans(s);
  std::vector<Id> out;
  const auto count = std::max<std::size_t>(static_cast<std::size_t>(n), before.size());
  const std::int32_t spacing = n > 0 ? 12 * 60 / n : 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto code = plan_code(a, night, i);
    auto existing =
        plans.find_one(Query<inspection::Plan>().where(&inspection::Plan::code, Op::eq, code));
    inspection::Plan p = existing ? *existing : inspection::Plan{};
    p.code = code;
    if (i >= static_cast<std::size_t>(n)) {  // no longer needed
      if (existing && existing->active) {
        p.active = false;
        planner.save_plan(actor, p);
      }
      continue;
    }
    const std::int32_t minute = (start_minute + static_cast<std::int32_t>(i) * spacing) % (24 * 60);
    p.name = (a.name.empty() ? a.code : a.name) + (night ? " 夜间巡查 " : " 日间巡查 ") +
             std::to_string(i + 1) + "/" + std::to_string(n);
    p.template_code = a.template_code;
    p.route_id = a.route_id;
    p.asset_id.reset();
    p.room_id.reset();
    p.every = 1;
    p.unit = inspection::IntervalUnit::day;
    p.anchor = inspection::Anchor::fixed;
    p.days_of_week = 0;
    p.shift_id.reset();
    p.utc_offset_minutes = utc_offset;
    const auto next = next_local(s.clock().now(), minute, utc_offset);
    // A new plan, or one whose time of day moved, starts at its next occurrence.
    if (!existing ||
        (existing->start + std::chrono::minutes(utc_offset)).time_since_epoch() %
                std::chrono::days(1) !=
            (next + std::chrono::minutes(utc_offset)).time_since_epoch() % std::chrono::days(1))
      p.start = next;
    p.window_minutes = spacing;
    p.lead_minutes = 0;
    p.skill = a.skill;
    p.assignee_staff_id = a.patroller_staff_id;
    p.active = a.active;
    out.push_back(planner.save_plan(actor, p).id);
  }
  return out;
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {{"patrol", 1, "patrol areas, countersignatures, frequency rules", [](store::Store& s) {
             store::create_table<Area>(s);
             store::create_table<Signoff>(s);
             store::create_table<Rules>(s);
           }}};
}

inspection::TemplateInput fire_safety_checklist() {
  inspection::TemplateInput t;
  t.code = "FIRE-SAFETY";
  t.name = "消防安全巡查";
  t.items = {check("exits_clear", "安全出口、疏散通道畅通，无堵塞、锁闭"),
             check("fire_doors_closed", "常闭式防火门处于关闭状态，闭门器完好"),
             check("extinguishers_present", "灭火器配置齐全、位置明显、取用方便"),
             check("extinguishers_in_date", "灭火器压力正常、在有效期内"),
             check("emergency_lighting", "应急照明、疏散指示标志完好有效"),
             check("hydrants_clear", "消火栓无遮挡，水带水枪齐全")};
  ChecklistItem electrical;
  electrical.key = "electrical";
  electrical.text = "电气安全";
  electrical.kind = ItemKind::choice;
  electrical.choices = {"正常", "私拉乱接", "超负荷用电", "线路老化破损", "违规使用大功率电器"};
  electrical.failing_choices = {"私拉乱接", "超负荷用电", "线路老化破损", "违规使用大功率电器"};
  electrical.opens = FindingOpens::general_hazard;
  t.items.push_back(electrical);
  ChecklistItem photo;
  photo.key = "photo";
  photo.text = "现场照片";
  photo.kind = ItemKind::photo;
  photo.required = false;
  t.items.push_back(photo);
  ChecklistItem note;
  note.key = "note";
  note.text = "其他情况";
  note.kind = ItemKind::text;
  note.required = false;
  t.items.push_back(note);
  return t;
}

Rules Patrols::rules() {
  return store::settings<Rules>(store_);
}

Rules Patrols::save_rules(const auth::Actor& actor, Rules r) {
  return audit::audited(store_, actor, "patrol.configure", [&](audit::Call& call) {
    call.require("patrol.plan");
    for (auto [name, v] :
         {std::pair{"inpatient_day", r.inpatient_day},
          std::pair{"inpatient_night", r.inpatient_night},
          std::pair{"outpatient_day", r.outpatient_day},
          std::pair{"outpatient_night", r.outpatient_night},
          std::pair{"emergency_day", r.emergency_day},
          std::pair{"emergency_night", r.emergency_night}, std::pair{"other_day", r.other_day},
          std::pair{"other_night", r.other_night}})
      if (v < 0 || v > 24)
        fail(ErrorCode::invalid_argument,
             std::string(name) + ": " + std::to_string(v) + " is outside 0..24");
    for (auto [name, v] : {std::pair{"day_start_minutes", r.day_start_minutes},
                           std::pair{"night_start_minutes", r.night_start_minutes}})
      if (v < 0 || v >= 24 * 60)
        fail(ErrorCode::invalid_argument,
             std::string(name) + ": " + std::to_string(v) + " is outside 0..1439");
    if (r.utc_offset_minutes < -840 || r.utc_offset_minutes > 840)
      fail(ErrorCode::invalid_argument, "utc_offset_minutes: outside -840..840");
    store::save_settings(store_, r);
    call.record(entity_traits<Rules>::table, r.id, std::nullopt, json::to_json(r));
    return r;
  });
}

inspection::Template Patrols::install_checklist(const auth::Actor& actor) {
  return inspection::Planner(store_).save_template(actor, fire_safety_checklist());
}

Area Patrols::save_area(const auth::Actor& actor, Area a) {
  return audit::audited(store_, actor, "patrol.save_area", [&](audit::Call& call) {
    call.require("patrol.plan", auth::Scope{a.department_id, std::nullopt});
    if (a.code.empty() || a.code.size() > 40)
      fail(ErrorCode::invalid_argument, "code: 1..40 characters");
    if (!Repository<inspection::Route>(store_).get(a.route_id))
      fail(ErrorCode::invalid_argument,
           "route_id: route " + std::to_string(a.route_id) + " not found");
    if (!Repository<inspection::Template>(store_).find_one(Query<inspection::Template>().where(
            &inspection::Template::code, Op::eq, a.template_code)))
      fail(ErrorCode::invalid_argument, "template_code: no checklist '" + a.template_code +
                                            "' (patrol.install_checklist makes FIRE-SAFETY)");
    for (auto [field, staff] : {std::pair{"supervisor_staff_id", a.supervisor_staff_id},
                                std::pair{"patroller_staff_id", a.patroller_staff_id}})
      if (staff && !Repository<site::Staff>(store_).get(*staff))
        fail(ErrorCode::invalid_argument,
             std::string(field) + ": staff " + std::to_string(*staff) + " not found");
    const auto r = rules();
    const auto [min_day, min_night] = minimum(r, a.type);
    const auto type = std::string(enum_name(a.type));
    const auto day = a.day_patrols.value_or(min_day);
    const auto night = a.night_patrols.value_or(min_night);
    if (day < min_day || day > 24)
      fail(ErrorCode::invalid_argument, "day_patrols: " + std::to_string(day) + " is outside " +
                                            std::to_string(min_day) + "..24 (the minimum for " +
                                            type + " areas)");
    if (night < min_night || night > 24)
      fail(ErrorCode::invalid_argument, "night_patrols: " + std::to_string(night) + " is outside " +
                                            std::to_string(min_night) + "..24 (the minimum for " +
                                            type + " areas)");
    Repository<Area> repo(store_);
    auto old = repo.find_one(Query<Area>().where(&Area::code, Op::eq, a.code));
    a.day_plan_ids = sync_plans(store_, actor, a, false, day, r.day_start_minutes,
                                r.utc_offset_minutes, old ? old->day_plan_ids : std::vector<Id>{});
    a.night_plan_ids =
        sync_plans(store_, actor, a, true, night, r.night_start_minutes, r.utc_offset_minutes,
                   old ? old->night_plan_ids : std::vector<Id>{});
    if (old) {
      a.id = old->id;
      a.version = old->version;
      repo.update(a);
    } else {
      a.id = 0;
      a.version = 0;
      repo.insert(a);
    }
    call.record(entity_traits<Area>::table, a.id,
                old ? std::optional(json::to_json(*old)) : std::nullopt, json::to_json(a));
    return a;
  });
}

std::optional<Area> Patrols::area_of_plan(Id plan_id) {
  for (auto& a : Repository<Area>(store_).find(Query<Area>().order_by(&Area::id))) {
    const auto has = [&](const std::vector<Id>& ids) {
      return std::find(ids.begin(), ids.end(), plan_id) != ids.end();
    };
    if (has(a.day_plan_ids) || has(a.night_plan_ids)) return std::move(a);
  }
  return std::nullopt;
}

Signoff Patrols::countersign(const auth::Actor& actor, const CountersignInput& in) {
  return audit::audited(store_, actor, "patrol.countersign", [&](audit::Call& call) {
    auto task = Repository<inspection::Task>(store_).find_one(
        Query<inspection::Task>().where(&inspection::Task::code, Op::eq, in.task_code));
    if (!task) fail(ErrorCode::not_found, "task " + in.task_code + " not found");
    call.target(entity_traits<inspection::Task>::table, task->id);
    auto area = area_of_plan(task->plan_id);
    if (!area) fail(ErrorCode::failed_precondition, "task " + in.task_code + " is not a patrol");
    call.require("patrol.plan", auth::Scope{area->department_id, std::nullopt});
    if (task->status != inspection::TaskStatus::done)
      fail(ErrorCode::failed_precondition, "patrol " + in.task_code + " is " +
                                               std::string(enum_name(task->status)) +
                                               "; only a completed patrol is countersigned");
    if (task->completed_by == actor.label())
      fail(ErrorCode::failed_precondition, "patrol " + in.task_code + ": " + actor.label() +
                                               " patrolled; the supervisor is another person");
    Repository<Signoff> repo(store_);
    if (repo.find_one(Query<Signoff>().where(&Signoff::task_id, Op::eq, task->id)))
      fail(ErrorCode::already_exists, "patrol " + in.task_code + " is countersigned already");
    Signoff so;
    so.task_id = task->id;
    so.area_id = area->id;
    so.patroller = task->completed_by;
    so.supervisor = actor.label();
    so.signed_at = store_.clock().now();
    so.note = in.note;
    repo.insert(so);
    call.record(entity_traits<Signoff>::table, so.id, std::nullopt, json::to_json(so));
    return so;
  });
}

Compliance Patrols::compliance(const ComplianceInput& in) {
  if (in.to <= in.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  const auto days =
      (std::chrono::duration_cast<std::chrono::hours>(in.to - in.from).count() + 23) / 24;
  const auto r = rules();
  Compliance c;
  c.query = in;
  std::set<Id> signed_tasks;
  for (const auto& so : Repository<Signoff>(store_).find()) signed_tasks.insert(so.task_id);
  Repository<inspection::Task> tasks(store_);
  for (const auto& a : Repository<Area>(store_).find(Query<Area>().order_by(&Area::code))) {
    if (!a.active) continue;
    AreaCompliance ac;
    ac.area_id = a.id;
    ac.area = a.name.empty() ? a.code : a.name;
    ac.type = a.type;
    const auto [min_day, min_night] = minimum(r, a.type);
    ac.required = days * (a.day_patrols.value_or(min_day) + a.night_patrols.value_or(min_night));
    std::vector<Id> plan_ids = a.day_plan_ids;
    plan_ids.insert(plan_ids.end(), a.night_plan_ids.begin(), a.night_plan_ids.end());
    if (!plan_ids.empty())
      for (const auto& t : tasks.find(Query<inspection::Task>()
                                          .where_in(&inspection::Task::plan_id, plan_ids)
                                          .where(&inspection::Task::due_at, Op::ge, in.from)
                                          .where(&inspection::Task::due_at, Op::lt, in.to))) {
        switch (t.status) {
          case inspection::TaskStatus::done:
            ++ac.done;
            if (t.late) ++ac.late;
            break;
          case inspection::TaskStatus::missed:
            ++ac.missed;
            break;
          case inspection::TaskStatus::exempt:
            ++ac.exempt;
            break;
          case inspection::TaskStatus::open:
            break;
        }
        ac.findings += t.findings;
        if (signed_tasks.count(t.id)) ++ac.countersigned;
      }
    ac.rate = ac.required > 0
                  ? std::min(1.0, static_cast<double>(ac.done) / static_cast<double>(ac.required))
                  : 1.0;
    c.required += ac.required;
    c.done += ac.done;
    c.missed += ac.missed;
    c.areas.push_back(std::move(ac));
  }
  c.rate = c.required > 0
               ? std::min(1.0, static_cast<double>(c.done) / static_cast<double>(c.required))
               : 1.0;
  return c;
}

}  // namespace houqin::patrol
