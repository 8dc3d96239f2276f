#include "houqin/platform.hpp"

#include "houqin/asset/ledger.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/storage.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out;
  // Each domain after the domains its tables reference.
  for (auto list : {site::migrations(), audit::migrations(), auth::migrations(),
                    drivers::migrations(), inventory::migrations(), asset::migrations(),
                    notify::migrations(), repair::migrations(), telemetry::storage_migrations(),
                    telemetry::alarm_migrations(), wiring::migrations(), host::migrations()})
    out.insert(out.end(), list.begin(), list.end());
  return out;
}

std::unique_ptr<host::Host> make_host(store::Store& store, const HostConfig& config) {
  auto h = std::make_unique<host::Host>(store, config.host);
  wiring::install(*h, wiring::actor(), config.wiring);
  return h;
}

}  // namespace houqin
