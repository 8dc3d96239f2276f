#include "houqin/platform.hpp"

#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/telemetry/storage.hpp"

namespace houqin {

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out;
  for (auto list : {site::migrations(), audit::migrations(), auth::migrations(),
                    drivers::migrations(), telemetry::storage_migrations()})
    out.insert(out.end(), list.begin(), list.end());
  return out;
}

}  // namespace houqin
