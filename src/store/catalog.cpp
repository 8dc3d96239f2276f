#include "houqin/store/catalog.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace houqin::store {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, CatalogEntry> by_table;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_table(std::string domain, const TableInfo& table) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.by_table[table.name] = CatalogEntry{std::move(domain), &table};
}

std::vector<CatalogEntry> catalog() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<CatalogEntry> out;
  std::set<std::string> placed;
  // Repeatedly place tables whose references are placed (or unknown, or themselves).
  while (out.size() < r.by_table.size()) {
    bool progress = false;
    for (const auto& [name, entry] : r.by_table) {
      if (placed.count(name)) continue;
      bool ready = std::all_of(
          entry.table->references.begin(), entry.table->references.end(), [&](const auto& fk) {
            return fk.table == name || placed.count(fk.table) || !r.by_table.count(fk.table);
          });
      if (!ready) continue;
      out.push_back(entry);
      placed.insert(name);
      progress = true;
    }
    if (!progress)  // a cycle between tables: place the rest by name
      for (const auto& [name, entry] : r.by_table)
        if (placed.insert(name).second) out.push_back(entry);
  }
  return out;
}

}  // namespace houqin::store
