// Spare parts and materials (物资): warehouses, items with their reorder policy, stock per
// warehouse and item, the append-only journal of stock moves, reservations for work orders and
// stock-takes. Quantities are whole units of the item's unit (pieces, metres, litres as counted).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::inventory {

/// receive = stock in, issue = stock out (to a work order or a department), transfer between two
/// warehouses, adjust = a correction (stock-take difference, damage, found stock).
BOOST_DEFINE_ENUM_CLASS(MoveKind, receive, issue, transfer, adjust)

BOOST_DEFINE_ENUM_CLASS(ReservationState, open, fulfilled, released)

struct Warehouse {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::optional<Id> room_id;
  std::optional<Id> department_id;  // the owning department: scopes inventory permissions
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

struct Item {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;
  std::string name;
  std::string unit = "pcs";
  std::string category;  // an equipment_category or material code, free text
  /// When the available quantity of the item over all warehouses falls to or below this, a
  /// ReorderPointReached event is published (only when reorder_qty > 0: no policy otherwise).
  std::int64_t reorder_point = 0;
  std::int64_t reorder_qty = 0;  // how much to order then
  bool active = true;
  HOUQIN_EXPORT void validate() const;
};

/// What one warehouse holds of one item. `reserved` is the part promised to open reservations;
/// available = qty - reserved. Invariant, kept by conditional updates in the database itself:
/// 0 <= reserved <= qty.
struct Stock {
  Id id = 0;
  std::int64_t version = 0;
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
  std::int64_t reserved = 0;
};

/// One line of the stock journal; never changed after it is written.
struct StockMove {
  Id id = 0;
  std::int64_t version = 0;
  MoveKind kind = MoveKind::receive;
  Id item_id = 0;
  Id warehouse_id = 0;                // where stock came in (receive), went out (issue,
                                      // transfer) or was corrected (adjust)
  std::optional<Id> to_warehouse_id;  // transfer only
  std::int64_t qty = 0;               // > 0; for adjust the signed correction
  std::string reason;
  std::string actor;  // the audit label, e.g. "user:alice"
  Timestamp time{};
  std::optional<Id> work_order_id;  // repair's work order, by id only
  std::optional<Id> reservation_id;
  std::optional<Id> stocktake_id;
  std::string reference;  // delivery note, invoice, ... (free text)
};

/// Stock set aside for a work order: reserved now, issued as it is used, released when the order
/// closes (or earlier). qty - issued is still held while the reservation is open.
struct Reservation {
  Id id = 0;
  std::int64_t version = 0;
  Id work_order_id = 0;
  Id warehouse_id = 0;
  Id item_id = 0;
  std::int64_t qty = 0;
  std::int64_t issued = 0;
  ReservationState state = ReservationState::open;
  std::string actor;
  Timestamp created_at{};
  std::optional<Timestamp> closed_at;
};

/// One count of one warehouse; its differences become adjust moves that name it.
struct Stocktake {
  Id id = 0;
  std::int64_t version = 0;
  Id warehouse_id = 0;
  std::string actor;
  Timestamp time{};
  std::string reason;
  std::int64_t lines = 0;
  std::int64_t differences = 0;
};

BOOST_DESCRIBE_STRUCT(Warehouse, (), (id, version, code, name, room_id, department_id, active))
BOOST_DESCRIBE_STRUCT(Item, (),
                      (id, version, code, name, unit, category, reorder_point, reorder_qty, active))
BOOST_DESCRIBE_STRUCT(Stock, (), (id, version, warehouse_id, item_id, qty, reserved))
BOOST_DESCRIBE_STRUCT(StockMove, (),
                      (id, version, kind, item_id, warehouse_id, to_warehouse_id, qty, reason,
                       actor, time, work_order_id, reservation_id, stocktake_id, reference))
BOOST_DESCRIBE_STRUCT(Reservation, (),
                      (id, version, work_order_id, warehouse_id, item_id, qty, issued, state, actor,
                       created_at, closed_at))
BOOST_DESCRIBE_STRUCT(Stocktake, (),
                      (id, version, warehouse_id, actor, time, reason, lines, differences))

}  // namespace houqin::inventory

template <>
struct houqin::entity_traits<houqin::inventory::Warehouse> {
  static constexpr std::string_view table = "inventory_warehouse";
  static constexpr std::string_view collection = "warehouses";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<site::Room>(&inventory::Warehouse::room_id),
                 ref<site::Department>(&inventory::Warehouse::department_id)};
};

template <>
struct houqin::entity_traits<houqin::inventory::Item> {
  static constexpr std::string_view table = "inventory_item";
  static constexpr std::string_view collection = "items";
  static constexpr std::array<std::string_view, 1> unique{"code"};
};

template <>
struct houqin::entity_traits<houqin::inventory::Stock> {
  static constexpr std::string_view table = "inventory_stock";
  static constexpr std::string_view collection = "stock";
  static constexpr std::array<std::string_view, 1> unique{"warehouse_id,item_id"};
  static constexpr auto references =
      std::tuple{ref<inventory::Warehouse>(&inventory::Stock::warehouse_id),
                 ref<inventory::Item>(&inventory::Stock::item_id)};
};

template <>
struct houqin::entity_traits<houqin::inventory::StockMove> {
  static constexpr std::string_view table = "inventory_stock_move";
  static constexpr std::string_view collection = "stock_moves";
  static constexpr auto references =
      std::tuple{ref<inventory::Item>(&inventory::StockMove::item_id),
                 ref<inventory::Warehouse>(&inventory::StockMove::warehouse_id),
                 ref<inventory::Warehouse>(&inventory::StockMove::to_warehouse_id)};
};

template <>
struct houqin::entity_traits<houqin::inventory::Reservation> {
  static constexpr std::string_view table = "inventory_reservation";
  static constexpr std::string_view collection = "reservations";
  static constexpr auto references =
      std::tuple{ref<inventory::Warehouse>(&inventory::Reservation::warehouse_id),
                 ref<inventory::Item>(&inventory::Reservation::item_id)};
};

template <>
struct houqin::entity_traits<houqin::inventory::Stocktake> {
  static constexpr std::string_view table = "inventory_stocktake";
  static constexpr std::string_view collection = "stocktakes";
  static constexpr auto references =
      std::tuple{ref<inventory::Warehouse>(&inventory::Stocktake::warehouse_id)};
};

// Instantiated once, in libhouqin (src/inventory/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::inventory::Warehouse)
HOUQIN_EXTERN_ENTITY(houqin::inventory::Item)
HOUQIN_EXTERN_ENTITY(houqin::inventory::Stock)
HOUQIN_EXTERN_ENTITY(houqin::inventory::StockMove)
HOUQIN_EXTERN_ENTITY(houqin::inventory::Reservation)
HOUQIN_EXTERN_ENTITY(houqin::inventory::Stocktake)
