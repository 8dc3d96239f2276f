// The equipment ledger (设备台账): every asset with its identity, place and money facts, the
// lifecycle events that happened to it (procured ... scrapped), and its faults with their
// downtime, from which MTBF and MTTR are computed. Work orders are repair's; the ledger refers to
// them by id only.
#pragma once

#include <optional>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::asset {

/// procured (bought, not installed) -> installed -> in_service (accepted); in_service <-> down
/// (an unplanned fault) and in_service <-> maintenance (planned downtime); scrapped is final.
BOOST_DEFINE_ENUM_CLASS(AssetStatus, procured, installed, in_service, down, maintenance, scrapped)

BOOST_DEFINE_ENUM_CLASS(EventKind, procured, installed, accepted, transferred, repaired, maintained,
                        calibrated, scrapped)

struct Asset {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // the asset tag, unique
  std::string name;
  std::string category;  // an equipment_category code, e.g. "ventilator", "chiller"
  std::string model;
  std::string manufacturer;
  std::string serial;
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // the using department: scopes asset.edit
  std::optional<Date> purchase_date;
  std::optional<double> purchase_price;  // in yuan
  std::optional<Date> warranty_end;
  AssetStatus status = AssetStatus::procured;
  HOUQIN_EXPORT void validate() const;
};

/// One thing that happened to an asset; never changed after it is written.
struct AssetEvent {
  Id id = 0;
  std::int64_t version = 0;
  Id asset_id = 0;
  EventKind kind = EventKind::procured;
  Timestamp at{};
  std::string actor;
  std::string note;
  AssetStatus status_before = AssetStatus::procured;
  AssetStatus status_after = AssetStatus::procured;
  std::optional<Id> from_room_id;  // transfers: where from and to
  std::optional<Id> to_room_id;
  std::optional<Id> from_department_id;
  std::optional<Id> to_department_id;
  std::optional<Id> fault_id;       // the fault a repair or maintenance ended
  std::optional<Id> work_order_id;  // repair's work order, by id only
};

/// A period the asset could not do its job: unplanned (a failure, status down) or planned
/// (maintenance). Open while ended_at is empty; downtime = ended_at - started_at.
struct Fault {
  Id id = 0;
  std::int64_t version = 0;
  Id asset_id = 0;
  std::optional<Id> work_order_id;
  Timestamp started_at{};
  std::optional<Timestamp> ended_at;
  bool planned = false;
  std::string description;
  std::string reported_by;
};

BOOST_DESCRIBE_STRUCT(Asset, (),
                      (id, version, code, name, category, model, manufacturer, serial, room_id,
                       department_id, purchase_date, purchase_price, warranty_end, status))
BOOST_DESCRIBE_STRUCT(AssetEvent, (),
                      (id, version, asset_id, kind, at, actor, note, status_before, status_after,
                       from_room_id, to_room_id, from_department_id, to_department_id, fault_id,
                       work_order_id))
BOOST_DESCRIBE_STRUCT(Fault, (),
                      (id, version, asset_id, work_order_id, started_at, ended_at, planned,
                       description, reported_by))

}  // namespace houqin::asset

template <>
struct houqin::entity_traits<houqin::asset::Asset> {
  static constexpr std::string_view table = "asset_asset";
  static constexpr std::string_view collection = "assets";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references = std::tuple{
      ref<site::Room>(&asset::Asset::room_id), ref<site::Department>(&asset::Asset::department_id)};
};

template <>
struct houqin::entity_traits<houqin::asset::AssetEvent> {
  static constexpr std::string_view table = "asset_event";
  static constexpr std::string_view collection = "asset_events";
  static constexpr auto references = std::tuple{ref<asset::Asset>(&asset::AssetEvent::asset_id),
                                                ref<asset::Fault>(&asset::AssetEvent::fault_id)};
};

template <>
struct houqin::entity_traits<houqin::asset::Fault> {
  static constexpr std::string_view table = "asset_fault";
  static constexpr std::string_view collection = "asset_faults";
  static constexpr auto references = std::tuple{ref<asset::Asset>(&asset::Fault::asset_id)};
};

// Instantiated once, in libhouqin (src/asset/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::asset::Asset)
HOUQIN_EXTERN_ENTITY(houqin::asset::AssetEvent)
HOUQIN_EXTERN_ENTITY(houqin::asset::Fault)
