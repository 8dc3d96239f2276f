#include "houqin/repair/sla.hpp"

#include <algorithm>
#include <map>

#include "houqin/audit/call.hpp"
#include "houqin/repair/workflow.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::repair {
namespace {

using std::chrono::microseconds;
constexpr std::int64_t us_per_s = 1'000'000;
constexpr std::int64_t us_per_day = 86'400 * us_per_s;
constexpr int max_days = 3660;  // ten years: beyond that a calendar has no working time

bool around_the_clock(const Calendar* c) {
  return c == nullptr || c->hours.empty();
}

/// Working intervals of one local day, as [start, end) µs since the local midnight.
std::vector<std::pair<std::int64_t, std::int64_t>> day_intervals(const Calendar& c, Date day) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (std::find(c.holidays.begin(), c.holidays.end(), day) != c.holidays.end()) return out;
  unsigned wd = std::chrono::weekday{day}.iso_encoding();
  if (std::find(c.working_days.begin(), c.working_days.end(), day) != c.working_days.end())
    wd = 1;  // a make-up working day works Monday's hours
  for (const auto& h : c.hours)
    if (static_cast<unsigned>(h.weekday) == wd)
      out.emplace_back(std::int64_t{h.start_minute} * 60 * us_per_s,
                       std::int64_t{h.end_minute} * 60 * us_per_s);
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t offset_us(const Calendar& c) {
  return std::int64_t{c.utc_offset_minutes} * 60 * us_per_s;
}

/// The local day of a UTC instant and the local midnight's UTC µs.
std::pair<Date, std::int64_t> local_day(const Calendar& c, std::int64_t utc_us) {
  std::int64_t local = utc_us + offset_us(c);
  std::int64_t days = local >= 0 ? local / us_per_day : -((-local + us_per_day - 1) / us_per_day);
  return {Date{std::chrono::days{days}}, days * us_per_day - offset_us(c)};
}

}  // namespace

std::int64_t working_seconds(const Calendar* c, Timestamp from, Timestamp to) {
  if (to <= from) return 0;
  if (around_the_clock(c)) return (to - from).count() / us_per_s;
  std::int64_t a = from.time_since_epoch().count(), b = to.time_since_epoch().count();
  auto [day, midnight] = local_day(*c, a);
  std::int64_t total = 0;
  for (; midnight < b; day += std::chrono::days{1}, midnight += us_per_day) {
    for (auto [s, e] : day_intervals(*c, day)) {
      std::int64_t lo = std::max(a, midnight + s), hi = std::min(b, midnight + e);
      if (hi > lo) total += hi - lo;
    }
  }
  return total / us_per_s;
}

Timestamp add_working_seconds(const Calendar* c, Timestamp from, std::int64_t seconds) {
  if (seconds <= 0) return from;
  if (around_the_clock(c)) return from + microseconds{seconds * us_per_s};
  std::int64_t a = from.time_since_epoch().count(), left = seconds * us_per_s;
  auto [day, midnight] = local_day(*c, a);
  for (int n = 0; n < max_days; ++n, day += std::chrono::days{1}, midnight += us_per_day) {
    for (auto [s, e] : day_intervals(*c, day)) {
      std::int64_t lo = std::max(a, midnight + s), hi = midnight + e;
      if (hi <= lo) continue;
      if (hi - lo >= left) return Timestamp{microseconds{lo + left}};
      left -= hi - lo;
    }
  }
  fail(ErrorCode::failed_precondition,
       "calendar " + c->code + ": no working time within ten years");
}

bool in_working_time(const Calendar* c, Timestamp at) {
  if (around_the_clock(c)) return true;
  std::int64_t t = at.time_since_epoch().count();
  auto [day, midnight] = local_day(*c, t);
  for (auto [s, e] : day_intervals(*c, day))
    if (t >= midnight + s && t < midnight + e) return true;
  return false;
}

std::optional<SlaPolicy> select_policy(store::Store& store, const WorkOrder& order, Timestamp at) {
  auto rules = store::Repository<SlaRule>(store).find(
      store::Query<SlaRule>().where(&SlaRule::active, store::Op::eq, true));
  auto criteria = [](const SlaRule& r) {
    return int(r.building_id.has_value()) + int(r.department_id.has_value()) +
           int(r.category.has_value()) + int(r.priority.has_value()) +
           int(r.during_calendar_id.has_value());
  };
  std::sort(rules.begin(), rules.end(), [&](const SlaRule& x, const SlaRule& y) {
    if (x.rank != y.rank) return x.rank < y.rank;
    if (criteria(x) != criteria(y)) return criteria(x) > criteria(y);
    return x.id < y.id;
  });
  store::Repository<Calendar> calendars(store);
  for (const auto& r : rules) {
    if (r.building_id && r.building_id != order.building_id) continue;
    if (r.department_id && r.department_id != order.department_id) continue;
    if (r.category && *r.category != order.category) continue;
    if (r.priority && *r.priority != order.priority) continue;
    if (r.during_calendar_id) {
      auto cal = calendars.get(*r.during_calendar_id);
      bool inside = in_working_time(cal ? &*cal : nullptr, at);
      if (inside == r.outside_calendar) continue;
    }
    return store::Repository<SlaPolicy>(store).get(r.policy_id);
  }
  return std::nullopt;
}

// ---- Sla --------------------------------------------------------------------------------------

std::optional<SlaPolicy> Sla::policy(Id id) {
  for (const auto& p : policies_)
    if (p.id == id) return p;
  auto p = store::Repository<SlaPolicy>(store_).get(id);
  if (p) policies_.push_back(*p);
  return p;
}

const Calendar* Sla::calendar_of(const WorkOrder& order) {
  if (!order.sla_policy_id) return nullptr;
  auto p = policy(*order.sla_policy_id);
  if (!p || !p->calendar_id) return nullptr;
  for (const auto& c : calendars_)
    if (c.id == *p->calendar_id) return &c;
  auto c = store::Repository<Calendar>(store_).get(*p->calendar_id);
  if (!c) return nullptr;
  calendars_.push_back(*c);  // a deque: pointers handed out stay valid
  return &calendars_.back();
}

void Sla::project(WorkOrder& o, const Calendar* cal) {
  o.response_due.reset();
  o.resolution_due.reset();
  if (!o.sla_running_since) return;
  auto since = *o.sla_running_since;
  if (!o.accepted_at)
    o.response_due = add_working_seconds(
        cal, since,
        std::max<std::int64_t>(0, o.response_target_minutes * 60 - o.response_elapsed_s));
  o.resolution_due = add_working_seconds(
      cal, since,
      std::max<std::int64_t>(0, o.resolution_target_minutes * 60 - o.resolution_elapsed_s));
}

void Sla::start(WorkOrder& o) {
  auto p = select_policy(store_, o, o.reported_at);
  if (!p) return;
  o.sla_policy_id = p->id;
  o.response_target_minutes = p->response_minutes;
  o.resolution_target_minutes = p->resolution_minutes;
  bool paused = std::find(p->paused_states.begin(), p->paused_states.end(), o.status) !=
                p->paused_states.end();
  o.sla_running_since = paused ? std::nullopt : std::optional<Timestamp>(o.reported_at);
  project(o, calendar_of(o));
}

void Sla::on_transition(WorkOrder& o, Status to, Timestamp now) {
  if (!o.sla_policy_id) return;
  const Calendar* cal = calendar_of(o);
  if (o.sla_running_since) {
    auto d = working_seconds(cal, *o.sla_running_since, now);
    if (!o.accepted_at) o.response_elapsed_s += d;
    o.resolution_elapsed_s += d;
  }
  if (to == Status::accepted && !o.accepted_at)
    o.response_breached = o.response_elapsed_s > std::int64_t{o.response_target_minutes} * 60;
  if (to == Status::completed)
    o.resolution_breached = o.resolution_breached ||
                            o.resolution_elapsed_s > std::int64_t{o.resolution_target_minutes} * 60;
  auto p = policy(*o.sla_policy_id);
  bool paused = (stopped_states & bit(to)) ||
                (p && std::find(p->paused_states.begin(), p->paused_states.end(), to) !=
                          p->paused_states.end());
  o.sla_running_since = paused ? std::nullopt : std::optional<Timestamp>(now);
  // accepted_at is set by the caller after this: project as if it were.
  bool response_open = !o.accepted_at && to != Status::accepted;
  if (!response_open && !o.accepted_at) {
    o.accepted_at = now;
    project(o, cal);
    o.accepted_at.reset();
  } else {
    project(o, cal);
  }
}

SlaStatus Sla::status(const WorkOrder& o, Timestamp now) {
  SlaStatus s{o.response_elapsed_s, o.resolution_elapsed_s, o.sla_running_since.has_value(),
              o.response_due, o.resolution_due};
  if (o.sla_running_since) {
    auto d = working_seconds(calendar_of(o), *o.sla_running_since, now);
    if (!o.accepted_at) s.response_elapsed_s += d;
    s.resolution_elapsed_s += d;
  }
  return s;
}

WorkOrder Sla::change_policy(const auth::Actor& actor, Id id, Id policy_id,
                             const std::string& reason) {
  return audit::audited(store_, actor, "repair.change_sla", [&](audit::Call& call) {
    call.target("repair_work_order", id);
    store::Repository<WorkOrder> repo(store_);
    auto o = repo.require(id);
    call.require("repair.configure", {o.department_id, o.building_id});
    if (stopped_states & bit(o.status))
      fail(ErrorCode::failed_precondition, "work order " + o.code + ": the SLA of a " +
                                               std::string(enum_name(o.status)) +
                                               " order cannot change");
    if (reason.empty()) fail(ErrorCode::invalid_argument, "reason: required to change the SLA");
    auto p = store::Repository<SlaPolicy>(store_).require(policy_id);
    auto before = json::to_json(o);
    auto now = store_.clock().now();
    on_transition(o, o.status, now);  // settles the old clock under the old calendar
    o.sla_policy_id = p.id;
    o.response_target_minutes = p.response_minutes;
    o.resolution_target_minutes = p.resolution_minutes;
    bool paused = std::find(p.paused_states.begin(), p.paused_states.end(), o.status) !=
                  p.paused_states.end();
    o.sla_running_since = paused ? std::nullopt : std::optional<Timestamp>(now);
    project(o, calendar_of(o));
    repo.update(o);
    TransitionRecord rec{0,
                         0,
                         o.id,
                         Action::correct,
                         o.status,
                         o.status,
                         actor.label(),
                         now,
                         reason,
                         o.technician_id,
                         R"({"sla_policy_id":)" + std::to_string(p.id) + "}"};
    store::Repository<TransitionRecord>(store_).insert(rec);
    call.record("repair_work_order", o.id, before, json::to_json(o), "SLA policy " + p.code);
    return o;
  });
}

TickResult Sla::tick(const auth::Actor& actor) {
  return audit::audited(store_, actor, "repair.sla_tick", [&](audit::Call& call) {
    call.require("repair.dispatch");
    call.quiet();
    auto now = store_.clock().now();
    TickResult out;
    store::Repository<WorkOrder> repo(store_);
    store::Repository<SlaFiring> firings(store_);
    std::vector<Status> open{Status::reported, Status::approved,    Status::dispatched,
                             Status::accepted, Status::in_progress, Status::on_hold};
    auto orders = repo.find(store::Query<WorkOrder>()
                                .where_in(&WorkOrder::status, open)
                                .where_null(&WorkOrder::sla_policy_id, false));
    std::map<std::string, std::vector<EscalationStep>> chains;
    for (auto& o : orders) {
      ++out.orders_checked;
      auto s = status(o, now);
      bool changed = false;
      std::vector<SlaTarget> breached;
      if (!o.accepted_at && !o.response_breached &&
          s.response_elapsed_s > std::int64_t{o.response_target_minutes} * 60) {
        o.response_breached = changed = true;
        breached.push_back(SlaTarget::response);
      }
      if (!o.resolution_breached &&
          s.resolution_elapsed_s > std::int64_t{o.resolution_target_minutes} * 60) {
        o.resolution_breached = changed = true;
        breached.push_back(SlaTarget::resolution);
      }
      auto p = policy(*o.sla_policy_id);
      if (p && !p->escalation_chain.empty()) {
        auto it = chains.find(p->escalation_chain);
        if (it == chains.end())
          it = chains
                   .emplace(p->escalation_chain, store::Repository<EscalationStep>(store_).find(
                                                     store::Query<EscalationStep>()
                                                         .where(&EscalationStep::chain,
                                                                store::Op::eq, p->escalation_chain)
                                                         .order_by(&EscalationStep::level)))
                   .first;
        std::vector<SlaFiring> fired;
        for (const auto& step : it->second) {
          bool response = step.target == SlaTarget::response;
          if (response && o.accepted_at) continue;  // answered: response steps are moot
          std::int64_t target = response ? o.response_target_minutes : o.resolution_target_minutes;
          std::int64_t elapsed = response ? s.response_elapsed_s : s.resolution_elapsed_s;
          std::int64_t threshold = (target + step.offset_minutes) * 60;
          if (threshold < 0 || elapsed < threshold) continue;
          if (fired.empty())
            fired = firings.find(
                store::Query<SlaFiring>().where(&SlaFiring::work_order_id, store::Op::eq, o.id));
          bool done = std::any_of(fired.begin(), fired.end(), [&](const SlaFiring& f) {
            return f.step_id == step.id && f.cycle == o.reopen_count;
          });
          if (done) continue;
          SlaFiring f{0, 0, o.id, step.id, o.reopen_count, now};
          firings.insert(f);
          fired.push_back(f);
          call.record("repair_sla_firing", f.id, std::nullopt, json::to_json(f),
                      o.code + " level " + std::to_string(step.level));
          auto alert = [&](auto e) {
            e = {o.id,
                 o.code,
                 step.target,
                 step.level,
                 step.staff_id,
                 step.role,
                 static_cast<std::int32_t>(elapsed / 60),
                 static_cast<std::int32_t>(target),
                 now};
            return e;
          };
          if (step.offset_minutes < 0) {
            auto w = alert(SlaWarning{});
            out.warnings.push_back(w);
            store_.events().publish(w, actor.label());
          } else {
            auto e = alert(SlaEscalated{});
            out.escalations.push_back(e);
            store_.events().publish(e, actor.label());
          }
        }
      }
      if (changed) repo.update(o);
      for (auto target : breached)
        store_.events().publish(SlaBreached{o.id, o.code, target, now}, actor.label());
    }
    return out;
  });
}

}  // namespace houqin::repair
