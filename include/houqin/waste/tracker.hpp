// The chain of custody of medical waste, ward to disposal company, as one service: a bag is
// registered with its weight at generation, sealed, handed over to the collector (both parties
// confirm, each as their own actor), taken into temporary storage, sent out under a transfer
// manifest, and transferred to the licensed company. The order of steps is one table; weights
// are reconciled between steps (a mismatch blocks the next step until someone resolves it with a
// reason); bags stored too long are found by a timed check that escalates. Every step is
// authorised (waste.collect for the ward's steps in its department, waste.handover for the
// collector and the store), audited, and published as an event after commit.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/waste/model.hpp"

namespace houqin::waste {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// Reads a networked scale once: `point_id` is a point of kind weight in the stored point map
/// (a unit of "g" is converted to kg). Error(not_found) for no such point,
/// Error(invalid_argument) for a point of another kind, Error(unavailable) naming the scale and
/// the failure when it does not answer, Error(failed_precondition) for an empty platform.
HOUQIN_EXPORT double read_scale(store::Store& store, Id point_id);

// ---- requests ----

/// A weight comes from one of three places: read from a networked scale now (scale_point_id,
/// no weight_kg), reported by the app from its scale (weight_kg, source scale or app), or typed
/// in (weight_kg, source manual, with a note saying why).
struct RegisterInput {
  static constexpr std::array<std::string_view, 2> required_fields{"category", "department_id"};
  std::string code;  // empty: the next WB-/SB-YYYYMMDD-nnnnnn
  ContainerKind kind = ContainerKind::bag;
  Category category = Category::infectious;
  Id department_id = 0;
  std::optional<Id> room_id;
  bool double_bagged = false;
  double weight_kg = 0;
  WeightSource weight_source = WeightSource::scale;
  std::optional<Id> scale_point_id;  // read this scale (a point of kind weight) for the weight
  std::string weight_note;           // required with WeightSource::manual: why not weighed
  std::string notes;
};

struct SealInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
  bool at_three_quarters = false;  // the person confirms it was filled to 3/4, no more
};

/// A step that moves a bag on, with the weight measured there.
struct StepInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
  double weight_kg = 0;  // or scale_point_id
  WeightSource weight_source = WeightSource::scale;
  std::optional<Id> room_id;  // where (the temporary store's room at intake)
  std::string note;           // why a manual weight
  std::optional<Id> scale_point_id;
  bool cold = false;  // intake only: into a cold store (Rules::cold_storage_limit_hours)
};

struct ResolveInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "reason"};
  std::string code;
  std::string reason;
};

/// A weight captured wrongly (a scale not tared, a typo) is never edited: it is corrected, with a
/// reason, as a step of its own that keeps the old figure.
struct CorrectInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "weight_kg", "reason"};
  std::string code;
  double weight_kg = 0;
  std::string reason;
};

struct ManifestInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "category", "company"};
  std::string code;  // the 联单 number
  Category category = Category::infectious;
  std::string company;
  std::string licence;
  std::string vehicle;
};

struct OutboundInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "manifest_id"};
  std::string code;
  Id manifest_id = 0;
  double weight_kg = 0;  // or scale_point_id
  WeightSource weight_source = WeightSource::scale;
  std::string note;
  std::optional<Id> scale_point_id;
};

struct TransferInput {
  static constexpr std::array<std::string_view, 2> required_fields{"manifest_id", "receiver"};
  Id manifest_id = 0;
  std::string receiver;  // who signed for the company
};

/// A bag with every step of its chain of custody, oldest first.
struct Trace {
  Bag bag;
  std::vector<Step> steps;
};

/// Weight and count per department and category over [from, to) by generation time.
struct TotalsInput {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct Total {
  Id department_id = 0;
  Category category = Category::infectious;
  std::int64_t bags = 0;
  double weight_kg = 0;
  std::int64_t transferred = 0;  // of those, handed to the company
  double transferred_kg = 0;
};
struct Totals {
  std::vector<Total> totals;
};

/// The waste report of a period: weight by local day or month, department and category; what
/// of it reached the disposal company; the manifests; the bags overdue now.
BOOST_DEFINE_ENUM_CLASS(Period, day, month)
struct ReportInput {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
  Period period = Period::month;
  std::int32_t utc_offset_minutes = 480;  // local days and months (China Standard Time)
};
struct ReportRow {
  std::string period;  // "2026-03" or "2026-03-02", local
  Id department_id = 0;
  std::string department;
  Category category = Category::infectious;
  std::int64_t bags = 0;
  double weight_kg = 0;
  std::int64_t transferred = 0;
  double transferred_kg = 0;
};
struct Report {
  ReportInput query;
  std::vector<ReportRow> rows;  // by period, department, category
  std::int64_t bags = 0;
  double weight_kg = 0;
  std::int64_t transferred = 0;  // reconciliation: produced in the period and handed over
  double transferred_kg = 0;
  std::vector<Manifest> manifests;  // opened in the period: the manifest register
  std::vector<Bag> overdue;         // stored past the limit now
};

/// The report's rows as CSV (csv.hpp), and a page with tables and SVG charts.
HOUQIN_EXPORT std::string to_csv(const Report& report);
HOUQIN_EXPORT std::string to_html(const Report& report);

/// What one check of the chains found.
struct OverdueCheck {
  std::int32_t stored = 0;     // bags in temporary storage
  std::int32_t overdue = 0;    // of those, past the limit (the cold store's for cold bags)
  std::int32_t escalated = 0;  // escalation events published now
  // Bags past a time limit of the chain now, by gap (Rules::*_within_hours) ...
  std::int32_t unsealed = 0;
  std::int32_t not_collected = 0;
  std::int32_t not_stored = 0;
  std::int32_t not_transferred = 0;
  std::int32_t reported = 0;  // ... and ChainGap events published now (each gap once a bag)
};

/// What retention did: rows whose people were replaced by "*" (see protect::apply_retention).
struct RetentionResult {
  std::int64_t bags = 0;
  std::int64_t steps = 0;
  std::int64_t manifests = 0;
  Timestamp before{};  // records older than this (keep_years back from now)
};

// ---- events (durable) ----

/// A gap in a bag's chain of custody: unsealed, never collected, never stored after collection
/// (a missing handover), never received after outbound. Once per bag and gap.
struct ChainGap {
  static constexpr std::string_view aggregate = "waste_bag";
  Id aggregate_id() const { return bag_id; }
  Id bag_id = 0;
  std::string code;
  Category category = Category::infectious;
  Id department_id = 0;
  Anomaly anomaly = Anomaly::unsealed;
  std::int32_t hours = 0;        // since the bag entered its stage
  std::int32_t limit_hours = 0;  // the rule it broke
  Timestamp at{};
};

struct BagStep {
  static constexpr std::string_view aggregate = "waste_bag";
  Id aggregate_id() const { return bag_id; }
  Id bag_id = 0;
  std::string code;
  Category category = Category::infectious;
  Stage stage = Stage::generated;
  double weight_kg = 0;
  Timestamp at{};
};
/// A weight outside the tolerance: the bag waits until someone resolves it.
struct WeightMismatch {
  static constexpr std::string_view aggregate = "waste_bag";
  Id aggregate_id() const { return bag_id; }
  Id bag_id = 0;
  std::string code;
  Stage stage = Stage::generated;  // the step that measured it
  double expected_kg = 0;
  double measured_kg = 0;
  double tolerance_pct = 0;
  Timestamp at{};
};
/// A bag in temporary storage past the limit; level 1 the handler, 2 the head of logistics, 3
/// the administrator -- one event per bag and level.
struct StorageOverdue {
  static constexpr std::string_view aggregate = "waste_bag";
  Id aggregate_id() const { return bag_id; }
  Id bag_id = 0;
  std::string code;
  Category category = Category::infectious;
  std::int32_t level = 1;
  std::int32_t hours_stored = 0;
  std::int32_t limit_hours = 0;
  Timestamp at{};
};

BOOST_DESCRIBE_STRUCT(RegisterInput, (),
                      (code, kind, category, department_id, room_id, double_bagged, weight_kg,
                       weight_source, scale_point_id, weight_note, notes))
BOOST_DESCRIBE_STRUCT(SealInput, (), (code, at_three_quarters))
BOOST_DESCRIBE_STRUCT(StepInput, (),
                      (code, weight_kg, weight_source, room_id, note, scale_point_id, cold))
BOOST_DESCRIBE_STRUCT(ResolveInput, (), (code, reason))
BOOST_DESCRIBE_STRUCT(CorrectInput, (), (code, weight_kg, reason))
BOOST_DESCRIBE_STRUCT(ManifestInput, (), (code, category, company, licence, vehicle))
BOOST_DESCRIBE_STRUCT(OutboundInput, (),
                      (code, manifest_id, weight_kg, weight_source, note, scale_point_id))
BOOST_DESCRIBE_STRUCT(TransferInput, (), (manifest_id, receiver))
BOOST_DESCRIBE_STRUCT(Trace, (), (bag, steps))
BOOST_DESCRIBE_STRUCT(TotalsInput, (), (from, to))
BOOST_DESCRIBE_STRUCT(Total, (),
                      (department_id, category, bags, weight_kg, transferred, transferred_kg))
BOOST_DESCRIBE_STRUCT(Totals, (), (totals))
BOOST_DESCRIBE_STRUCT(OverdueCheck, (),
                      (stored, overdue, escalated, unsealed, not_collected, not_stored,
                       not_transferred, reported))
BOOST_DESCRIBE_STRUCT(RetentionResult, (), (bags, steps, manifests, before))
BOOST_DESCRIBE_STRUCT(ChainGap, (),
                      (bag_id, code, category, department_id, anomaly, hours, limit_hours, at))
BOOST_DESCRIBE_STRUCT(ReportInput, (), (from, to, period, utc_offset_minutes))
BOOST_DESCRIBE_STRUCT(ReportRow, (),
                      (period, department_id, department, category, bags, weight_kg, transferred,
                       transferred_kg))
BOOST_DESCRIBE_STRUCT(Report, (),
                      (query, rows, bags, weight_kg, transferred, transferred_kg, manifests,
                       overdue))
BOOST_DESCRIBE_STRUCT(BagStep, (), (bag_id, code, category, stage, weight_kg, at))
BOOST_DESCRIBE_STRUCT(WeightMismatch, (),
                      (bag_id, code, stage, expected_kg, measured_kg, tolerance_pct, at))
BOOST_DESCRIBE_STRUCT(StorageOverdue, (),
                      (bag_id, code, category, level, hours_stored, limit_hours, at))

class HOUQIN_EXPORT Tracker {
 public:
  explicit Tracker(store::Store& store) : store_(store) {}

  /// The hospital's rules (the defaults until someone saved others).
  Rules rules();
  /// Saves the rules (waste.configure, audited); Error(invalid_argument) naming a value out of
  /// range.
  Rules save_rules(const auth::Actor& actor, Rules rules);

  /// Generation: registers a bag with its weight (waste.collect in its department).
  Bag register_bag(const auth::Actor& actor, const RegisterInput& in);
  /// Seals a bag at the ward; a sharps box or bag must be confirmed at 3/4.
  Bag seal(const auth::Actor& actor, const SealInput& in);
  /// The collection handover takes both parties, each as their own actor and call (an app
  /// each): the ward offers the sealed bag (waste.collect in its department) ...
  Bag offer(const auth::Actor& nurse, const SealInput& in);
  /// ... and the collector takes it (waste.handover), weighing it; a different person from the
  /// one who offered. The step records both.
  Bag collect(const auth::Actor& collector, const StepInput& in);
  /// Both halves in one transaction, for a host that has both actors at hand.
  Bag collect(const auth::Actor& nurse, const auth::Actor& collector, const StepInput& in);
  /// Intake into temporary storage (waste.handover).
  Bag intake(const auth::Actor& actor, const StepInput& in);
  /// Clears a weight mismatch with a reason (waste.handover), so the bag may go on.
  Bag resolve(const auth::Actor& actor, const ResolveInput& in);
  /// Corrects a bag's generation weight (waste.configure, audited): a step records the old and
  /// the new figure and the reason; reports count the new one. Not after the transfer.
  Bag correct_weight(const auth::Actor& actor, const CorrectInput& in);
  Manifest open_manifest(const auth::Actor& actor, const ManifestInput& in);
  /// Storage outbound onto a manifest of the bag's category (waste.handover).
  Bag outbound(const auth::Actor& actor, const OutboundInput& in);
  /// Hands every bag of the manifest to the company (waste.handover); the manifest closes.
  Manifest transfer(const auth::Actor& actor, const TransferInput& in);

  /// A bag and its chain by code; Error(not_found).
  Trace trace(const std::string& code);
  Totals totals(const TotalsInput& in);
  Report report(const ReportInput& in);
  /// Bags in temporary storage longer than the limit (the cold store's for bags taken in cold)
  /// publish StorageOverdue once per bag and level; bags past one of the chain's other limits
  /// publish ChainGap once per bag and gap. Run by the host's job "waste.check_overdue".
  OverdueCheck check_overdue(const auth::Actor& actor);
  /// Anonymises the people (producer, handover parties, the company's receiver) in bags, steps
  /// and manifests older than the rules' keep_years; weights, departments, times and codes stay
  /// for the statistics. Needs protect.retention; audited. Run by the host's job
  /// "waste.retention".
  RetentionResult apply_retention(const auth::Actor& actor);

 private:
  store::Store& store_;
};

}  // namespace houqin::waste
