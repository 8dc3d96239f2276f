// houqin.repair, houqin.inventory, houqin.asset, houqin.notify and the alarm tables of
// houqin.telemetry: their entities, bound generically from the C++ descriptions. Their operations
// are the service registry's (houqin.services.repair.report(...), ...), so no operation needs
// binding code here.
#include "events.hpp"
#include "houqin/asset/ledger.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/power/soe.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/wiring/wiring.hpp"
#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_domains(py::module_& m) {
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
  auto inventory = m.def_submodule("inventory", "Spare parts and materials (物资).");
  bind_entities<inventory::Warehouse, inventory::Item, inventory::Stock, inventory::StockMove,
                inventory::Reservation, inventory::Stocktake>(inventory);
  auto asset = m.def_submodule("asset", "The equipment ledger (设备台账).");
  bind_entities<asset::Asset, asset::Fault, asset::AssetEvent>(asset);
  auto notify = m.def_submodule("notify", "Notifications: outbox, SMS, phone, webhook (通信插件).");
  bind_entities<notify::Template, notify::Message>(notify);
  auto telemetry = m.attr("telemetry").cast<py::module_>();
  bind_entities<telemetry::AlarmRecord, telemetry::AlarmEvent, power::SoeEvent, wiring::AlarmOrder>(
      telemetry);
}

}  // namespace houqin::python
