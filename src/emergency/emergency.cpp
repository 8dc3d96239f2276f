// Emergency management (see emergency.hpp).
#include "houqin/emergency/emergency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "houqin/audit/call.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inventory/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::emergency {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Plan, Drill, Training, Incident>("emergency");
[[maybe_unused]] const bool exposed = store::expose<Plan, Drill, Training, Incident>(
    {.read = "emergency.read", .write = "", .read_personal = ""});

/// `t` plus `months` calendar months, the day clamped to the month's last.
Timestamp add_months(Timestamp t, std::int32_t months) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  auto ym = std::chrono::year_month{ymd.year(), ymd.month()} + std::chrono::months(months);
  auto last = std::chrono::year_month_day_last{ym.year(), std::chrono::month_day_last{ym.month()}};
  auto d = std::min(ymd.day(), last.day());
  return std::chrono::sys_days{std::chrono::year_month_day{ym.year(), ym.month(), d}} + (t - day);
}

std::optional<Plan> active_plan(store::Store& s, const std::string& code) {
  return Repository<Plan>(s).find_one(
      Query<Plan>().where(&Plan::code, Op::eq, code).where(&Plan::active, Op::eq, true));
}

Plan require_plan(store::Store& s, const std::string& code) {
  if (code.empty()) fail(ErrorCode::invalid_argument, "plan_code: empty");
  auto p = active_plan(s, code);
  if (!p) fail(ErrorCode::not_found, "emergency plan " + code + " not found");
  return *p;
}

Incident require_incident(store::Store& s, const std::string& code) {
  auto i = Repository<Incident>(s).find_one(Query<Incident>().where(&Incident::code, Op::eq, code));
  if (!i) fail(ErrorCode::not_found, "incident " + code + " not found");
  return *i;
}

void check_names(const std::vector<std::string>& names, const char* field) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i].empty() || names[i].size() > 200)
      fail(ErrorCode::invalid_argument,
           std::string(field) + "[" + std::to_string(i) + "]: 1..200 characters");
}

/// When the plan `code` was first saved and when a drill of it was last held.
struct DrillState {
  Timestamp first_saved{};
  std::optional<Timestamp> last_held;
};
DrillState drill_state(store::Store& s, const std::string& code) {
  DrillState out;
  auto first = Repository<Plan>(s).find(
      Query<Plan>().where(&Plan::code, Op::eq, code).order_by(&Plan::revision).limit(1));
  if (!first.empty()) out.first_saved = first.front().created_at;
  auto held = Repository<Drill>(s).find(Query<Drill>()
                                            .where(&Drill::plan_code, Op::eq, code)
                                            .where(&Drill::status, Op::eq, DrillStatus::done)
                                            .order_by(&Drill::held_at, true)
                                            .limit(1));
  if (!held.empty()) out.last_held = held.front().held_at;
  return out;
}

Timestamp next_drill(const Plan& p, const DrillState& st) {
  return add_months(st.last_held.value_or(st.first_saved), p.drill_every_months);
}

}  // namespace

std::int32_t max_drill_months(Scenario s) {
  return s == Scenario::fire ? 6 : 12;
}

std::vector<store::Migration> migrations() {
  return {{"emergency", 1, "emergency plans, drills, trainings and incidents", [](store::Store& s) {
             store::create_table<Plan>(s);
             store::create_table<Drill>(s);
             store::create_table<Training>(s);
             store::create_table<Incident>(s);
           }}};
}

Plan Emergency::save_plan(const auth::Actor& actor, const PlanInput& in) {
  return audit::audited(store_, actor, "emergency.save_plan", [&](audit::Call& call) {
    call.require("emergency.manage");
    if (in.code.empty() || in.code.size() > 40)
      fail(ErrorCode::invalid_argument, "code: 1..40 characters");
    if (in.title.empty()) fail(ErrorCode::invalid_argument, "title: empty");
    if (in.steps.empty())
      fail(ErrorCode::invalid_argument, "steps: a plan needs at least one response step");
    for (std::size_t i = 0; i < in.steps.size(); ++i) {
      if (in.steps[i].action.empty())
        fail(ErrorCode::invalid_argument, "steps[" + std::to_string(i) + "].action: empty");
      if (in.steps[i].within_minutes < 0 ||
          (i > 0 && in.steps[i].within_minutes < in.steps[i - 1].within_minutes))
        fail(ErrorCode::invalid_argument,
             "steps[" + std::to_string(i) +
                 "].within_minutes: steps are in order of time (not before the step above)");
    }
    for (std::size_t i = 0; i < in.organisation.size(); ++i) {
      const auto& d = in.organisation[i];
      if (d.role.empty())
        fail(ErrorCode::invalid_argument, "organisation[" + std::to_string(i) + "].role: empty");
      if (d.staff_id && !Repository<site::Staff>(store_).get(*d.staff_id))
        fail(ErrorCode::invalid_argument, "organisation[" + std::to_string(i) +
                                              "].staff_id: staff " + std::to_string(*d.staff_id) +
                                              " not found");
    }
    for (std::size_t i = 0; i < in.resources.size(); ++i) {
      const auto& r = in.resources[i];
      if (r.item_id && !Repository<inventory::Item>(store_).get(*r.item_id))
        fail(ErrorCode::invalid_argument, "resources[" + std::to_string(i) + "].item_id: item " +
                                              std::to_string(*r.item_id) + " not found");
      if (!r.item_id && r.name.empty())
        fail(ErrorCode::invalid_argument,
             "resources[" + std::to_string(i) + "]: an inventory item_id or a name");
      if (!(r.quantity >= 0))
        fail(ErrorCode::invalid_argument,
             "resources[" + std::to_string(i) + "].quantity: below zero");
    }
    for (std::size_t i = 0; i < in.alarm_point_ids.size(); ++i)
      if (!Repository<drivers::Point>(store_).get(in.alarm_point_ids[i]))
        fail(ErrorCode::invalid_argument, "alarm_point_ids[" + std::to_string(i) + "]: point " +
                                              std::to_string(in.alarm_point_ids[i]) + " not found");
    if (in.owner_staff_id && !Repository<site::Staff>(store_).get(*in.owner_staff_id))
      fail(ErrorCode::invalid_argument,
           "owner_staff_id: staff " + std::to_string(*in.owner_staff_id) + " not found");
    const auto limit = max_drill_months(in.scenario);
    const auto every = in.drill_every_months.value_or(limit);
    if (every < 1 || every > limit)
      fail(ErrorCode::invalid_argument,
           "drill_every_months: " + std::to_string(every) + " is outside 1.." +
               std::to_string(limit) + " (a " + std::string(enum_name(in.scenario)) +
               " plan is drilled at least every " + std::to_string(limit) + " months)");
    if (in.review_every_months < 1 || in.review_every_months > 36)
      fail(ErrorCode::invalid_argument, "review_every_months: outside 1..36");
    Repository<Plan> repo(store_);
    Plan p;
    p.code = in.code;
    if (auto old = active_plan(store_, in.code)) {
      p.revision = old->revision + 1;
      p.drill_due_told = old->drill_due_told;  // the drill history carries over
      old->active = false;
      repo.update(*old);
    }
    p.scenario = in.scenario;
    p.title = in.title;
    p.scope = in.scope;
    p.levels = in.levels;
    p.organisation = in.organisation;
    p.reporting_chain = in.reporting_chain;
    p.steps = in.steps;
    p.resources = in.resources;
    p.alarm_point_ids = in.alarm_point_ids;
    p.owner_staff_id = in.owner_staff_id;
    p.drill_every_months = every;
    p.review_every_months = in.review_every_months;
    p.created_at = store_.clock().now();
    p.created_by = actor.label();
    p.next_review = add_months(p.created_at, in.review_every_months);
    repo.insert(p);
    call.record(entity_traits<Plan>::table, p.id, std::nullopt, json::to_json(p),
                "revision " + std::to_string(p.revision));
    return p;
  });
}

Plan Emergency::plan(const std::string& code) {
  return require_plan(store_, code);
}

std::optional<Plan> Emergency::plan_for_point(Id point_id) {
  for (auto& p : Repository<Plan>(store_).find(
           Query<Plan>().where(&Plan::active, Op::eq, true).order_by(&Plan::code)))
    if (std::find(p.alarm_point_ids.begin(), p.alarm_point_ids.end(), point_id) !=
        p.alarm_point_ids.end())
      return std::move(p);
  return std::nullopt;
}

AlarmPlan Emergency::alarm_plan(const auth::Actor& actor, Id point_id) {
  return audit::audited(store_, actor, "emergency.plan_for_point", [&](audit::Call& call) {
    call.require("emergency.read");
    call.quiet();
    AlarmPlan out;
    auto p = plan_for_point(point_id);
    if (!p) return out;
    out.covered = true;
    out.code = p->code;
    out.revision = p->revision;
    out.title = p->title;
    out.scenario = p->scenario;
    out.levels = p->levels;
    out.steps = p->steps;
    out.reporting_chain = p->reporting_chain;
    out.roster = roster(*p);
    return out;
  });
}

std::vector<RosterEntry> Emergency::roster(const Plan& plan) {
  std::vector<RosterEntry> out;
  for (const auto& d : plan.organisation) {
    RosterEntry r{d.role, d.staff_id, "", d.duties};
    if (d.staff_id)
      if (auto st = Repository<site::Staff>(store_).get(*d.staff_id)) r.name = st->name;
    out.push_back(std::move(r));
  }
  return out;
}

Drill Emergency::schedule_drill(const auth::Actor& actor, const ScheduleInput& in) {
  return audit::audited(store_, actor, "emergency.schedule_drill", [&](audit::Call& call) {
    call.require("emergency.manage");
    const auto p = require_plan(store_, in.plan_code);
    Drill d;
    d.plan_code = p.code;
    d.plan_revision = p.revision;
    d.kind = in.kind;
    d.scheduled_for = in.scheduled_for;
    Repository<Drill>(store_).insert(d);
    call.record(entity_traits<Drill>::table, d.id, std::nullopt, json::to_json(d), "scheduled");
    return d;
  });
}

Drill Emergency::record_drill(const auth::Actor& actor, const RecordInput& in) {
  return audit::audited(store_, actor, "emergency.record_drill", [&](audit::Call& call) {
    call.require("emergency.manage");
    Repository<Drill> repo(store_);
    auto d = repo.get(in.drill_id);
    if (!d) fail(ErrorCode::not_found, "drill " + std::to_string(in.drill_id) + " not found");
    call.target(entity_traits<Drill>::table, d->id);
    if (d->status != DrillStatus::scheduled)
      fail(ErrorCode::failed_precondition, "drill " + std::to_string(d->id) + " is " +
                                               std::string(enum_name(d->status)) +
                                               "; only a scheduled drill is recorded");
    if (in.participants.empty())
      fail(ErrorCode::invalid_argument, "participants: a drill has participants");
    check_names(in.participants, "participants");
    if (in.score && (*in.score < 0 || *in.score > 100))
      fail(ErrorCode::invalid_argument, "score: outside 0..100");
    if (in.recovery_seconds && !(*in.recovery_seconds >= 0))
      fail(ErrorCode::invalid_argument, "recovery_seconds: below zero");
    const auto now = store_.clock().now();
    if (in.held_at && *in.held_at > now)
      fail(ErrorCode::invalid_argument,
           "held_at: " + format_timestamp(*in.held_at) + " is in the future");
    const auto before = json::to_json(*d);
    d->status = DrillStatus::done;
    d->held_at = in.held_at.value_or(now);
    d->participants = in.participants;
    d->timeline = in.timeline;
    std::sort(d->timeline.begin(), d->timeline.end(),
              [](const auto& a, const auto& b) { return a.at < b.at; });
    d->findings = in.findings;
    d->evaluation = in.evaluation;
    d->score = in.score;
    d->recovery_seconds = in.recovery_seconds;
    d->outcome = in.outcome;
    d->recorded_by = actor.label();
    // Each finding that needs fixing runs the hazard loop.
    hazard::Hazards hazards(store_);
    for (const auto& f : in.follow_ups) {
      hazard::ReportInput h;
      h.title = f.title;
      h.grade = f.grade;
      h.source = hazard::Source::web;
      h.source_ref = "drill:" + std::to_string(d->id) + ";plan=" + d->plan_code;
      h.room_id = f.room_id;
      h.location = f.location;
      h.description = "应急演练发现 (" + d->plan_code + " drill " + std::to_string(d->id) + ")";
      d->hazard_codes.push_back(hazards.report(actor, h).code);
    }
    repo.update(*d);
    call.record(entity_traits<Drill>::table, d->id, before, json::to_json(*d), "held");
    return *d;
  });
}

Training Emergency::record_training(const auth::Actor& actor, const TrainingInput& in) {
  return audit::audited(store_, actor, "emergency.record_training", [&](audit::Call& call) {
    call.require("emergency.manage");
    require_plan(store_, in.plan_code);
    if (in.topic.empty()) fail(ErrorCode::invalid_argument, "topic: empty");
    if (in.attendees.empty())
      fail(ErrorCode::invalid_argument, "attendees: a training has attendees");
    check_names(in.attendees, "attendees");
    if (!(in.hours >= 0 && in.hours <= 100))
      fail(ErrorCode::invalid_argument, "hours: outside 0..100");
    Training t;
    t.plan_code = in.plan_code;
    t.topic = in.topic;
    t.held_at = in.held_at.value_or(store_.clock().now());
    t.trainer = in.trainer;
    t.attendees = in.attendees;
    t.hours = in.hours;
    Repository<Training>(store_).insert(t);
    call.record(entity_traits<Training>::table, t.id, std::nullopt, json::to_json(t));
    return t;
  });
}

Incident Emergency::activate(const auth::Actor& actor, const ActivateInput& in) {
  return audit::audited(store_, actor, "emergency.activate", [&](audit::Call& call) {
    call.require("emergency.activate");
    const auto p = require_plan(store_, in.plan_code);
    if (!p.levels.empty() &&
        std::none_of(p.levels.begin(), p.levels.end(),
                     [&](const ResponseLevel& l) { return l.level == in.level; })) {
      std::string known;
      for (const auto& l : p.levels) known += (known.empty() ? "" : ", ") + l.level;
      fail(ErrorCode::invalid_argument,
           "level: '" + in.level + "' is not a level of plan " + p.code + " (" + known + ")");
    }
    if (in.level.empty()) fail(ErrorCode::invalid_argument, "level: empty");
    const auto now = store_.clock().now();
    // EM-YYYYMMDD-nnn, the local (UTC+8) day.
    const auto day = format_timestamp(now + std::chrono::hours(8)).substr(0, 10);
    const std::string prefix = "EM-" + day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) + "-";
    auto last =
        Repository<Incident>(store_).find(Query<Incident>()
                                              .where(&Incident::code, Op::ge, prefix + "000")
                                              .where(&Incident::code, Op::le, prefix + "999")
                                              .order_by(&Incident::code, true)
                                              .limit(1));
    const long long n = last.empty() ? 0 : std::atoll(last.front().code.c_str() + prefix.size());
    char num[24];
    std::snprintf(num, sizeof num, "%03lld", n + 1);
    Incident i;
    i.code = prefix + num;
    i.plan_code = p.code;
    i.plan_revision = p.revision;
    i.scenario = p.scenario;
    i.level = in.level;
    i.activated_at = now;
    i.activated_by = actor.label();
    i.point_id = in.point_id;
    i.episode = in.episode;
    i.timeline.push_back({now,
                          "预案启动 " + p.code + " (" + p.title + "), level " + in.level +
                              (in.note.empty() ? "" : ": " + in.note),
                          actor.label()});
    Repository<Incident>(store_).insert(i);
    call.record(entity_traits<Incident>::table, i.id, std::nullopt, json::to_json(i), "activated");
    store_.events().publish(
        IncidentActivated{i.id, i.code, p.code, p.title, i.level, i.point_id, now}, actor.label());
    return i;
  });
}

Incident Emergency::log(const auth::Actor& actor, const LogInput& in) {
  return audit::audited(store_, actor, "emergency.log", [&](audit::Call& call) {
    call.require("emergency.activate");
    auto i = require_incident(store_, in.code);
    call.target(entity_traits<Incident>::table, i.id);
    if (i.status != IncidentStatus::active)
      fail(ErrorCode::failed_precondition, "incident " + i.code + " is closed");
    if (in.what.empty()) fail(ErrorCode::invalid_argument, "what: empty");
    const auto before = json::to_json(i);
    i.timeline.push_back({store_.clock().now(), in.what, actor.label()});
    Repository<Incident>(store_).update(i);
    call.record(entity_traits<Incident>::table, i.id, before, json::to_json(i), "log");
    return i;
  });
}

Incident Emergency::close(const auth::Actor& actor, const CloseInput& in) {
  return audit::audited(store_, actor, "emergency.close", [&](audit::Call& call) {
    call.require("emergency.activate");
    auto i = require_incident(store_, in.code);
    call.target(entity_traits<Incident>::table, i.id);
    if (i.status != IncidentStatus::active)
      fail(ErrorCode::failed_precondition, "incident " + i.code + " is closed already");
    if (in.summary.empty()) fail(ErrorCode::invalid_argument, "summary: empty");
    const auto before = json::to_json(i);
    const auto now = store_.clock().now();
    i.status = IncidentStatus::closed;
    i.closed_at = now;
    i.summary = in.summary;
    i.timeline.push_back({now, "应急结束: " + in.summary, actor.label()});
    Repository<Incident>(store_).update(i);
    call.record(entity_traits<Incident>::table, i.id, before, json::to_json(i), "closed");
    return i;
  });
}

DrillReport Emergency::drills(const DrillQuery& in) {
  if (in.to <= in.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  const auto now = store_.clock().now();
  DrillReport r;
  r.query = in;
  // Whole months in the period, rounded up (30.44 days each).
  const double months = std::chrono::duration<double, std::ratio<2629746>>(in.to - in.from).count();
  for (const auto& p : Repository<Plan>(store_).find(
           Query<Plan>().where(&Plan::active, Op::eq, true).order_by(&Plan::code))) {
    PlanDrills row;
    row.plan_code = p.code;
    row.title = p.title;
    row.scenario = p.scenario;
    row.drill_every_months = p.drill_every_months;
    row.required = static_cast<std::int64_t>(std::ceil(months / p.drill_every_months - 1e-9));
    row.done = Repository<Drill>(store_).count(Query<Drill>()
                                                   .where(&Drill::plan_code, Op::eq, p.code)
                                                   .where(&Drill::status, Op::eq, DrillStatus::done)
                                                   .where(&Drill::held_at, Op::ge, in.from)
                                                   .where(&Drill::held_at, Op::lt, in.to));
    const auto st = drill_state(store_, p.code);
    row.last_held = st.last_held;
    row.next_due = next_drill(p, st);
    row.overdue = now > row.next_due;
    for (const auto& t :
         Repository<Training>(store_).find(Query<Training>()
                                               .where(&Training::plan_code, Op::eq, p.code)
                                               .where(&Training::held_at, Op::ge, in.from)
                                               .where(&Training::held_at, Op::lt, in.to))) {
      ++row.trainings;
      row.attendees += static_cast<std::int64_t>(t.attendees.size());
    }
    r.required += row.required;
    r.done += std::min(row.done, row.required);
    if (row.overdue) ++r.overdue;
    r.plans.push_back(std::move(row));
  }
  return r;
}

DueCheck Emergency::check_due(const auth::Actor& actor) {
  return audit::audited(store_, actor, "emergency.check", [&](audit::Call& call) {
    call.require("emergency.manage");
    const auto now = store_.clock().now();
    DueCheck out;
    Repository<Plan> repo(store_);
    for (auto& p :
         repo.find(Query<Plan>().where(&Plan::active, Op::eq, true).order_by(&Plan::id))) {
      ++out.plans;
      bool changed = false;
      const auto due = next_drill(p, drill_state(store_, p.code));
      if (now > due) {
        ++out.drills_due;
        if (p.drill_due_told != due) {
          p.drill_due_told = due;
          changed = true;
          ++out.told;
          store_.events().publish(
              PlanDue{p.id, p.code, p.title, DueKind::drill, due, p.owner_staff_id}, actor.label());
        }
      }
      if (now > p.next_review) {
        ++out.reviews_due;
        if (!p.review_due_told) {
          p.review_due_told = true;
          changed = true;
          ++out.told;
          store_.events().publish(
              PlanDue{p.id, p.code, p.title, DueKind::review, p.next_review, p.owner_staff_id},
              actor.label());
        }
      }
      if (changed) {
        repo.update(p);
        call.record(entity_traits<Plan>::table, p.id, std::nullopt, std::nullopt, "due told");
      }
    }
    call.quiet();
    return out;
  });
}

}  // namespace houqin::emergency
