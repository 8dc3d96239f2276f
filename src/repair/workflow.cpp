// The work-order state machine (workflow.hpp, docs/repair.md) in one table. Each row names an
// action, the states it starts from, the state it leads to, the permission and the inputs it
// needs, and points to the action's guard, effect and emitter, which sit above the table in that
// order. WorkOrders::apply (work_orders.cpp) runs a row; nothing else decides a transition.
#include <boost/mp11.hpp>
#include <chrono>
#include <tuple>

#include "houqin/auth/auth.hpp"
#include "houqin/store/repository.hpp"
#include "repair/workflow_rules.hpp"

namespace houqin::repair {
namespace workflow {

std::string order_name(const WorkOrder& o) {
  return "work order " + (o.code.empty() ? std::to_string(o.id) : o.code);
}

std::optional<Id> acting_staff(store::Store& s, const auth::Actor& actor) {
  if (!actor.user_id()) return std::nullopt;
  auto u = store::Repository<auth::User>(s).get(*actor.user_id());
  return u ? u->staff_id : std::nullopt;
}

namespace {

using store::Op;
using store::Query;
using store::Repository;

// ---- corrections: applied from WorkOrder's description, as correction_traits allows ------------

template <class T, class M>
constexpr bool is_described(M T::*member) {
  bool found = false;
  for_each_member<T>([&](const char*, auto p) {
    if constexpr (std::is_same_v<decltype(p), M T::*>) found = found || p == member;
  });
  return found;
}
static_assert(std::apply([](auto... m) { return (is_described(m) && ...); },
                         correction_traits<WorkOrder>::correctable),
              "every correctable member of WorkOrder is one of its described members");

/// "a, b, c": the members a correction of T may change, in the order the trait lists them.
template <class T>
std::string correctable_list() {
  std::string out;
  std::apply(
      [&](auto... member) {
        ((out += (out.empty() ? "" : ", "), out += member_name(member)), ...);
      },
      correction_traits<T>::correctable);
  return out;
}

/// Decodes each member of `changes` (an object: member name -> value) into `target`, strictly and
/// through T's description; a name outside correction_traits<T>::correctable is refused.
template <DescribedStruct T>
void apply_correction(T& target, const json::Json& changes) {
  if (!changes.is_object() || changes.empty())
    fail(ErrorCode::invalid_argument, "changes: expected a non-empty object");
  const json::Path root{nullptr, {}, static_cast<std::size_t>(-1), "changes"};
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    bool applied = false;
    std::apply(
        [&](auto... member) {
          auto one = [&](auto m) {
            if (applied || member_name(m) != it.key()) return;
            using M = std::remove_cvref_t<decltype(target.*m)>;
            json::codec<M>::decode(*it, target.*m, root.field(it.key()));
            applied = true;
          };
          (one(member), ...);
        },
        correction_traits<T>::correctable);
    if (!applied)
      fail(ErrorCode::invalid_argument,
           "changes." + it.key() + ": cannot be corrected (" + correctable_list<T>() + ")");
  }
}

// ---- guards: refusals beyond the row's states and inputs ---------------------------------------

void require_active_technician(store::Store& s, Id staff_id) {
  auto st = Repository<site::Staff>(s).get(staff_id);
  if (!st)
    fail(ErrorCode::not_found, "technician_id: staff " + std::to_string(staff_id) + " not found");
  if (!st->active)
    fail(ErrorCode::failed_precondition,
         "technician_id: staff " + std::to_string(staff_id) + " is not active");
}

void technician_on_staff(const Step& s, const WorkOrder&) {
  if (!s.request.known_team) require_active_technician(s.store, *s.request.technician);
}

void another_technician(const Step& s, const WorkOrder& o) {
  technician_on_staff(s, o);
  if (s.previous_technician == s.request.technician)
    fail(ErrorCode::invalid_argument, "technician_id: " + o.code + " is already assigned to " +
                                          std::to_string(*s.request.technician));
}

void pooled_for_technician(const Step& s, const WorkOrder& o) {
  if (!o.pooled) fail(ErrorCode::failed_precondition, order_name(o) + ": is not in the grab pool");
  technician_on_staff(s, o);
}

// Work on an assigned order is the assigned technician's (or a service's, or a desk's) to do.
void assigned_technician_only(const Step& s, const WorkOrder& o) {
  if (!o.technician_id) return;
  auto me = acting_staff(s.store, s.actor);
  if (me && *me != *o.technician_id)
    fail(ErrorCode::permission_denied,
         s.actor.label() + " is not the technician assigned to " + o.code);
}

void within_reopen_window(const Step& s, const WorkOrder& o) {
  auto done = o.completed_at.value_or(s.now);
  if (s.now - done > std::chrono::hours(s.settings.reopen_window_hours))
    fail(ErrorCode::failed_precondition, order_name(o) + ": the reopen window of " +
                                             std::to_string(s.settings.reopen_window_hours) +
                                             " h has passed");
}

void no_actuals_yet(const Step& s, const WorkOrder& o) {
  auto labour = Repository<LabourEntry>(s.store).count(
      Query<LabourEntry>().where(&LabourEntry::work_order_id, Op::eq, o.id));
  if (labour > 0 || o.parts_used > 0)
    fail(ErrorCode::failed_precondition,
         order_name(o) + ": cannot cancel after labour or parts were recorded");
}

// ---- effects: what each action does to the order -----------------------------------------------

std::string team_of_technician(store::Store& s, Id staff_id) {
  auto t = Repository<Technician>(s).find_one(
      Query<Technician>().where(&Technician::staff_id, Op::eq, staff_id));
  return t ? t->team : std::string();
}

void assign(const Step& s, WorkOrder& o) {
  const auto& rq = s.request;
  o.technician_id = rq.technician;
  o.team = rq.known_team ? *rq.known_team : team_of_technician(s.store, *rq.technician);
  o.dispatched_at = s.now;
  o.pooled = false;
  o.hold_reason.reset();  // a reassigned order starts afresh with its new technician
}

void take(const Step& s, WorkOrder& o) {  // a grab assigns and accepts at once
  assign(s, o);
  if (!o.accepted_at) o.accepted_at = s.now;
}

void mark_accepted(const Step& s, WorkOrder& o) {
  if (!o.accepted_at) o.accepted_at = s.now;
}

void mark_started(const Step& s, WorkOrder& o) {
  if (!o.started_at) o.started_at = s.now;
}

void put_on_hold(const Step& s, WorkOrder& o) {
  o.hold_reason = s.request.hold_reason;
}

void clear_hold(const Step&, WorkOrder& o) {
  o.hold_reason.reset();
}

void mark_completed(const Step& s, WorkOrder& o) {
  o.completed_at = s.now;
}

void mark_verified(const Step& s, WorkOrder& o) {
  o.verified_at = s.now;
}

void mark_closed(const Step& s, WorkOrder& o) {
  o.closed_at = s.now;
}

void start_next_cycle(const Step&, WorkOrder& o) {
  ++o.reopen_count;
  o.completed_at.reset();
  o.verified_at.reset();
}

void mark_cancelled(const Step& s, WorkOrder& o) {
  o.cancelled_at = s.now;
}

void correct_fields(const Step& s, WorkOrder& o) {
  apply_correction(o, *s.request.corrections);
}

// ---- emitters: the events of each action besides WorkOrderEvent --------------------------------

void announce_assignment(const Step& s, const WorkOrder& o, AssignedBy by) {
  s.store.events().publish(WorkOrderAssigned{o.id, o.code, *o.technician_id, s.previous_technician,
                                             by, s.request.reason, s.now},
                           s.actor.label());
}

void announce_dispatch(const Step& s, const WorkOrder& o) {
  announce_assignment(s, o, s.request.by);
}

void announce_reassign(const Step& s, const WorkOrder& o) {
  announce_assignment(s, o, AssignedBy::reassign);
}

void announce_grab(const Step& s, const WorkOrder& o) {
  announce_assignment(s, o, AssignedBy::grab);
}

void announce_completion(const Step& s, const WorkOrder& o) {
  s.store.events().publish(
      WorkOrderCompleted{o.id, o.code, o.asset_id, o.technician_id, o.reporter_staff_id,
                         o.labour_minutes, o.parts_used, o.started_at, s.now},
      s.actor.label());
}

void announce_finish(const Step& s, const WorkOrder& o) {  // closed or cancelled
  s.store.events().publish(
      WorkOrderClosed{o.id, o.code, o.asset_id, o.status, o.parts_used, o.parts_reserved, s.now},
      s.actor.label());
}

void announce_reopen(const Step& s, const WorkOrder& o) {
  s.store.events().publish(WorkOrderReopened{o.id, o.code, o.reopen_count, s.request.reason, s.now},
                           s.actor.label());
}

// ---- the table ---------------------------------------------------------------------------------

constexpr auto P = bit;
constexpr StatusSet unassigned = P(Status::reported) | P(Status::approved);

// One row per Action, in the enum's order. `report` creates the order (WorkOrders::report), so
// it starts from no state and has nothing for apply to run.
constexpr Rule rules[] = {
    {{.action = Action::report, .from = 0, .to = Status::reported, .permission = "repair.report"}},
    {{.action = Action::approve,
      .from = P(Status::reported),
      .to = Status::approved,
      .permission = "repair.dispatch"}},
    {{.action = Action::dispatch,
      .from = unassigned,
      .to = Status::dispatched,
      .permission = "repair.dispatch",
      .needs_technician = true},
     technician_on_staff,
     assign,
     announce_dispatch},
    {{.action = Action::reassign,
      .from = open_states,
      .to = Status::dispatched,
      .permission = "repair.dispatch",
      .needs_reason = true,
      .needs_technician = true},
     another_technician,
     assign,
     announce_reassign},
    {{.action = Action::grab,
      .from = unassigned,
      .to = Status::accepted,
      .permission = "repair.work",
      .needs_technician = true},
     pooled_for_technician,
     take,
     announce_grab},
    {{.action = Action::accept,
      .from = P(Status::dispatched),
      .to = Status::accepted,
      .permission = "repair.work"},
     assigned_technician_only,
     mark_accepted},
    {{.action = Action::start,
      .from = P(Status::accepted),
      .to = Status::in_progress,
      .permission = "repair.work"},
     assigned_technician_only,
     mark_started},
    {{.action = Action::hold,
      .from = P(Status::in_progress),
      .to = Status::on_hold,
      .permission = "repair.work",
      .needs_hold_reason = true},
     assigned_technician_only,
     put_on_hold},
    {{.action = Action::resume,
      .from = P(Status::on_hold),
      .to = Status::in_progress,
      .permission = "repair.work"},
     assigned_technician_only,
     clear_hold},
    {{.action = Action::complete,
      .from = P(Status::in_progress),
      .to = Status::completed,
      .permission = "repair.work"},
     assigned_technician_only,
     mark_completed,
     announce_completion},
    {{.action = Action::verify,
      .from = P(Status::completed),
      .to = Status::verified,
      .permission = "repair.close"},
     nullptr,
     mark_verified},
    {{.action = Action::close,
      .from = P(Status::verified),
      .to = Status::closed,
      .permission = "repair.close"},
     nullptr,
     mark_closed,
     announce_finish},
    {{.action = Action::reopen,
      .from = P(Status::completed) | P(Status::verified),
      .to = Status::in_progress,
      .permission = "repair.close",
      .needs_reason = true},
     within_reopen_window,
     start_next_cycle,
     announce_reopen},
    {{.action = Action::cancel,
      .from = unassigned | open_states,
      .to = Status::cancelled,
      .permission = "repair.dispatch",
      .needs_reason = true},
     no_actuals_yet,
     mark_cancelled,
     announce_finish},
    {{.action = Action::correct,
      .from = P(Status::closed),
      .to = Status::closed,
      .permission = "repair.close",
      .needs_reason = true},
     nullptr,
     correct_fields},
};

constexpr std::size_t row_count = std::size(rules);
static_assert(row_count == boost::mp11::mp_size<boost::describe::describe_enumerators<Action>>(),
              "one row per Action");
static_assert(
    [] {
      for (std::size_t i = 0; i < row_count; ++i)
        if (rules[i].row.action != static_cast<Action>(i)) return false;
      return true;
    }(),
    "rows in the order of Action's enumerators, so that an action's value is its row");

// The public view (transitions()): the rows without their functions.
constexpr auto table = [] {
  std::array<Transition, row_count> out{};
  for (std::size_t i = 0; i < row_count; ++i) out[i] = rules[i].row;
  return out;
}();

}  // namespace

const Rule& rule(Action action) {
  auto i = static_cast<std::size_t>(action);
  if (i >= row_count)
    fail(ErrorCode::internal, "no transition row for action " + std::string(enum_name(action)));
  return rules[i];
}

void admit(const Rule& r, const Step& s, const WorkOrder& o) {
  const Transition& t = r.row;
  if (!(t.from & bit(o.status)))
    fail(ErrorCode::failed_precondition, order_name(o) + ": cannot " +
                                             std::string(enum_name(t.action)) + " when " +
                                             std::string(enum_name(o.status)));
  if (t.needs_reason && s.request.reason.empty())
    fail(ErrorCode::invalid_argument, "reason: required to " + std::string(enum_name(t.action)));
  if (t.needs_technician && !s.request.technician)
    fail(ErrorCode::invalid_argument, "technician_id: required");
  if (t.needs_hold_reason && !s.request.hold_reason)
    fail(ErrorCode::invalid_argument, "hold_reason: required");
  if (r.guard) r.guard(s, o);
}

}  // namespace workflow

std::span<const Transition> transitions() noexcept {
  return workflow::table;
}

const Transition& transition(Action action) {
  return workflow::rule(action).row;
}

bool allowed(Action action, Status from) {
  return (transition(action).from & bit(from)) != 0;
}

}  // namespace houqin::repair
