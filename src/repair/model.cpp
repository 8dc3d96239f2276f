#include "houqin/repair/model.hpp"

#include "houqin/core/validate.hpp"
#include "houqin/repair/workflow.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"

namespace houqin::repair {
namespace {

[[maybe_unused]] const bool tables_registered =
    store::register_tables<RepairItem, Calendar, SlaPolicy, SlaRule, EscalationStep, Technician,
                           WorkOrder, TransitionRecord, LabourEntry, Rating, SlaFiring>("repair");
// Readable by anyone through the generic entity API (personal fields masked); changed only
// through WorkOrders, which enforces the transition table.
[[maybe_unused]] const bool tables_exposed =
    store::expose<RepairItem, Calendar, SlaPolicy, SlaRule, EscalationStep, Technician, WorkOrder,
                  TransitionRecord, LabourEntry, Rating, SlaFiring>(
        {.read = "", .write = "", .read_personal = ""});

}  // namespace

Priority priority_of(Level urgency, Level impact) noexcept {
  // high = 0, medium = 1, low = 2: the sum orders the matrix, both high is the only 0.
  int sum = static_cast<int>(urgency) + static_cast<int>(impact);
  switch (sum) {
    case 0:
      return Priority::p1;
    case 1:
      return Priority::p2;
    case 2:
      return Priority::p3;  // high x low, low x high, medium x medium
    default:
      return Priority::p4;
  }
}

void WorkOrder::validate() const {
  require_text(description, "description");
  if (description.size() > 4000)
    fail(ErrorCode::invalid_argument, "description: longer than 4000 bytes");
  for (const auto& a : attachments) require_text(a, "attachments");
  if (status == Status::on_hold && !hold_reason)
    fail(ErrorCode::invalid_argument, "hold_reason: required while on_hold");
  require_range(parts_used, 0, 1000000, "parts_used");
  require_range(parts_reserved, 0, 1000000, "parts_reserved");
}

void LabourEntry::validate() const {
  if (work_order_id <= 0) fail(ErrorCode::invalid_argument, "work_order_id: must name an order");
  require_range(minutes, 1, 24 * 60, "minutes");
}

void Rating::validate() const {
  require_range(score, 1, 5, "score");
  if (comment.size() > 2000) fail(ErrorCode::invalid_argument, "comment: longer than 2000 bytes");
}

void RepairItem::validate() const {
  require_text(code, "code");
  require_text(name, "name");
  require_text(category, "category");
  require_range(standard_labour_minutes, 0, 100000, "standard_labour_minutes");
  if (fee < 0) fail(ErrorCode::invalid_argument, "fee: must not be negative");
}

void Calendar::validate() const {
  require_text(code, "code");
  require_range(utc_offset_minutes, -14 * 60, 14 * 60, "utc_offset_minutes");
  for (const auto& h : hours) {
    require_range(h.weekday, 1, 7, "hours.weekday");
    require_range(h.start_minute, 0, 1439, "hours.start_minute");
    require_range(h.end_minute, 1, 1440, "hours.end_minute");
    if (h.end_minute <= h.start_minute)
      fail(ErrorCode::invalid_argument, "hours: end_minute must be after start_minute");
  }
}

void SlaPolicy::validate() const {
  require_text(code, "code");
  require_range(response_minutes, 1, 525600, "response_minutes");
  require_range(resolution_minutes, 1, 5256000, "resolution_minutes");
  for (auto s : paused_states)
    if (bit(s) & stopped_states)
      fail(ErrorCode::invalid_argument,
           "paused_states: " + std::string(enum_name(s)) + " always stops the clock");
}

}  // namespace houqin::repair
