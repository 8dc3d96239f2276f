// Emergency management (应急) as entities: plans per scenario (the hospital's: power outage,
// medical gas failure, water outage, elevator entrapment, fire; the platform's own: system
// failure, network attack, natural disaster), each with its scope, response levels, organisation
// and duties, reporting chain, steps, resources and the alarm points it covers, versioned with
// review dates; drills and trainings with what they recorded; and incidents, the plans activated
// for real, with their timelines. The rules are in emergency/emergency.hpp.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::emergency {

BOOST_DEFINE_ENUM_CLASS(Scenario, power_outage, medical_gas_failure, water_outage,
                        elevator_entrapment, fire, system_failure, network_attack, natural_disaster,
                        other)
/// tabletop (桌面推演), functional (a part of the plan), full_scale (综合演练), on_site (现场处置
/// procedure), technical (a recovery the library runs itself and measures).
BOOST_DEFINE_ENUM_CLASS(DrillKind, tabletop, functional, full_scale, on_site, technical)
BOOST_DEFINE_ENUM_CLASS(DrillStatus, scheduled, done, cancelled)
BOOST_DEFINE_ENUM_CLASS(IncidentStatus, active, closed)

/// A response level (Ⅰ..Ⅳ or the hospital's own): when it applies and what it sets off.
struct ResponseLevel {
  std::string level;  // "I", "II", "III", "IV"
  std::string criteria;
  std::string actions;
};
BOOST_DESCRIBE_STRUCT(ResponseLevel, (), (level, criteria, actions))

/// One role of the organisation and its duties, held by a person (told when the plan is
/// activated).
struct Duty {
  std::string role;  // "总指挥", "现场处置组", "后勤保障组"
  std::optional<Id> staff_id;
  std::string duties;
};
BOOST_DESCRIBE_STRUCT(Duty, (), (role, staff_id, duties))

/// One response step, in order, by whom and within how many minutes of activation.
struct Step {
  std::string action;
  std::string role;
  std::int32_t within_minutes = 0;
};
BOOST_DESCRIBE_STRUCT(Step, (), (action, role, within_minutes))

/// A resource the plan counts on: an inventory item (its stock is checked) or a named thing.
struct Resource {
  std::optional<Id> item_id;  // an inventory item
  std::string name;
  double quantity = 0;
  std::string location;
};
BOOST_DESCRIBE_STRUCT(Resource, (), (item_id, name, quantity, location))

/// One revision of a plan. Saving a plan under an existing code adds a revision; the latest is
/// the active one and older ones are kept (drills and incidents name the revision they used).
struct Plan {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // "O2-FAILURE"
  std::int32_t revision = 1;
  Scenario scenario = Scenario::other;
  std::string title;
  std::string scope;
  std::vector<ResponseLevel> levels;
  std::vector<Duty> organisation;
  std::vector<std::string> reporting_chain;  // who reports to whom, in order
  std::vector<Step> steps;
  std::vector<Resource> resources;
  std::vector<Id> alarm_point_ids;   // a live alarm of these points brings the plan up
  std::optional<Id> owner_staff_id;  // told when a drill or review is due
  std::int32_t drill_every_months = 12;
  std::int32_t review_every_months = 12;
  bool active = true;  // the latest revision
  Timestamp created_at{};
  std::string created_by;
  Timestamp next_review{};
  // Kept by the check: the due dates already told (each once).
  std::optional<Timestamp> drill_due_told;
  bool review_due_told = false;
};
BOOST_DESCRIBE_STRUCT(Plan, (),
                      (id, version, code, revision, scenario, title, scope, levels, organisation,
                       reporting_chain, steps, resources, alarm_point_ids, owner_staff_id,
                       drill_every_months, review_every_months, active, created_at, created_by,
                       next_review, drill_due_told, review_due_told))

/// Something that happened, when.
struct TimelineEntry {
  Timestamp at{};
  std::string what;
  std::string by;
};
BOOST_DESCRIBE_STRUCT(TimelineEntry, (), (at, what, by))

struct Drill {
  Id id = 0;
  std::int64_t version = 0;
  std::string plan_code;
  std::int32_t plan_revision = 0;
  DrillKind kind = DrillKind::tabletop;
  DrillStatus status = DrillStatus::scheduled;
  Timestamp scheduled_for{};
  std::optional<Timestamp> held_at;
  std::vector<std::string> participants;
  std::vector<TimelineEntry> timeline;
  std::vector<std::string> findings;
  std::vector<std::string> hazard_codes;  // follow-up hazards opened from the findings
  std::string evaluation;
  std::optional<std::int32_t> score;       // 0..100
  std::optional<double> recovery_seconds;  // technical drills: measured
  std::string outcome;
  std::string recorded_by;
};
BOOST_DESCRIBE_STRUCT(Drill, (),
                      (id, version, plan_code, plan_revision, kind, status, scheduled_for, held_at,
                       participants, timeline, findings, hazard_codes, evaluation, score,
                       recovery_seconds, outcome, recorded_by))

struct Training {
  Id id = 0;
  std::int64_t version = 0;
  std::string plan_code;
  std::string topic;
  Timestamp held_at{};
  std::string trainer;
  std::vector<std::string> attendees;
  double hours = 0;
};
BOOST_DESCRIBE_STRUCT(Training, (),
                      (id, version, plan_code, topic, held_at, trainer, attendees, hours))

/// A plan activated for real, with its timeline.
struct Incident {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // EM-YYYYMMDD-nnn (local day)
  std::string plan_code;
  std::int32_t plan_revision = 0;
  Scenario scenario = Scenario::other;
  std::string level;
  IncidentStatus status = IncidentStatus::active;
  Timestamp activated_at{};
  std::string activated_by;
  std::optional<Id> point_id;  // the alarm that brought the plan up, if one did
  std::optional<std::int64_t> episode;
  std::vector<TimelineEntry> timeline;
  std::optional<Timestamp> closed_at;
  std::string summary;
};
BOOST_DESCRIBE_STRUCT(Incident, (),
                      (id, version, code, plan_code, plan_revision, scenario, level, status,
                       activated_at, activated_by, point_id, episode, timeline, closed_at, summary))

}  // namespace houqin::emergency

template <>
struct houqin::entity_traits<houqin::emergency::Plan> {
  static constexpr std::string_view table = "emergency_plan";
  static constexpr std::string_view collection = "emergency_plans";
  static constexpr std::array<std::string_view, 1> unique{"code,revision"};
  static constexpr auto references = std::tuple{ref<site::Staff>(&emergency::Plan::owner_staff_id)};
};
template <>
struct houqin::entity_traits<houqin::emergency::Drill> {
  static constexpr std::string_view table = "emergency_drill";
  static constexpr std::string_view collection = "emergency_drills";
  // Who took part is personal: sealed at rest, masked in exports.
  static constexpr std::array personal{houqin::Personal{"participants", houqin::Mask::full},
                                       houqin::Personal{"recorded_by", houqin::Mask::text}};
};
template <>
struct houqin::entity_traits<houqin::emergency::Training> {
  static constexpr std::string_view table = "emergency_training";
  static constexpr std::string_view collection = "emergency_trainings";
  static constexpr std::array personal{houqin::Personal{"attendees", houqin::Mask::full},
                                       houqin::Personal{"trainer", houqin::Mask::name}};
};
template <>
struct houqin::entity_traits<houqin::emergency::Incident> {
  static constexpr std::string_view table = "emergency_incident";
  static constexpr std::string_view collection = "emergency_incidents";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

// Instantiated once, in libhouqin (src/emergency/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::emergency::Plan)
HOUQIN_EXTERN_ENTITY(houqin::emergency::Drill)
HOUQIN_EXTERN_ENTITY(houqin::emergency::Training)
HOUQIN_EXTERN_ENTITY(houqin::emergency::Incident)
