// The domains working together through the durable event log: the "wiring" consumer run by a
// host reacts to what the services committed -- a repair of an asset opens and closes its fault,
// assignment and completion queue reminders, closing releases the order's reservations, an alarm
// episode opens exactly one work order however often it flaps, the SLA job's warnings are
// reminded -- and a failing reaction is retried, parked and replayed on request. Every backend.
#include "houqin/wiring/wiring.hpp"

#include "../repair/fixture.hpp"
#include "houqin/asset/ledger.hpp"
#include "houqin/drivers/simulator.hpp"
#include "houqin/host/host.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/channels.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/platform.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin {
namespace {

using store::Repository;

class WiringTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  auth::Actor keeper =
      auth::Actor::service("keeper", {"inventory.edit", "inventory.issue", "asset.edit"});
  std::vector<notify::Message> outbox(store::Store& s) {
    return Repository<notify::Message>(s).find();
  }
  /// Rounds of the host until the log has nothing more for it (reactions publish events too).
  static std::int64_t react(host::Host& h) {
    std::int64_t handled = 0;
    for (int i = 0; i < 20; ++i) {
      auto r = h.run_once();
      handled += r.handled;
      if (r.handled == 0 && r.ran == 0 && r.replayed == 0) break;
    }
    return handled;
  }
  static const host::ConsumerStatus& wiring_status(const host::HostStatus& st) {
    return st.consumers.at(0);
  }
};

TEST_P(WiringTest, ARepairOfAnAssetMovesTheLedgerTheStockAndTheOutbox) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  host::Host host(*s);
  wiring::install(host, wiring::actor());
  react(host);  // the consumer starts after what is already in the log
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
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status,
            asset::AssetStatus::in_service);  // nothing happens before the host runs
  EXPECT_GT(react(host), 0);
  auto pump_now = Repository<asset::Asset>(*s).require(pump.id);
  EXPECT_EQ(pump_now.status, asset::AssetStatus::down);  // the report opened a fault

  inv.reserve(keeper, {order.id, wh.id, seal.id, 2});
  EXPECT_EQ(inv.available(seal.id), 3);
  wo.dispatch(desk, {order.id, site.elec1, ""});
  react(host);
  auto messages = outbox(*s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].recipient_staff_id, site.elec1);
  EXPECT_EQ(messages[0].template_name, "new_assignment");

  wo.accept(desk, {order.id, ""});
  wo.start(desk, {order.id, ""});
  wo.complete(desk, {order.id, ""});
  react(host);
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status, asset::AssetStatus::in_service);
  messages = outbox(*s);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].recipient_staff_id, site.nurse);  // asked to rate
  EXPECT_EQ(messages[1].template_name, "completion");

  wo.verify(desk, {order.id, ""});
  wo.close(desk, {order.id, ""});
  react(host);
  EXPECT_EQ(inv.available(seal.id), 5);  // closing released the unused reservation
  auto st = wiring_status(host.status());
  EXPECT_EQ(st.lag, 0);
  EXPECT_EQ(st.dead_letters, 0);
  EXPECT_EQ(st.attempts, 0) << st.last_error;
  // Handled once: another round, or a second host on the same store, changes nothing.
  host::Host second(*s);
  wiring::install(second, wiring::actor());
  host.stop();
  react(second);
  EXPECT_EQ(outbox(*s).size(), 2u);
  EXPECT_EQ(Repository<asset::Fault>(*s).count(), 1);
}

TEST_P(WiringTest, OneWorkOrderPerAlarmEpisodeNotedWhenItClears) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  wiring::AlarmTarget target;
  target.point_id = 77;
  target.room_id = site.room_a201;
  target.category = "medical_gas";
  target.description = "O2 area pressure, ICU";
  Repository<wiring::AlarmTarget>(*s).insert(target);
  host::Host host(*s);
  wiring::install(host, wiring::actor());
  react(host);
  auto t0 = testing::at("2026-03-02T09:00:00Z");
  using telemetry::AlarmKind;
  using telemetry::Priority;
  // Raised, raised again (a flap, or a redelivery), and a low-priority alarm that opens nothing.
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 5, 310.0, t0});
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 5, 305.0, t0});
  s->events().publish(telemetry::AlarmRaised{78, AlarmKind::hi, Priority::low, 6, 1.0, t0});
  react(host);
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
  react(host);
  auto links = Repository<wiring::AlarmOrder>(*s).find();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].work_order_id, orders[0].id);
  ASSERT_TRUE(links[0].cleared_at.has_value());
  EXPECT_EQ(*links[0].cleared_at, t0 + std::chrono::minutes(3));

  // The next episode of the same alarm is a new fault: a new order.
  s->events().publish(telemetry::AlarmRaised{77, AlarmKind::lo, Priority::high, 9, 300.0,
                                             t0 + std::chrono::hours(1)});
  react(host);
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 2);
  EXPECT_EQ(wiring_status(host.status()).dead_letters, 0);
}

// The platform's host also delivers what the reactions queue, through the process's channels.
class Recorder final : public notify::Channel {
 public:
  void send(const notify::Message& m) override { sent.push_back(m.body); }
  std::vector<std::string> sent;
};

TEST_P(WiringTest, ThePlatformHostDeliversTheRemindersItQueues) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  auto sms = std::make_shared<Recorder>();
  notify::set_default_channels({sms, nullptr, nullptr});
  auto host = houqin::make_host(*s);
  react(*host);
  auto desk = testing::desk();
  repair::WorkOrders wo(*s);
  auto order = wo.report(desk, testing::light_report(site));
  wo.dispatch(desk, {order.id, site.elec1, ""});
  react(*host);  // the reminder is queued; the delivery is next due 10 s after its first run
  EXPECT_TRUE(sms->sent.empty());
  pf.clock.advance(std::chrono::seconds(10));
  react(*host);
  ASSERT_EQ(sms->sent.size(), 1u);
  EXPECT_NE(sms->sent[0].find(order.code), std::string::npos) << sms->sent[0];
  auto messages = outbox(*s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].state, notify::DeliveryState::sent);
  pf.clock.advance(std::chrono::minutes(5));
  react(*host);
  EXPECT_EQ(sms->sent.size(), 1u);  // sent once
  notify::set_default_channels({});
}

TEST_P(WiringTest, ThePlatformHostRunsTheTelemetryOfThePointMapWhenAsked) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "the runtime opens connections of its own";
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  pf.clock.set(system_clock().now());  // the samples carry the device's real time
  site.build(*s);
  drivers::Point p{};
  p.name = "O2 area pressure";
  p.data_type = drivers::DataType::uint16;
  p.unit = "kPa";
  drivers::Simulator sim;
  sim.add_unit(1, {p});
  sim.start();
  drivers::Device d{};
  d.name = "gas-panel";
  d.host = "127.0.0.1";
  d.port = sim.port();
  d.poll_interval_ms = 100;
  d.response_timeout_ms = 300;
  Repository<drivers::Device>(*s).insert(d);
  p.device_id = d.id;
  Repository<drivers::Point>(*s).insert(p);

  EXPECT_EQ(PlatformHost(pf.fx.url(), {.keys = testing::test_keyring()}).telemetry(), nullptr);
  HostConfig config;
  // The storage's retention comes from the settings: a keep under an hour is refused, named.
  config.telemetry = TelemetrySettings{};
  config.telemetry->retention = {{"gas", std::chrono::hours(0)}};
  testing::expect_error(
      [&] { PlatformHost(pf.fx.url(), {.keys = testing::test_keyring()}, config); },
      ErrorCode::invalid_argument, "retention: gas: keep: must be at least one hour");
  config.telemetry->retention = {{"gas", std::chrono::hours(24 * 365)}};
  PlatformHost daemon(pf.fx.url(), {.keys = testing::test_keyring()}, config);
  ASSERT_NE(daemon.telemetry(), nullptr);
  ASSERT_NE(daemon.acquisition(), nullptr);
  std::size_t stored = 0;
  for (int i = 0; i < 100 && stored == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    daemon.telemetry()->sync();
    stored = daemon.telemetry()
                 ->query(p.id, 0, std::numeric_limits<telemetry::Micros>::max())
                 .times.size();
  }
  EXPECT_GT(stored, 0u);  // polled from the device, verified and stored by the host's runtime
  EXPECT_GT(daemon.acquisition()->pushed(), 0u);

  // An inspection plan on the point: the host's job records its newest sample as a reading.
  auto pm = pf.user_with("pm", "pm", {"inspection.configure"});
  inspection::Planner planner(*s);
  planner.save_template(
      pm,
      {"T", "t", "", {{"ok", "ok", inspection::ItemKind::pass_fail, {}, {}, "", {}, {}, true}}});
  inspection::Plan plan;
  plan.code = "O2-RUN";
  plan.template_code = "T";
  plan.room_id = site.room_a101;
  plan.meter_point_id = p.id;
  plan.meter_every = 1000;
  planner.save_plan(pm, plan);
  EXPECT_EQ(planner.watched_points(), std::vector<Id>{p.id});
  daemon.telemetry()->sync();
  daemon.host().run_once();
  auto readings = Repository<inspection::MeterReading>(*s).find();
  ASSERT_GE(readings.size(), 1u);
  EXPECT_EQ(readings.back().point_id, p.id);
  EXPECT_EQ(readings.back().source, "telemetry");
  auto last = daemon.telemetry()->query(p.id, 0, std::numeric_limits<telemetry::Micros>::max());
  EXPECT_LE(readings.back().at.time_since_epoch().count(), last.times.back());
}

TEST_P(WiringTest, AFailedReactionRetriesParksAndIsReplayedOnRequestOnceFixed) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  // A host whose actor lacks asset.edit: the fault cannot be opened.
  wiring::Options o;
  o.retry = {2, std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  auto broken = std::make_unique<host::Host>(*s);
  wiring::install(*broken, auth::Actor::service("weak", {"notify.send"}), o);
  react(*broken);
  asset::Asset pump{};
  pump.code = "PUMP-2";
  pump.name = "pump";
  pump.category = "pump";
  pump.status = asset::AssetStatus::in_service;
  pump = asset::Ledger(*s).register_asset(keeper, pump);
  auto in = testing::light_report(site);
  in.asset_id = pump.id;
  auto order = repair::WorkOrders(*s).report(testing::desk(), in);
  for (int i = 0; i < 4; ++i) broken->run_once();  // a failed try ends a round
  // The change that caused it stands; the reaction was rolled back, tried twice and parked.
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(order.id).status, repair::Status::reported);
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status, asset::AssetStatus::in_service);
  auto st = wiring_status(broken->status());
  EXPECT_EQ(st.dead_letters, 1);
  EXPECT_EQ(st.lag, 0);  // the events behind it went on
  auto sysadmin = pf.actor("sysadmin");
  auto letters = service::call(*s, sysadmin, "host.dead_letters", {{"consumer", "wiring"}});
  ASSERT_EQ(letters["dead_letters"].size(), 1u) << letters.dump();
  EXPECT_EQ(letters["dead_letters"][0]["type"], "repair.WorkOrderReported");
  EXPECT_EQ(letters["dead_letters"][0]["attempts"], 2);
  EXPECT_NE(letters["dead_letters"][0]["error"].get<std::string>().find("lacks asset.edit"),
            std::string::npos)
      << letters.dump();
  const Id letter = letters["dead_letters"][0]["id"].get<Id>();

  // Fixed: the host runs again with the right actor; the operator asks for the replay from
  // another connection's point of view (any process), and the host carries it out.
  broken.reset();
  host::Host fixed(*s);
  wiring::install(fixed, wiring::actor(), o);
  EXPECT_THROW(service::call(*s, pf.user_with("clerk", "clerk", {"host.read"}), "host.replay",
                             {{"dead_letter_id", letter}}),
               Error);
  auto requested = service::call(*s, sysadmin, "host.replay", {{"dead_letter_id", letter}});
  EXPECT_EQ(requested["replay_requested_by"], "user:sysadmin");
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status, asset::AssetStatus::in_service);
  auto r = fixed.run_once();
  EXPECT_EQ(r.replayed, 1);
  EXPECT_EQ(Repository<asset::Asset>(*s).require(pump.id).status, asset::AssetStatus::down);
  EXPECT_EQ(wiring_status(fixed.status()).dead_letters, 0);
  testing::expect_error(
      [&] {
        service::call(*s, sysadmin, "host.replay", {{"dead_letter_id", letter}});
      },
      ErrorCode::failed_precondition, "dead letter " + std::to_string(letter) + " was replayed at");
  EXPECT_EQ(fixed.run_once().replayed, 0);
  EXPECT_EQ(Repository<asset::Fault>(*s).count(), 1);
}

TEST_P(WiringTest, TheSlaJobWarnsOnceAndTheWarningIsReminded) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  auto desk = testing::desk();
  repair::SlaPolicy p{};
  p.code = "FAST";
  p.name = "fast";
  p.response_minutes = 15;
  p.resolution_minutes = 60;
  p.escalation_chain = "CH";
  p = repair::save_config(*s, desk, p);
  repair::SlaRule rule{};
  rule.code = "R";
  rule.rank = 1;
  rule.policy_id = p.id;
  repair::save_config(*s, desk, rule);
  repair::save_config(
      *s, desk,
      repair::EscalationStep{0, 0, "CH", repair::SlaTarget::response, 1, -5, site.elec2, ""});
  host::Host host(*s);
  wiring::install(host, wiring::actor());
  react(host);
  // A second host on another connection to the same store: only the scheduler's lease holder
  // runs the tick, so the warning fires once between them.
  std::unique_ptr<store::Store> s2;
  std::unique_ptr<host::Host> other;
  if (GetParam() != "sqlite_memory") {
    s2 = store::Store::open(pf.fx.url(), {.clock = &pf.clock, .keys = testing::test_keyring()});
    other = std::make_unique<host::Host>(*s2);
    wiring::install(*other, wiring::actor());
  }
  auto rounds = [&] {
    for (int i = 0; i < 3; ++i) {
      react(host);
      if (other) react(*other);
    }
  };
  auto order = repair::WorkOrders(*s).report(desk, testing::light_report(site));
  rounds();
  pf.clock.advance(std::chrono::minutes(11));  // 5 minutes before the response deadline
  rounds();
  if (other) {
    auto st = host::cluster_status(*s);
    EXPECT_NE(st.scheduler_holder, "");
    EXPECT_EQ(host.status().scheduler_active + other->status().scheduler_active, 1);
  }
  auto messages = outbox(*s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].template_name, "sla_warning");
  EXPECT_EQ(messages[0].recipient_staff_id, site.elec2);
  // Later rounds, and a host that was down for an hour, warn no more: the tick runs once per
  // due time (the latest when catching up) and each step fires once per cycle.
  pf.clock.advance(std::chrono::seconds(30));
  rounds();
  host.stop();
  other.reset();  // the other host is gone too
  pf.clock.advance(std::chrono::hours(1));
  react(host);
  EXPECT_EQ(outbox(*s).size(), 1u);
  auto job = host::Scheduler().state(*s, std::string(wiring::sla_job_name));
  EXPECT_GE(job.runs, 3);
  EXPECT_GT(job.skipped, 50);  // the missed minutes were passed over, not each run
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(order.id).response_breached, true);
}

INSTANTIATE_TEST_SUITE_P(Backends, WiringTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
