// The inventory domain's operations in the service registry.
#include "houqin/inventory/inventory.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::inventory {
namespace {

struct ReorderList {
  std::vector<ReorderLine> items;
};
struct Released {
  std::vector<Reservation> reservations;
};
BOOST_DESCRIBE_STRUCT(ReorderList, (), (items))
BOOST_DESCRIBE_STRUCT(Released, (), (reservations))

using service::Context;
using service::define;

[[maybe_unused]] const bool operations_registered[] = {
    define<Warehouse>("inventory.create_warehouse", "inventory.edit",
                      "Create a warehouse; returns it with its id",
                      [](Context& c, const Warehouse& in) {
                        return Inventory(c.store).create_warehouse(c.actor, in);
                      }),
    define<Item>(
        "inventory.create_item", "inventory.edit", "Create a stock item; returns it with its id",
        [](Context& c, const Item& in) { return Inventory(c.store).create_item(c.actor, in); }),
    define<ReceiveRequest>("inventory.receive", "inventory.edit",
                           "Receive stock into a warehouse; returns the stock move",
                           [](Context& c, const ReceiveRequest& in) {
                             return Inventory(c.store).receive(c.actor, in);
                           }),
    define<IssueRequest>(
        "inventory.issue", "inventory.issue",
        "Issue stock (from available stock or a reservation); returns the stock move",
        [](Context& c, const IssueRequest& in) { return Inventory(c.store).issue(c.actor, in); }),
    define<TransferRequest>("inventory.transfer", "inventory.edit",
                            "Move stock between warehouses; returns the stock move",
                            [](Context& c, const TransferRequest& in) {
                              return Inventory(c.store).transfer(c.actor, in);
                            }),
    define<AdjustRequest>(
        "inventory.adjust", "inventory.edit",
        "Correct a stock quantity with a reason; returns the stock move",
        [](Context& c, const AdjustRequest& in) { return Inventory(c.store).adjust(c.actor, in); }),
    define<ReserveRequest>("inventory.reserve", "inventory.issue",
                           "Reserve stock for a work order; returns the reservation",
                           [](Context& c, const ReserveRequest& in) {
                             return Inventory(c.store).reserve(c.actor, in);
                           }),
    define<ReleaseRequest>("inventory.release", "inventory.issue",
                           "Release what a reservation still holds; returns the reservation",
                           [](Context& c, const ReleaseRequest& in) {
                             return Inventory(c.store).release(c.actor, in);
                           }),
    define<ReleaseOrderRequest>(
        "inventory.release_order", "inventory.issue",
        "Release every open reservation of a work order (on close); returns them",
        [](Context& c, const ReleaseOrderRequest& in) {
          return Released{Inventory(c.store).release_reservations(c.actor, in.work_order_id)};
        }),
    define<StocktakeRequest>("inventory.stocktake", "inventory.edit",
                             "Reconcile a count sheet; returns the differences and their moves",
                             [](Context& c, const StocktakeRequest& in) {
                               return Inventory(c.store).stocktake(c.actor, in);
                             }),
    define<service::NoInput>("inventory.reorder_list", "",
                             "Items at or below their reorder point, with the quantity to order",
                             [](Context& c, const service::NoInput&) {
                               return ReorderList{Inventory(c.store).below_reorder_point()};
                             }),
};

}  // namespace
}  // namespace houqin::inventory
