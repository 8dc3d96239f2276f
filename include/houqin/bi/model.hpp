// BI's stored state: counters of every KPI by local day, building and department, and for each
// domain row (a work order, a hazard, a task, a bag, an alarm episode, a stock item, a survey) the
// contributions it currently makes to them. Both are derived: the consumer "bi" keeps them current
// from the event log, and a rebuild from the domain tables gives the same rows.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::bi {

/// The day of the counters that are gauges (what is open now) rather than tallies of a day.
inline constexpr Date gauge_day{};

/// What one domain row adds to one counter. `sum` is an integer in the KPI's unit (seconds,
/// grams, hundredths of a point) so that adding and taking away are exact.
struct Contribution {
  std::string kpi;
  Date day{};
  Id building_id = 0;  // 0: not in a building (or not known)
  Id department_id = 0;
  std::int64_t count = 0;
  std::int64_t sum = 0;
  bool operator==(const Contribution&) const = default;
};
BOOST_DESCRIBE_STRUCT(Contribution, (), (kpi, day, building_id, department_id, count, sum))

/// One KPI on one local day (gauge_day for gauges) in one building and department.
struct Counter {
  Id id = 0;
  std::int64_t version = 0;
  std::string key;  // kpi|day|building|department
  std::string kpi;
  Date day{};
  Id building_id = 0;
  Id department_id = 0;
  std::int64_t count = 0;
  std::int64_t sum = 0;
};
BOOST_DESCRIBE_STRUCT(Counter, (),
                      (id, version, key, kpi, day, building_id, department_id, count, sum))

/// The contributions one domain row makes now ("work_order:17", "alarm:5:hi:3").
struct Projection {
  Id id = 0;
  std::int64_t version = 0;
  std::string source;
  std::vector<Contribution> contributions;
};
BOOST_DESCRIBE_STRUCT(Projection, (), (id, version, source, contributions))

/// The named defaults a hospital overrides (one row, collection "bi_rules").
struct Rules {
  Id id = 0;
  std::int64_t version = 0;
  /// The hospital's local time: the day of each tally.
  std::int32_t utc_offset_minutes = 480;
};
BOOST_DESCRIBE_STRUCT(Rules, (), (id, version, utc_offset_minutes))

}  // namespace houqin::bi

template <>
struct houqin::entity_traits<houqin::bi::Counter> {
  static constexpr std::string_view table = "bi_counter";
  static constexpr std::string_view collection = "bi_counters";
  static constexpr std::array<std::string_view, 1> unique{"key"};
};
template <>
struct houqin::entity_traits<houqin::bi::Projection> {
  static constexpr std::string_view table = "bi_projection";
  static constexpr std::string_view collection = "bi_projections";
  static constexpr std::array<std::string_view, 1> unique{"source"};
};
template <>
struct houqin::entity_traits<houqin::bi::Rules> {
  static constexpr std::string_view table = "bi_rules";
  static constexpr std::string_view collection = "bi_rules";
};

namespace houqin::bi {

/// threshold: the measured value against the threshold; trend: its change in % from the window
/// before against the threshold; absence: fires when the KPI counted nothing in the window.
BOOST_DEFINE_ENUM_CLASS(RuleKind, threshold, trend, absence)
/// What is measured over the window: the count, the sum, the mean (sum / count, in the sum's
/// unit), or the ratio of the count to ratio_kpi's count.
BOOST_DEFINE_ENUM_CLASS(Measure, count, sum, mean, ratio)
BOOST_DEFINE_ENUM_CLASS(Compare, above, below)
BOOST_DEFINE_ENUM_CLASS(Severity, notice, warning, critical)

/// A warning rule (预警规则), declared as data, with its current state.
struct WarningRule {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string title;
  RuleKind kind = RuleKind::threshold;
  std::string kpi;
  Measure measure = Measure::count;
  std::string ratio_kpi;  // measure ratio: the denominator
  /// Tallies: the last window_days local days, today included. Gauges: now.
  std::int32_t window_days = 1;
  std::optional<Id> building_id;  // only this building (else all)
  std::optional<Id> department_id;
  Compare compare = Compare::above;
  double threshold = 0;  // threshold: the value's bound; trend: the change in %
  Severity severity = Severity::warning;
  std::vector<Id> notify_staff_ids;       // told when it fires
  std::optional<Id> escalate_staff_id;    // told when it still fires after escalate_after_hours
  std::int32_t escalate_after_hours = 0;  // 0: no escalation
  bool active = true;
  // A silence: still evaluated and recorded, nobody told until then (audited with the reason).
  std::optional<Timestamp> silenced_until;
  std::string silence_reason;
  std::string silenced_by;
  // State.
  bool firing = false;
  std::optional<Timestamp> fired_at;
  bool escalated = false;
  std::optional<double> last_value;
  std::optional<Timestamp> checked_at;
  // Absence over hours ("no inspection of the O2 manifold in 8 h"): the last window_hours
  // (0: window_days is the window), counted from the domain's own times rather than the daily
  // counters, for the KPIs that offer it; `subject` narrows inspection.done to one plan or
  // asset by its code.
  std::int32_t window_hours = 0;
  std::string subject;
  HOUQIN_EXPORT void validate() const;
};
BOOST_DESCRIBE_STRUCT(WarningRule, (),
                      (id, version, code, title, kind, kpi, measure, ratio_kpi, window_days,
                       building_id, department_id, compare, threshold, severity, notify_staff_ids,
                       escalate_staff_id, escalate_after_hours, active, silenced_until,
                       silence_reason, silenced_by, firing, fired_at, escalated, last_value,
                       checked_at, window_hours, subject))

/// One firing of a rule, from when it fired until it cleared.
struct Warning {
  Id id = 0;
  std::int64_t version = 0;
  std::string rule;  // the rule's code
  Severity severity = Severity::warning;
  Timestamp fired_at{};
  std::optional<Timestamp> cleared_at;
  std::optional<double> value;  // when it fired
  std::string message;
  bool silenced = false;  // fired while silenced: nobody was told
  bool escalated = false;
};
BOOST_DESCRIBE_STRUCT(Warning, (),
                      (id, version, rule, severity, fired_at, cleared_at, value, message, silenced,
                       escalated))

}  // namespace houqin::bi

template <>
struct houqin::entity_traits<houqin::bi::WarningRule> {
  static constexpr std::string_view table = "bi_warning_rule";
  static constexpr std::string_view collection = "bi_warning_rules";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};
template <>
struct houqin::entity_traits<houqin::bi::Warning> {
  static constexpr std::string_view table = "bi_warning";
  static constexpr std::string_view collection = "bi_warnings";
};

// Instantiated once, in libhouqin (src/bi/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::bi::Counter)
HOUQIN_EXTERN_ENTITY(houqin::bi::Projection)
HOUQIN_EXTERN_ENTITY(houqin::bi::Rules)
HOUQIN_EXTERN_ENTITY(houqin::bi::WarningRule)
HOUQIN_EXTERN_ENTITY(houqin::bi::Warning)
