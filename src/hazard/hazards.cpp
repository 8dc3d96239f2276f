// The hazard closed loop (see hazards.hpp): the transition table and the service over it.
#include "houqin/hazard/hazards.hpp"

#include <cstdio>
#include <cstdlib>

#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::hazard {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Hazard, Record, Rules>("hazard");
// Read through the generic entity API with hazard.read; changes go through Hazards only.
[[maybe_unused]] const bool exposed =
    store::expose<Hazard, Record, Rules>({.read = "hazard.read", .write = "", .read_personal = ""});

constexpr StatusSet open_or_new = bit(Status::reported) | bit(Status::assigned);
constexpr StatusSet in_work = bit(Status::assigned) | bit(Status::rectifying);

// The closed loop. Who: anyone with hazard.report reports; the safety office (hazard.manage)
// assigns, plans, decides extensions, asks for work orders and cancels; the assigned unit
// (hazard.rectify in that department) starts, asks for extensions and submits; a reviewer
// (hazard.review, not the one who submitted) closes or sends back.
constexpr Transition table[] = {
    {Action::report, 0, Status::reported, "hazard.report", false},
    {Action::fix_on_spot, 0, Status::review, "hazard.report", false},
    {Action::assign, open_or_new, Status::assigned, "hazard.manage", false},
    {Action::plan, open_or_new | bit(Status::rectifying), std::nullopt, "hazard.manage", false},
    {Action::start, bit(Status::assigned), Status::rectifying, "hazard.rectify", false},
    {Action::request_extension, in_work, std::nullopt, "hazard.rectify", true},
    {Action::grant_extension, in_work, std::nullopt, "hazard.manage", false},
    {Action::deny_extension, in_work, std::nullopt, "hazard.manage", true},
    {Action::submit, bit(Status::rectifying), Status::review, "hazard.rectify", false},
    {Action::approve, bit(Status::review), Status::closed, "hazard.review", false},
    {Action::reject, bit(Status::review), Status::rectifying, "hazard.review", true},
    {Action::request_order, open_or_new | bit(Status::rectifying), std::nullopt, "hazard.manage",
     false},
    {Action::link_order, open_states, std::nullopt, "hazard.manage", false},
    {Action::close_by_order, open_states, Status::closed, "hazard.review", false},
    {Action::cancel, open_or_new, Status::cancelled, "hazard.manage", true},
};

std::string states_of(StatusSet set) {
  std::string out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<Status>>([&](auto d) {
    if (set & bit(d.value)) out += (out.empty() ? "" : ", ") + std::string(d.name);
  });
  return out;
}

Hazard require_hazard(store::Store& s, const std::string& code) {
  if (code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
  auto h = Repository<Hazard>(s).find_one(Query<Hazard>().where(&Hazard::code, Op::eq, code));
  if (!h) fail(ErrorCode::not_found, "hazard " + code + " not found");
  return *h;
}

/// Where a hazard is, as a permission scope: its department and the building of its room.
auth::Scope place_of(store::Store& s, std::optional<Id> room_id, std::optional<Id> department) {
  auth::Scope scope{department, std::nullopt};
  if (room_id)
    if (auto room = Repository<site::Room>(s).get(*room_id))
      if (auto floor = Repository<site::Floor>(s).get(room->floor_id))
        scope.building_id = floor->building_id;
  return scope;
}

/// The scope an action's permission is checked in: the assigned unit for the rectifier's
/// actions, the hazard's place for everything else.
auth::Scope scope_for(store::Store& s, const Hazard& h, const Transition& t) {
  if (t.permission == "hazard.rectify") return auth::Scope{h.assigned_department_id, std::nullopt};
  return place_of(s, h.room_id, h.department_id);
}

void check_photos(const std::vector<std::string>& photos, const char* field) {
  for (std::size_t i = 0; i < photos.size(); ++i)
    if (photos[i].empty() || photos[i].size() > 500)
      fail(ErrorCode::invalid_argument,
           std::string(field) + "[" + std::to_string(i) + "]: a reference of 1..500 characters");
}

void check_staff(store::Store& s, std::optional<Id> staff, const char* field) {
  if (staff && !Repository<site::Staff>(s).get(*staff))
    fail(ErrorCode::invalid_argument,
         std::string(field) + ": staff " + std::to_string(*staff) + " not found");
}

/// A major hazard's 五落实: all five, or an error naming what is missing.
void check_plan(const Hazard& h) {
  if (h.grade != Grade::major) return;
  std::string missing;
  auto need = [&](bool ok, const char* what) {
    if (!ok) missing += (missing.empty() ? "" : ", ") + std::string(what);
  };
  need(h.responsible_staff_id.has_value(), "responsible_staff_id");
  need(!h.measures.empty(), "measures");
  need(h.funds_yuan.has_value(), "funds_yuan");
  need(h.deadline.has_value(), "deadline");
  need(!h.contingency.empty(), "contingency");
  if (!missing.empty())
    fail(ErrorCode::failed_precondition,
         "hazard " + h.code + " is major: its 五落实 plan lacks " + missing);
}

void apply_plan(store::Store& s, Hazard& h, const Plan& p) {
  check_staff(s, p.responsible_staff_id, "plan.responsible_staff_id");
  if (p.funds_yuan && !(*p.funds_yuan >= 0 && *p.funds_yuan < 1e12))
    fail(ErrorCode::invalid_argument, "plan.funds_yuan: outside 0..1e12");
  h.responsible_staff_id = p.responsible_staff_id;
  h.measures = p.measures;
  h.funds_yuan = p.funds_yuan;
  h.contingency = p.contingency;
}

void set_deadline(store::Store& s, Hazard& h, Timestamp deadline) {
  if (deadline <= s.clock().now())
    fail(ErrorCode::invalid_argument, "deadline: " + format_timestamp(deadline) + " is past");
  h.deadline = deadline;
  h.overdue_level = 0;  // a new deadline starts the escalation over
}

std::string next_code(store::Store& s, std::int32_t utc_offset_minutes) {
  const auto day =
      format_timestamp(s.clock().now() + std::chrono::minutes(utc_offset_minutes)).substr(0, 10);
  const std::string prefix = "HZ-" + day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) + "-";
  auto last = Repository<Hazard>(s).find(Query<Hazard>()
                                             .where(&Hazard::code, Op::ge, prefix + "0000")
                                             .where(&Hazard::code, Op::le, prefix + "9999")
                                             .order_by(&Hazard::code, true)
                                             .limit(1));
  const long long n = last.empty() ? 0 : std::atoll(last.front().code.c_str() + prefix.size());
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld", n + 1);
  return prefix + buf;
}

/// Writes the record, the audit entry and the event of one change.
void recorded(store::Store& s, audit::Call& call, const Hazard& h, Action a, Status from,
              const std::optional<json::Json>& before, const std::string& note) {
  const auto now = s.clock().now();
  Record r;
  r.hazard_id = h.id;
  r.action = a;
  r.from_status = from;
  r.to_status = h.status;
  r.at = now;
  r.actor = call.actor().label();
  r.note = note;
  Repository<Record>(s).insert(r);
  call.record(entity_traits<Hazard>::table, h.id, before, json::to_json(h),
              std::string(enum_name(a)));
  s.events().publish(HazardChanged{h.id, h.code, h.grade, a, from, h.status, h.department_id, now},
                     call.actor().label());
}

/// One action on a stored hazard, by the table: finds it, checks the permission where it applies
/// and the state, runs `effect` on it, moves it and writes record, audit and event -- all in one
/// transaction, or nothing.
template <class F>
Hazard act(store::Store& s, const auth::Actor& actor, Action a, Hazard h, const std::string& note,
           F&& effect) {
  const auto& t = transition(a);
  return audit::audited(s, actor, "hazard." + std::string(enum_name(a)), [&](audit::Call& call) {
    call.target(entity_traits<Hazard>::table, h.id);
    call.require(t.permission, scope_for(s, h, t));
    if (!(t.from & bit(h.status)))
      fail(ErrorCode::failed_precondition,
           "hazard " + h.code + ": " + std::string(enum_name(a)) + " is not allowed when it is " +
               std::string(enum_name(h.status)) + " (only from " + states_of(t.from) + ")");
    if (t.needs_reason && note.empty())
      fail(ErrorCode::invalid_argument,
           "reason: empty; " + std::string(enum_name(a)) + " needs a reason");
    const auto before = json::to_json(h);
    const auto from = h.status;
    effect(h, call);
    if (t.to) {
      h.status = *t.to;
      h.status_at = s.clock().now();
    }
    Repository<Hazard>(s).update(h);
    recorded(s, call, h, a, from, before, note);
    return h;
  });
}

}  // namespace

std::span<const Transition> transitions() noexcept {
  return table;
}

const Transition& transition(Action action) {
  for (const auto& t : table)
    if (t.action == action) return t;
  fail(ErrorCode::internal, "hazard: no transition for " + std::string(enum_name(action)));
}

std::vector<store::Migration> migrations() {
  return {{"hazard", 1, "hazards (隐患), their records and rules", [](store::Store& s) {
             store::create_table<Hazard>(s);
             store::create_table<Record>(s);
             store::create_table<Rules>(s);
             // The timed check looks hazards up by state, reports by report time, the wiring by
             // work order.
             s.execute("CREATE INDEX IF NOT EXISTS hazard_status ON hazard (status, status_at)");
             s.execute("CREATE INDEX IF NOT EXISTS hazard_reported ON hazard (reported_at)");
             s.execute("CREATE INDEX IF NOT EXISTS hazard_order ON hazard (work_order_id)");
             s.execute("CREATE INDEX IF NOT EXISTS hazard_record_of ON hazard_record (hazard_id)");
           }}};
}

Rules Hazards::rules() {
  return store::settings<Rules>(store_);
}

Rules Hazards::save_rules(const auth::Actor& actor, Rules r) {
  return audit::audited(store_, actor, "hazard.configure", [&](audit::Call& call) {
    call.require("hazard.manage");
    for (auto [name, v, lo, hi] :
         {std::tuple{"general_days", r.general_days, 1, 366},
          std::tuple{"major_days", r.major_days, 1, 3 * 366},
          std::tuple{"assign_within_hours", r.assign_within_hours, 1, 720},
          std::tuple{"escalate_every_hours", r.escalate_every_hours, 1, 720},
          std::tuple{"max_extensions", r.max_extensions, 0, 10},
          std::tuple{"utc_offset_minutes", r.utc_offset_minutes, -840, 840}})
      if (v < lo || v > hi)
        fail(ErrorCode::invalid_argument, std::string(name) + ": " + std::to_string(v) +
                                              " is outside " + std::to_string(lo) + ".." +
                                              std::to_string(hi));
    check_staff(store_, r.safety_officer_staff_id, "safety_officer_staff_id");
    check_staff(store_, r.administrator_staff_id, "administrator_staff_id");
    store::save_settings(store_, r);
    call.record(entity_traits<Rules>::table, r.id, std::nullopt, json::to_json(r));
    return r;
  });
}

Hazard Hazards::report(const auth::Actor& actor, const ReportInput& in) {
  const Action a = in.fixed_on_spot ? Action::fix_on_spot : Action::report;
  return audit::audited(
      store_, actor, "hazard." + std::string(enum_name(a)), [&](audit::Call& call) {
        if (in.title.empty() || in.title.size() > 200)
          fail(ErrorCode::invalid_argument, "title: 1..200 characters");
        Hazard h;
        h.room_id = in.room_id;
        h.department_id = in.department_id;
        if (in.room_id) {
          auto room = Repository<site::Room>(store_).get(*in.room_id);
          if (!room)
            fail(ErrorCode::invalid_argument,
                 "room_id: room " + std::to_string(*in.room_id) + " not found");
          if (!h.department_id) h.department_id = room->department_id;
        }
        if (h.department_id && !Repository<site::Department>(store_).get(*h.department_id))
          fail(ErrorCode::invalid_argument,
               "department_id: department " + std::to_string(*h.department_id) + " not found");
        if (!in.room_id && in.location.empty())
          fail(ErrorCode::invalid_argument, "location: give a room_id or say where in words");
        call.require(transition(a).permission, place_of(store_, h.room_id, h.department_id));
        check_photos(in.before_photos, "before_photos");
        check_photos(in.after_photos, "after_photos");
        const auto now = store_.clock().now();
        h.code = next_code(store_, rules().utc_offset_minutes);
        h.title = in.title;
        h.description = in.description;
        h.grade = in.grade;
        h.source = in.source;
        h.source_ref = in.source_ref;
        h.location = in.location;
        h.reported_by = actor.label();
        h.reported_at = now;
        h.status_at = now;
        h.before_photos = in.before_photos;
        h.status = Status::reported;
        if (in.fixed_on_spot) {
          if (in.grade == Grade::major)
            fail(ErrorCode::invalid_argument,
                 "fixed_on_spot: a major hazard is not fixed on the spot; report it for its plan");
          if (in.rectification.empty())
            fail(ErrorCode::invalid_argument, "rectification: say what was done on the spot");
          if (in.after_photos.empty())
            fail(ErrorCode::invalid_argument,
                 "after_photos: a fix on the spot needs a photo after");
          h.fixed_on_spot = true;
          h.rectification = in.rectification;
          h.after_photos = in.after_photos;
          h.submitted_by = actor.label();
          h.status = Status::review;
        } else if (!in.rectification.empty() || !in.after_photos.empty()) {
          fail(ErrorCode::invalid_argument,
               "rectification: given for a hazard not fixed on the spot (set fixed_on_spot)");
        }
        Repository<Hazard>(store_).insert(h);  // a code already used: Error(already_exists)
        recorded(store_, call, h, a, Status::reported, std::nullopt, in.rectification);
        return h;
      });
}

Hazard Hazards::assign(const auth::Actor& actor, const AssignInput& in) {
  const auto r = rules();
  return act(store_, actor, Action::assign, require_hazard(store_, in.code), "",
             [&](Hazard& h, audit::Call&) {
               if (!Repository<site::Department>(store_).get(in.assigned_department_id))
                 fail(ErrorCode::invalid_argument, "assigned_department_id: department " +
                                                       std::to_string(in.assigned_department_id) +
                                                       " not found");
               check_staff(store_, in.assignee_staff_id, "assignee_staff_id");
               h.assigned_department_id = in.assigned_department_id;
               h.assignee_staff_id = in.assignee_staff_id;
               if (in.plan) apply_plan(store_, h, *in.plan);
               // A first assignment gets the rules' deadline for the grade unless one is given;
               // a reassignment keeps the deadline it had (moving it is an extension or a plan).
               const auto days = h.grade == Grade::major ? r.major_days : r.general_days;
               if (in.deadline)
                 set_deadline(store_, h, *in.deadline);
               else if (!h.deadline)
                 set_deadline(store_, h, store_.clock().now() + std::chrono::days(days));
               check_plan(h);
             });
}

Hazard Hazards::plan(const auth::Actor& actor, const PlanInput& in) {
  return act(store_, actor, Action::plan, require_hazard(store_, in.code), "",
             [&](Hazard& h, audit::Call&) {
               apply_plan(store_, h, in.plan);
               if (in.deadline) set_deadline(store_, h, *in.deadline);
               if (h.status != Status::reported) check_plan(h);
             });
}

Hazard Hazards::start(const auth::Actor& actor, const std::string& code) {
  return act(store_, actor, Action::start, require_hazard(store_, code), "",
             [&](Hazard& h, audit::Call&) { check_plan(h); });
}

Hazard Hazards::request_extension(const auth::Actor& actor, const ExtensionInput& in) {
  const auto r = rules();
  return act(store_, actor, Action::request_extension, require_hazard(store_, in.code), in.reason,
             [&](Hazard& h, audit::Call&) {
               if (h.extension_until)
                 fail(ErrorCode::failed_precondition, "hazard " + h.code + ": an extension to " +
                                                          format_timestamp(*h.extension_until) +
                                                          " awaits a decision");
               if (h.extensions >= r.max_extensions)
                 fail(ErrorCode::failed_precondition,
                      "hazard " + h.code + ": " + std::to_string(h.extensions) +
                          " extensions granted already, the most the rules allow");
               if (!h.deadline || in.until <= *h.deadline)
                 fail(ErrorCode::invalid_argument,
                      "until: " + format_timestamp(in.until) + " is not after the deadline " +
                          (h.deadline ? format_timestamp(*h.deadline) : std::string("-")));
               h.extension_until = in.until;
               h.extension_reason = in.reason;
             });
}

Hazard Hazards::grant_extension(const auth::Actor& actor, const ReviewInput& in) {
  return act(store_, actor, Action::grant_extension, require_hazard(store_, in.code), in.note,
             [&](Hazard& h, audit::Call&) {
               if (!h.extension_until)
                 fail(ErrorCode::failed_precondition,
                      "hazard " + h.code + ": no extension was asked for");
               set_deadline(store_, h, *h.extension_until);
               h.extension_until.reset();
               ++h.extensions;
             });
}

Hazard Hazards::deny_extension(const auth::Actor& actor, const ReasonInput& in) {
  return act(store_, actor, Action::deny_extension, require_hazard(store_, in.code), in.reason,
             [&](Hazard& h, audit::Call&) {
               if (!h.extension_until)
                 fail(ErrorCode::failed_precondition,
                      "hazard " + h.code + ": no extension was asked for");
               h.extension_until.reset();
             });
}

Hazard Hazards::submit(const auth::Actor& actor, const SubmitInput& in) {
  return act(store_, actor, Action::submit, require_hazard(store_, in.code), in.rectification,
             [&](Hazard& h, audit::Call&) {
               if (in.rectification.empty())
                 fail(ErrorCode::invalid_argument, "rectification: say what was done");
               if (in.after_photos.empty())
                 fail(ErrorCode::invalid_argument,
                      "after_photos: the rectification needs a photo after");
               check_photos(in.after_photos, "after_photos");
               h.rectification = in.rectification;
               h.after_photos = in.after_photos;
               h.submitted_by = actor.label();
               h.extension_until.reset();
             });
}

Hazard Hazards::approve(const auth::Actor& actor, const ReviewInput& in) {
  return act(store_, actor, Action::approve, require_hazard(store_, in.code), in.note,
             [&](Hazard& h, audit::Call&) {
               if (h.submitted_by == actor.label())
                 fail(ErrorCode::failed_precondition,
                      "hazard " + h.code + ": " + actor.label() +
                          " submitted the rectification; another person reviews it");
               h.review_note = in.note;
               h.closed_by = actor.label();
               h.closed_at = store_.clock().now();
             });
}

Hazard Hazards::reject(const auth::Actor& actor, const ReasonInput& in) {
  return act(store_, actor, Action::reject, require_hazard(store_, in.code), in.reason,
             [&](Hazard& h, audit::Call&) {
               h.review_note = in.reason;
               ++h.reopened;
               // Fixed on the spot and sent back: the department where it is rectifies it.
               if (!h.assigned_department_id) h.assigned_department_id = h.department_id;
             });
}

Hazard Hazards::request_order(const auth::Actor& actor, const OrderInput& in) {
  return act(store_, actor, Action::request_order, require_hazard(store_, in.code), "",
             [&](Hazard& h, audit::Call& call) {
               if (h.order_requested || h.work_order_id)
                 fail(ErrorCode::failed_precondition,
                      "hazard " + h.code + " has asked for its work order already");
               if (in.category.empty() || in.category.size() > 64)
                 fail(ErrorCode::invalid_argument, "category: 1..64 characters");
               h.order_requested = true;
               store_.events().publish(
                   HazardOrderRequested{h.id, h.code, h.title, h.description, h.grade, h.room_id,
                                        in.category, store_.clock().now()},
                   call.actor().label());
             });
}

Hazard Hazards::link_order(const auth::Actor& actor, Id hazard_id, Id work_order_id) {
  auto h = Repository<Hazard>(store_).get(hazard_id);
  if (!h) fail(ErrorCode::not_found, "hazard " + std::to_string(hazard_id) + " not found");
  if (h->work_order_id == work_order_id) return *h;  // linked already
  return act(store_, actor, Action::link_order, *h, "work order " + std::to_string(work_order_id),
             [&](Hazard& x, audit::Call&) { x.work_order_id = work_order_id; });
}

std::optional<Hazard> Hazards::close_by_order(const auth::Actor& actor, Id work_order_id,
                                              const std::string& order_code) {
  auto h = Repository<Hazard>(store_).find_one(
      Query<Hazard>().where(&Hazard::work_order_id, Op::eq, work_order_id));
  if (!h || !(open_states & bit(h->status))) return std::nullopt;  // none, or closed already
  const std::string note = "work order " + order_code + " completed";
  return act(store_, actor, Action::close_by_order, *h, note, [&](Hazard& x, audit::Call&) {
    if (x.rectification.empty()) x.rectification = note;
    x.closed_by = actor.label();
    x.closed_at = store_.clock().now();
  });
}

Hazard Hazards::cancel(const auth::Actor& actor, const ReasonInput& in) {
  return act(store_, actor, Action::cancel, require_hazard(store_, in.code), in.reason,
             [&](Hazard& h, audit::Call&) { h.review_note = in.reason; });
}

Trace Hazards::trace(const auth::Actor& actor, const std::string& code) {
  return audit::audited(store_, actor, "hazard.trace", [&](audit::Call& call) {
    Trace t;
    t.hazard = require_hazard(store_, code);
    call.require("hazard.read", place_of(store_, t.hazard.room_id, t.hazard.department_id));
    t.records = Repository<Record>(store_).find(
        Query<Record>().where(&Record::hazard_id, Op::eq, t.hazard.id).order_by(&Record::id));
    // It names people: an audited read.
    call.record(entity_traits<Hazard>::table, t.hazard.id, std::nullopt, std::nullopt, "trace");
    return t;
  });
}

OverdueCheck Hazards::check_overdue(const auth::Actor& actor) {
  const auto r = rules();
  return audit::audited(store_, actor, "hazard.check_overdue", [&](audit::Call& call) {
    call.require("hazard.manage");
    const auto now = store_.clock().now();
    OverdueCheck out;
    Repository<Hazard> repo(store_);
    auto open = repo.find(
        Query<Hazard>()
            .where_in(&Hazard::status, std::vector<Status>{Status::reported, Status::assigned,
                                                           Status::rectifying, Status::review})
            .order_by(&Hazard::id));
    out.open = static_cast<std::int32_t>(open.size());
    for (auto& h : open) {
      const auto before = json::to_json(h);
      bool changed = false;
      if (h.status == Status::reported) {
        const auto hours =
            std::chrono::duration_cast<std::chrono::hours>(now - h.reported_at).count();
        if (hours < r.assign_within_hours) continue;
        ++out.unassigned;
        if (h.overdue_level >= 1) continue;  // told once
        h.overdue_level = 1;
        changed = true;
        ++out.escalated;
        store_.events().publish(
            HazardOverdue{h.id, h.code, h.title, h.grade, 0, r.safety_officer_staff_id,
                          static_cast<std::int32_t>(hours - r.assign_within_hours), now},
            actor.label());
      } else if (h.status != Status::review && h.deadline && now > *h.deadline) {
        ++out.overdue;
        const auto over = std::chrono::duration_cast<std::chrono::hours>(now - *h.deadline).count();
        const auto level = static_cast<std::int32_t>(
            std::min<long long>(3, 1 + over / std::max(1, r.escalate_every_hours)));
        for (auto l = h.overdue_level + 1; l <= level; ++l) {
          const auto staff = l == 1   ? h.assignee_staff_id
                             : l == 2 ? r.safety_officer_staff_id
                                      : r.administrator_staff_id;
          store_.events().publish(HazardOverdue{h.id, h.code, h.title, h.grade, l, staff,
                                                static_cast<std::int32_t>(over), now},
                                  actor.label());
          ++out.escalated;
          changed = true;
        }
        h.overdue_level = std::max(h.overdue_level, level);
      }
      if (changed) {
        repo.update(h);
        call.record(entity_traits<Hazard>::table, h.id, before, json::to_json(h), "overdue");
      }
    }
    call.quiet();
    return out;
  });
}

}  // namespace houqin::hazard
