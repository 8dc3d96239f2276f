// Safety patrols (安全巡查) on the inspection machinery: a patrol area is a route of NFC
// checkpoints with an area type, and saving it makes the inspection plans that patrol it as often
// as its type needs -- by day and by night, at least the documented minimum (WS 308) -- with the
// fire-safety checklist, whose failed items report hazards (隐患). The inspection generator issues
// the tasks and marks a patrol missed when its window closes; the wiring tells the area's
// supervisor. A patrol is signed by the patroller, who completes it, and countersigned by the
// supervisor, a second person. Compliance counts patrols done against those required.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::patrol {

/// What kind of area a patrol covers: the frequency rules are per type.
BOOST_DEFINE_ENUM_CLASS(AreaType, inpatient, outpatient, emergency, other)

/// The minimum patrols a day per area type, by day and by night, and when day and night start
/// (local time). Documented defaults after WS 308-2019 (verify against the local fire
/// authority's rule): inpatient and outpatient areas at least 2 by day, inpatient and emergency
/// areas at least 2 at night, every other area (and the emergency department by day) daily.
struct Rules {
  Id id = 0;
  std::int64_t version = 0;
  std::int32_t inpatient_day = 2;
  std::int32_t inpatient_night = 2;
  std::int32_t outpatient_day = 2;
  std::int32_t outpatient_night = 0;
  std::int32_t emergency_day = 1;
  std::int32_t emergency_night = 2;
  std::int32_t other_day = 1;
  std::int32_t other_night = 0;
  std::int32_t day_start_minutes = 8 * 60;     // 08:00 local
  std::int32_t night_start_minutes = 20 * 60;  // 20:00 local
  std::int32_t utc_offset_minutes = 480;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (id, version, inpatient_day, inpatient_night, outpatient_day,
                       outpatient_night, emergency_day, emergency_night, other_day, other_night,
                       day_start_minutes, night_start_minutes, utc_offset_minutes))

/// A patrol area: its route of checkpoints, type, checklist, who patrols and who supervises.
struct Area {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "type", "route_id"};
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // "A-WARDS"
  std::string name;
  AreaType type = AreaType::other;
  Id route_id = 0;                            // the inspection route of NFC checkpoints
  std::string template_code = "FIRE-SAFETY";  // the checklist (install_checklist makes it)
  std::optional<Id> department_id;            // the supervisor's scope
  std::optional<Id> supervisor_staff_id;      // told of missed patrols
  std::string skill = "patrol";               // patrols go to someone on shift with it ...
  std::optional<Id> patroller_staff_id;       // ... or always to this person
  /// More patrols than the rules' minimum for the type (never fewer); empty: the minimum.
  std::optional<std::int32_t> day_patrols;
  std::optional<std::int32_t> night_patrols;
  bool active = true;
  // Kept by the service: the inspection plans that patrol it.
  std::vector<Id> day_plan_ids;
  std::vector<Id> night_plan_ids;
};
BOOST_DESCRIBE_STRUCT(Area, (),
                      (id, version, code, name, type, route_id, template_code, department_id,
                       supervisor_staff_id, skill, patroller_staff_id, day_patrols, night_patrols,
                       active, day_plan_ids, night_plan_ids))

/// The supervisor's countersignature of a completed patrol (the patroller signed by completing
/// it): one per task, by another person.
struct Signoff {
  Id id = 0;
  std::int64_t version = 0;
  Id task_id = 0;
  Id area_id = 0;
  std::string patroller;   // who completed the task
  std::string supervisor;  // who countersigned
  Timestamp signed_at{};
  std::string note;
};
BOOST_DESCRIBE_STRUCT(Signoff, (),
                      (id, version, task_id, area_id, patroller, supervisor, signed_at, note))

HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// The fire-safety checklist (消防安全巡查): exits clear, fire doors closed, extinguishers present
/// and in date, emergency lighting working, hydrants not blocked, no electrical hazards; every
/// failure reports a general hazard (a hospital raises an item to major_hazard in its own
/// revision).
HOUQIN_EXPORT inspection::TemplateInput fire_safety_checklist();

struct CountersignInput {
  static constexpr std::array<std::string_view, 1> required_fields{"task_code"};
  std::string task_code;
  std::string note;
};

/// Patrols done against those required per area over [from, to), by day and night.
struct ComplianceInput {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct AreaCompliance {
  Id area_id = 0;
  std::string area;
  AreaType type = AreaType::other;
  std::int64_t required = 0;  // the per-day frequency (day + night) times the days
  std::int64_t done = 0;      // completed (in time or late)
  std::int64_t late = 0;
  std::int64_t missed = 0;
  std::int64_t exempt = 0;
  std::int64_t countersigned = 0;
  std::int64_t findings = 0;
  double rate = 0;  // done / required, 0..1
};
struct Compliance {
  ComplianceInput query;
  std::vector<AreaCompliance> areas;
  std::int64_t required = 0;
  std::int64_t done = 0;
  std::int64_t missed = 0;
  double rate = 0;
};
HOUQIN_EXPORT std::string to_csv(const Compliance& c);
HOUQIN_EXPORT std::string to_html(const Compliance& c);

BOOST_DESCRIBE_STRUCT(CountersignInput, (), (task_code, note))
BOOST_DESCRIBE_STRUCT(ComplianceInput, (), (from, to))
BOOST_DESCRIBE_STRUCT(AreaCompliance, (),
                      (area_id, area, type, required, done, late, missed, exempt, countersigned,
                       findings, rate))
BOOST_DESCRIBE_STRUCT(Compliance, (), (query, areas, required, done, missed, rate))

class HOUQIN_EXPORT Patrols {
 public:
  explicit Patrols(store::Store& store) : store_(store) {}

  Rules rules();
  /// patrol.plan; a minimum below zero or above 24, or times outside the day, are refused.
  Rules save_rules(const auth::Actor& actor, Rules rules);
  /// Saves the fire-safety checklist as the template FIRE-SAFETY (a new revision when it exists;
  /// inspection.configure).
  inspection::Template install_checklist(const auth::Actor& actor);
  /// Creates or changes an area (by code) and its inspection plans (patrol.plan and
  /// inspection.configure): n patrols by day spread over the day with windows of 12 h / n, the
  /// same by night; plans no longer needed are made inactive. Fewer patrols than the rules'
  /// minimum for the type are refused, naming the minimum.
  Area save_area(const auth::Actor& actor, Area area);
  /// The supervisor countersigns a completed patrol (patrol.plan in the area's department);
  /// not the patroller.
  Signoff countersign(const auth::Actor& actor, const CountersignInput& in);
  /// The area whose patrols the inspection plan is one of.
  std::optional<Area> area_of_plan(Id plan_id);
  Compliance compliance(const ComplianceInput& in);

 private:
  store::Store& store_;
};

}  // namespace houqin::patrol

template <>
struct houqin::entity_traits<houqin::patrol::Area> {
  static constexpr std::string_view table = "patrol_area";
  static constexpr std::string_view collection = "patrol_areas";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<inspection::Route>(&patrol::Area::route_id),
                 ref<site::Department>(&patrol::Area::department_id),
                 ref<site::Staff>(&patrol::Area::supervisor_staff_id),
                 ref<site::Staff>(&patrol::Area::patroller_staff_id)};
};
template <>
struct houqin::entity_traits<houqin::patrol::Signoff> {
  static constexpr std::string_view table = "patrol_signoff";
  static constexpr std::string_view collection = "patrol_signoffs";
  static constexpr std::array<std::string_view, 1> unique{"task_id"};
  static constexpr auto references = std::tuple{ref<inspection::Task>(&patrol::Signoff::task_id),
                                                ref<patrol::Area>(&patrol::Signoff::area_id)};
  static constexpr std::array personal{houqin::Personal{"patroller", houqin::Mask::text},
                                       houqin::Personal{"supervisor", houqin::Mask::text}};
};
template <>
struct houqin::entity_traits<houqin::patrol::Rules> {
  static constexpr std::string_view table = "patrol_rules";
  static constexpr std::string_view collection = "patrol_rules";
};

// Instantiated once, in libhouqin (src/patrol/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::patrol::Area)
HOUQIN_EXTERN_ENTITY(houqin::patrol::Signoff)
HOUQIN_EXTERN_ENTITY(houqin::patrol::Rules)
