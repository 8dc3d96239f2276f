// Preventive work as one service. Templates are saved as new revisions; plans issue tasks on
// whichever of their triggers comes first (time, meter, condition), at most one open at a time,
// logging every occurrence that issued none; the scheduler's job (generate) is a function of the
// stored plans and the clock time alone, so replaying a year gives the same tasks. A task's
// points count only with a scan of the point's own tag inside the task's window; scans that are
// duplicates, out of route order, too fast to walk, or from weak tags are flagged; NTAG 424 DNA
// taps are verified by their CMAC so a copied URL, a replayed tap or a cloned UID is refused.
// Completing a task checks every answer against its item; each failure is published as an
// InspectionFinding, which the wiring turns into a work order with the evidence.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/inspection/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::inspection {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

// ---- requests ----

struct TemplateInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "name", "items"};
  std::string code;
  std::string name;
  std::string asset_category;
  std::vector<ChecklistItem> items;
};

struct MeterInput {
  static constexpr std::array<std::string_view, 2> required_fields{"point_id", "value"};
  Id point_id = 0;
  double value = 0;
  std::string source = "manual";
  std::optional<Timestamp> at;  // when it was read (a sample's time); default now
};

/// A tap of a plain tag (its UID as the reader reports it) for a task.
struct ScanInput {
  static constexpr std::array<std::string_view, 2> required_fields{"task_code", "uid"};
  std::string task_code;
  std::string uid;
};

/// A tap of an NTAG 424 DNA tag for a task: the SUN message's encrypted PICCData and its CMAC
/// (the "picc_data" and "cmac" parameters of the URL the phone opened).
struct SunScanInput {
  static constexpr std::array<std::string_view, 3> required_fields{"task_code", "picc_data",
                                                                   "cmac"};
  std::string task_code;
  std::string picc_data;
  std::string cmac;
};

struct CompleteInput {
  static constexpr std::array<std::string_view, 1> required_fields{"task_code"};
  std::string task_code;
  std::vector<Result> results;
  std::string note;
};

struct ExemptInput {
  static constexpr std::array<std::string_view, 2> required_fields{"task_code", "reason"};
  std::string task_code;
  ExemptReason reason = ExemptReason::other;
  std::string note;  // required with other
};

/// Provisioning an NTAG 424 DNA tag: its keys are diversified from the deployment's master key
/// and the UID (AN10922), stored sealed; the master key passes through and is not kept.
struct ProvisionInput {
  static constexpr std::array<std::string_view, 2> required_fields{"uid", "master_key"};
  std::string uid;
  std::string master_key;  // 32 hex digits
  std::optional<Id> room_id;
  std::optional<Id> asset_id;
};

/// What one run of the generator did.
struct Generation {
  std::int32_t issued = 0;
  std::int32_t skipped = 0;  // occurrences logged as skipped
  std::int32_t missed = 0;   // open tasks whose window closed undone
};

/// Compliance over tasks due in [from, to).
struct ComplianceInput {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct PlanCompliance {
  Id plan_id = 0;
  std::string plan;
  std::int64_t due = 0;
  std::int64_t done = 0;  // in time
  std::int64_t late = 0;  // done after the window
  std::int64_t missed = 0;
  std::int64_t exempt = 0;
  std::int64_t open = 0;
  std::int64_t findings = 0;
};
struct Compliance {
  ComplianceInput query;
  std::vector<PlanCompliance> plans;
  PlanCompliance total;
  /// done in time / (due - exempt - open); 1 when nothing was due.
  double completion_rate = 1;
  std::vector<Task> overdue;  // open now and past due
};

// ---- events (durable) ----

struct TaskIssued {
  static constexpr std::string_view aggregate = "inspection_task";
  Id aggregate_id() const { return task_id; }
  Id task_id = 0;
  std::string code;
  Id plan_id = 0;
  Trigger trigger = Trigger::time;
  Timestamp due_at{};
  std::optional<Id> assignee_staff_id;
};
struct TaskCompleted {
  static constexpr std::string_view aggregate = "inspection_task";
  Id aggregate_id() const { return task_id; }
  Id task_id = 0;
  std::string code;
  Id plan_id = 0;
  bool late = false;
  std::int32_t findings = 0;
  Timestamp at{};
};
struct TaskMissed {
  static constexpr std::string_view aggregate = "inspection_task";
  Id aggregate_id() const { return task_id; }
  Id task_id = 0;
  std::string code;
  Id plan_id = 0;
  Timestamp due_at{};
};
/// A failed item, with the evidence: which task, item, answer and scan.
struct InspectionFinding {
  static constexpr std::string_view aggregate = "inspection_task";
  Id aggregate_id() const { return task_id; }
  Id task_id = 0;
  std::string task_code;
  Id plan_id = 0;
  std::string key;
  std::int32_t point = 0;  // which point of the task
  std::string item;        // the item's text
  std::string answer;      // what was recorded
  std::string finding;     // what is wrong
  std::optional<Id> asset_id;
  std::optional<Id> room_id;
  std::optional<Id> scan_id;
  std::string inspector;
  Timestamp at{};
  FindingOpens opens = FindingOpens::work_order;  // the item's: a work order or a hazard
};

BOOST_DESCRIBE_STRUCT(TemplateInput, (), (code, name, asset_category, items))
BOOST_DESCRIBE_STRUCT(MeterInput, (), (point_id, value, source, at))
BOOST_DESCRIBE_STRUCT(ScanInput, (), (task_code, uid))
BOOST_DESCRIBE_STRUCT(SunScanInput, (), (task_code, picc_data, cmac))
BOOST_DESCRIBE_STRUCT(CompleteInput, (), (task_code, results, note))
BOOST_DESCRIBE_STRUCT(ExemptInput, (), (task_code, reason, note))
BOOST_DESCRIBE_STRUCT(ProvisionInput, (), (uid, master_key, room_id, asset_id))
BOOST_DESCRIBE_STRUCT(Generation, (), (issued, skipped, missed))
BOOST_DESCRIBE_STRUCT(ComplianceInput, (), (from, to))
BOOST_DESCRIBE_STRUCT(PlanCompliance, (),
                      (plan_id, plan, due, done, late, missed, exempt, open, findings))
BOOST_DESCRIBE_STRUCT(Compliance, (), (query, plans, total, completion_rate, overdue))
BOOST_DESCRIBE_STRUCT(TaskIssued, (), (task_id, code, plan_id, trigger, due_at, assignee_staff_id))
BOOST_DESCRIBE_STRUCT(TaskCompleted, (), (task_id, code, plan_id, late, findings, at))
BOOST_DESCRIBE_STRUCT(TaskMissed, (), (task_id, code, plan_id, due_at))
BOOST_DESCRIBE_STRUCT(InspectionFinding, (),
                      (task_id, task_code, plan_id, key, point, item, answer, finding, asset_id,
                       room_id, scan_id, inspector, at, opens))

/// Compliance as CSV (a line per plan, csv.hpp) and as an HTML page with SVG charts: completion
/// per plan, the tasks by outcome, findings per plan, and the overdue list.
HOUQIN_EXPORT std::string to_csv(const Compliance& c);
HOUQIN_EXPORT std::string to_html(const Compliance& c);

/// The next occurrence of a plan's time trigger after the last one handled (`last_due`): on the
/// calendar from `start` for a fixed anchor, an interval after `last_completed` (the last task's
/// closure) for a completion anchor, none while that task is still to come or without a time
/// trigger. Pure: a function of the plan's fields only.
HOUQIN_EXPORT std::optional<Timestamp> next_time_due(const Plan& plan);

/// Walking time between two points of the site model (same room 0; same floor 60 m; each floor
/// between adds 15 m of stairs; another building 250 m), at `metres_per_second`.
struct WalkModel {
  double metres_per_second = 1.2;
  double same_floor_m = 60;
  double per_floor_m = 15;
  double other_building_m = 250;
};

class HOUQIN_EXPORT Planner {
 public:
  explicit Planner(store::Store& store) : store_(store) {}

  /// A new revision of the template `code` (1 when new). inspection.configure, audited.
  Template save_template(const auth::Actor& actor, const TemplateInput& in);
  Route save_route(const auth::Actor& actor, Route route);
  /// Creates or changes a plan (by code), checking its triggers; its state fields are kept.
  Plan save_plan(const auth::Actor& actor, Plan plan);

  /// Records a meter or condition reading and moves the condition triggers of the plans that
  /// watch the point (inspection.record).
  MeterReading record_meter(const auth::Actor& actor, const MeterInput& in);
  /// The points active plans read (meter and condition points), each once, ascending.
  std::vector<Id> watched_points();
  /// The time of the newest reading recorded for a point.
  std::optional<Timestamp> last_reading(Id point);

  /// The scheduler's job "inspection.generate" at the store clock's now: marks open tasks whose
  /// window closed as missed, then issues each plan's due occurrence (skipping, with a logged
  /// reason, every one that cannot be issued). Deterministic in the plans and the time.
  Generation generate(const auth::Actor& actor);

  /// Registers a tag bound to one point (inspection.configure); a 4-byte UID is flagged weak.
  Tag register_tag(const auth::Actor& actor, Tag tag);
  /// Registers an NTAG 424 DNA tag with keys diversified from a master key.
  Tag provision_tag(const auth::Actor& actor, const ProvisionInput& in);

  /// A tap for a task (inspection.perform): always recorded; accepted when the tag is bound to
  /// a point of the task not yet scanned, inside the window, and walkable from the last scan.
  Scan scan(const auth::Actor& actor, const ScanInput& in);
  /// An NTAG 424 DNA tap: decrypted with the keys of the task's points' tags and its CMAC
  /// checked. A message no tag of the task made (copied from another tag, altered, or from a
  /// clone) is flagged forged and a counter not above the last accepted one replayed; neither
  /// counts, both are recorded as evidence. Malformed parameters are Error(invalid_argument).
  Scan scan_sun(const auth::Actor& actor, const SunScanInput& in);

  /// Completes a task with its answers (inspection.perform): every required item answered,
  /// every point scanned; failures are found and published.
  Task complete(const auth::Actor& actor, const CompleteInput& in);
  /// Exempts an open task with a reason (inspection.supervise).
  Task exempt(const auth::Actor& actor, const ExemptInput& in);

  Compliance compliance(const ComplianceInput& in);

  void set_walk_model(WalkModel m) { walk_ = m; }

 private:
  /// One tap for a task: authorised, audited, recorded whatever `decide` (the checks of the
  /// kind of tap) says; the point it returns gets the scan.
  Scan tap(const auth::Actor& actor, const std::string& task_code,
           const std::function<std::optional<std::size_t>(Task&, Scan&)>& decide);
  /// The checks of a tap of `tag` for task t: the point, duplicate, window, walking time,
  /// order, weak tag. Sets sc's flag, detail and acceptance; returns the point it counts for.
  std::optional<std::size_t> accept_scan(Task& t, const std::optional<Tag>& tag, Scan& sc);

  store::Store& store_;
  WalkModel walk_{};
};

}  // namespace houqin::inspection
