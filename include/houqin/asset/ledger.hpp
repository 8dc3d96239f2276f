// The ledger service: registers assets, records lifecycle events through one transition table,
// opens and closes faults (the asset goes down and comes back), and computes reliability (MTBF,
// MTTR, availability) per asset and per category over a period. Every change needs asset.edit for
// the asset's department, is audited and is published as an event after commit.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/asset/model.hpp"
#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::asset {

/// The asset domain's schema migrations (after site).
HOUQIN_EXPORT std::vector<store::Migration> migrations();

// ---- requests ----

/// A lifecycle event. `at` defaults to now and may not be earlier than the asset's last event.
/// Transfers name the new room and/or department.
struct EventRequest {
  static constexpr std::array<std::string_view, 2> required_fields{"asset_id", "kind"};
  Id asset_id = 0;
  EventKind kind = EventKind::installed;
  std::optional<Timestamp> at;
  std::string note;
  std::optional<Id> room_id;
  std::optional<Id> department_id;
  std::optional<Id> work_order_id;
};

struct FaultRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"asset_id"};
  Id asset_id = 0;
  std::optional<Id> work_order_id;
  std::optional<Timestamp> started_at;  // default now
  std::string description;
  bool planned = false;  // planned maintenance: status maintenance, not a failure
};

struct CloseFaultRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"fault_id"};
  Id fault_id = 0;
  std::optional<Timestamp> ended_at;  // default now
  std::string note;
};

struct CloseOrderFaultsRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
  std::optional<Timestamp> ended_at;
  std::string note;
};

struct ReliabilityRequest {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  std::optional<Id> asset_id;           // one asset, or
  std::optional<std::string> category;  // every asset of a category
  Timestamp from{};
  Timestamp to{};
};

/// Reliability over [from, to). Exposure starts when the asset is accepted into service and
/// ends when it is scrapped. See docs/asset.md for the formulas.
struct Reliability {
  std::optional<Id> asset_id;
  std::string category;
  Timestamp from{};
  Timestamp to{};
  std::int64_t assets = 0;
  double exposure_hours = 0;           // in service (accepted, not scrapped) within the period
  double operating_hours = 0;          // exposure - downtime - planned downtime
  double downtime_hours = 0;           // unplanned faults, clipped to the period
  double planned_downtime_hours = 0;   // maintenance, clipped to the period
  std::int64_t failures = 0;           // unplanned faults that started in the period
  std::int64_t repairs = 0;            // unplanned faults that ended in the period
  double repair_hours = 0;             // their whole durations
  std::optional<double> mtbf_hours;    // operating_hours / failures
  std::optional<double> mttr_hours;    // repair_hours / repairs
  std::optional<double> availability;  // operating / (operating + downtime)
};

/// The full history of one asset (档案): the asset, its events and its faults in time order.
struct Archive {
  Asset asset;
  std::vector<AssetEvent> events;
  std::vector<Fault> faults;
};

struct ReliabilityList {
  std::vector<Reliability> items;
};

BOOST_DESCRIBE_STRUCT(EventRequest, (),
                      (asset_id, kind, at, note, room_id, department_id, work_order_id))
BOOST_DESCRIBE_STRUCT(FaultRequest, (), (asset_id, work_order_id, started_at, description, planned))
BOOST_DESCRIBE_STRUCT(CloseFaultRequest, (), (fault_id, ended_at, note))
BOOST_DESCRIBE_STRUCT(CloseOrderFaultsRequest, (), (work_order_id, ended_at, note))
BOOST_DESCRIBE_STRUCT(ReliabilityRequest, (), (asset_id, category, from, to))
BOOST_DESCRIBE_STRUCT(Reliability, (),
                      (asset_id, category, from, to, assets, exposure_hours, operating_hours,
                       downtime_hours, planned_downtime_hours, failures, repairs, repair_hours,
                       mtbf_hours, mttr_hours, availability))
BOOST_DESCRIBE_STRUCT(Archive, (), (asset, events, faults))
BOOST_DESCRIBE_STRUCT(ReliabilityList, (), (items))

// ---- events ----

struct AssetEventRecorded {
  static constexpr std::string_view aggregate = "asset_asset";  // durable: in the event log
  Id aggregate_id() const { return event.asset_id; }
  AssetEvent event;
};
struct FaultReported {
  static constexpr std::string_view aggregate = "asset_asset";  // durable: in the event log
  Id aggregate_id() const { return fault.asset_id; }
  Fault fault;
};
struct FaultClosed {
  static constexpr std::string_view aggregate = "asset_asset";  // durable: in the event log
  Id aggregate_id() const { return fault.asset_id; }
  Fault fault;
};
BOOST_DESCRIBE_STRUCT(AssetEventRecorded, (), (event))
BOOST_DESCRIBE_STRUCT(FaultReported, (), (fault))
BOOST_DESCRIBE_STRUCT(FaultClosed, (), (fault))

/// One row of the transition table: the event is allowed from these statuses and leaves the
/// asset in `to` (unchanged when empty). Exposed for documentation and tests.
struct Transition {
  EventKind kind;
  std::vector<AssetStatus> from;
  std::optional<AssetStatus> to;
};
HOUQIN_EXPORT const std::vector<Transition>& transitions();

class HOUQIN_EXPORT Ledger {
 public:
  explicit Ledger(store::Store& store) : store_(store) {}

  /// Adds an asset with a `procured` event. An existing device entering the ledger may come with
  /// status in_service: it then gets an `accepted` event at the same time.
  Asset register_asset(const auth::Actor& actor, Asset asset);
  /// Records a lifecycle event by the transition table; refused (failed_precondition) from a
  /// status the table does not allow, and always after scrapped. repaired from down and
  /// maintained from maintenance end the open fault.
  AssetEvent record_event(const auth::Actor& actor, const EventRequest& request);

  /// Opens a fault: the asset (in service) goes down, or into maintenance when planned. One open
  /// fault per asset.
  Fault report_fault(const auth::Actor& actor, const FaultRequest& request);
  /// Ends a fault: records `repaired` (or `maintained` when planned) and the asset is back in
  /// service. Wire repair's "work order completed" to close_work_order_faults.
  Fault close_fault(const auth::Actor& actor, const CloseFaultRequest& request);
  std::vector<Fault> close_work_order_faults(const auth::Actor& actor,
                                             const CloseOrderFaultsRequest& request);

  // ---- queries (no personal data; not audited) ----
  Archive archive(Id asset_id);
  Reliability reliability(const ReliabilityRequest& request);
  /// One Reliability per category with at least one asset, sorted by category.
  std::vector<Reliability> reliability_by_category(Timestamp from, Timestamp to);

 private:
  store::Store& store_;
};

}  // namespace houqin::asset
