// The asset domain's operations in the service registry.
#include <array>
#include <string_view>
#include "houqin/asset/ledger.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::asset {
namespace {

struct AssetId {
  static constexpr std::array<std::string_view, 1> required_fields{"asset_id"};
  Id asset_id = 0;
};
struct Period {
  static constexpr std::array<std::string_view, 2> required_fields{"from", "to"};
  Timestamp from{};
  Timestamp to{};
};
struct Faults {
  std::vector<Fault> faults;
};
BOOST_DESCRIBE_STRUCT(AssetId, (), (asset_id))
BOOST_DESCRIBE_STRUCT(Period, (), (from, to))
BOOST_DESCRIBE_STRUCT(Faults, (), (faults))

using service::Context;
using service::define;

[[maybe_unused]] const bool operations_registered[] = {
    define<Asset>(
        "asset.register", "asset.edit", "Add an asset to the ledger; returns it with its id",
        [](Context& c, const Asset& in) { return Ledger(c.store).register_asset(c.actor, in); }),
    define<EventRequest>("asset.event", "asset.edit",
                         "Record a lifecycle event (installed ... scrapped); returns the event",
                         [](Context& c, const EventRequest& in) {
                           return Ledger(c.store).record_event(c.actor, in);
                         }),
    define<FaultRequest>("asset.report_fault", "asset.edit",
                         "Open a fault: the asset goes down (or into maintenance); returns it",
                         [](Context& c, const FaultRequest& in) {
                           return Ledger(c.store).report_fault(c.actor, in);
                         }),
    define<CloseFaultRequest>("asset.close_fault", "asset.edit",
                              "End a fault: the asset is back in service; returns the fault",
                              [](Context& c, const CloseFaultRequest& in) {
                                return Ledger(c.store).close_fault(c.actor, in);
                              }),
    define<CloseOrderFaultsRequest>(
        "asset.close_work_order_faults", "asset.edit",
        "End every open fault of a work order (on completion); returns them",
        [](Context& c, const CloseOrderFaultsRequest& in) {
          return Faults{Ledger(c.store).close_work_order_faults(c.actor, in)};
        }),
    define<ReliabilityRequest>(
        "asset.reliability", "",
        "MTBF, MTTR and availability of one asset or one category over a period",
        [](Context& c, const ReliabilityRequest& in) { return Ledger(c.store).reliability(in); }),
    define<Period>("asset.reliability_by_category", "",
                   "MTBF, MTTR and availability of every category over a period",
                   [](Context& c, const Period& in) {
                     return ReliabilityList{
                         Ledger(c.store).reliability_by_category(in.from, in.to)};
                   }),
    define<AssetId>(
        "asset.archive", "", "The full history of one asset: the asset, its events and its faults",
        [](Context& c, const AssetId& in) { return Ledger(c.store).archive(in.asset_id); }),
};

}  // namespace
}  // namespace houqin::asset
