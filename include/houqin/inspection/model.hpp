// Preventive work (巡检 and PM) as entities: versioned checklist templates per asset category
// (the inspection knowledge base), plans with whichever-comes-first triggers (time, meter,
// condition), routes of points for rounds, the tasks the scheduler issues with their results and
// compliance, the skipped occurrences, meter readings, and the NFC tags that prove an inspector
// stood at a point, with every scan. The rules are in inspection::Planner (planner.hpp).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "houqin/asset/model.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::inspection {

// ---- the knowledge base: checklist templates ----

/// pass/fail, a number with limits and unit, one of listed choices, free text, a photo reference.
BOOST_DEFINE_ENUM_CLASS(ItemKind, pass_fail, number, choice, text, photo)
/// What a failed item opens, through the wiring: a repair work order (equipment that needs
/// fixing), or a safety hazard (隐患) of a grade, which then runs the hazard loop (hazard.md).
BOOST_DEFINE_ENUM_CLASS(FindingOpens, work_order, general_hazard, major_hazard)

/// One line of a checklist.
struct ChecklistItem {
  static constexpr std::array<std::string_view, 2> required_fields{"key", "text"};
  std::string key;   // stable within the template: "manifold_pressure"
  std::string text;  // what the inspector reads: "汇流排压力"
  ItemKind kind = ItemKind::pass_fail;
  std::optional<double> min;  // number: the limits (inclusive) ...
  std::optional<double> max;
  std::string unit;                          // ... and the unit
  std::vector<std::string> choices;          // choice: what may be picked ...
  std::vector<std::string> failing_choices;  // ... and which of them is a failure
  bool required = true;
  FindingOpens opens = FindingOpens::work_order;  // what a failure of this item opens
};
BOOST_DESCRIBE_STRUCT(ChecklistItem, (),
                      (key, text, kind, min, max, unit, choices, failing_choices, required, opens))

/// One revision of a checklist. Saving a template under an existing code adds a revision; rows
/// are never changed, so a task keeps the revision it was issued with.
struct Template {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // "O2-MANIFOLD-DAILY"
  std::int32_t revision = 1;
  std::string name;
  std::string asset_category;  // an equipment_category code ("medical_gas"), "" for any
  std::vector<ChecklistItem> items;
  Timestamp created_at{};
  std::string created_by;
};
BOOST_DESCRIBE_STRUCT(Template, (),
                      (id, version, code, revision, name, asset_category, items, created_at,
                       created_by))

// ---- routes ----

/// One stop of a round: a room or an asset (where its NFC tag is).
struct RoutePoint {
  std::optional<Id> room_id;
  std::optional<Id> asset_id;
};
BOOST_DESCRIBE_STRUCT(RoutePoint, (), (room_id, asset_id))

/// Ordered points for rounds (巡检路线).
struct Route {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::vector<RoutePoint> points;
};
BOOST_DESCRIBE_STRUCT(Route, (), (id, version, code, name, points))

// ---- plans ----

BOOST_DEFINE_ENUM_CLASS(IntervalUnit, hour, day, week, month)
/// Fixed: occurrences on the calendar from `start` (every Monday 08:00). Completion: the next one
/// an interval after the last completion (PM that slides with the work).
BOOST_DEFINE_ENUM_CLASS(Anchor, fixed, completion)
BOOST_DEFINE_ENUM_CLASS(Sense, above, below)
BOOST_DEFINE_ENUM_CLASS(Trigger, time, meter, condition)

/// A plan issues tasks on whichever of its triggers comes first, at most one open at a time.
struct Plan {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "template_code"};
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::string template_code;  // the template's latest revision when a task is issued
  // What is inspected: one asset or room, or a route of points.
  std::optional<Id> asset_id;
  std::optional<Id> room_id;
  std::optional<Id> route_id;

  // Time trigger (every > 0): an interval and unit, anchored on the calendar or on completion,
  // on some days of the week only, or at the start of a shift each day.
  std::int32_t every = 0;
  IntervalUnit unit = IntervalUnit::day;
  Anchor anchor = Anchor::fixed;
  Timestamp start{};              // the first occurrence (fixed) or the first due (completion)
  std::int32_t days_of_week = 0;  // bit 0 Monday .. bit 6 Sunday; 0 every day (day unit only)
  std::optional<Id> shift_id;     // due at this shift's start (day unit), local time
  std::int32_t utc_offset_minutes = 480;  // the local time of days, weeks, months and shifts

  // Meter trigger (meter_every > 0): run hours or cycles of a point; issued when the reading
  // reaches the last issue's reading plus meter_every, less the generate-ahead tolerance.
  std::optional<Id> meter_point_id;
  double meter_every = 0;
  double meter_tolerance = 0;

  // Condition trigger (condition_point_id set): the point beyond threshold for wait_minutes;
  // armed again once it is back by hysteresis.
  std::optional<Id> condition_point_id;
  double threshold = 0;
  Sense sense = Sense::above;
  double hysteresis = 0;
  std::int32_t wait_minutes = 0;

  std::int32_t lead_minutes = 0;          // a task appears this long before it is due
  std::int32_t window_minutes = 24 * 60;  // done within due + window counts as in time
  std::string skill;                      // assign to someone on shift with this skill ...
  std::optional<Id> assignee_staff_id;    // ... or always to this person
  bool active = true;

  // The plan's state, kept by the planner.
  std::optional<Timestamp> last_due;         // the last occurrence handled (issued or skipped)
  std::optional<Timestamp> last_completed;   // the last task done or exempted; for a
                                             // completion-anchored plan also missed (its close)
  std::optional<double> meter_base;          // the meter reading the next meter due counts from
  std::optional<Timestamp> condition_since;  // the condition has held since
  bool condition_armed = true;
  /// When the generator must next look at the plan: its next time occurrence less the lead
  /// time; at once for meter and condition triggers and for a plan just saved; never while a
  /// completion-anchored task is still to come. The generator reads only the plans due, not
  /// every plan every run.
  Timestamp next_check{};
};
BOOST_DESCRIBE_STRUCT(Plan, (),
                      (id, version, code, name, template_code, asset_id, room_id, route_id, every,
                       unit, anchor, start, days_of_week, shift_id, utc_offset_minutes,
                       meter_point_id, meter_every, meter_tolerance, condition_point_id, threshold,
                       sense, hysteresis, wait_minutes, lead_minutes, window_minutes, skill,
                       assignee_staff_id, active, last_due, last_completed, meter_base,
                       condition_since, condition_armed, next_check))

// ---- tasks ----

/// open: issued; done: completed (late when after the window); missed: the window closed
/// undone (out of compliance); exempt: not done for a stated reason.
BOOST_DEFINE_ENUM_CLASS(TaskStatus, open, done, missed, exempt)
BOOST_DEFINE_ENUM_CLASS(ExemptReason, in_use, not_found, out_of_service, other)

/// A point of a task and the scan that proves the inspector was there.
struct TaskPoint {
  std::optional<Id> room_id;
  std::optional<Id> asset_id;
  std::optional<Id> scan_id;  // the accepted scan of the point's tag
  std::optional<Timestamp> scanned_at;
};
BOOST_DESCRIBE_STRUCT(TaskPoint, (), (room_id, asset_id, scan_id, scanned_at))

/// One answer to a checklist item (at a point of a route: `point`).
struct Result {
  static constexpr std::array<std::string_view, 1> required_fields{"key"};
  std::string key;
  std::int32_t point = 0;
  std::optional<bool> pass;      // pass_fail
  std::optional<double> number;  // number
  std::string choice;            // choice
  std::string text;              // text
  std::string photo;             // photo: a reference (file id, URL), never the content
  bool failed = false;           // set by the planner: a fail, a number out of limits, ...
  std::string finding;           // ... and what was wrong
};
BOOST_DESCRIBE_STRUCT(Result, (), (key, point, pass, number, choice, text, photo, failed, finding))

struct Task {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // "PM-<plan>-<yyyymmddhhmm>": the same occurrence always has the same code
  Id plan_id = 0;
  Id template_id = 0;  // the revision it was issued with
  Trigger trigger = Trigger::time;
  Timestamp due_at{};
  Timestamp window_end{};  // done after this is late; undone at it, missed
  TaskStatus status = TaskStatus::open;
  std::optional<Id> assignee_staff_id;
  std::vector<TaskPoint> points;
  std::vector<Result> results;
  Timestamp issued_at{};
  std::optional<Timestamp> completed_at;
  std::string completed_by;
  bool late = false;
  std::optional<ExemptReason> exempt_reason;
  std::string note;
  std::int32_t findings = 0;  // failed items
};
BOOST_DESCRIBE_STRUCT(Task, (),
                      (id, version, code, plan_id, template_id, trigger, due_at, window_end, status,
                       assignee_staff_id, points, results, issued_at, completed_at, completed_by,
                       late, exempt_reason, note, findings))

/// An occurrence that issued no task, and why (a task of the plan still open, a catch-up).
struct Skip {
  Id id = 0;
  std::int64_t version = 0;
  Id plan_id = 0;
  Timestamp due_at{};
  Trigger trigger = Trigger::time;
  std::string reason;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(Skip, (), (id, version, plan_id, due_at, trigger, reason, at))

/// A reading of a meter or condition point (from telemetry, the app, or a person).
struct MeterReading {
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  double value = 0;
  Timestamp at{};
  std::string source;  // "telemetry", "app", "manual: ..."
};
BOOST_DESCRIBE_STRUCT(MeterReading, (), (id, version, point_id, value, at, source))

// ---- NFC ----

/// ntag424_dna: SUN messages (an encrypted UID and counter with a CMAC per tap) that a copy
/// cannot fake; ntag21x / iso15693: a 7- or 8-byte UID; mifare_classic: a 4-byte UID that
/// repeats across tags and clones, accepted but flagged weak.
BOOST_DEFINE_ENUM_CLASS(TagType, ntag424_dna, ntag21x, iso15693, mifare_classic, other)

struct Tag {
  static constexpr std::array<std::string_view, 2> required_fields{"uid", "type"};
  Id id = 0;
  std::int64_t version = 0;
  std::string uid;  // upper-case hex, 8 (4-byte) or 14 (7-byte) digits or more
  TagType type = TagType::ntag21x;
  bool weak = false;              // a 4-byte UID: proves little
  std::optional<Id> room_id;      // bound to one point: a room ...
  std::optional<Id> asset_id;     // ... or an asset
  std::int64_t sun_counter = -1;  // ntag424_dna: the highest tap counter accepted (-1: none)
  bool active = true;
  // ntag424_dna: the tag's SDM meta read key (decrypts the UID and counter) and SDM file read
  // key (the CMAC), 32 hex digits each; sealed at rest with the keyring and never shown.
  std::string sun_meta_key;
  std::string sun_file_key;
};
BOOST_DESCRIBE_STRUCT(Tag, (),
                      (id, version, uid, type, weak, room_id, asset_id, sun_counter, active,
                       sun_meta_key, sun_file_key))

/// Why a scan did not count, or what is doubtful about one that did (out_of_order, weak_tag).
BOOST_DEFINE_ENUM_CLASS(ScanFlag, none, duplicate, out_of_order, too_fast, outside_window,
                        wrong_point, weak_tag, forged, replayed)

/// Every scan, accepted or not (the evidence a supervisor reviews).
struct Scan {
  Id id = 0;
  std::int64_t version = 0;
  std::optional<Id> task_id;
  std::optional<Id> tag_id;
  std::string uid;
  Timestamp at{};
  std::string actor;
  bool accepted = false;  // counts for the task's point
  bool verified = false;  // a SUN message whose CMAC checked out
  std::optional<std::int64_t> counter;
  ScanFlag flag = ScanFlag::none;
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(Scan, (),
                      (id, version, task_id, tag_id, uid, at, actor, accepted, verified, counter,
                       flag, detail))

}  // namespace houqin::inspection

template <>
struct houqin::entity_traits<houqin::inspection::Template> {
  static constexpr std::string_view table = "inspection_template";
  static constexpr std::string_view collection = "inspection_templates";
  static constexpr std::array<std::string_view, 1> unique{"code,revision"};
};
template <>
struct houqin::entity_traits<houqin::inspection::Route> {
  static constexpr std::string_view table = "inspection_route";
  static constexpr std::string_view collection = "inspection_routes";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};
template <>
struct houqin::entity_traits<houqin::inspection::Plan> {
  static constexpr std::string_view table = "inspection_plan";
  static constexpr std::string_view collection = "inspection_plans";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references = std::tuple{
      ref<asset::Asset>(&inspection::Plan::asset_id), ref<site::Room>(&inspection::Plan::room_id),
      ref<inspection::Route>(&inspection::Plan::route_id),
      ref<site::Shift>(&inspection::Plan::shift_id),
      ref<site::Staff>(&inspection::Plan::assignee_staff_id)};
};
template <>
struct houqin::entity_traits<houqin::inspection::Task> {
  static constexpr std::string_view table = "inspection_task";
  static constexpr std::string_view collection = "inspection_tasks";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<inspection::Plan>(&inspection::Task::plan_id),
                 ref<inspection::Template>(&inspection::Task::template_id),
                 ref<site::Staff>(&inspection::Task::assignee_staff_id)};
};
template <>
struct houqin::entity_traits<houqin::inspection::Skip> {
  static constexpr std::string_view table = "inspection_skip";
  static constexpr std::string_view collection = "inspection_skips";
  static constexpr auto references = std::tuple{ref<inspection::Plan>(&inspection::Skip::plan_id)};
};
template <>
struct houqin::entity_traits<houqin::inspection::MeterReading> {
  static constexpr std::string_view table = "inspection_meter_reading";
  static constexpr std::string_view collection = "meter_readings";
};
template <>
struct houqin::entity_traits<houqin::inspection::Tag> {
  static constexpr std::string_view table = "inspection_tag";
  static constexpr std::string_view collection = "nfc_tags";
  static constexpr std::array<std::string_view, 1> unique{"uid"};
  static constexpr auto references = std::tuple{ref<site::Room>(&inspection::Tag::room_id),
                                                ref<asset::Asset>(&inspection::Tag::asset_id)};
  static constexpr std::array personal{houqin::Personal{"sun_meta_key", houqin::Mask::full},
                                       houqin::Personal{"sun_file_key", houqin::Mask::full}};
};
template <>
struct houqin::entity_traits<houqin::inspection::Scan> {
  static constexpr std::string_view table = "inspection_scan";
  static constexpr std::string_view collection = "nfc_scans";
  static constexpr auto references = std::tuple{ref<inspection::Task>(&inspection::Scan::task_id),
                                                ref<inspection::Tag>(&inspection::Scan::tag_id)};
  static constexpr std::array personal{houqin::Personal{"actor", houqin::Mask::text}};
};

// Instantiated once, in libhouqin (src/inspection/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::inspection::Template)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Route)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Plan)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Task)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Skip)
HOUQIN_EXTERN_ENTITY(houqin::inspection::MeterReading)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Tag)
HOUQIN_EXTERN_ENTITY(houqin::inspection::Scan)
