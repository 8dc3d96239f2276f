// The whole platform at once: every domain's migrations in dependency order, for hosts that want
// all of houqin in one database (the C ABI and Python open stores this way).
#pragma once

#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/store/migration.hpp"

namespace houqin {

/// site, audit, auth, ... : each domain after the domains its tables reference.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

}  // namespace houqin
