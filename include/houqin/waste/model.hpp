// Medical waste (医废) as entities: bags and containers by the five categories of the 2021
// catalogue (医疗废物分类目录), each step of their chain of custody from the ward to the licensed
// disposal company, the transfer manifests (转移联单) and the rules a hospital tunes. The rules
// themselves (the order of steps, the two-party handover, weight reconciliation, storage limits)
// are in waste::Tracker (tracker.hpp).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::waste {

/// 感染性 infectious, 损伤性 sharps, 病理性 pathological, 药物性 pharmaceutical, 化学性 chemical.
BOOST_DEFINE_ENUM_CLASS(Category, infectious, sharps, pathological, pharmaceutical, chemical)
/// A bag, a sharps box (利器盒) or a rigid container (周转箱).
BOOST_DEFINE_ENUM_CLASS(ContainerKind, bag, sharps_box, container)
/// Where a container is in its chain of custody, in order.
BOOST_DEFINE_ENUM_CLASS(Stage, generated, collected, stored, outbound, transferred)
/// Where a weight came from: a Modbus scale point, the app, or a person's entry (with a reason).
BOOST_DEFINE_ENUM_CLASS(WeightSource, scale, app, manual)
/// A gap in a chain of custody, found by the timed check (Tracker::check_overdue), in the order a
/// bag can show them: sealed too late, never collected from the ward, collected but never taken
/// into storage (a missing handover), sent out but never received by the company.
BOOST_DEFINE_ENUM_CLASS(Anomaly, unsealed, not_collected, not_stored, not_transferred)

/// One bag or container. Its weight is captured once, at generation; later steps record their
/// own weights (reconciled against it) and a correction is an audited step of its own.
struct Bag {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // printed on the label (WB-... for bags, SB-... for sharps boxes)
  ContainerKind kind = ContainerKind::bag;
  Category category = Category::infectious;
  Id department_id = 0;  // the producing department (scopes who may record it)
  std::optional<Id> room_id;
  std::string producer;  // who produced it (the nurse's actor label)
  Timestamp produced_at{};
  std::optional<Timestamp> sealed_at;
  bool sealed_at_three_quarters = false;  // confirmed filled to 3/4 and no more before sealing
  bool double_bagged = false;             // waste of an isolation patient
  double weight_kg = 0;                   // at generation
  WeightSource weight_source = WeightSource::scale;
  std::optional<Id> scale_point_id;  // the scale's telemetry point, when weighed on one
  Stage stage = Stage::generated;
  Timestamp stage_at{};            // when the bag entered its stage
  std::optional<Id> manifest_id;   // set at outbound
  std::string weight_mismatch;     // non-empty: a reconciliation failed and blocks the next step
  std::int32_t overdue_level = 0;  // the last storage escalation sent (0: none)
  std::string offered_by;          // the ward's half of the collection handover, until taken
  std::string notes;
  bool cold_stored = false;        // taken into a cold store (the longer storage limit applies)
  std::optional<Anomaly> anomaly;  // the last gap reported (each is reported once)
};

/// One step of a bag's chain of custody: who, when, where, the weight then.
struct Step {
  Id id = 0;
  std::int64_t version = 0;
  Id bag_id = 0;
  Stage stage = Stage::generated;  // the stage the step moved the bag into
  Timestamp at{};
  std::string actor;          // who did it
  std::string counterpart;    // the second party of a two-party handover (the collector)
  std::optional<Id> room_id;  // where (a ward room, the temporary store)
  std::string place;          // or a place by name (the disposal company's vehicle)
  std::optional<double> weight_kg;
  std::optional<WeightSource> weight_source;
  std::string note;                  // a manual weight's reason, a resolved mismatch's reason
  std::optional<Id> scale_point_id;  // the scale that weighed it, read by the tracker
};

/// A transfer manifest (转移联单): one trip of one category to the licensed disposal company.
BOOST_DEFINE_ENUM_CLASS(ManifestStatus, open, transferred)
struct Manifest {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // the 联单 number
  Category category = Category::infectious;
  std::string company;  // the licensed disposal company
  std::string licence;  // its 经营许可证 number
  std::string vehicle;
  ManifestStatus status = ManifestStatus::open;
  Timestamp opened_at{};
  std::optional<Timestamp> transferred_at;
  std::string receiver;  // who signed for the company
  std::int32_t bags = 0;
  double weight_kg = 0;
};

BOOST_DESCRIBE_STRUCT(Bag, (),
                      (id, version, code, kind, category, department_id, room_id, producer,
                       produced_at, sealed_at, sealed_at_three_quarters, double_bagged, weight_kg,
                       weight_source, scale_point_id, stage, stage_at, manifest_id, weight_mismatch,
                       overdue_level, offered_by, notes, cold_stored, anomaly))
BOOST_DESCRIBE_STRUCT(Step, (),
                      (id, version, bag_id, stage, at, actor, counterpart, room_id, place,
                       weight_kg, weight_source, note, scale_point_id))
BOOST_DESCRIBE_STRUCT(Manifest, (),
                      (id, version, code, category, company, licence, vehicle, status, opened_at,
                       transferred_at, receiver, bags, weight_kg))

/// The named defaults a hospital overrides (one row, collection "waste_rules").
struct Rules {
  Id id = 0;
  std::int64_t version = 0;
  /// Weights of one bag at two steps may differ by this much (a vendor practice: 2 %).
  double tolerance_pct = 2.0;
  /// Temporary storage: no more than 2 days (医疗废物管理条例 Art. 17) ...
  std::int32_t storage_limit_hours = 48;
  /// ... and the escalation after it: handler, head of logistics, administrator.
  std::int32_t escalate_every_hours = 12;
  /// A cold store (below 5 °C) may keep waste longer where the local rule allows it; 72 h is a
  /// common provincial limit for refrigerated storage.
  std::int32_t cold_storage_limit_hours = 72;
  /// The chain's other time limits, each reported once per bag as an Anomaly: a bag is sealed
  /// and collected from the ward at least daily (医疗卫生机构医疗废物管理办法: collected from
  /// where it is produced every day), a collected bag reaches the store within the round, a bag
  /// sent out is received by the company the same day.
  std::int32_t seal_within_hours = 24;
  std::int32_t collect_within_hours = 24;
  std::int32_t intake_within_hours = 2;
  std::int32_t transfer_within_hours = 24;
  /// Records are kept at least 3 years, then the people in them are anonymised
  /// (Tracker::apply_retention).
  std::int32_t keep_years = 3;
  /// The producing unit printed on every label (the hospital's name).
  std::string producing_unit;
  /// The hospital's local time: the day in a bag's code (WB-YYYYMMDD-...).
  std::int32_t utc_offset_minutes = 480;
  /// Who is told of an overdue bag, by level: the store's handler, the head of logistics, the
  /// administrator (staff ids; a level without one is skipped).
  std::optional<Id> handler_staff_id;
  std::optional<Id> logistics_head_staff_id;
  std::optional<Id> administrator_staff_id;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (id, version, tolerance_pct, storage_limit_hours, escalate_every_hours,
                       keep_years, producing_unit, handler_staff_id, logistics_head_staff_id,
                       administrator_staff_id, cold_storage_limit_hours, seal_within_hours,
                       collect_within_hours, intake_within_hours, transfer_within_hours,
                       utc_offset_minutes))

}  // namespace houqin::waste

template <>
struct houqin::entity_traits<houqin::waste::Manifest> {
  static constexpr std::string_view table = "waste_manifest";
  static constexpr std::string_view collection = "waste_manifests";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  // The people in the records are personal: sealed at rest, masked in exports, and anonymised
  // once the records are older than the rules' keep_years.
  static constexpr std::array personal{houqin::Personal{"receiver", houqin::Mask::name}};
};
template <>
struct houqin::entity_traits<houqin::waste::Bag> {
  static constexpr std::string_view table = "waste_bag";
  static constexpr std::string_view collection = "waste_bags";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr std::array personal{houqin::Personal{"producer", houqin::Mask::text},
                                       houqin::Personal{"offered_by", houqin::Mask::text}};
  static constexpr auto references = std::tuple{ref<site::Department>(&waste::Bag::department_id),
                                                ref<site::Room>(&waste::Bag::room_id),
                                                ref<waste::Manifest>(&waste::Bag::manifest_id)};
};
template <>
struct houqin::entity_traits<houqin::waste::Step> {
  static constexpr std::string_view table = "waste_step";
  static constexpr std::string_view collection = "waste_steps";
  static constexpr auto references = std::tuple{ref<waste::Bag>(&waste::Step::bag_id)};
  static constexpr std::array personal{houqin::Personal{"actor", houqin::Mask::text},
                                       houqin::Personal{"counterpart", houqin::Mask::text}};
};
template <>
struct houqin::entity_traits<houqin::waste::Rules> {
  static constexpr std::string_view table = "waste_rules";
  static constexpr std::string_view collection = "waste_rules";
};

// Instantiated once, in libhouqin (src/waste/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::waste::Manifest)
HOUQIN_EXTERN_ENTITY(houqin::waste::Bag)
HOUQIN_EXTERN_ENTITY(houqin::waste::Step)
HOUQIN_EXTERN_ENTITY(houqin::waste::Rules)
