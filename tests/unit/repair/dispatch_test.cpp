// Dispatch: automatic scoring on skills, shift, load and distance with every candidate's
// breakdown; night shifts past midnight; hard filters; nobody eligible; and grab mode, where two
// technicians racing for one pooled order on two connections leave exactly one winner.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "fixture.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using repair::Proximity;
using repair::Status;
using store::Repository;
using testing::at;
using testing::expect_error;

class DispatchTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  auth::Actor desk = testing::desk();

  void open() {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    auto tech = [&](Id staff, const char* team, Id room, int max_open) {
      repair::Technician t{0, 0, staff, team, {}, room, max_open, true};
      repair::save_config(*s, desk, t);
    };
    tech(site.elec1, "E", site.room_a102, 5);
    tech(site.elec2, "E", site.room_a101, 5);
    tech(site.plumber, "P", site.room_b101, 5);
    tech(site.elec3, "E", site.room_b101, 4);
    auto now = pf.clock.now();
    site.roster(*s, site.elec1, site.day_shift, now);
    site.roster(*s, site.elec2, site.night_shift, now);
    site.roster(*s, site.plumber, site.day_shift, now);
    site.roster(*s, site.elec3, site.day_shift, now);
  }
  repair::WorkOrder light_in(Id room) {
    auto in = testing::light_report(site);
    in.room_id = room;
    return repair::WorkOrders(*s).report(desk, in);
  }
};

const repair::CandidateScore& of(const repair::DispatchDecision& d, Id staff) {
  for (const auto& c : d.candidates)
    if (c.staff_id == staff) return c;
  throw std::runtime_error("no candidate");
}

TEST_P(DispatchTest, ScoresEveryCandidateAndExplainsTheChoice) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  // elec3 already has two open jobs upstairs in A-2-201.
  for (int i = 0; i < 2; ++i) wo.dispatch(desk, {light_in(site.room_a201).id, site.elec3, ""});
  auto o = light_in(site.room_a101);
  auto d = wo.explain_dispatch(desk, o.id);
  ASSERT_EQ(d.candidates.size(), 4u);
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(*d.chosen, site.elec1);
  std::vector<Id> order;
  for (const auto& c : d.candidates) order.push_back(c.staff_id);
  EXPECT_EQ(order, (std::vector<Id>{site.elec1, site.elec3, site.elec2, site.plumber}));

  const auto& e1 = of(d, site.elec1);  // same floor, on duty, idle
  EXPECT_EQ(e1.name, "王电工");
  EXPECT_TRUE(e1.on_duty);
  EXPECT_EQ(e1.proximity, Proximity::same_floor);
  EXPECT_DOUBLE_EQ(e1.skill, 40);
  EXPECT_DOUBLE_EQ(e1.duty, 30);
  EXPECT_DOUBLE_EQ(e1.load, 20);
  EXPECT_DOUBLE_EQ(e1.distance, 8);
  EXPECT_DOUBLE_EQ(e1.total, 98);
  const auto& e3 = of(d, site.elec3);  // 2 of 4 open, last job upstairs
  EXPECT_EQ(e3.open_orders, 2);
  EXPECT_EQ(e3.proximity, Proximity::same_building);
  EXPECT_DOUBLE_EQ(e3.load, 10);
  EXPECT_DOUBLE_EQ(e3.distance, 6);
  EXPECT_DOUBLE_EQ(e3.total, 86);
  const auto& e2 = of(d, site.elec2);  // in the very room, but his night shift starts at 22:00
  EXPECT_FALSE(e2.on_duty);
  EXPECT_EQ(e2.proximity, Proximity::same_room);
  EXPECT_DOUBLE_EQ(e2.total, 70);
  const auto& pl = of(d, site.plumber);
  EXPECT_FALSE(pl.eligible);
  EXPECT_EQ(pl.excluded_because, "lacks skills");
  EXPECT_EQ(pl.missing_skills, (std::vector<std::string>{"electrical"}));
  EXPECT_EQ(pl.proximity, Proximity::same_campus);
  EXPECT_DOUBLE_EQ(pl.total, 0 + 30 + 20 + 3);

  // Dispatching for real: the same choice, an event that says it was automatic.
  std::vector<repair::WorkOrderAssigned> assigned;
  auto sub =
      s->events().subscribe<repair::WorkOrderAssigned>([&](auto& e) { assigned.push_back(e); });
  auto r = wo.auto_dispatch(desk, o.id);
  EXPECT_EQ(r.chosen, site.elec1);
  auto stored = Repository<repair::WorkOrder>(*s).require(o.id);
  EXPECT_EQ(stored.status, Status::dispatched);
  EXPECT_EQ(stored.technician_id, site.elec1);
  EXPECT_EQ(stored.team, "E");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].by, repair::AssignedBy::automatic);
  // Through the registry: the explanation travels as JSON.
  auto j = service::call(*s, desk, "repair.explain_dispatch",
                         json::Json{{"work_order_id", light_in(site.room_a101).id}});
  ASSERT_EQ(j["candidates"].size(), 4u);
  EXPECT_EQ(j["candidates"][0]["staff_id"], site.elec1);
  EXPECT_DOUBLE_EQ(j["candidates"][0]["load"].get<double>(), 16);  // 1 of 5 open now
}

TEST_P(DispatchTest, NightShiftsRunPastMidnightAndFiltersApply) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto o = light_in(site.room_a101);
  pf.clock.set(at("2026-03-02T18:00:00Z"));  // 02:00 local on Tuesday
  auto d = wo.explain_dispatch(desk, o.id);
  EXPECT_TRUE(of(d, site.elec2).on_duty) << "Monday's night shift runs until 08:00";
  EXPECT_FALSE(of(d, site.elec1).on_duty);
  EXPECT_EQ(d.chosen, site.elec2);

  repair::WorkOrderSettings strict;
  strict.dispatch.require_on_duty = true;
  pf.clock.set(at("2026-03-02T12:00:00Z"));  // 20:00 local: nobody on shift
  auto none = repair::WorkOrders(*s, strict).auto_dispatch(desk, o.id);
  EXPECT_FALSE(none.chosen);
  EXPECT_EQ(of(none, site.elec1).excluded_because, "off duty");
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(o.id).status, Status::reported)
      << "nobody eligible: the order waits for a dispatcher";

  // An item nobody has the skill for.
  auto gas = wo.save_item(
      desk, {0, 0, "MG-VALVE", "氧气阀", "medical_gas", 60, {"medical_gas"}, {}, 0, true});
  auto in = testing::light_report(site);
  in.repair_item_id = gas.id;
  auto g = wo.report(desk, in);
  auto dg = wo.explain_dispatch(desk, g.id);
  EXPECT_FALSE(dg.chosen);
  for (const auto& c : dg.candidates) EXPECT_FALSE(c.eligible);
  auto clerk = pf.user_with("clerk", "clerk", {"repair.report"});
  expect_error([&] { wo.auto_dispatch(clerk, o.id); }, ErrorCode::permission_denied,
               "user:clerk lacks repair.dispatch");
}

TEST_P(DispatchTest, GrabRaceHasExactlyOneWinner) {
  open();
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "an in-memory database has one connection";
  store::StoreOptions o;
  o.clock = &pf.clock;
  o.keys = testing::test_keyring();
  auto s2 = store::Store::open(pf.fx.url(), o);
  repair::WorkOrders wo(*s);
  auto in = testing::light_report(site);
  in.pooled = true;
  // A non-pooled order cannot be grabbed.
  auto plain = wo.report(desk, testing::light_report(site));
  expect_error(
      [&] {
        wo.grab(desk, {plain.id, site.elec1});
      },
      ErrorCode::failed_precondition, "work order " + plain.code + ": is not in the grab pool");
  EXPECT_EQ(wo.pool(desk).size(), 0u);
  for (int round = 0; round < 5; ++round) {
    auto order = wo.report(desk, in);
    EXPECT_EQ(wo.pool(desk).size(), 1u);
    std::latch go(2);
    ErrorCode codes[2] = {ErrorCode::internal, ErrorCode::internal};
    auto racer = [&](int i, store::Store& st, Id tech) {
      go.arrive_and_wait();
      try {
        repair::WorkOrders(st).grab(desk, {order.id, tech});
        codes[i] = ErrorCode::ok;
      } catch (const Error& e) {
        codes[i] = e.code();
      }
    };
    std::thread a(racer, 0, std::ref(*s), site.elec1);
    std::thread b(racer, 1, std::ref(*s2), site.elec2);
    a.join();
    b.join();
    int wins = (codes[0] == ErrorCode::ok) + (codes[1] == ErrorCode::ok);
    ASSERT_EQ(wins, 1) << "round " << round;
    EXPECT_EQ(codes[codes[0] == ErrorCode::ok ? 1 : 0], ErrorCode::failed_precondition);
    auto stored = Repository<repair::WorkOrder>(*s).require(order.id);
    EXPECT_EQ(stored.status, Status::accepted);
    EXPECT_EQ(stored.technician_id, codes[0] == ErrorCode::ok ? site.elec1 : site.elec2);
    EXPECT_FALSE(stored.pooled);
    EXPECT_TRUE(stored.accepted_at);
  }
  EXPECT_EQ(wo.pool(desk).size(), 0u);
}

TEST_P(DispatchTest, ABatchSeesItsOwnAssignments) {
  open();
  HQ_REQUIRE_STORE(s);
  auto profile =
      Repository<repair::Technician>(*s).find_one(store::Query<repair::Technician>().where(
          &repair::Technician::staff_id, store::Op::eq, site.elec1));
  profile->max_open = 1;
  repair::save_config(*s, desk, *profile);
  std::vector<Id> ids{light_in(site.room_a101).id, light_in(site.room_a101).id};
  auto d = repair::WorkOrders(*s).auto_dispatch_many(desk, ids);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].chosen, site.elec1);
  EXPECT_EQ(d[1].chosen, site.elec3) << "elec1 is full after the first order of the batch";
  EXPECT_EQ(of(d[1], site.elec1).excluded_because, "at maximum load");
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(ids[1]).team, "E");
}

INSTANTIATE_TEST_SUITE_P(Backends, DispatchTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
