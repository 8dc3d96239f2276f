// BI's warning rules (预警, see bi.hpp): threshold, trend and absence over the KPI counters, each
// with a severity, the staff told when it fires and who is told when it still fires later;
// silences that keep evaluating but tell nobody, audited with their reason.
#include <chrono>
#include <cmath>
#include <cstdio>

#include <algorithm>

#include "houqin/asset/model.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/inspection/model.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/waste/model.hpp"

namespace houqin::bi {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool warning_tables_registered =
    store::register_tables<WarningRule, Warning>("bi");
[[maybe_unused]] const bool warnings_exposed =
    store::expose<WarningRule, Warning>({.read = "bi.read", .write = "", .read_personal = ""});

bool is_gauge(const std::string& kpi) {
  for (const auto& k : catalogue())
    if (k.name == kpi) return k.gauge;
  return false;
}

bool known(const std::string& kpi) {
  for (const auto& k : catalogue())
    if (k.name == kpi) return true;
  return kpi.rfind("waste.generated:", 0) == 0;
}

struct Totals {
  std::int64_t count = 0;
  std::int64_t sum = 0;
};

// A KPI's totals over [from, to) local days (gauges: now), in the rule's building and department.
Totals totals(store::Store& s, const WarningRule& r, const std::string& kpi, Date from, Date to) {
  Query<Counter> q;
  q.where(&Counter::kpi, Op::eq, kpi);
  if (is_gauge(kpi)) {
    q.where(&Counter::day, Op::eq, gauge_day);
  } else {
    q.where(&Counter::day, Op::ge, from).where(&Counter::day, Op::lt, to);
  }
  if (r.building_id) q.where(&Counter::building_id, Op::eq, *r.building_id);
  if (r.department_id) q.where(&Counter::department_id, Op::eq, *r.department_id);
  Totals t;
  for (const auto& c : Repository<Counter>(s).find(q)) {
    t.count += c.count;
    t.sum += c.sum;
  }
  return t;
}

std::optional<double> value_of(store::Store& s, const WarningRule& r, Date from, Date to) {
  const auto t = totals(s, r, r.kpi, from, to);
  switch (r.measure) {
    case Measure::count:
      return static_cast<double>(t.count);
    case Measure::sum:
      return static_cast<double>(t.sum);
    case Measure::mean:
      if (t.count == 0) return std::nullopt;
      return static_cast<double>(t.sum) / static_cast<double>(t.count);
    case Measure::ratio: {
      const auto d = totals(s, r, r.ratio_kpi, from, to);
      if (d.count == 0) return std::nullopt;
      return static_cast<double>(t.count) / static_cast<double>(d.count);
    }
  }
  return std::nullopt;
}

/// The KPIs an absence over hours can count, each from its domain's own times.
constexpr std::string_view hourly_kpis[] = {"inspection.done", "repair.reported", "hazard.reported",
                                            "waste.generated", "alarm.raised"};

bool hourly(std::string_view kpi) {
  return std::find(std::begin(hourly_kpis), std::end(hourly_kpis), kpi) != std::end(hourly_kpis);
}

std::string hourly_list() {
  std::string out;
  for (auto k : hourly_kpis) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

/// The plans an inspection.done rule's subject names: the plan with that code, or the plans of
/// the asset with that code.
std::vector<Id> subject_plans(store::Store& s, const std::string& subject) {
  std::vector<Id> out;
  Repository<inspection::Plan> plans(s);
  if (auto p =
          plans.find_one(Query<inspection::Plan>().where(&inspection::Plan::code, Op::eq, subject)))
    out.push_back(p->id);
  if (auto a = Repository<asset::Asset>(s).find_one(
          Query<asset::Asset>().where(&asset::Asset::code, Op::eq, subject)))
    for (const auto& p :
         plans.find(Query<inspection::Plan>().where(&inspection::Plan::asset_id, Op::eq, a->id)))
      out.push_back(p.id);
  return out;
}

/// How often the rule's KPI happened since `since`, in its building, department or subject.
std::int64_t occurrences_since(store::Store& s, const WarningRule& r, Timestamp since) {
  if (r.kpi == "inspection.done") {
    using inspection::Task;
    Query<Task> q;
    q.where(&Task::status, Op::eq, inspection::TaskStatus::done)
        .where(&Task::completed_at, Op::ge, since);
    if (!r.subject.empty()) {
      const auto plans = subject_plans(s, r.subject);
      if (plans.empty()) return 0;
      q.where_in(&Task::plan_id, plans);
    }
    return Repository<Task>(s).count(q);
  }
  if (r.kpi == "repair.reported") {
    using repair::WorkOrder;
    Query<WorkOrder> q;
    q.where(&WorkOrder::reported_at, Op::ge, since);
    if (r.building_id) q.where(&WorkOrder::building_id, Op::eq, *r.building_id);
    if (r.department_id) q.where(&WorkOrder::department_id, Op::eq, *r.department_id);
    return Repository<WorkOrder>(s).count(q);
  }
  if (r.kpi == "hazard.reported") {
    using hazard::Hazard;
    Query<Hazard> q;
    q.where(&Hazard::reported_at, Op::ge, since);
    if (r.department_id) q.where(&Hazard::department_id, Op::eq, *r.department_id);
    return Repository<Hazard>(s).count(q);
  }
  if (r.kpi == "waste.generated") {
    using waste::Bag;
    Query<Bag> q;
    q.where(&Bag::produced_at, Op::ge, since);
    if (r.department_id) q.where(&Bag::department_id, Op::eq, *r.department_id);
    return Repository<Bag>(s).count(q);
  }
  using telemetry::AlarmEvent;
  return Repository<AlarmEvent>(s).count(
      Query<AlarmEvent>()
          .where(&AlarmEvent::time, Op::ge, since)
          .where(&AlarmEvent::from_state, Op::eq, telemetry::AlarmState::normal)
          .where(&AlarmEvent::to_state, Op::ne, telemetry::AlarmState::normal));
}

std::string number(std::optional<double> v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", *v);
  return buf;
}

}  // namespace

void WarningRule::validate() const {
  if (code.empty()) fail(ErrorCode::invalid_argument, "code: must not be empty");
  if (title.empty()) fail(ErrorCode::invalid_argument, "title: must not be empty");
  if (!known(kpi)) fail(ErrorCode::invalid_argument, "kpi: unknown '" + kpi + "'");
  if (measure == Measure::ratio && !known(ratio_kpi))
    fail(ErrorCode::invalid_argument,
         "ratio_kpi: a ratio needs a known KPI to divide by, not '" + ratio_kpi + "'");
  if (measure != Measure::ratio && !ratio_kpi.empty())
    fail(ErrorCode::invalid_argument, "ratio_kpi: only a ratio has one");
  if (window_days < 1 || window_days > 366)
    fail(ErrorCode::invalid_argument, "window_days: must be in 1..366");
  if (kind != RuleKind::threshold && is_gauge(kpi))
    fail(ErrorCode::invalid_argument, "kind: a " + std::string(enum_name(kind)) +
                                          " rule needs a tally, and " + kpi + " is a gauge");
  if (!std::isfinite(threshold)) fail(ErrorCode::invalid_argument, "threshold: must be a number");
  if (escalate_after_hours < 0 || escalate_after_hours > 24 * 30)
    fail(ErrorCode::invalid_argument, "escalate_after_hours: must be in 0..720");
  if (escalate_after_hours > 0 && !escalate_staff_id)
    fail(ErrorCode::invalid_argument, "escalate_staff_id: escalation needs someone to tell");
  if (window_hours < 0 || window_hours > 24 * 30)
    fail(ErrorCode::invalid_argument, "window_hours: must be in 0..720");
  if (window_hours > 0 && kind != RuleKind::absence)
    fail(ErrorCode::invalid_argument, "window_hours: only an absence rule counts hours");
  if (window_hours > 0 && !hourly(kpi))
    fail(ErrorCode::invalid_argument,
         "kpi: an absence over hours counts one of " + hourly_list() + ", not " + kpi);
  if (window_hours > 0 && kpi == "hazard.reported" && building_id)
    fail(ErrorCode::invalid_argument,
         "building_id: hazards over hours are counted by department only");
  if (!subject.empty() && (kpi != "inspection.done" || window_hours == 0))
    fail(ErrorCode::invalid_argument,
         "subject: only an absence of inspection.done over hours names a plan or asset");
}

std::optional<double> Bi::measure(const WarningRule& r) {
  if (r.window_hours > 0)
    return static_cast<double>(
        occurrences_since(store_, r, store_.clock().now() - std::chrono::hours(r.window_hours)));
  const auto offset = std::chrono::minutes(store::settings<Rules>(store_).utc_offset_minutes);
  const Date today = std::chrono::floor<std::chrono::days>(store_.clock().now() + offset);
  const Date to = today + std::chrono::days(1);
  const Date from = to - std::chrono::days(r.window_days);
  if (r.kind == RuleKind::trend) {
    const auto now = value_of(store_, r, from, to);
    const auto before = value_of(store_, r, from - std::chrono::days(r.window_days), from);
    if (!now || !before || *before == 0) return std::nullopt;
    return (*now - *before) / std::fabs(*before) * 100.0;
  }
  return value_of(store_, r, from, to);
}

WarningRule Bi::save_rule(const auth::Actor& actor, WarningRule rule) {
  return audit::audited(store_, actor, "bi.save_rule", [&](audit::Call& call) {
    call.require("bi.manage");
    rule.validate();
    for (Id staff : rule.notify_staff_ids)
      if (!Repository<site::Staff>(store_).get(staff))
        fail(ErrorCode::invalid_argument, "notify_staff_ids: no staff " + std::to_string(staff));
    if (!rule.subject.empty() && subject_plans(store_, rule.subject).empty())
      fail(ErrorCode::invalid_argument,
           "subject: no inspection plan or asset with code '" + rule.subject + "'");
    Repository<WarningRule> rules(store_);
    auto old = rules.find_one(Query<WarningRule>().where(&WarningRule::code, Op::eq, rule.code));
    std::optional<json::Json> before;
    if (old) {
      before = json::to_json(*old);
      // The definition changes; the state and any silence stay.
      rule.id = old->id;
      rule.version = old->version;
      rule.silenced_until = old->silenced_until;
      rule.silence_reason = old->silence_reason;
      rule.silenced_by = old->silenced_by;
      rule.firing = old->firing;
      rule.fired_at = old->fired_at;
      rule.escalated = old->escalated;
      rule.last_value = old->last_value;
      rule.checked_at = old->checked_at;
      rules.update(rule);
    } else {
      rule.id = 0;
      rule.silenced_until.reset();
      rule.silence_reason.clear();
      rule.silenced_by.clear();
      rule.firing = false;
      rule.fired_at.reset();
      rule.escalated = false;
      rule.last_value.reset();
      rule.checked_at.reset();
      rules.insert(rule);
    }
    call.record(entity_traits<WarningRule>::table, rule.id, before, json::to_json(rule));
    return rule;
  });
}

WarningRule Bi::silence(const auth::Actor& actor, const SilenceInput& in) {
  return audit::audited(store_, actor, "bi.silence", [&](audit::Call& call) {
    call.require("bi.manage");
    if (in.reason.empty()) fail(ErrorCode::invalid_argument, "reason: a silence needs one");
    if (in.until <= store_.clock().now())
      fail(ErrorCode::invalid_argument, "until: must be in the future");
    if (in.until > store_.clock().now() + std::chrono::days(30))
      fail(ErrorCode::invalid_argument, "until: at most 30 days ahead");
    Repository<WarningRule> rules(store_);
    auto rule = rules.find_one(Query<WarningRule>().where(&WarningRule::code, Op::eq, in.code));
    if (!rule) fail(ErrorCode::not_found, "warning rule " + in.code + ": not found");
    auto before = json::to_json(*rule);
    rule->silenced_until = in.until;
    rule->silence_reason = in.reason;
    rule->silenced_by = actor.label();
    rules.update(*rule);
    call.record(entity_traits<WarningRule>::table, rule->id, before, json::to_json(*rule),
                "silenced until " + format_timestamp(in.until) + ": " + in.reason);
    return *rule;
  });
}

CheckReport Bi::check(const auth::Actor& actor) {
  return audit::audited(store_, actor, "bi.check", [&](audit::Call& call) {
    call.require("bi.manage");
    call.quiet();
    CheckReport report;
    const auto now = store_.clock().now();
    Repository<WarningRule> rules(store_);
    Repository<Warning> warnings(store_);
    notify::Notifier notifier(store_);
    auto tell = [&](Id staff, const WarningRule& r, std::optional<double> value,
                    const std::string& what, const std::string& key) {
      notify::SendRequest req;
      req.recipient_staff_id = staff;
      req.template_name = "bi_warning";
      req.variables = {{"severity", std::string(enum_name(r.severity))},
                       {"title", r.title},
                       {"value", number(value)},
                       {"limit", number(r.threshold)},
                       {"what", what}};
      req.dedupe_key = key;
      notifier.send(actor, req);
      ++report.notified;
    };
    for (auto& r : rules.find(Query<WarningRule>()
                                  .where(&WarningRule::active, Op::eq, true)
                                  .order_by(&WarningRule::code))) {
      ++report.checked;
      const auto value = measure(r);
      bool fires = false;
      if (r.kind == RuleKind::absence) {
        fires = value && *value == 0;
      } else if (value) {
        fires = r.compare == Compare::above ? *value > r.threshold : *value < r.threshold;
      }
      const bool silenced = r.silenced_until && now < *r.silenced_until;
      r.last_value = value;
      r.checked_at = now;
      if (fires && !r.firing) {
        r.firing = true;
        r.fired_at = now;
        r.escalated = false;
        Warning w;
        w.rule = r.code;
        w.severity = r.severity;
        w.fired_at = now;
        w.value = value;
        w.silenced = silenced;
        w.message = r.title + ": " + number(value) + " (limit " + number(r.threshold) + ")";
        warnings.insert(w);
        ++report.fired;
        if (!silenced)
          for (Id staff : r.notify_staff_ids)
            tell(
                staff, r, value, "触发",
                "bi_warning:" + r.code + ":" + format_timestamp(now) + ":" + std::to_string(staff));
        store_.events().publish(WarningRaised{r.id, r.code, r.severity, value, silenced, now},
                                actor.label());
      } else if (fires && r.firing && !r.escalated && r.escalate_after_hours > 0 &&
                 now >= *r.fired_at + std::chrono::hours(r.escalate_after_hours)) {
        r.escalated = true;
        ++report.escalated;
        if (auto w = warnings.find_one(Query<Warning>()
                                           .where(&Warning::rule, Op::eq, r.code)
                                           .where_null(&Warning::cleared_at, true)
                                           .order_by(&Warning::id, true))) {
          w->escalated = true;
          warnings.update(*w);
        }
        if (!silenced)
          tell(*r.escalate_staff_id, r, value,
               "已持续 " + std::to_string(r.escalate_after_hours) + " 小时未解除，升级",
               "bi_warning_escalated:" + r.code + ":" + format_timestamp(*r.fired_at));
        store_.events().publish(WarningEscalated{r.id, r.code, r.escalate_staff_id, now},
                                actor.label());
      } else if (!fires && r.firing) {
        r.firing = false;
        r.escalated = false;
        ++report.cleared;
        if (auto w = warnings.find_one(Query<Warning>()
                                           .where(&Warning::rule, Op::eq, r.code)
                                           .where_null(&Warning::cleared_at, true)
                                           .order_by(&Warning::id, true))) {
          w->cleared_at = now;
          warnings.update(*w);
        }
        store_.events().publish(WarningCleared{r.id, r.code, now}, actor.label());
      }
      rules.update(r);
    }
    if (report.fired + report.cleared + report.escalated > 0)
      call.record(entity_traits<WarningRule>::table, std::nullopt, std::nullopt,
                  json::to_json(report));
    return report;
  });
}

auth::Actor actor() {
  return auth::Actor::service("bi", {"bi.manage", "bi.read", "notify.send"});
}

host::Job check_job(std::chrono::milliseconds every) {
  return host::Job{std::string(check_job_name), every, host::CatchUp::latest,
                   [a = actor()](store::Store& s, Timestamp) { Bi(s).check(a); }};
}

}  // namespace houqin::bi
