// Safety hazards (隐患) as entities: each hazard found by a patrol, an inspection or anyone through
// any channel, graded general or major (一般隐患 / 重大隐患), with the 五落实 plan a major hazard
// needs (responsible person, measures, funds, deadline, contingency), the photos before and after,
// the extension asked for, and the work order it opened; every change of it as a record; and the
// rules a hospital tunes. The closed loop itself (reported -> assigned -> rectifying -> review ->
// closed, 销号) is one table in hazard/hazards.hpp.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::hazard {

/// 一般隐患 general (fixed by the unit within days), 重大隐患 major (needs a stoppage, time or
/// outside help, and the 五落实 plan).
BOOST_DEFINE_ENUM_CLASS(Grade, general, major)
/// Where a hazard was found: on a patrol, on an inspection, or reported by anyone by phone, on
/// the web or in the app.
BOOST_DEFINE_ENUM_CLASS(Source, patrol, inspection, phone, web, app)
/// The closed loop, in order; cancelled is a report found to be no hazard (or a duplicate).
BOOST_DEFINE_ENUM_CLASS(Status, reported, assigned, rectifying, review, closed, cancelled)
/// Everything that can happen to a hazard: one row each in the transition table
/// (hazard::transitions()).
BOOST_DEFINE_ENUM_CLASS(Action, report, fix_on_spot, assign, plan, start, request_extension,
                        grant_extension, deny_extension, submit, approve, reject, request_order,
                        link_order, close_by_order, cancel)

/// One hazard. Its people (reporter, rectifier, reviewer) are personal fields, sealed at rest.
struct Hazard {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // HZ-YYYYMMDD-nnnn, the local day it was reported
  std::string title;
  std::string description;
  Grade grade = Grade::general;
  Source source = Source::app;
  std::string source_ref;  // what found it: "patrol:task=...;item=...", "inspection:task=..."
  Status status = Status::reported;
  Timestamp status_at{};
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // where it is (a scope for who may see and manage it)
  std::string location;             // where, in words, when no room fits (a stairwell, a yard)
  std::string reported_by;
  Timestamp reported_at{};
  std::vector<std::string> before_photos;  // references (file ids, URLs), never the content
  // Rectification: the unit responsible (整改责任部门) and the person, the deadline.
  std::optional<Id> assigned_department_id;
  std::optional<Id> assignee_staff_id;
  std::optional<Timestamp> deadline;
  // 五落实 (a major hazard needs all five before rectification starts): responsible person,
  // measures, funds, deadline (above) and contingency.
  std::optional<Id> responsible_staff_id;
  std::string measures;
  std::optional<double> funds_yuan;
  std::string contingency;
  // The work done.
  bool fixed_on_spot = false;  // rectified when found (a general hazard only)
  std::string rectification;
  std::vector<std::string> after_photos;
  std::string submitted_by;
  // An extension asked for and not yet decided.
  std::optional<Timestamp> extension_until;
  std::string extension_reason;
  std::int32_t extensions = 0;  // granted so far
  std::optional<Id> work_order_id;
  bool order_requested = false;
  std::int32_t reopened = 0;  // reviews failed
  std::int32_t overdue_level = 0;
  std::string review_note;
  std::string closed_by;
  std::optional<Timestamp> closed_at;
};
BOOST_DESCRIBE_STRUCT(Hazard, (),
                      (id, version, code, title, description, grade, source, source_ref, status,
                       status_at, room_id, department_id, location, reported_by, reported_at,
                       before_photos, assigned_department_id, assignee_staff_id, deadline,
                       responsible_staff_id, measures, funds_yuan, contingency, fixed_on_spot,
                       rectification, after_photos, submitted_by, extension_until, extension_reason,
                       extensions, work_order_id, order_requested, reopened, overdue_level,
                       review_note, closed_by, closed_at))

/// One change of a hazard: the action, the states, who, when, why.
struct Record {
  Id id = 0;
  std::int64_t version = 0;
  Id hazard_id = 0;
  Action action = Action::report;
  Status from_status = Status::reported;
  Status to_status = Status::reported;
  Timestamp at{};
  std::string actor;
  std::string note;  // the reason, the review's note, the extension asked for
};
BOOST_DESCRIBE_STRUCT(Record, (),
                      (id, version, hazard_id, action, from_status, to_status, at, actor, note))

/// The named defaults a hospital overrides (one row, collection "hazard_rules").
struct Rules {
  Id id = 0;
  std::int64_t version = 0;
  /// The rectification deadline given when the assigner names none: a general hazard within a
  /// week, a major one within 30 days (documented defaults; the 五落实 plan sets its own).
  std::int32_t general_days = 7;
  std::int32_t major_days = 30;
  /// A reported hazard is assigned within this many hours, else the safety officer is told.
  std::int32_t assign_within_hours = 24;
  /// After the deadline, the next person up is told every this many hours: the assignee, the
  /// safety officer, the administrator.
  std::int32_t escalate_every_hours = 24;
  /// Extensions one hazard may be granted.
  std::int32_t max_extensions = 2;
  /// The hospital's local time: the day in a hazard's code.
  std::int32_t utc_offset_minutes = 480;
  std::optional<Id> safety_officer_staff_id;
  std::optional<Id> administrator_staff_id;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (id, version, general_days, major_days, assign_within_hours,
                       escalate_every_hours, max_extensions, utc_offset_minutes,
                       safety_officer_staff_id, administrator_staff_id))

}  // namespace houqin::hazard

template <>
struct houqin::entity_traits<houqin::hazard::Hazard> {
  static constexpr std::string_view table = "hazard";
  static constexpr std::string_view collection = "hazards";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr std::array personal{houqin::Personal{"reported_by", houqin::Mask::text},
                                       houqin::Personal{"submitted_by", houqin::Mask::text},
                                       houqin::Personal{"closed_by", houqin::Mask::text}};
  static constexpr auto references =
      std::tuple{ref<site::Room>(&hazard::Hazard::room_id),
                 ref<site::Department>(&hazard::Hazard::department_id),
                 ref<site::Department>(&hazard::Hazard::assigned_department_id),
                 ref<site::Staff>(&hazard::Hazard::assignee_staff_id),
                 ref<site::Staff>(&hazard::Hazard::responsible_staff_id)};
};
template <>
struct houqin::entity_traits<houqin::hazard::Record> {
  static constexpr std::string_view table = "hazard_record";
  static constexpr std::string_view collection = "hazard_records";
  static constexpr auto references = std::tuple{ref<hazard::Hazard>(&hazard::Record::hazard_id)};
  static constexpr std::array personal{houqin::Personal{"actor", houqin::Mask::text}};
};
template <>
struct houqin::entity_traits<houqin::hazard::Rules> {
  static constexpr std::string_view table = "hazard_rules";
  static constexpr std::string_view collection = "hazard_rules";
};

// Instantiated once, in libhouqin (src/hazard/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::hazard::Hazard)
HOUQIN_EXTERN_ENTITY(houqin::hazard::Record)
HOUQIN_EXTERN_ENTITY(houqin::hazard::Rules)
