// houqin.repair (repair.cpp), houqin.inventory, houqin.asset, houqin.notify and the alarm tables of
// houqin.telemetry: their entities, bound generically from the C++ descriptions. Their operations
// are the service registry's (houqin.services.repair.report(...), ...), so no operation needs
// binding code here.
#include "houqin/asset/ledger.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/patrol/patrol.hpp"
#include "houqin/power/soe.hpp"
#include "houqin/survey/surveys.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/waste/tracker.hpp"
#include "houqin/wiring/wiring.hpp"
#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_domains(py::module_& m) {
  init_repair(m);  // repair.cpp: the largest group, compiled on its own
  auto inventory = m.def_submodule("inventory", "Spare parts and materials (物资).");
  bind_entities<inventory::Warehouse, inventory::Item, inventory::Stock, inventory::StockMove,
                inventory::Reservation, inventory::Stocktake>(inventory);
  auto asset = m.def_submodule("asset", "The equipment ledger (设备台账).");
  bind_entities<asset::Asset, asset::Fault, asset::AssetEvent>(asset);
  auto notify = m.def_submodule("notify", "Notifications: outbox, SMS, phone, webhook (通信插件).");
  bind_entities<notify::Template, notify::Message>(notify);
  auto waste =
      m.def_submodule("waste", "Medical waste from the ward to the disposal company (医废).");
  bind_entities<waste::Manifest, waste::Bag, waste::Step, waste::Rules>(waste);
  auto inspection = m.def_submodule(
      "inspection", "Preventive work: checklists, plans, tasks and NFC check-in (巡检).");
  bind_entities<inspection::Template, inspection::Route, inspection::Plan, inspection::Task,
                inspection::Skip, inspection::MeterReading, inspection::Tag, inspection::Scan>(
      inspection);
  auto hazard = m.def_submodule(
      "hazard", "Safety hazards (隐患): the closed loop from report to closed (销号).");
  bind_entities<hazard::Hazard, hazard::Record, hazard::Rules>(hazard);
  auto patrol = m.def_submodule(
      "patrol",
      "Safety patrols (安全巡查): areas, their plans by day and night, countersignatures.");
  bind_entities<patrol::Area, patrol::Signoff, patrol::Rules>(patrol);
  auto emergency = m.def_submodule(
      "emergency", "Emergency management (应急): plans, drills, trainings, incidents.");
  bind_entities<emergency::Plan, emergency::Drill, emergency::Training, emergency::Incident>(
      emergency);
  auto survey = m.def_submodule(
      "survey", "Satisfaction surveys (满意度测评): questionnaires, surveys, invitations.");
  bind_entities<survey::Questionnaire, survey::Survey, survey::Invitation, survey::Rules>(survey);
  auto bi = m.def_submodule("bi", "BI (统计): KPI counters by day, building and department.");
  bind_entities<bi::Counter, bi::Projection, bi::Rules>(bi);
  auto telemetry = m.attr("telemetry").cast<py::module_>();
  bind_entities<telemetry::AlarmRecord, telemetry::AlarmEvent, power::SoeEvent, wiring::AlarmOrder,
                wiring::AlarmTarget>(telemetry);
  bind_entities<wiring::FindingOrder>(inspection);
}

}  // namespace houqin::python
