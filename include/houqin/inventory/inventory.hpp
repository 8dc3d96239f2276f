// The inventory service: every change to stock goes through it, authorised (inventory.edit for
// receiving, moving, adjusting and counting; inventory.issue for reserving, issuing and releasing,
// both scoped by the warehouse's department), audited, journalled as a StockMove and published
// as an event after commit. Stock never goes below zero, nor below what is reserved, even when
// many connections issue the same item at once: every decrement is one conditional UPDATE whose
// guard the database checks atomically with the change (see docs/inventory.md).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/inventory/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::inventory {

/// The inventory domain's schema migrations (after site).
HOUQIN_EXPORT std::vector<store::Migration> migrations();

// ---- requests (the JSON inputs of the registered operations) ----

struct ReceiveRequest {
  static constexpr std::array<std::string_view, 3> required_fields{"warehouse_id", "item_id",
                                                                   "qty"};
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
  std::string reason;
  std::string reference;
};

/// With reservation_id the quantity comes out of that reservation (its warehouse, item and work
/// order); without, out of the available (unreserved) stock.
struct IssueRequest {
  static constexpr std::array<std::string_view, 3> required_fields{"warehouse_id", "item_id",
                                                                   "qty"};
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
  std::string reason;
  std::optional<Id> work_order_id;
  std::optional<Id> reservation_id;
};

struct TransferRequest {
  static constexpr std::array<std::string_view, 4> required_fields{
      "from_warehouse_id", "to_warehouse_id", "item_id", "qty"};
  Id from_warehouse_id = 0;
  Id to_warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
  std::string reason;
};

struct AdjustRequest {
  static constexpr std::array<std::string_view, 4> required_fields{"warehouse_id", "item_id",
                                                                   "delta", "reason"};
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t delta = 0;  // signed, non-zero
  std::string reason;      // required: why the book was wrong
};

struct ReserveRequest {
  static constexpr std::array<std::string_view, 4> required_fields{"work_order_id", "warehouse_id",
                                                                   "item_id", "qty"};
  Id work_order_id = 0;
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
};

struct ReleaseRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"reservation_id"};
  Id reservation_id = 0;
  std::string reason;
};

struct ReleaseOrderRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"work_order_id"};
  Id work_order_id = 0;
};

struct CountLine {
  Id item_id = 0;
  std::int64_t counted = 0;
};

/// A count sheet: items not listed are left as they are (partial counts are allowed).
struct StocktakeRequest {
  static constexpr std::array<std::string_view, 2> required_fields{"warehouse_id", "lines"};
  Id warehouse_id = 0;
  std::vector<CountLine> lines;
  std::string reason = "stock-take";
};

struct StocktakeLine {
  Id item_id = 0;
  std::string item_code;
  std::int64_t book = 0;  // the stored quantity when counted
  std::int64_t counted = 0;
  std::int64_t difference = 0;  // counted - book
  std::optional<Id> move_id;    // the adjust move, when there was a difference
};

struct StocktakeReport {
  Id stocktake_id = 0;
  Id warehouse_id = 0;
  std::vector<StocktakeLine> lines;
  std::int64_t differences = 0;  // lines whose count differed from the book
  std::int64_t net_difference = 0;
};

/// An item at or below its reorder point, with what to order.
struct ReorderLine {
  Id item_id = 0;
  std::string item_code;
  std::string item_name;
  std::int64_t available = 0;  // over every warehouse
  std::int64_t reorder_point = 0;
  std::int64_t reorder_qty = 0;
};

struct ReservationList {
  std::vector<Reservation> reservations;
};

BOOST_DESCRIBE_STRUCT(ReceiveRequest, (), (warehouse_id, item_id, qty, reason, reference))
BOOST_DESCRIBE_STRUCT(IssueRequest, (),
                      (warehouse_id, item_id, qty, reason, work_order_id, reservation_id))
BOOST_DESCRIBE_STRUCT(TransferRequest, (),
                      (from_warehouse_id, to_warehouse_id, item_id, qty, reason))
BOOST_DESCRIBE_STRUCT(AdjustRequest, (), (warehouse_id, item_id, delta, reason))
BOOST_DESCRIBE_STRUCT(ReserveRequest, (), (work_order_id, warehouse_id, item_id, qty))
BOOST_DESCRIBE_STRUCT(ReleaseRequest, (), (reservation_id, reason))
BOOST_DESCRIBE_STRUCT(ReleaseOrderRequest, (), (work_order_id))
BOOST_DESCRIBE_STRUCT(CountLine, (), (item_id, counted))
BOOST_DESCRIBE_STRUCT(StocktakeRequest, (), (warehouse_id, lines, reason))
BOOST_DESCRIBE_STRUCT(StocktakeLine, (), (item_id, item_code, book, counted, difference, move_id))
BOOST_DESCRIBE_STRUCT(StocktakeReport, (),
                      (stocktake_id, warehouse_id, lines, differences, net_difference))
BOOST_DESCRIBE_STRUCT(ReorderLine, (),
                      (item_id, item_code, item_name, available, reorder_point, reorder_qty))
BOOST_DESCRIBE_STRUCT(ReservationList, (), (reservations))

// ---- events (published on store.events(), delivered after commit) ----

struct StockMoved {
  static constexpr std::string_view aggregate = "inventory_item";  // durable: in the event log
  Id aggregate_id() const { return move.item_id; }
  StockMove move;
};
struct StockReserved {
  static constexpr std::string_view aggregate =
      "inventory_reservation";  // durable: in the event log
  Id aggregate_id() const { return reservation.id; }
  Reservation reservation;
};
struct ReservationReleased {
  static constexpr std::string_view aggregate =
      "inventory_reservation";  // durable: in the event log
  Id aggregate_id() const { return reservation.id; }
  Reservation reservation;
  std::int64_t released_qty = 0;  // what went back to available stock
};
/// The item's available quantity over all warehouses crossed its reorder point going down.
struct ReorderPointReached {
  static constexpr std::string_view aggregate = "inventory_item";  // durable: in the event log
  Id aggregate_id() const { return line.item_id; }
  ReorderLine line;
};
BOOST_DESCRIBE_STRUCT(StockMoved, (), (move))
BOOST_DESCRIBE_STRUCT(StockReserved, (), (reservation))
BOOST_DESCRIBE_STRUCT(ReservationReleased, (), (reservation, released_qty))
BOOST_DESCRIBE_STRUCT(ReorderPointReached, (), (line))

// ---- the service ----

class HOUQIN_EXPORT Inventory {
 public:
  explicit Inventory(store::Store& store) : store_(store) {}

  Warehouse create_warehouse(const auth::Actor& actor, Warehouse warehouse);
  Item create_item(const auth::Actor& actor, Item item);
  /// Changes an item's name, unit, category or reorder policy (optimistic version check).
  Item update_item(const auth::Actor& actor, Item item);

  StockMove receive(const auth::Actor& actor, const ReceiveRequest& request);
  /// Error(failed_precondition) "insufficient stock ..." when the available quantity (or the
  /// reservation's remainder) is smaller than asked; nothing changes then.
  StockMove issue(const auth::Actor& actor, const IssueRequest& request);
  StockMove transfer(const auth::Actor& actor, const TransferRequest& request);
  StockMove adjust(const auth::Actor& actor, const AdjustRequest& request);

  Reservation reserve(const auth::Actor& actor, const ReserveRequest& request);
  /// Returns what the reservation still held to available stock; it becomes released.
  Reservation release(const auth::Actor& actor, const ReleaseRequest& request);
  /// Releases every open reservation of a work order: what the lead wires to repair's "work
  /// order closed" (and cancelled) event. Returns the reservations released (none is fine).
  std::vector<Reservation> release_reservations(const auth::Actor& actor, Id work_order_id);

  /// Compares the counts with the book and writes one adjust move per difference, all in one
  /// transaction; a count below what is reserved is refused (release first).
  StocktakeReport stocktake(const auth::Actor& actor, const StocktakeRequest& request);

  // ---- queries (no personal data; not audited) ----
  std::optional<Stock> stock(Id warehouse_id, Id item_id);
  /// qty - reserved over every warehouse.
  std::int64_t available(Id item_id);
  std::vector<ReorderLine> below_reorder_point();
  std::vector<Reservation> reservations(Id work_order_id);
  std::vector<StockMove> moves(Id item_id);

 private:
  store::Store& store_;
};

}  // namespace houqin::inventory
