#include "houqin/inventory/inventory.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/core/validate.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::inventory {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Warehouse, Item, Stock, StockMove, Reservation, Stocktake>("inventory");
// Read-only through the generic entity API: stock changes only through Inventory, which keeps it
// from going negative.
[[maybe_unused]] const bool exposed =
    store::expose<Warehouse, Item, Stock, StockMove, Reservation, Stocktake>(
        {.read = "", .write = "", .read_personal = ""});

// ---- validation ----

void require_positive(std::int64_t v, const char* field) {
  if (v <= 0)
    fail(ErrorCode::invalid_argument,
         std::string(field) + ": must be positive, got " + std::to_string(v));
}

// ---- guarded updates: the database checks the guard and makes the change in one statement ----

std::int64_t run(store::Store& s, const std::string& sql, std::initializer_list<long long> values) {
  std::vector<store::Cell> cells(values.size());
  std::vector<store::Param> params;
  params.reserve(values.size());
  std::size_t i = 0;
  for (long long v : values) {
    cells[i].i = v;
    params.push_back({&cells[i], store::Storage::integer});
    ++i;
  }
  return s.execute(sql, params);
}

/// Makes sure the (warehouse, item) row exists; concurrent callers cannot both insert it.
void ensure_stock(store::Store& s, Id warehouse_id, Id item_id) {
  run(s,
      "INSERT INTO inventory_stock (version, warehouse_id, item_id, qty, reserved) "
      "VALUES (1, :p1, :p2, 0, 0) ON CONFLICT (warehouse_id, item_id) DO NOTHING",
      {warehouse_id, item_id});
}

const std::string where_row = " WHERE warehouse_id = :p2 AND item_id = :p3";

void add_qty(store::Store& s, Id w, Id i, std::int64_t n) {
  ensure_stock(s, w, i);
  run(s, "UPDATE inventory_stock SET qty = qty + :p1, version = version + 1" + where_row,
      {n, w, i});
}

/// Takes n out of the unreserved stock; false (and no change) when fewer are available.
bool take_available(store::Store& s, Id w, Id i, std::int64_t n) {
  return run(s,
             "UPDATE inventory_stock SET qty = qty - :p1, version = version + 1" + where_row +
                 " AND qty - reserved >= :p4",
             {n, w, i, n}) == 1;
}

/// Takes n out of the reserved stock (an issue against a reservation).
bool take_reserved(store::Store& s, Id w, Id i, std::int64_t n) {
  return run(s,
             "UPDATE inventory_stock SET qty = qty - :p1, reserved = reserved - :p2, "
             "version = version + 1 WHERE warehouse_id = :p3 AND item_id = :p4 "
             "AND reserved >= :p5 AND qty >= :p6",
             {n, n, w, i, n, n}) == 1;
}

bool add_reserved(store::Store& s, Id w, Id i, std::int64_t n) {
  return run(s,
             "UPDATE inventory_stock SET reserved = reserved + :p1, version = version + 1" +
                 where_row + " AND qty - reserved >= :p4",
             {n, w, i, n}) == 1;
}

bool drop_reserved(store::Store& s, Id w, Id i, std::int64_t n) {
  return run(s,
             "UPDATE inventory_stock SET reserved = reserved - :p1, version = version + 1" +
                 where_row + " AND reserved >= :p4",
             {n, w, i, n}) == 1;
}

/// A stock-take's correction: only from the book value the counter saw, never below reserved.
bool set_counted(store::Store& s, Id w, Id i, std::int64_t book, std::int64_t counted) {
  return run(s,
             "UPDATE inventory_stock SET qty = :p1, version = version + 1" + where_row +
                 " AND qty = :p4 AND reserved <= :p5",
             {counted, w, i, book, counted}) == 1;
}

Stock read_stock(store::Store& s, Id w, Id i) {
  auto row = Repository<Stock>(s).find_one(
      Query<Stock>().where(&Stock::warehouse_id, Op::eq, w).where(&Stock::item_id, Op::eq, i));
  return row ? *row : Stock{0, 0, w, i, 0, 0};
}

std::int64_t total_available(store::Store& s, Id item_id) {
  std::int64_t sum = 0;
  for (const auto& st :
       Repository<Stock>(s).find(Query<Stock>().where(&Stock::item_id, Op::eq, item_id)))
    sum += st.qty - st.reserved;
  return sum;
}

[[noreturn]] void insufficient(store::Store& s, const Item& item, const Warehouse& w,
                               std::int64_t asked) {
  auto st = read_stock(s, w.id, item.id);
  fail(ErrorCode::failed_precondition, "insufficient stock: item " + item.code + " in warehouse " +
                                           w.code + " has " + std::to_string(st.qty - st.reserved) +
                                           " available (" + std::to_string(st.qty) + " held, " +
                                           std::to_string(st.reserved) + " reserved), asked for " +
                                           std::to_string(asked));
}

auth::Scope scope_of(const Warehouse& w) {
  return auth::Scope{w.department_id, std::nullopt};
}

/// Publishes ReorderPointReached when the item's available quantity went from above its reorder
/// point to at or below it by a decrease of `decrease`.
void check_reorder(store::Store& s, const Item& item, std::int64_t decrease) {
  if (item.reorder_qty <= 0 || decrease <= 0) return;
  auto after = total_available(s, item.id);
  auto before = after + decrease;
  if (before > item.reorder_point && after <= item.reorder_point)
    s.events().publish(ReorderPointReached{
        {item.id, item.code, item.name, after, item.reorder_point, item.reorder_qty}});
}

class Work {
 public:
  Work(store::Store& s, audit::Call& call) : s_(s), call_(call) {}

  Warehouse warehouse(Id id) { return Repository<Warehouse>(s_).require(id); }
  Item item(Id id) { return Repository<Item>(s_).require(id); }

  StockMove journal(StockMove m) {
    m.actor = call_.actor().label();
    m.time = s_.clock().now();
    Repository<StockMove>(s_).insert(m);
    call_.record(entity_traits<StockMove>::table, m.id, std::nullopt, json::to_json(m));
    s_.events().publish(StockMoved{m}, call_.actor().label());
    return m;
  }

 private:
  store::Store& s_;
  audit::Call& call_;
};

}  // namespace

void Warehouse::validate() const {
  require_code(code, "code");
  require_text(name, "name");
}

void Item::validate() const {
  require_code(code, "code");
  require_text(name, "name");
  require_text(unit, "unit");
  if (reorder_point < 0)
    fail(ErrorCode::invalid_argument,
         "reorder_point: must not be negative, got " + std::to_string(reorder_point));
  if (reorder_qty < 0)
    fail(ErrorCode::invalid_argument,
         "reorder_qty: must not be negative, got " + std::to_string(reorder_qty));
}

std::vector<store::Migration> migrations() {
  return {
      {"inventory", 1, "warehouses, items, stock, moves, reservations, stock-takes",
       [](store::Store& s) {
         store::create_table<Warehouse>(s);
         store::create_table<Item>(s);
         store::create_table<Stock>(s);
         store::create_table<StockMove>(s);
         store::create_table<Reservation>(s);
         store::create_table<Stocktake>(s);
         // Closing a work order looks up its reservations; moves are read per item.
         s.execute(
             "CREATE INDEX IF NOT EXISTS inventory_reservation_work_order ON "
             "inventory_reservation (work_order_id)");
       }},
  };
}

Warehouse Inventory::create_warehouse(const auth::Actor& actor, Warehouse w) {
  return audit::audited(store_, actor, "inventory.create_warehouse", [&](audit::Call& call) {
    call.require("inventory.edit", scope_of(w));
    w.id = 0;
    Repository<Warehouse>(store_).insert(w);
    call.record(entity_traits<Warehouse>::table, w.id, std::nullopt, json::to_json(w));
    return w;
  });
}

Item Inventory::create_item(const auth::Actor& actor, Item item) {
  return audit::audited(store_, actor, "inventory.create_item", [&](audit::Call& call) {
    call.require("inventory.edit");
    item.id = 0;
    Repository<Item>(store_).insert(item);
    call.record(entity_traits<Item>::table, item.id, std::nullopt, json::to_json(item));
    return item;
  });
}

Item Inventory::update_item(const auth::Actor& actor, Item item) {
  return audit::audited(store_, actor, "inventory.update_item", [&](audit::Call& call) {
    call.require("inventory.edit");
    call.target(entity_traits<Item>::table, item.id);
    auto before = Repository<Item>(store_).require(item.id);
    Repository<Item>(store_).update(item);
    call.record(entity_traits<Item>::table, item.id, json::to_json(before), json::to_json(item));
    return item;
  });
}

StockMove Inventory::receive(const auth::Actor& actor, const ReceiveRequest& r) {
  return audit::audited(store_, actor, "inventory.receive", [&](audit::Call& call) {
    Work work(store_, call);
    auto w = work.warehouse(r.warehouse_id);
    call.require("inventory.edit", scope_of(w));
    auto item = work.item(r.item_id);
    require_positive(r.qty, "qty");
    if (!w.active) fail(ErrorCode::failed_precondition, "warehouse " + w.code + " is inactive");
    add_qty(store_, w.id, item.id, r.qty);
    StockMove m;
    m.kind = MoveKind::receive;
    m.item_id = item.id;
    m.warehouse_id = w.id;
    m.qty = r.qty;
    m.reason = r.reason;
    m.reference = r.reference;
    return work.journal(std::move(m));
  });
}

StockMove Inventory::issue(const auth::Actor& actor, const IssueRequest& r) {
  return audit::audited(store_, actor, "inventory.issue", [&](audit::Call& call) {
    Work work(store_, call);
    require_positive(r.qty, "qty");
    StockMove m;
    m.kind = MoveKind::issue;
    m.qty = r.qty;
    m.reason = r.reason;
    m.work_order_id = r.work_order_id;
    if (r.reservation_id) {
      Repository<Reservation> reservations(store_);
      auto res = reservations.require(*r.reservation_id);
      auto w = work.warehouse(res.warehouse_id);
      call.require("inventory.issue", scope_of(w));
      auto item = work.item(res.item_id);
      if ((r.warehouse_id != 0 && r.warehouse_id != res.warehouse_id) ||
          (r.item_id != 0 && r.item_id != res.item_id))
        fail(ErrorCode::invalid_argument, "reservation_id: reservation " + std::to_string(res.id) +
                                              " is for another warehouse or item");
      if (r.work_order_id && *r.work_order_id != res.work_order_id)
        fail(ErrorCode::invalid_argument, "work_order_id: reservation " + std::to_string(res.id) +
                                              " belongs to work order " +
                                              std::to_string(res.work_order_id));
      if (res.state != ReservationState::open)
        fail(ErrorCode::failed_precondition,
             "reservation " + std::to_string(res.id) + " is " + std::string(enum_name(res.state)));
      if (res.qty - res.issued < r.qty)
        fail(ErrorCode::failed_precondition,
             "insufficient stock: reservation " + std::to_string(res.id) + " holds " +
                 std::to_string(res.qty - res.issued) + ", asked for " + std::to_string(r.qty));
      if (!take_reserved(store_, w.id, item.id, r.qty)) insufficient(store_, item, w, r.qty);
      res.issued += r.qty;
      if (res.issued == res.qty) {
        res.state = ReservationState::fulfilled;
        res.closed_at = store_.clock().now();
      }
      reservations.update(res);  // the version check refuses a concurrent change of the same one
      m.item_id = item.id;
      m.warehouse_id = w.id;
      m.reservation_id = res.id;
      m.work_order_id = res.work_order_id;
      return work.journal(std::move(m));
    }
    auto w = work.warehouse(r.warehouse_id);
    call.require("inventory.issue", scope_of(w));
    auto item = work.item(r.item_id);
    if (!take_available(store_, w.id, item.id, r.qty)) insufficient(store_, item, w, r.qty);
    m.item_id = item.id;
    m.warehouse_id = w.id;
    auto out = work.journal(std::move(m));
    check_reorder(store_, item, r.qty);
    return out;
  });
}

StockMove Inventory::transfer(const auth::Actor& actor, const TransferRequest& r) {
  return audit::audited(store_, actor, "inventory.transfer", [&](audit::Call& call) {
    Work work(store_, call);
    auto from = work.warehouse(r.from_warehouse_id);
    auto to = work.warehouse(r.to_warehouse_id);
    call.require("inventory.edit", scope_of(from));
    call.require("inventory.edit", scope_of(to));
    auto item = work.item(r.item_id);
    require_positive(r.qty, "qty");
    if (from.id == to.id)
      fail(ErrorCode::invalid_argument, "to_warehouse_id: the same as from_warehouse_id");
    if (!to.active) fail(ErrorCode::failed_precondition, "warehouse " + to.code + " is inactive");
    if (!take_available(store_, from.id, item.id, r.qty)) insufficient(store_, item, from, r.qty);
    add_qty(store_, to.id, item.id, r.qty);
    StockMove m;
    m.kind = MoveKind::transfer;
    m.item_id = item.id;
    m.warehouse_id = from.id;
    m.to_warehouse_id = to.id;
    m.qty = r.qty;
    m.reason = r.reason;
    return work.journal(std::move(m));
  });
}

StockMove Inventory::adjust(const auth::Actor& actor, const AdjustRequest& r) {
  return audit::audited(store_, actor, "inventory.adjust", [&](audit::Call& call) {
    Work work(store_, call);
    auto w = work.warehouse(r.warehouse_id);
    call.require("inventory.edit", scope_of(w));
    auto item = work.item(r.item_id);
    if (r.delta == 0) fail(ErrorCode::invalid_argument, "delta: must not be zero");
    require_text(r.reason, "reason");
    if (r.delta > 0) {
      add_qty(store_, w.id, item.id, r.delta);
    } else if (!take_available(store_, w.id, item.id, -r.delta)) {
      insufficient(store_, item, w, -r.delta);
    }
    StockMove m;
    m.kind = MoveKind::adjust;
    m.item_id = item.id;
    m.warehouse_id = w.id;
    m.qty = r.delta;
    m.reason = r.reason;
    auto out = work.journal(std::move(m));
    check_reorder(store_, item, -r.delta);
    return out;
  });
}

Reservation Inventory::reserve(const auth::Actor& actor, const ReserveRequest& r) {
  return audit::audited(store_, actor, "inventory.reserve", [&](audit::Call& call) {
    Work work(store_, call);
    auto w = work.warehouse(r.warehouse_id);
    call.require("inventory.issue", scope_of(w));
    auto item = work.item(r.item_id);
    require_positive(r.qty, "qty");
    if (r.work_order_id <= 0)
      fail(ErrorCode::invalid_argument, "work_order_id: must name a work order");
    if (!add_reserved(store_, w.id, item.id, r.qty)) insufficient(store_, item, w, r.qty);
    Reservation res;
    res.work_order_id = r.work_order_id;
    res.warehouse_id = w.id;
    res.item_id = item.id;
    res.qty = r.qty;
    res.actor = actor.label();
    res.created_at = store_.clock().now();
    Repository<Reservation>(store_).insert(res);
    call.record(entity_traits<Reservation>::table, res.id, std::nullopt, json::to_json(res));
    store_.events().publish(StockReserved{res}, actor.label());
    check_reorder(store_, item, r.qty);
    return res;
  });
}

namespace {

/// Returns the reservation's remainder to available stock and closes it (inside a call).
Reservation release_one(store::Store& s, audit::Call& call, Reservation res,
                        const std::string& reason) {
  if (res.state != ReservationState::open)
    fail(ErrorCode::failed_precondition,
         "reservation " + std::to_string(res.id) + " is " + std::string(enum_name(res.state)));
  auto before = json::to_json(res);
  auto remainder = res.qty - res.issued;
  if (remainder > 0 && !drop_reserved(s, res.warehouse_id, res.item_id, remainder))
    fail(ErrorCode::data_loss, "reservation " + std::to_string(res.id) +
                                   ": stock holds less reserved than the reservation");
  res.state = ReservationState::released;
  res.closed_at = s.clock().now();
  Repository<Reservation>(s).update(res);
  call.record(entity_traits<Reservation>::table, res.id, before, json::to_json(res), reason);
  s.events().publish(ReservationReleased{res, remainder}, call.actor().label());
  return res;
}

}  // namespace

Reservation Inventory::release(const auth::Actor& actor, const ReleaseRequest& r) {
  return audit::audited(store_, actor, "inventory.release", [&](audit::Call& call) {
    call.target(entity_traits<Reservation>::table, r.reservation_id);
    auto res = Repository<Reservation>(store_).require(r.reservation_id);
    auto w = Repository<Warehouse>(store_).require(res.warehouse_id);
    call.require("inventory.issue", scope_of(w));
    return release_one(store_, call, std::move(res), r.reason);
  });
}

std::vector<Reservation> Inventory::release_reservations(const auth::Actor& actor,
                                                         Id work_order_id) {
  return audit::audited(store_, actor, "inventory.release", [&](audit::Call& call) {
    std::vector<Reservation> out;
    auto open = Repository<Reservation>(store_).find(
        Query<Reservation>()
            .where(&Reservation::work_order_id, Op::eq, work_order_id)
            .where(&Reservation::state, Op::eq, ReservationState::open));
    if (open.empty()) call.require("inventory.issue");  // nothing to scope by
    for (auto& res : open) {
      auto w = Repository<Warehouse>(store_).require(res.warehouse_id);
      call.require("inventory.issue", scope_of(w));
      out.push_back(release_one(store_, call, std::move(res),
                                "work order " + std::to_string(work_order_id) + " closed"));
    }
    if (open.empty()) call.quiet();
    return out;
  });
}

StocktakeReport Inventory::stocktake(const auth::Actor& actor, const StocktakeRequest& r) {
  return audit::audited(store_, actor, "inventory.stocktake", [&](audit::Call& call) {
    Work work(store_, call);
    auto w = work.warehouse(r.warehouse_id);
    call.require("inventory.edit", scope_of(w));
    require_text(r.reason, "reason");
    if (r.lines.empty()) fail(ErrorCode::invalid_argument, "lines: the count sheet is empty");
    std::set<Id> seen;
    for (std::size_t i = 0; i < r.lines.size(); ++i) {
      const auto& l = r.lines[i];
      auto where = "lines[" + std::to_string(i) + "]";
      if (!seen.insert(l.item_id).second)
        fail(ErrorCode::invalid_argument,
             where + ".item_id: item " + std::to_string(l.item_id) + " is counted twice");
      if (l.counted < 0)
        fail(ErrorCode::invalid_argument,
             where + ".counted: must not be negative, got " + std::to_string(l.counted));
    }
    Repository<Stocktake> takes(store_);
    Stocktake take;
    take.warehouse_id = w.id;
    take.actor = actor.label();
    take.time = store_.clock().now();
    take.reason = r.reason;
    take.lines = static_cast<std::int64_t>(r.lines.size());
    takes.insert(take);
    StocktakeReport report;
    report.stocktake_id = take.id;
    report.warehouse_id = w.id;
    for (std::size_t i = 0; i < r.lines.size(); ++i) {
      const auto& l = r.lines[i];
      auto item = work.item(l.item_id);
      auto st = read_stock(store_, w.id, item.id);
      StocktakeLine line{item.id, item.code, st.qty, l.counted, l.counted - st.qty, std::nullopt};
      if (line.difference != 0) {
        if (l.counted < st.reserved)
          fail(ErrorCode::failed_precondition,
               "lines[" + std::to_string(i) + "].counted: " + std::to_string(l.counted) +
                   " of item " + item.code + " is below the " + std::to_string(st.reserved) +
                   " reserved; release those reservations first");
        ensure_stock(store_, w.id, item.id);
        if (!set_counted(store_, w.id, item.id, st.qty, l.counted))
          fail(ErrorCode::conflict, "item " + item.code + ": stock changed during the count");
        StockMove m;
        m.kind = MoveKind::adjust;
        m.item_id = item.id;
        m.warehouse_id = w.id;
        m.qty = line.difference;
        m.reason = r.reason;
        m.stocktake_id = take.id;
        line.move_id = work.journal(std::move(m)).id;
        ++report.differences;
        report.net_difference += line.difference;
        check_reorder(store_, item, -line.difference);
      }
      report.lines.push_back(std::move(line));
    }
    take.differences = report.differences;
    takes.update(take);
    call.record(entity_traits<Stocktake>::table, take.id, std::nullopt, json::to_json(take));
    return report;
  });
}

std::optional<Stock> Inventory::stock(Id warehouse_id, Id item_id) {
  return Repository<Stock>(store_).find_one(Query<Stock>()
                                                .where(&Stock::warehouse_id, Op::eq, warehouse_id)
                                                .where(&Stock::item_id, Op::eq, item_id));
}

std::int64_t Inventory::available(Id item_id) {
  return total_available(store_, item_id);
}

std::vector<ReorderLine> Inventory::below_reorder_point() {
  std::map<Id, std::int64_t> avail;
  for (const auto& st : Repository<Stock>(store_).find()) avail[st.item_id] += st.qty - st.reserved;
  std::vector<ReorderLine> out;
  for (const auto& item : Repository<Item>(store_).find(
           Query<Item>().where(&Item::reorder_qty, Op::gt, 0).order_by(&Item::code))) {
    if (!item.active) continue;
    auto a = avail[item.id];
    if (a <= item.reorder_point)
      out.push_back({item.id, item.code, item.name, a, item.reorder_point, item.reorder_qty});
  }
  return out;
}

std::vector<Reservation> Inventory::reservations(Id work_order_id) {
  return Repository<Reservation>(store_).find(
      Query<Reservation>().where(&Reservation::work_order_id, Op::eq, work_order_id));
}

std::vector<StockMove> Inventory::moves(Id item_id) {
  return Repository<StockMove>(store_).find(
      Query<StockMove>().where(&StockMove::item_id, Op::eq, item_id).order_by(&StockMove::id));
}

// ---- integrity checks and registered operations ----

namespace {

void negative_stock(store::Store& s, std::vector<protect::Finding>& out) {
  for (const auto& st : Repository<Stock>(s).find(store::Query<Stock>().order_by(&Stock::id))) {
    if (st.qty >= 0 && st.reserved >= 0 && st.reserved <= st.qty) continue;
    out.push_back({"negative_stock",
                   std::string(entity_traits<Stock>::table),
                   {st.id, st.warehouse_id, st.item_id},
                   "inventory_stock " + std::to_string(st.id) + " (warehouse " +
                       std::to_string(st.warehouse_id) + ", item " + std::to_string(st.item_id) +
                       "): qty " + std::to_string(st.qty) + ", reserved " +
                       std::to_string(st.reserved) + " (needs 0 <= reserved <= qty)"});
  }
}

void reserved_matches(store::Store& s, std::vector<protect::Finding>& out) {
  std::map<std::pair<Id, Id>, std::int64_t> held;
  for (const auto& r : Repository<Reservation>(s).find(
           Query<Reservation>().where(&Reservation::state, Op::eq, ReservationState::open)))
    held[{r.warehouse_id, r.item_id}] += r.qty - r.issued;
  for (const auto& st : Repository<Stock>(s).find(store::Query<Stock>().order_by(&Stock::id))) {
    auto it = held.find({st.warehouse_id, st.item_id});
    auto expected = it == held.end() ? 0 : it->second;
    if (expected == st.reserved) continue;
    out.push_back({"impossible_state",
                   std::string(entity_traits<Stock>::table),
                   {st.id},
                   "inventory_stock " + std::to_string(st.id) + ": reserved " +
                       std::to_string(st.reserved) + " but open reservations hold " +
                       std::to_string(expected)});
  }
}

[[maybe_unused]] const bool checks_registered = [] {
  protect::register_check("inventory.negative_stock", negative_stock);
  protect::register_check("inventory.reserved_matches", reserved_matches);
  return true;
}();

}  // namespace

}  // namespace houqin::inventory
