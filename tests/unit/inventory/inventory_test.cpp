// Inventory: stock moves and their journal, refusals that change nothing, permissions scoped by
// the warehouse's department, reservations (reserve, issue on use, release on work-order close),
// reorder alerts, stock-take reconciliation, the negative-stock integrity check, and concurrent
// issues from several connections that never take stock below zero. Every backend.
#include "houqin/inventory/inventory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using inventory::Inventory;
using inventory::MoveKind;
using inventory::ReservationState;
using store::Repository;
using testing::expect_error;

class InventoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> keeper;
  inventory::Warehouse w1, w2;
  inventory::Item part;

  /// The store with a keeper (inventory.edit + inventory.issue), warehouses W1 and W2 and item
  /// P1; false when the backend is not configured.
  bool open() {
    s = pf.open(GetParam());
    if (!s) return false;
    keeper = pf.user_with("keeper", "keeper", {"inventory.edit", "inventory.issue"});
    Inventory inv(*s);
    w1 = inv.create_warehouse(*keeper, {0, 0, "W1", "Main store", {}, {}, true});
    w2 = inv.create_warehouse(*keeper, {0, 0, "W2", "Plant room store", {}, {}, true});
    part = inv.create_item(*keeper, {0, 0, "P1", "Contactor 32A", "pcs", "electrical", 0, 0, true});
    return true;
  }
  std::int64_t qty(const inventory::Warehouse& w, const inventory::Item& i) {
    auto st = Inventory(*s).stock(w.id, i.id);
    return st ? st->qty : 0;
  }
  std::int64_t reserved(const inventory::Warehouse& w, const inventory::Item& i) {
    auto st = Inventory(*s).stock(w.id, i.id);
    return st ? st->reserved : 0;
  }
  void receive(const inventory::Warehouse& w, const inventory::Item& i, std::int64_t n) {
    Inventory(*s).receive(*keeper, {w.id, i.id, n, "delivery", "DN-1"});
  }
};

#define OPEN_OR_SKIP() \
  open();              \
  HQ_REQUIRE_STORE(s)

TEST_P(InventoryTest, MovesChangeStockAndAreJournalledAuditedAndPublished) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  std::vector<inventory::StockMove> seen;
  auto sub = s->events().subscribe<inventory::StockMoved>(
      [&](const inventory::StockMoved& e) { seen.push_back(e.move); });

  auto in = inv.receive(*keeper, {w1.id, part.id, 10, "delivery", "DN-7"});
  EXPECT_EQ(in.kind, MoveKind::receive);
  EXPECT_EQ(in.actor, "user:keeper");
  EXPECT_EQ(in.time, pf.clock.now());
  auto out = inv.issue(*keeper, {w1.id, part.id, 3, "used on repair", 42, std::nullopt});
  EXPECT_EQ(out.work_order_id, 42);
  auto tr = inv.transfer(*keeper, {w1.id, w2.id, part.id, 2, "to plant room"});
  EXPECT_EQ(tr.to_warehouse_id, w2.id);
  auto adj = inv.adjust(*keeper, {w1.id, part.id, -1, "broken in store"});
  EXPECT_EQ(adj.qty, -1);

  EXPECT_EQ(qty(w1, part), 10 - 3 - 2 - 1);
  EXPECT_EQ(qty(w2, part), 2);
  EXPECT_EQ(inv.available(part.id), 6);
  auto journal = inv.moves(part.id);
  ASSERT_EQ(journal.size(), 4u);
  EXPECT_EQ(journal[0].kind, MoveKind::receive);
  EXPECT_EQ(journal[0].reference, "DN-7");
  EXPECT_EQ(journal[1].kind, MoveKind::issue);
  EXPECT_EQ(journal[2].kind, MoveKind::transfer);
  EXPECT_EQ(journal[3].kind, MoveKind::adjust);
  ASSERT_EQ(seen.size(), 4u) << "one event per move, after commit";
  EXPECT_EQ(seen[1].id, out.id);

  auto log = Repository<audit::Record>(*s).find(store::Query<audit::Record>().where(
      &audit::Record::action, store::Op::eq, std::string("inventory.issue")));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].entity, "inventory_stock_move");
  EXPECT_EQ(log[0].entity_id, out.id);
}

TEST_P(InventoryTest, BadRequestsAreRefusedAndChangeNothing) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  receive(w1, part, 4);
  auto moves_before = inv.moves(part.id).size();
  expect_error(
      [&] {
        inv.issue(*keeper, {w1.id, part.id, 5, "", std::nullopt, std::nullopt});
      },
      ErrorCode::failed_precondition,
      "insufficient stock: item P1 in warehouse W1 has 4 available (4 held, 0 reserved), "
      "asked for 5");
  expect_error(
      [&] {
        inv.issue(*keeper, {w1.id, part.id, 0, "", std::nullopt, std::nullopt});
      },
      ErrorCode::invalid_argument, "qty: must be positive, got 0");
  expect_error(
      [&] {
        inv.receive(*keeper, {w1.id, part.id, -2, "", ""});
      },
      ErrorCode::invalid_argument, "qty: must be positive, got -2");
  expect_error(
      [&] {
        inv.adjust(*keeper, {w1.id, part.id, -1, ""});
      },
      ErrorCode::invalid_argument, "reason: must not be empty");
  expect_error(
      [&] {
        inv.adjust(*keeper, {w1.id, part.id, 0, "x"});
      },
      ErrorCode::invalid_argument, "delta: must not be zero");
  expect_error(
      [&] {
        inv.adjust(*keeper, {w1.id, part.id, -5, "lost"});
      },
      ErrorCode::failed_precondition, "insufficient stock: item P1");
  expect_error(
      [&] {
        inv.transfer(*keeper, {w1.id, w1.id, part.id, 1, ""});
      },
      ErrorCode::invalid_argument, "to_warehouse_id: the same as from_warehouse_id");
  expect_error(
      [&] {
        inv.transfer(*keeper, {w1.id, w2.id, part.id, 9, ""});
      },
      ErrorCode::failed_precondition, "insufficient stock: item P1 in warehouse W1");
  expect_error(
      [&] {
        inv.receive(*keeper, {w1.id, 9999, 1, "", ""});
      },
      ErrorCode::not_found, "inventory_item 9999: not found");
  expect_error(
      [&] {
        inv.create_item(*keeper, {0, 0, "P 2", "x", "pcs", "", 0, 0, true});
      },
      ErrorCode::invalid_argument, "code: 'P 2' may hold only");
  expect_error(
      [&] {
        inv.create_item(*keeper, {0, 0, "P2", "x", "pcs", "", -1, 0, true});
      },
      ErrorCode::invalid_argument, "reorder_point: must not be negative");
  EXPECT_EQ(qty(w1, part), 4);
  EXPECT_EQ(qty(w2, part), 0);
  EXPECT_EQ(inv.moves(part.id).size(), moves_before);
}

TEST_P(InventoryTest, PermissionsAreScopedByTheWarehouseDepartment) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  site::Department eng{0, 0, "ENG", "Engineering", site::DepartmentKind::logistics, {}, {}, true};
  site::Department ward{0, 0, "W5", "Ward 5", site::DepartmentKind::clinical, {}, {}, true};
  Repository<site::Department>(*s).insert(eng);
  Repository<site::Department>(*s).insert(ward);
  auto weng = inv.create_warehouse(*keeper, {0, 0, "WENG", "Engineering store", {}, eng.id, true});
  auto wward = inv.create_warehouse(*keeper, {0, 0, "WW5", "Ward store", {}, ward.id, true});
  receive(weng, part, 5);
  receive(wward, part, 5);
  auto tech =
      pf.user_with("tech", "eng_issuer", {"inventory.issue"}, auth::ScopeKind::department, eng.id);
  inv.issue(tech, {weng.id, part.id, 1, "", 1, std::nullopt});
  expect_error(
      [&] {
        inv.issue(tech, {wward.id, part.id, 1, "", 1, std::nullopt});
      },
      ErrorCode::permission_denied,
      "user:tech lacks inventory.issue for department " + std::to_string(ward.id));
  expect_error(
      [&] {
        inv.receive(tech, {weng.id, part.id, 1, "", ""});
      },
      ErrorCode::permission_denied, "user:tech lacks inventory.edit");
  EXPECT_EQ(qty(weng, part), 4);
  EXPECT_EQ(qty(wward, part), 5);
  auto denied = Repository<audit::Record>(*s).count(store::Query<audit::Record>().where(
      &audit::Record::outcome, store::Op::eq, audit::Outcome::denied));
  EXPECT_EQ(denied, 2) << "denials are audited";
}

TEST_P(InventoryTest, ReservationsHoldStockIssueOnUseAndReleaseOnClose) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  receive(w1, part, 10);
  auto res = inv.reserve(*keeper, {7, w1.id, part.id, 6});
  EXPECT_EQ(res.state, ReservationState::open);
  EXPECT_EQ(reserved(w1, part), 6);
  EXPECT_EQ(inv.available(part.id), 4);
  // Reserved stock is not available to others.
  expect_error(
      [&] {
        inv.issue(*keeper, {w1.id, part.id, 5, "", 8, std::nullopt});
      },
      ErrorCode::failed_precondition,
      "insufficient stock: item P1 in warehouse W1 has 4 available (10 held, 6 reserved)");
  expect_error(
      [&] {
        inv.reserve(*keeper, {8, w1.id, part.id, 5});
      },
      ErrorCode::failed_precondition, "insufficient stock: item P1 in warehouse W1 has 4");

  // Issue on use, from the reservation.
  auto used = inv.issue(*keeper, {0, 0, 2, "fitted", std::nullopt, res.id});
  EXPECT_EQ(used.reservation_id, res.id);
  EXPECT_EQ(used.work_order_id, 7) << "the reservation's work order";
  EXPECT_EQ(qty(w1, part), 8);
  EXPECT_EQ(reserved(w1, part), 4);
  expect_error(
      [&] {
        inv.issue(*keeper, {0, 0, 5, "", std::nullopt, res.id});
      },
      ErrorCode::failed_precondition,
      "insufficient stock: reservation " + std::to_string(res.id) + " holds 4");
  expect_error(
      [&] {
        inv.issue(*keeper, {0, 0, 1, "", 99, res.id});
      },
      ErrorCode::invalid_argument, "work_order_id: reservation");

  // Closing work order 7 releases what is left.
  std::int64_t released_qty = 0;
  auto sub = s->events().subscribe<inventory::ReservationReleased>(
      [&](const inventory::ReservationReleased& e) { released_qty += e.released_qty; });
  auto released = inv.release_reservations(*keeper, 7);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].state, ReservationState::released);
  EXPECT_EQ(released[0].issued, 2);
  EXPECT_EQ(released_qty, 4);
  EXPECT_EQ(reserved(w1, part), 0);
  EXPECT_EQ(inv.available(part.id), 8);
  EXPECT_TRUE(inv.release_reservations(*keeper, 7).empty()) << "idempotent";
  expect_error(
      [&] {
        inv.issue(*keeper, {0, 0, 1, "", std::nullopt, res.id});
      },
      ErrorCode::failed_precondition, "reservation " + std::to_string(res.id) + " is released");
  expect_error(
      [&] {
        inv.release(*keeper, {res.id, ""});
      },
      ErrorCode::failed_precondition, "reservation " + std::to_string(res.id) + " is released");

  // A reservation used up is fulfilled and holds nothing.
  auto full = inv.reserve(*keeper, {9, w1.id, part.id, 3});
  inv.issue(*keeper, {0, 0, 3, "", std::nullopt, full.id});
  EXPECT_EQ(inv.reservations(9).at(0).state, ReservationState::fulfilled);
  EXPECT_EQ(reserved(w1, part), 0);
  EXPECT_EQ(qty(w1, part), 5);
  EXPECT_TRUE(protect::check_integrity(*s, pf.actor("sysadmin")).empty());
}

TEST_P(InventoryTest, ReorderAlertFiresWhenAvailableCrossesThePoint) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  auto filter = inv.create_item(*keeper, {0, 0, "F1", "HEPA filter", "pcs", "hvac", 5, 20, true});
  receive(w1, filter, 8);
  receive(w2, filter, 2);
  std::vector<inventory::ReorderLine> alerts;
  auto sub = s->events().subscribe<inventory::ReorderPointReached>(
      [&](const inventory::ReorderPointReached& e) { alerts.push_back(e.line); });
  inv.issue(*keeper, {w1.id, filter.id, 4, "", std::nullopt, std::nullopt});  // 10 -> 6
  EXPECT_TRUE(alerts.empty());
  EXPECT_TRUE(inv.below_reorder_point().empty());
  inv.issue(*keeper, {w1.id, filter.id, 1, "", std::nullopt, std::nullopt});  // 6 -> 5
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].item_code, "F1");
  EXPECT_EQ(alerts[0].available, 5);
  EXPECT_EQ(alerts[0].reorder_qty, 20);
  inv.reserve(*keeper, {3, w2.id, filter.id, 1});  // 5 -> 4: already below, no second alert
  EXPECT_EQ(alerts.size(), 1u);
  auto list = inv.below_reorder_point();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].item_id, filter.id);
  EXPECT_EQ(list[0].available, 4);
  receive(w1, filter, 20);
  EXPECT_TRUE(inv.below_reorder_point().empty());
  // Items without a reorder policy (reorder_qty 0) never alert.
  receive(w1, part, 1);
  inv.issue(*keeper, {w1.id, part.id, 1, "", std::nullopt, std::nullopt});
  EXPECT_EQ(alerts.size(), 1u);
}

TEST_P(InventoryTest, StocktakeAdjustsToTheCountAndReportsDifferences) {
  OPEN_OR_SKIP();
  Inventory inv(*s);
  auto b = inv.create_item(*keeper, {0, 0, "B1", "Fuse 10A", "pcs", "", 0, 0, true});
  auto c = inv.create_item(*keeper, {0, 0, "C1", "Cable tie", "bag", "", 0, 0, true});
  receive(w1, part, 10);
  receive(w1, b, 5);
  auto report =
      inv.stocktake(*keeper, {w1.id, {{part.id, 8}, {b.id, 5}, {c.id, 2}}, "2026 Q1 count"});
  ASSERT_EQ(report.lines.size(), 3u);
  EXPECT_EQ(report.differences, 2);
  EXPECT_EQ(report.net_difference, 0);
  EXPECT_EQ(report.lines[0].book, 10);
  EXPECT_EQ(report.lines[0].difference, -2);
  EXPECT_TRUE(report.lines[0].move_id.has_value());
  EXPECT_EQ(report.lines[1].difference, 0);
  EXPECT_FALSE(report.lines[1].move_id.has_value());
  EXPECT_EQ(report.lines[2].item_code, "C1");
  EXPECT_EQ(report.lines[2].difference, 2);
  EXPECT_EQ(qty(w1, part), 8);
  EXPECT_EQ(qty(w1, b), 5);
  EXPECT_EQ(qty(w1, c), 2);
  auto adj = inv.moves(part.id).back();
  EXPECT_EQ(adj.kind, MoveKind::adjust);
  EXPECT_EQ(adj.qty, -2);
  EXPECT_EQ(adj.stocktake_id, report.stocktake_id);
  auto take = Repository<inventory::Stocktake>(*s).require(report.stocktake_id);
  EXPECT_EQ(take.differences, 2);
  EXPECT_EQ(take.lines, 3);

  // Refused sheets change nothing: a duplicate line, a negative count, a count below reserved.
  inv.reserve(*keeper, {11, w1.id, part.id, 6});
  auto takes_before = Repository<inventory::Stocktake>(*s).count();
  expect_error(
      [&] {
        inv.stocktake(*keeper, {w1.id, {{b.id, 1}, {b.id, 2}}, "x"});
      },
      ErrorCode::invalid_argument,
      "lines[1].item_id: item " + std::to_string(b.id) + " is counted twice");
  expect_error(
      [&] {
        inv.stocktake(*keeper, {w1.id, {{b.id, -1}}, "x"});
      },
      ErrorCode::invalid_argument, "lines[0].counted: must not be negative");
  expect_error(
      [&] {
        inv.stocktake(*keeper, {w1.id, {{b.id, 4}, {part.id, 5}}, "x"});
      },
      ErrorCode::failed_precondition, "lines[1].counted: 5 of item P1 is below the 6 reserved");
  EXPECT_EQ(qty(w1, b), 5) << "the first line's change was rolled back too";
  EXPECT_EQ(Repository<inventory::Stocktake>(*s).count(), takes_before);
}

TEST_P(InventoryTest, NegativeStockIsAnIntegrityFinding) {
  OPEN_OR_SKIP();
  receive(w1, part, 3);
  auto admin = pf.actor("sysadmin");
  EXPECT_TRUE(protect::check_integrity(*s, admin).empty());
  auto st = Inventory(*s).stock(w1.id, part.id);
  ASSERT_TRUE(st);
  s->execute("UPDATE inventory_stock SET qty = -2 WHERE id = " + std::to_string(st->id));
  auto findings = protect::check_integrity(*s, admin);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const protect::Finding& f) { return f.check == "negative_stock"; });
  ASSERT_NE(it, findings.end());
  EXPECT_EQ(it->table, "inventory_stock");
  EXPECT_EQ(it->ids.at(0), st->id);
  EXPECT_EQ(it->message.rfind("inventory_stock " + std::to_string(st->id), 0), 0u) << it->message;
  EXPECT_NE(it->message.find("qty -2"), std::string::npos) << it->message;
}

TEST_P(InventoryTest, ConcurrentIssuesFromSeparateConnectionsNeverGoNegative) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  OPEN_OR_SKIP();
  const std::int64_t start = 40, each = 3;
  const int threads = 4, attempts = 12;  // 48 issues of 3 asked, 13 can succeed
  receive(w1, part, start);
  std::atomic<int> ok{0}, refused{0};
  std::mutex m;
  std::vector<std::string> unexpected;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      try {
        store::StoreOptions o;
        o.clock = &pf.clock;
        o.keys = testing::test_keyring();
        auto conn = store::Store::open(pf.fx.url(), o);
        Inventory inv(*conn);
        for (int i = 0; i < attempts; ++i) {
          try {
            inv.issue(*keeper, {w1.id, part.id, each, "race", std::nullopt, std::nullopt});
            ++ok;
          } catch (const Error& e) {
            if (e.code() == ErrorCode::failed_precondition) {
              ++refused;
            } else {
              std::lock_guard lock(m);
              unexpected.push_back(e.what());
            }
          }
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        unexpected.push_back(e.what());
      }
    });
  for (auto& t : pool) t.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  EXPECT_EQ(ok.load(), start / each);
  EXPECT_EQ(ok + refused, threads * attempts);
  EXPECT_EQ(qty(w1, part), start - ok * each);
  EXPECT_GE(qty(w1, part), 0);
  std::int64_t issued = 0;
  for (const auto& mv : Inventory(*s).moves(part.id))
    if (mv.kind == MoveKind::issue) issued += mv.qty;
  EXPECT_EQ(issued, ok * each) << "one journal line per successful issue";
  EXPECT_TRUE(protect::check_integrity(*s, pf.actor("sysadmin")).empty());
}

TEST_P(InventoryTest, ConcurrentReservationsAndIssuesKeepReservedAndHeldConsistent) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  OPEN_OR_SKIP();
  const std::int64_t start = 30;
  receive(w1, part, start);
  std::mutex m;
  std::vector<std::string> unexpected;
  std::vector<std::thread> pool;
  for (int t = 0; t < 3; ++t)
    pool.emplace_back([&, t] {
      try {
        store::StoreOptions o;
        o.clock = &pf.clock;
        o.keys = testing::test_keyring();
        auto conn = store::Store::open(pf.fx.url(), o);
        Inventory inv(*conn);
        for (int i = 0; i < 8; ++i) {
          const Id order = 1000 * (t + 1) + i;
          try {  // reserve 3, use 2 of them, then an unreserved issue of 1, then close the order
            auto r = inv.reserve(*keeper, {order, w1.id, part.id, 3});
            inv.issue(*keeper, {0, 0, 2, "used", std::nullopt, r.id});
            inv.issue(*keeper, {w1.id, part.id, 1, "spare", order, std::nullopt});
            if (i % 2 == 0) inv.release_reservations(*keeper, order);
          } catch (const Error& e) {
            if (e.code() != ErrorCode::failed_precondition) throw;
          }
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        unexpected.push_back(e.what());
      }
    });
  for (auto& t : pool) t.join();
  ASSERT_TRUE(unexpected.empty()) << unexpected.front();
  Inventory inv(*s);
  std::int64_t issued = 0;
  for (const auto& mv : inv.moves(part.id))
    if (mv.kind == MoveKind::issue) issued += mv.qty;
  std::int64_t held = 0;
  for (const auto& r : Repository<inventory::Reservation>(*s).find())
    if (r.state == ReservationState::open) held += r.qty - r.issued;
  EXPECT_EQ(qty(w1, part), start - issued);
  EXPECT_GE(qty(w1, part), 0);
  EXPECT_EQ(reserved(w1, part), held);
  EXPECT_LE(reserved(w1, part), qty(w1, part));
  EXPECT_GT(issued, 0);
  EXPECT_TRUE(protect::check_integrity(*s, pf.actor("sysadmin")).empty());
}

TEST_P(InventoryTest, OperationsAreRegisteredByName) {
  OPEN_OR_SKIP();
  auto move = service::call(*s, *keeper, "inventory.receive",
                            {{"warehouse_id", w1.id}, {"item_id", part.id}, {"qty", 5}});
  EXPECT_EQ(move["kind"], "receive");
  EXPECT_EQ(qty(w1, part), 5);
  expect_error(
      [&] {
        service::call(*s, *keeper, "inventory.issue",
                      {{"warehouse_id", w1.id}, {"item_id", part.id}, {"qty", 1}, {"colour", 1}});
      },
      ErrorCode::invalid_argument, "inventory.issue");
  EXPECT_EQ(qty(w1, part), 5);
  for (auto name : {"inventory.issue", "inventory.transfer", "inventory.adjust",
                    "inventory.reserve", "inventory.release", "inventory.release_order",
                    "inventory.stocktake", "inventory.reorder_list"})
    EXPECT_EQ(service::operation(name).name, name);
}

INSTANTIATE_TEST_SUITE_P(Backends, InventoryTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
