// houqin.repair: the repair domain's entities and events, bound generically from their C++
// descriptions (its operations are the service registry's). Apart from domains.cpp so that the
// two largest groups of bindings compile in parallel.
#include "events.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/work_orders.hpp"
#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_repair(py::module_& m) {
  auto repair = m.def_submodule("repair", "Work orders, SLA, dispatch, repair items (综合维修).");
  bind_entities<repair::RepairItem, repair::Calendar, repair::SlaPolicy, repair::SlaRule,
                repair::EscalationStep, repair::Technician, repair::WorkOrder,
                repair::TransitionRecord, repair::LabourEntry, repair::Rating, repair::SlaFiring>(
      repair);
  // Store.subscribe(houqin.repair.WorkOrderCompleted, callback) and the others
  bind_event<repair::WorkOrderEvent>(repair, "WorkOrderEvent",
                                     "Event: any transition of a work order (action, from, to).");
  bind_event<repair::WorkOrderReported>(repair, "WorkOrderReported",
                                        "Event: a fault was reported (a new work order).");
  bind_event<repair::WorkOrderAssigned>(repair, "WorkOrderAssigned",
                                        "Event: an order was dispatched, reassigned or grabbed.");
  bind_event<repair::WorkOrderCompleted>(repair, "WorkOrderCompleted",
                                         "Event: the work on an order was completed.");
  bind_event<repair::WorkOrderClosed>(repair, "WorkOrderClosed",
                                      "Event: an order was closed or cancelled.");
  bind_event<repair::WorkOrderReopened>(repair, "WorkOrderReopened",
                                        "Event: a completed or verified order was reopened.");
  bind_event<repair::WorkOrderRated>(repair, "WorkOrderRated",
                                     "Event: the reporter rated an order.");
  bind_event<repair::SlaWarning>(repair, "SlaWarning",
                                 "Event: an SLA target is about to be missed (a warning step).");
  bind_event<repair::SlaEscalated>(repair, "SlaEscalated",
                                   "Event: an SLA target was missed (an escalation step).");
  bind_event<repair::SlaBreached>(repair, "SlaBreached",
                                  "Event: the SLA tick marked an order's target missed.");
}

}  // namespace houqin::python
