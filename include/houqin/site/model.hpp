// The hospital's digital model (基础档案): campus -> building -> floor -> room, the department
// tree, staff with skills and shift rosters, code dictionaries, and the knowledge base. Every other
// domain points into this model: a work order names a room, a waste bag its department.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::site {

BOOST_DEFINE_ENUM_CLASS(RoomType, ward, outpatient, emergency, operating_room, icu, laboratory,
                        imaging, pharmacy, office, plant_room, storage, waste_storage, kitchen,
                        corridor, toilet, other)

BOOST_DEFINE_ENUM_CLASS(DepartmentKind, clinical, medical_technical, logistics, administrative)

struct Campus {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::string address;
  HOUQIN_EXPORT void validate() const;
};

struct Building {
  Id id = 0;
  std::int64_t version = 0;
  Id campus_id = 0;
  std::string code;  // short, e.g. "A"; the first part of floor and room codes
  std::string name;
  int floors_above = 1;
  int floors_below = 0;
  HOUQIN_EXPORT void validate() const;
};

struct Floor {
  Id id = 0;
  std::int64_t version = 0;
  Id building_id = 0;
  int level = 1;     // 1 = ground floor, -1 = first basement; there is no level 0
  std::string code;  // e.g. "A-3", "D-B1"
  std::string name;
  HOUQIN_EXPORT void validate() const;
};

struct Department {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  DepartmentKind kind = DepartmentKind::clinical;
  std::optional<Id> parent_id;
  std::optional<std::string> phone;  // internal extension
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

struct Room {
  Id id = 0;
  std::int64_t version = 0;
  Id floor_id = 0;
  std::string code;  // building-floor-number, e.g. "A-3-0312"
  std::string name;
  RoomType type = RoomType::other;
  std::optional<Id> department_id;
  int beds = 0;
  std::optional<double> area_m2;
  bool active = true;  // false: closed or gone (a complete HIS push deactivates, never deletes)
  HOUQIN_EXPORT void validate() const;
};

/// A shift pattern in local time. A shift may run past midnight (night shift 22:00 + 600 min).
struct Shift {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  int start_minute = 480;      // minutes after local midnight, 0..1439
  int duration_minutes = 480;  // 1..1440
  HOUQIN_EXPORT void validate() const;
};

struct Staff {
  Id id = 0;
  std::int64_t version = 0;
  std::string employee_no;
  std::string name;
  Id department_id = 0;
  std::string title;
  std::optional<std::string> phone;  // personal data: sealed at rest, masked on export
  std::vector<std::string> skills;   // skill codes, e.g. "electrical", "medical_gas"
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

/// One staff member on one shift on one (local) day: the roster.
struct ShiftAssignment {
  Id id = 0;
  std::int64_t version = 0;
  Id staff_id = 0;
  Id shift_id = 0;
  Date day{};
  HOUQIN_EXPORT void validate() const;
};

/// One entry of a code table (equipment categories, fault types, ...), optionally nested.
struct DictionaryEntry {
  Id id = 0;
  std::int64_t version = 0;
  std::string dictionary;
  std::string code;
  std::string name;
  std::optional<std::string> parent_code;
  int sort_order = 0;
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

/// Operating and troubleshooting know-how (知识库).
struct KnowledgeArticle {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string title;
  std::string category;  // an equipment_category code
  std::string body;
  std::vector<std::string> tags;
  std::optional<Id> department_id;
  Timestamp updated_at{};
  HOUQIN_EXPORT void validate() const;
};

BOOST_DESCRIBE_STRUCT(Campus, (), (id, version, code, name, address))
BOOST_DESCRIBE_STRUCT(Building, (),
                      (id, version, campus_id, code, name, floors_above, floors_below))
BOOST_DESCRIBE_STRUCT(Floor, (), (id, version, building_id, level, code, name))
BOOST_DESCRIBE_STRUCT(Department, (), (id, version, code, name, kind, parent_id, phone, active))
BOOST_DESCRIBE_STRUCT(Room, (),
                      (id, version, floor_id, code, name, type, department_id, beds, area_m2,
                       active))
BOOST_DESCRIBE_STRUCT(Shift, (), (id, version, code, name, start_minute, duration_minutes))
BOOST_DESCRIBE_STRUCT(Staff, (),
                      (id, version, employee_no, name, department_id, title, phone, skills, active))
BOOST_DESCRIBE_STRUCT(ShiftAssignment, (), (id, version, staff_id, shift_id, day))
BOOST_DESCRIBE_STRUCT(DictionaryEntry, (),
                      (id, version, dictionary, code, name, parent_code, sort_order, active))
BOOST_DESCRIBE_STRUCT(KnowledgeArticle, (),
                      (id, version, code, title, category, body, tags, department_id, updated_at))

}  // namespace houqin::site

// ---- storage facts, beside the types -----------------------------------------------------------

template <>
struct houqin::entity_traits<houqin::site::Campus> {
  static constexpr std::string_view table = "site_campus";
  static constexpr std::string_view collection = "campuses";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

template <>
struct houqin::entity_traits<houqin::site::Building> {
  static constexpr std::string_view table = "site_building";
  static constexpr std::string_view collection = "buildings";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references = std::tuple{ref<site::Campus>(&site::Building::campus_id)};
};

template <>
struct houqin::entity_traits<houqin::site::Floor> {
  static constexpr std::string_view table = "site_floor";
  static constexpr std::string_view collection = "floors";
  static constexpr std::array<std::string_view, 2> unique{"code", "building_id,level"};
  static constexpr auto references = std::tuple{ref<site::Building>(&site::Floor::building_id)};
};

template <>
struct houqin::entity_traits<houqin::site::Department> {
  static constexpr std::string_view table = "site_department";
  static constexpr std::string_view collection = "departments";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<site::Department>(&site::Department::parent_id)};
};

template <>
struct houqin::entity_traits<houqin::site::Room> {
  static constexpr std::string_view table = "site_room";
  static constexpr std::string_view collection = "rooms";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references = std::tuple{ref<site::Floor>(&site::Room::floor_id),
                                                ref<site::Department>(&site::Room::department_id)};
};

template <>
struct houqin::entity_traits<houqin::site::Shift> {
  static constexpr std::string_view table = "site_shift";
  static constexpr std::string_view collection = "shifts";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

template <>
struct houqin::entity_traits<houqin::site::Staff> {
  static constexpr std::string_view table = "site_staff";
  static constexpr std::string_view collection = "staff";
  static constexpr std::array<std::string_view, 1> unique{"employee_no"};
  static constexpr std::array personal{Personal{"phone", Mask::phone}};
  static constexpr auto references = std::tuple{ref<site::Department>(&site::Staff::department_id)};
};

template <>
struct houqin::entity_traits<houqin::site::ShiftAssignment> {
  static constexpr std::string_view table = "site_shift_assignment";
  static constexpr std::string_view collection = "shift_assignments";
  static constexpr std::array<std::string_view, 1> unique{"staff_id,shift_id,day"};
  static constexpr auto references = std::tuple{ref<site::Staff>(&site::ShiftAssignment::staff_id),
                                                ref<site::Shift>(&site::ShiftAssignment::shift_id)};
};

template <>
struct houqin::entity_traits<houqin::site::DictionaryEntry> {
  static constexpr std::string_view table = "site_dictionary_entry";
  static constexpr std::string_view collection = "dictionary_entries";
  static constexpr std::array<std::string_view, 1> unique{"dictionary,code"};
};

template <>
struct houqin::entity_traits<houqin::site::KnowledgeArticle> {
  static constexpr std::string_view table = "site_knowledge_article";
  static constexpr std::string_view collection = "knowledge_articles";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<site::Department>(&site::KnowledgeArticle::department_id)};
};

// Instantiated once, in libhouqin (src/site/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::site::Campus)
HOUQIN_EXTERN_ENTITY(houqin::site::Building)
HOUQIN_EXTERN_ENTITY(houqin::site::Floor)
HOUQIN_EXTERN_ENTITY(houqin::site::Department)
HOUQIN_EXTERN_ENTITY(houqin::site::Room)
HOUQIN_EXTERN_ENTITY(houqin::site::Shift)
HOUQIN_EXTERN_ENTITY(houqin::site::Staff)
HOUQIN_EXTERN_ENTITY(houqin::site::ShiftAssignment)
HOUQIN_EXTERN_ENTITY(houqin::site::DictionaryEntry)
HOUQIN_EXTERN_ENTITY(houqin::site::KnowledgeArticle)
