// The domains working together through events: a repair of an asset opens and closes its fault,
// assignment and completion queue reminders, closing releases the order's reservations, and an
// alarm episode opens exactly one work order however often it flaps. Every backend.
#include "houqin/wiring/wiring.hpp"

#include "../repair/fixture.hpp"
#include "houqin/asset/ledger.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin {
namespace {

using store::Repository;

class WiringTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  auth::Actor wiring_actor = auth::Actor::service("wiring", wiring::required_permissions());
  auth::Actor keeper =
      auth::Actor::service("keeper", {"inventory.edit", "inventory.issue", "asset.edit"});
  std::vector<std::string> errors;
  wiring::Options options() {
    wiring::Options o;
    o.on_error = [this](const std::string& reaction, const std::exception& e) {
      errors.push_back(reaction + ": " + e.what());
    };
    return o;
  }
  std::vector<notify::Message> outbox(store::Store& s) {
    return Repository<notify::Message>(s).find();
  }
};

TEST_P(WiringTest, ARepairOfAnAssetMovesTheLedgerTheStockAndTheOutbox) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  wiring::Wiring wiring(*s, wiring_actor, options());
  auto desk = testing::desk();

  asset::Asset pump{};
  pump.code = "PUMP-1";
  pump.name = "Vacuum pump";
  pump.category = "pump";
  pump.room_id = site.room_a101;
  pump.status = asset::AssetStatus::in_service;
  pump = asset::Ledger(*s).register_asset(keeper, pump);

  inventory::Inventory inv(*s);
  auto wh = inv.create_warehouse(keeper, {0, 0, "WH1", "Main store", {}, {}, true});
  auto seal = inv.create_item(keeper, {0, 0, "SEAL", "Pump seal", "pcs", "parts", 0, 0, true});
  inv.receive(keeper, {wh.id, seal.id, 5, "initial", ""});

  repair::WorkOrders wo(*s);
  auto in = testing::light_report(site);
  in.asset_id = pump.id;
  auto order = wo.report(desk, in);
  auto pump_now = Repository<asset::Asset>(*s).require(pump.id);
  EXPECT_EQ(pump_now.status, asset::AssetStatus::down);  // the report opened a fault

  inv.reserve(keeper, {order.id, wh.id, seal.id, 2});
  EXPECT_EQ(inv.available(seal.id), 3);
  wo.dispatch(desk, {order.id, site.elec1, ""});
  auto messages = outbox(*s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].recipient_staff_id, site.elec1);
  EXPECT_EQ(messages[0].template_name, "new_assignment");

  wo.accept(desk, {order.id, ""});
  wo.start(desk, {order.id, ""});
  wo.complete(desk, {order.id, ""});
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status, asset::AssetStatus::in_service);
  messages = outbox(*s);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].recipient_staff_id, site.nurse);  // asked to rate
  EXPECT_EQ(messages[1].template_name, "completion");

  wo.verify(desk, {order.id, ""});
  wo.close(desk, {order.id, ""});
  EXPECT_EQ(inv.available(seal.id), 5);  // closing released the unused reservation
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(wiring.failures(), 0);
}

TEST_P(WiringTest, OneWorkOrderPerAlarmEpisodeNotedWhenItClears) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  auto o = options();
  o.alarm_target = [&](Id point) -> std::optional<wiring::AlarmTarget> {
    if (point != 77) return std::nullopt;
    return wiring::AlarmTarget{std::nullopt, site.room_a201, std::nullopt, "medical_gas",
                               "O2 area pressure, ICU"};
  };
  wiring::Wiring wiring(*s, wiring_actor, o);
  auto t0 = testing::at("2026-03-02T09:00:00Z");
  using telemetry::AlarmKind;
  using telemetry::Priority;
  // Raised, raised again (a flap, or a redelivery), and a low-priority alarm that opens nothing.
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 5, 310.0, t0});
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 5, 305.0, t0});
  s->events().publish(telemetry::AlarmRaised{78, AlarmKind::hi, Priority::low, 6, 1.0, t0});
  auto orders = Repository<repair::WorkOrder>(*s).find();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].channel, repair::Channel::alarm);
  EXPECT_EQ(orders[0].room_id, site.room_a201);
  EXPECT_NE(orders[0].description.find("O2 area pressure, ICU: lo alarm (high), value 310"),
            std::string::npos)
      << orders[0].description;
  ASSERT_EQ(orders[0].attachments.size(), 1u);
  EXPECT_EQ(orders[0].attachments[0].rfind("telemetry:point=77;from=", 0), 0u);

  s->events().publish(telemetry::AlarmCleared{77, AlarmKind::lo, Priority::high, 5, 400.0,
                                              t0 + std::chrono::minutes(3)});
  auto links = Repository<wiring::AlarmOrder>(*s).find();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].work_order_id, orders[0].id);
  ASSERT_TRUE(links[0].cleared_at.has_value());
  EXPECT_EQ(*links[0].cleared_at, t0 + std::chrono::minutes(3));

  // The next episode of the same alarm is a new fault: a new order.
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 9, 300.0,
                                             t0 + std::chrono::hours(1)});
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 2);
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST_P(WiringTest, AFailedReactionIsReportedAndUndoesNothing) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  // An actor without asset.edit: the fault cannot be opened, the order stays reported.
  wiring::Wiring wiring(*s, auth::Actor::service("weak", {"notify.send"}), options());
  asset::Asset pump{};
  pump.code = "PUMP-2";
  pump.name = "pump";
  pump.category = "pump";
  pump.status = asset::AssetStatus::in_service;
  pump = asset::Ledger(*s).register_asset(keeper, pump);
  auto in = testing::light_report(site);
  in.asset_id = pump.id;
  auto order = repair::WorkOrders(*s).report(testing::desk(), in);
  EXPECT_GT(order.id, 0);
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 1);
  EXPECT_EQ(wiring.failures(), 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("report_fault: ", 0), 0u) << errors[0];
}

INSTANTIATE_TEST_SUITE_P(Backends, WiringTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
