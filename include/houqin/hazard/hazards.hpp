// The hazard closed loop as one service: a hazard is reported (or fixed on the spot and sent
// straight to review), assigned to the unit that rectifies it with a deadline (a major hazard with
// its 五落实 plan), rectified with photos, reviewed by someone else and closed (销号) or sent back
// (reopened). Extensions are asked for and decided; a hazard may ask for a repair work order and
// close when that order completes (through events and the wiring). Every action is a row of one
// transition table; every change is authorised, audited, recorded and published after commit.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/hazard/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::hazard {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

// ---- the transition table ----

/// A set of states as bits (1 << Status).
using StatusSet = std::uint32_t;
constexpr StatusSet bit(Status s) noexcept {
  return StatusSet{1} << static_cast<unsigned>(s);
}
/// One action: the states it may start from, the state it leads to (none: the hazard stays), the
/// permission, and what it needs.
struct Transition {
  Action action;
  StatusSet from;  // empty for report and fix_on_spot: the hazard is new
  std::optional<Status> to;
  std::string_view permission;
  bool needs_reason = false;
};
/// The whole table, one row per action (docs/hazard.md shows it).
HOUQIN_EXPORT std::span<const Transition> transitions() noexcept;
HOUQIN_EXPORT const Transition& transition(Action action);
/// States in which a hazard is still open (counted as open, checked for deadlines).
inline constexpr StatusSet open_states =
    bit(Status::reported) | bit(Status::assigned) | bit(Status::rectifying) | bit(Status::review);

// ---- requests ----

struct ReportInput {
  static constexpr std::array<std::string_view, 2> required_fields{"title", "grade"};
  std::string title;
  std::string description;
  Grade grade = Grade::general;
  Source source = Source::app;
  std::string source_ref;
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // taken from the room when not given
  std::string location;
  std::vector<std::string> before_photos;
  /// Fixed when found: the hazard goes straight to review with what was done and the photo after
  /// (a general hazard only).
  bool fixed_on_spot = false;
  std::string rectification;
  std::vector<std::string> after_photos;
};

/// The 五落实 plan's fields besides the deadline.
struct Plan {
  std::optional<Id> responsible_staff_id;
  std::string measures;
  std::optional<double> funds_yuan;
  std::string contingency;
};

struct AssignInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code",
                                                                   "assigned_department_id"};
  std::string code;
  Id assigned_department_id = 0;
  std::optional<Id> assignee_staff_id;
  /// Empty: the rules' general_days / major_days from now on the first assignment, the deadline
  /// it had on a reassignment.
  std::optional<Timestamp> deadline;
  std::optional<Plan> plan;  // required for a major hazard unless planned already
};

struct PlanInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "plan"};
  std::string code;
  Plan plan;
  std::optional<Timestamp> deadline;
};

struct ExtensionInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "until", "reason"};
  std::string code;
  Timestamp until{};
  std::string reason;
};

struct ReasonInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "reason"};
  std::string code;
  std::string reason;
};

struct SubmitInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "rectification",
                                                                   "after_photos"};
  std::string code;
  std::string rectification;
  std::vector<std::string> after_photos;
};

struct ReviewInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
  std::string note;
};

struct OrderInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
  std::string category = "safety";  // the work order's category
};

/// A hazard with every change of it, oldest first.
struct Trace {
  Hazard hazard;
  std::vector<Record> records;
};

/// Hazards found in [from, to) by grade, area and age, and how the loop is doing.
struct ReportQuery {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct AreaRow {
  std::string area;  // the building (from the room) or the department, else "-"
  std::int64_t general = 0;
  std::int64_t major = 0;
  std::int64_t open = 0;
  std::int64_t overdue = 0;
};
struct AgeRow {
  std::string age;  // "<= 7 d", "8-30 d", "31-90 d", "> 90 d": open hazards by days since report
  std::int64_t general = 0;
  std::int64_t major = 0;
};
struct Report {
  ReportQuery query;
  std::int64_t reported = 0;
  std::int64_t general = 0;
  std::int64_t major = 0;
  std::int64_t closed = 0;
  std::int64_t closed_on_time = 0;  // closed by their (extended) deadline
  std::int64_t fixed_on_spot = 0;
  std::int64_t open = 0;     // of those reported in the period, still open now
  std::int64_t overdue = 0;  // open past the deadline now
  std::int64_t reopened = 0;
  double rectification_rate = 0;  // closed / (reported - cancelled), 0..1
  std::vector<AreaRow> areas;
  std::vector<AgeRow> ages;
  std::vector<Hazard> open_major;  // every open major hazard, reported in the period or not
};

/// The report as CSV (the area rows) and as an HTML page with tables and SVG charts.
HOUQIN_EXPORT std::string to_csv(const Report& report);
HOUQIN_EXPORT std::string to_html(const Report& report);

/// What one check found.
struct OverdueCheck {
  std::int32_t open = 0;
  std::int32_t unassigned = 0;  // reported longer than assign_within_hours
  std::int32_t overdue = 0;     // past the deadline, not in review
  std::int32_t escalated = 0;   // HazardOverdue events published now
};

// ---- events (durable) ----

/// Any change of a hazard: the action and the states.
struct HazardChanged {
  static constexpr std::string_view aggregate = "hazard";
  Id aggregate_id() const { return hazard_id; }
  Id hazard_id = 0;
  std::string code;
  Grade grade = Grade::general;
  Action action = Action::report;
  Status from = Status::reported;
  Status to = Status::reported;
  std::optional<Id> department_id;
  Timestamp at{};
};
/// A hazard past a limit, once per level: level 0 reported and not assigned in time (the safety
/// officer); after the deadline level 1 the assignee, 2 the safety officer, 3 the administrator.
struct HazardOverdue {
  static constexpr std::string_view aggregate = "hazard";
  Id aggregate_id() const { return hazard_id; }
  Id hazard_id = 0;
  std::string code;
  std::string title;
  Grade grade = Grade::general;
  std::int32_t level = 1;
  std::optional<Id> notify_staff_id;  // who to tell at this level (none configured: nobody)
  std::int32_t hours_over = 0;
  Timestamp at{};
};
/// A hazard asks for a repair work order (the wiring opens it and links it back).
struct HazardOrderRequested {
  static constexpr std::string_view aggregate = "hazard";
  Id aggregate_id() const { return hazard_id; }
  Id hazard_id = 0;
  std::string code;
  std::string title;
  std::string description;
  Grade grade = Grade::general;
  std::optional<Id> room_id;
  std::string category;
  Timestamp at{};
};

BOOST_DESCRIBE_STRUCT(ReportInput, (),
                      (title, description, grade, source, source_ref, room_id, department_id,
                       location, before_photos, fixed_on_spot, rectification, after_photos))
BOOST_DESCRIBE_STRUCT(Plan, (), (responsible_staff_id, measures, funds_yuan, contingency))
BOOST_DESCRIBE_STRUCT(AssignInput, (),
                      (code, assigned_department_id, assignee_staff_id, deadline, plan))
BOOST_DESCRIBE_STRUCT(PlanInput, (), (code, plan, deadline))
BOOST_DESCRIBE_STRUCT(ExtensionInput, (), (code, until, reason))
BOOST_DESCRIBE_STRUCT(ReasonInput, (), (code, reason))
BOOST_DESCRIBE_STRUCT(SubmitInput, (), (code, rectification, after_photos))
BOOST_DESCRIBE_STRUCT(ReviewInput, (), (code, note))
BOOST_DESCRIBE_STRUCT(OrderInput, (), (code, category))
BOOST_DESCRIBE_STRUCT(Trace, (), (hazard, records))
BOOST_DESCRIBE_STRUCT(ReportQuery, (), (from, to))
BOOST_DESCRIBE_STRUCT(AreaRow, (), (area, general, major, open, overdue))
BOOST_DESCRIBE_STRUCT(AgeRow, (), (age, general, major))
BOOST_DESCRIBE_STRUCT(Report, (),
                      (query, reported, general, major, closed, closed_on_time, fixed_on_spot, open,
                       overdue, reopened, rectification_rate, areas, ages, open_major))
BOOST_DESCRIBE_STRUCT(OverdueCheck, (), (open, unassigned, overdue, escalated))
BOOST_DESCRIBE_STRUCT(HazardChanged, (),
                      (hazard_id, code, grade, action, from, to, department_id, at))
BOOST_DESCRIBE_STRUCT(HazardOverdue, (),
                      (hazard_id, code, title, grade, level, notify_staff_id, hours_over, at))
BOOST_DESCRIBE_STRUCT(HazardOrderRequested, (),
                      (hazard_id, code, title, description, grade, room_id, category, at))

class HOUQIN_EXPORT Hazards {
 public:
  explicit Hazards(store::Store& store) : store_(store) {}

  Rules rules();
  /// Saves the rules (hazard.manage, audited); Error(invalid_argument) naming a value out of
  /// range.
  Rules save_rules(const auth::Actor& actor, Rules rules);

  /// Reports a hazard (hazard.report), or records one fixed on the spot (then in review).
  Hazard report(const auth::Actor& actor, const ReportInput& in);
  /// Assigns (or reassigns) the rectification to a unit with a deadline (hazard.manage). A major
  /// hazard needs the complete 五落实 plan, given here or before.
  Hazard assign(const auth::Actor& actor, const AssignInput& in);
  /// Sets or changes the 五落实 plan and deadline (hazard.manage).
  Hazard plan(const auth::Actor& actor, const PlanInput& in);
  /// The assigned unit starts work (hazard.rectify in that unit).
  Hazard start(const auth::Actor& actor, const std::string& code);
  /// The assigned unit asks for a later deadline with a reason (hazard.rectify) ...
  Hazard request_extension(const auth::Actor& actor, const ExtensionInput& in);
  /// ... which the manager grants (the deadline moves) or denies with a reason (hazard.manage).
  Hazard grant_extension(const auth::Actor& actor, const ReviewInput& in);
  Hazard deny_extension(const auth::Actor& actor, const ReasonInput& in);
  /// The unit reports the work done with photos after (hazard.rectify); the hazard goes to review.
  Hazard submit(const auth::Actor& actor, const SubmitInput& in);
  /// Review (hazard.review, by someone other than who submitted): closed (销号) ...
  Hazard approve(const auth::Actor& actor, const ReviewInput& in);
  /// ... or sent back to rectifying with the reason (a reopen).
  Hazard reject(const auth::Actor& actor, const ReasonInput& in);
  /// Asks for a repair work order (hazard.manage): publishes HazardOrderRequested, which the
  /// wiring turns into an order linked back with link_order.
  Hazard request_order(const auth::Actor& actor, const OrderInput& in);
  /// The wiring's half: the order opened for the hazard, and its completion closing the hazard
  /// (hazard.manage / hazard.review, held by the wiring's actor). Repeated calls change nothing.
  Hazard link_order(const auth::Actor& actor, Id hazard_id, Id work_order_id);
  std::optional<Hazard> close_by_order(const auth::Actor& actor, Id work_order_id,
                                       const std::string& order_code);
  /// Cancels a report that is no hazard or a duplicate (hazard.manage), with the reason.
  Hazard cancel(const auth::Actor& actor, const ReasonInput& in);

  /// A hazard and its records by code (hazard.read where it is); Error(not_found).
  Trace trace(const auth::Actor& actor, const std::string& code);
  Report report(const ReportQuery& in);
  /// Reported hazards not assigned in time and open hazards past their deadline publish
  /// HazardOverdue once per level. Run by the host's job "hazard.check_overdue".
  OverdueCheck check_overdue(const auth::Actor& actor);

 private:
  store::Store& store_;
};

}  // namespace houqin::hazard
