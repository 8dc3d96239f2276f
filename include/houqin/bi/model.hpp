// BI's stored state: counters of every KPI by local day, building and department, and for each
// domain row (a work order, a hazard, a task, a bag, an alarm episode, a stock item, a survey) the
// contributions it currently makes to them. Both are derived: the consumer "bi" keeps them current
// from the event log, and a rebuild from the domain tables gives the same rows.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"

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
