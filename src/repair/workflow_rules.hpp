// Internal: the work-order state machine as WorkOrders runs it. Each row of the transition table
// (workflow.hpp) is paired in src/repair/workflow.cpp with the functions of its action: a guard
// (refusals beyond the table's states and inputs), an effect (what the action does to the order's
// fields) and an emitter (the events it publishes besides WorkOrderEvent). WorkOrders::apply runs
// any row the same way, so adding an action is one row and its functions.
#pragma once

#include <optional>
#include <string>

#include "houqin/auth/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/store/store.hpp"

namespace houqin::repair::workflow {

/// What a caller hands an action: the inputs any row may need (the row says which are required).
struct Request {
  std::string reason;
  std::optional<Id> technician;
  std::optional<HoldReason> hold_reason;
  AssignedBy by = AssignedBy::dispatcher;   // dispatch only: by a dispatcher or automatically
  const json::Json* corrections = nullptr;  // correct only: member name -> new value
  /// Set when the caller already knows the technician is an active staff member in this team
  /// (the dispatch board read both), so the transition need not read them again.
  std::optional<std::string> known_team;
};

/// One run of a row, as its functions see it. The order itself is passed beside it.
struct Step {
  store::Store& store;
  const auth::Actor& actor;
  const WorkOrderSettings& settings;
  const Request& request;
  Status from;                            // the order's status before the action
  std::optional<Id> previous_technician;  // and its technician
  Timestamp now;
};

/// Throws Error to refuse; runs after the permission, state and input checks, before any change.
using Guard = void (*)(const Step& step, const WorkOrder& order);
/// Changes the order's fields (status aside: the runner sets the row's `to`). May still refuse
/// input that it decodes as it applies it (a correction's values).
using Effect = void (*)(const Step& step, WorkOrder& order);
/// Publishes the action's own events after the change is stored.
using Emit = void (*)(const Step& step, const WorkOrder& order);

struct Rule {
  Transition row;  // the public row: action, from-states, to-state, permission, required inputs
  Guard guard = nullptr;
  Effect effect = nullptr;
  Emit emit = nullptr;
};

/// The rule of one action (rows are indexed by the Action's value, checked at compile time).
const Rule& rule(Action action);

/// Refuses an action the row does not allow from the order's state or without the inputs the
/// row requires (failed_precondition, invalid_argument), then runs the row's guard.
void admit(const Rule& rule, const Step& step, const WorkOrder& order);

/// "work order WO-...", or the id before a code is assigned: how messages name an order.
std::string order_name(const WorkOrder& order);

/// The staff member behind a signed-in user, if the account is linked to one.
std::optional<Id> acting_staff(store::Store& store, const auth::Actor& actor);

}  // namespace houqin::repair::workflow
