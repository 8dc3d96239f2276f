// Emergency management (应急) as one service: plans saved as revisions with review dates and the
// drill frequency the rules require; drills scheduled and recorded (participants, timeline,
// findings that open follow-up hazards, evaluation); trainings with attendance; a timed check that
// tells the owner when a drill or a review is due; the plan that covers a live alarm; and plans
// activated for real as incidents with their timelines, which tell everyone on the duty roster.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/emergency/model.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::emergency {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// The longest interval between drills a scenario allows (documented defaults): fire drills at
/// least every 6 months (key units, 消防法/机关团体企业事业单位消防安全管理规定), on-site procedure
/// drills every 6 months, every other plan at least once a year.
HOUQIN_EXPORT std::int32_t max_drill_months(Scenario s);

struct PlanInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "scenario", "title"};
  std::string code;
  Scenario scenario = Scenario::other;
  std::string title;
  std::string scope;
  std::vector<ResponseLevel> levels;
  std::vector<Duty> organisation;
  std::vector<std::string> reporting_chain;
  std::vector<Step> steps;
  std::vector<Resource> resources;
  std::vector<Id> alarm_point_ids;
  std::optional<Id> owner_staff_id;
  std::optional<std::int32_t> drill_every_months;  // empty: the scenario's longest interval
  std::int32_t review_every_months = 12;
};

struct ScheduleInput {
  static constexpr std::array<std::string_view, 3> required_fields{"plan_code", "kind",
                                                                   "scheduled_for"};
  std::string plan_code;
  DrillKind kind = DrillKind::tabletop;
  Timestamp scheduled_for{};
};

/// A finding of a drill that needs fixing: opened as a hazard (source web) where it was seen.
struct FollowUp {
  static constexpr std::array<std::string_view, 1> required_fields{"title"};
  std::string title;
  hazard::Grade grade = hazard::Grade::general;
  std::optional<Id> room_id;
  std::string location;
};

struct RecordInput {
  static constexpr std::array<std::string_view, 2> required_fields{"drill_id", "participants"};
  Id drill_id = 0;
  std::optional<Timestamp> held_at;  // empty: now
  std::vector<std::string> participants;
  std::vector<TimelineEntry> timeline;
  std::vector<std::string> findings;
  std::vector<FollowUp> follow_ups;
  std::string evaluation;
  std::optional<std::int32_t> score;
  std::optional<double> recovery_seconds;
  std::string outcome;
};

struct TrainingInput {
  static constexpr std::array<std::string_view, 3> required_fields{"plan_code", "topic",
                                                                   "attendees"};
  std::string plan_code;
  std::string topic;
  std::optional<Timestamp> held_at;
  std::string trainer;
  std::vector<std::string> attendees;
  double hours = 0;
};

struct ActivateInput {
  static constexpr std::array<std::string_view, 2> required_fields{"plan_code", "level"};
  std::string plan_code;
  std::string level;
  std::string note;
  std::optional<Id> point_id;  // the alarm that brought it up
  std::optional<std::int64_t> episode;
};

/// The plan that covers an alarm point, as the dashboard shows it beside the alarm: its steps,
/// levels, reporting chain and the duty roster with the names of who holds each role now.
struct PointInput {
  static constexpr std::array<std::string_view, 1> required_fields{"point_id"};
  Id point_id = 0;
};
struct RosterEntry {
  std::string role;
  std::optional<Id> staff_id;
  std::string name;  // the staff member's name; empty for a role nobody is named to
  std::string duties;
};
struct AlarmPlan {
  bool covered = false;  // false: no active plan covers the point (the rest is empty)
  std::string code;
  std::int32_t revision = 0;
  std::string title;
  Scenario scenario = Scenario::other;
  std::vector<ResponseLevel> levels;
  std::vector<Step> steps;
  std::vector<RosterEntry> roster;
  std::vector<std::string> reporting_chain;
};

struct LogInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "what"};
  std::string code;
  std::string what;
};

struct CloseInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "summary"};
  std::string code;
  std::string summary;
};

/// Drills done against required per active plan over [from, to).
struct DrillQuery {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct PlanDrills {
  std::string plan_code;
  std::string title;
  Scenario scenario = Scenario::other;
  std::int32_t drill_every_months = 12;
  std::int64_t required = 0;  // the period's months / the interval, rounded up
  std::int64_t done = 0;
  std::optional<Timestamp> last_held;
  Timestamp next_due{};
  bool overdue = false;  // now past next_due
  std::int64_t trainings = 0;
  std::int64_t attendees = 0;
};
struct DrillReport {
  DrillQuery query;
  std::vector<PlanDrills> plans;
  std::int64_t required = 0;
  std::int64_t done = 0;
  std::int64_t overdue = 0;
};
HOUQIN_EXPORT std::string to_csv(const DrillReport& r);
HOUQIN_EXPORT std::string to_html(const DrillReport& r);

struct DueCheck {
  std::int32_t plans = 0;
  std::int32_t drills_due = 0;   // plans past their drill interval
  std::int32_t reviews_due = 0;  // plans past their review date
  std::int32_t told = 0;         // events published now (each due date once)
};

// ---- events (durable) ----

/// A plan activated for real: the wiring tells everyone on its duty roster.
struct IncidentActivated {
  static constexpr std::string_view aggregate = "emergency_incident";
  Id aggregate_id() const { return incident_id; }
  Id incident_id = 0;
  std::string code;
  std::string plan_code;
  std::string title;
  std::string level;
  std::optional<Id> point_id;
  Timestamp at{};
};
/// A drill or a review of a plan is due (once per due date): the owner is told.
BOOST_DEFINE_ENUM_CLASS(DueKind, drill, review)
struct PlanDue {
  static constexpr std::string_view aggregate = "emergency_plan";
  Id aggregate_id() const { return plan_id; }
  Id plan_id = 0;
  std::string plan_code;
  std::string title;
  DueKind kind = DueKind::drill;
  Timestamp due{};
  std::optional<Id> owner_staff_id;
};

BOOST_DESCRIBE_STRUCT(PlanInput, (),
                      (code, scenario, title, scope, levels, organisation, reporting_chain, steps,
                       resources, alarm_point_ids, owner_staff_id, drill_every_months,
                       review_every_months))
BOOST_DESCRIBE_STRUCT(ScheduleInput, (), (plan_code, kind, scheduled_for))
BOOST_DESCRIBE_STRUCT(FollowUp, (), (title, grade, room_id, location))
BOOST_DESCRIBE_STRUCT(RecordInput, (),
                      (drill_id, held_at, participants, timeline, findings, follow_ups, evaluation,
                       score, recovery_seconds, outcome))
BOOST_DESCRIBE_STRUCT(TrainingInput, (), (plan_code, topic, held_at, trainer, attendees, hours))
BOOST_DESCRIBE_STRUCT(ActivateInput, (), (plan_code, level, note, point_id, episode))
BOOST_DESCRIBE_STRUCT(PointInput, (), (point_id))
BOOST_DESCRIBE_STRUCT(RosterEntry, (), (role, staff_id, name, duties))
BOOST_DESCRIBE_STRUCT(AlarmPlan, (),
                      (covered, code, revision, title, scenario, levels, steps, roster,
                       reporting_chain))
BOOST_DESCRIBE_STRUCT(LogInput, (), (code, what))
BOOST_DESCRIBE_STRUCT(CloseInput, (), (code, summary))
BOOST_DESCRIBE_STRUCT(DrillQuery, (), (from, to))
BOOST_DESCRIBE_STRUCT(PlanDrills, (),
                      (plan_code, title, scenario, drill_every_months, required, done, last_held,
                       next_due, overdue, trainings, attendees))
BOOST_DESCRIBE_STRUCT(DrillReport, (), (query, plans, required, done, overdue))
BOOST_DESCRIBE_STRUCT(DueCheck, (), (plans, drills_due, reviews_due, told))
BOOST_DESCRIBE_STRUCT(IncidentActivated, (),
                      (incident_id, code, plan_code, title, level, point_id, at))
BOOST_DESCRIBE_STRUCT(PlanDue, (), (plan_id, plan_code, title, kind, due, owner_staff_id))

class HOUQIN_EXPORT Emergency {
 public:
  explicit Emergency(store::Store& store) : store_(store) {}

  /// A new revision of the plan `code` (1 when new); emergency.manage, audited. Steps, duties,
  /// resources (inventory items) and alarm points are checked; a drill interval longer than the
  /// scenario allows is refused.
  Plan save_plan(const auth::Actor& actor, const PlanInput& in);
  /// The active (latest) revision; Error(not_found).
  Plan plan(const std::string& code);
  /// The active plan covering an alarm point, if any (the lowest code when several do).
  std::optional<Plan> plan_for_point(Id point_id);
  /// plan_for_point() with the duty roster's names, for a dashboard (emergency.read, audited
  /// quietly).
  AlarmPlan alarm_plan(const auth::Actor& actor, Id point_id);
  /// The plan's duty roster: each role with the name of who holds it now.
  std::vector<RosterEntry> roster(const Plan& plan);

  Drill schedule_drill(const auth::Actor& actor, const ScheduleInput& in);
  /// Records a scheduled drill as held (emergency.manage): participants, timeline, findings, an
  /// evaluation; each follow-up opens a hazard (the actor needs hazard.report).
  Drill record_drill(const auth::Actor& actor, const RecordInput& in);
  Training record_training(const auth::Actor& actor, const TrainingInput& in);

  /// Activates a plan for real (emergency.activate): an incident with its first timeline entry,
  /// and IncidentActivated for the duty roster.
  Incident activate(const auth::Actor& actor, const ActivateInput& in);
  Incident log(const auth::Actor& actor, const LogInput& in);
  Incident close(const auth::Actor& actor, const CloseInput& in);

  DrillReport drills(const DrillQuery& in);
  /// Plans past their drill interval or review date publish PlanDue once per due date. Run by
  /// the host's job "emergency.check".
  DueCheck check_due(const auth::Actor& actor);

 private:
  store::Store& store_;
};

}  // namespace houqin::emergency
