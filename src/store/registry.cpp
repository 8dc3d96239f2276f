#include "houqin/store/registry.hpp"

namespace houqin::store {

const EntityOps& EntityRegistry::at(std::string_view name) const {
  auto it = ops_.find(name);
  if (it == ops_.end()) {
    std::string known;
    for (const auto& [k, v] : ops_) known += (known.empty() ? "" : ", ") + k;
    fail(ErrorCode::not_found, "unknown entity '" + std::string(name) + "' (known: " + known + ")");
  }
  return it->second;
}

std::vector<std::string> EntityRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : ops_) out.push_back(k);
  return out;
}

EntityRegistry& entities() {
  static EntityRegistry registry;
  return registry;
}

}  // namespace houqin::store
