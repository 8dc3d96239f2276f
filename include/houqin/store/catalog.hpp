// Every table the library (and a host that registers its own) stores, known at load time, so
// whole-database tools -- backup and restore, key rotation, integrity checks -- work on all
// domains without a list kept by hand. Domains register their entities once, beside them:
//
//   const bool registered = store::register_tables<Campus, Building, Floor>("site");
#pragma once

#include <string>
#include <vector>

#include "houqin/store/schema.hpp"

namespace houqin::store {

struct CatalogEntry {
  std::string domain;
  const TableInfo* table = nullptr;
};

HOUQIN_EXPORT void register_table(std::string domain, const TableInfo& table);

template <Entity... Ts>
bool register_tables(std::string domain) {
  (register_table(domain, table_info<Ts>()), ...);
  return true;
}

/// Every registered table, each after the tables it references (then by name): the order to
/// insert in; delete in reverse.
HOUQIN_EXPORT std::vector<CatalogEntry> catalog();

}  // namespace houqin::store
