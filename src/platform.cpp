#include "houqin/platform.hpp"

#include "houqin/asset/ledger.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin {

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out;
  for (auto list :
       {site::migrations(), audit::migrations(), auth::migrations(), drivers::migrations(),
        inventory::migrations(), asset::migrations(), notify::migrations()})
    out.insert(out.end(), list.begin(), list.end());
  auto alarms = telemetry::alarm_migrations();  // domain telemetry_alarms
  out.insert(out.end(), alarms.begin(), alarms.end());
  return out;
}

}  // namespace houqin
