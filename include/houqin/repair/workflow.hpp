// The work-order state machine in one table: which action moves an order from which states to
// which state, under which permission, and what it needs (a reason, a technician, a hold reason).
// The service looks every change up here; nothing else decides whether a transition is legal.
// The rows, with each action's guard, effect and events beside them, are in
// src/repair/workflow.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "houqin/core/export.hpp"
#include "houqin/repair/model.hpp"

namespace houqin::repair {

/// A set of states as bits (1 << Status).
using StatusSet = std::uint32_t;
constexpr StatusSet bit(Status s) noexcept {
  return StatusSet{1} << static_cast<unsigned>(s);
}

struct Transition {
  Action action;
  StatusSet from;  // states the action may start from (empty for report: the order is new)
  Status to;
  std::string_view permission;
  bool needs_reason = false;       // reassign, reopen, cancel, correct
  bool needs_technician = false;   // dispatch, reassign, grab
  bool needs_hold_reason = false;  // hold
};

/// The whole table, one row per action (docs/repair.md shows it).
HOUQIN_EXPORT std::span<const Transition> transitions() noexcept;
/// The row of one action.
HOUQIN_EXPORT const Transition& transition(Action action);
/// Whether `action` may start from `from` by the table (guards such as "no actuals" aside).
HOUQIN_EXPORT bool allowed(Action action, Status from);

/// States in which an order still needs work (counted as a technician's load when assigned).
inline constexpr StatusSet open_states = bit(Status::dispatched) | bit(Status::accepted) |
                                         bit(Status::in_progress) | bit(Status::on_hold);
/// States in which the SLA clocks stop for good (until a reopen).
inline constexpr StatusSet stopped_states =
    bit(Status::completed) | bit(Status::verified) | bit(Status::closed) | bit(Status::cancelled);

}  // namespace houqin::repair
