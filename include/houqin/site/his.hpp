// The HIS push (其他系统数据接口): another system (the hospital information system, a staff
// register) pushes its departments, staff and rooms by their external codes, and the site model
// follows. An upsert keyed by code, idempotent, all or nothing; a complete push deactivates (never
// deletes) what that source pushed before and no longer lists. docs/site.md, "HIS push".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::site {

/// A department as the other system sends it. References are codes, not ids.
struct PushedDepartment {
  std::string code;
  std::string name;
  DepartmentKind kind = DepartmentKind::clinical;
  std::optional<std::string> parent_code;  // another department's code, in this push or stored
  std::optional<std::string> phone;
  bool active = true;
};
BOOST_DESCRIBE_STRUCT(PushedDepartment, (), (code, name, kind, parent_code, phone, active))

struct PushedStaff {
  std::string employee_no;
  std::string name;
  std::string department_code;
  std::string title;
  std::optional<std::string> phone;
  std::vector<std::string> skills;
};
BOOST_DESCRIBE_STRUCT(PushedStaff, (), (employee_no, name, department_code, title, phone, skills))

struct PushedRoom {
  std::string code;
  std::string name;
  RoomType type = RoomType::other;
  std::string floor_code;                      // a stored floor (floors are not pushed)
  std::optional<std::string> department_code;  // in this push or stored
  int beds = 0;
  std::optional<double> area_m2;
};
BOOST_DESCRIBE_STRUCT(PushedRoom, (),
                      (code, name, type, floor_code, department_code, beds, area_m2))

/// site.his_push's input.
struct HisPush {
  std::string source = "HIS";  // the sending system; owns the records it creates or adopts
  std::vector<PushedDepartment> departments;
  std::vector<PushedStaff> staff;
  std::vector<PushedRoom> rooms;
  /// The lists are the source's full lists: its records that are absent are deactivated.
  bool complete = true;
};
BOOST_DESCRIBE_STRUCT(HisPush, (), (source, departments, staff, rooms, complete))

/// One changed record: its code and the input fields that changed.
struct HisChange {
  std::string code;
  std::vector<std::string> fields;
};
BOOST_DESCRIBE_STRUCT(HisChange, (), (code, fields))

struct HisCounts {
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t reactivated = 0;
  std::int64_t deactivated = 0;
  std::int64_t unchanged = 0;
};
BOOST_DESCRIBE_STRUCT(HisCounts, (), (created, updated, reactivated, deactivated, unchanged))

/// What a push did to one kind of record.
struct HisKindResult {
  HisCounts counts;
  std::vector<std::string> created;
  std::vector<HisChange> updated;
  std::vector<HisChange> reactivated;  // inactive before; `fields` names what else changed
  std::vector<std::string> deactivated;
};
BOOST_DESCRIBE_STRUCT(HisKindResult, (), (counts, created, updated, reactivated, deactivated))

/// site.his_push's output.
struct HisPushResult {
  std::string source;
  bool complete = true;
  std::int64_t changes = 0;  // records created, updated, reactivated or deactivated
  HisKindResult departments;
  HisKindResult staff;
  HisKindResult rooms;
};
BOOST_DESCRIBE_STRUCT(HisPushResult, (), (source, complete, changes, departments, staff, rooms))

/// Published (durable) after a push that changed something: its counts.
struct HisPushed {
  static constexpr std::string_view aggregate = "site_external_ref";
  Id aggregate_id() const { return 0; }
  std::string source;
  bool complete = true;
  std::int64_t changes = 0;
  HisCounts departments;
  HisCounts staff;
  HisCounts rooms;
};
BOOST_DESCRIBE_STRUCT(HisPushed, (), (source, complete, changes, departments, staff, rooms))

BOOST_DEFINE_ENUM_CLASS(ExternalKind, department, staff, room)

/// Which source owns a record: one row per (source, kind, code), one owner per record.
struct ExternalRef {
  Id id = 0;
  std::int64_t version = 0;
  std::string source;
  ExternalKind kind = ExternalKind::department;
  std::string code;
  Id entity_id = 0;
};
BOOST_DESCRIBE_STRUCT(ExternalRef, (), (id, version, source, kind, code, entity_id))

/// Applies a push (docs/site.md, "HIS push"): needs site.edit; audited ("site.his_push"); one
/// transaction. Errors name the record and field (`staff[3] (E1002).department_code: ...`) and
/// leave the store as it was.
HOUQIN_EXPORT HisPushResult his_push(store::Store& store, const auth::Actor& actor,
                                     const HisPush& push);

}  // namespace houqin::site

template <>
struct houqin::entity_traits<houqin::site::ExternalRef> {
  static constexpr std::string_view table = "site_external_ref";
  static constexpr std::string_view collection = "external_refs";
  static constexpr std::array<std::string_view, 2> unique{"source,kind,code", "kind,entity_id"};
};

// Instantiated once, in libhouqin (src/site/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::site::ExternalRef)
