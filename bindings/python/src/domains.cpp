// houqin.repair, houqin.inventory, houqin.asset, houqin.notify and the alarm tables of
// houqin.telemetry: their entities, bound generically from the C++ descriptions. Their operations
// are the service registry's (houqin.services.repair.report(...), ...), so no operation needs
// binding code here.
#include "houqin/asset/ledger.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/power/soe.hpp"
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
