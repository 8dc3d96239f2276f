#include "houqin/telemetry/point_index.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "houqin/core/error.hpp"

namespace houqin::telemetry {

void PointIndex::build(std::span<const Id> ids) {
  direct_.clear();
  keys_.clear();
  values_.clear();
  size_ = 0;
  max_id_ = 0;
  Id max_id = 0;
  for (Id id : ids) {
    if (id <= 0)
      fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(id));
    max_id = std::max(max_id, id);
  }
  layout(ids.size(), max_id);
  for (Id id : ids) {
    if (find(id) != npos)
      fail(ErrorCode::invalid_argument, "point " + std::to_string(id) + ": configured twice");
    put(id, static_cast<std::uint32_t>(size_++));
  }
}

std::uint32_t PointIndex::insert(Id id) {
  if (id <= 0)
    fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(id));
  if (find(id) != npos)
    fail(ErrorCode::invalid_argument, "point " + std::to_string(id) + ": configured twice");
  const std::size_t count = size_ + 1;
  const Id max_id = std::max(max_id_, id);
  if (!direct_.empty() && dense(max_id, count)) {
    // std::vector grows its capacity geometrically: ids added in rising order cost O(1) each.
    if (static_cast<std::uint64_t>(id) >= direct_.size())
      direct_.resize(static_cast<std::size_t>(id) + 1, npos);
  } else if (!direct_.empty() || keys_.empty() || count * 2 > keys_.size()) {
    // Too sparse for the direct table, or the hash table would pass half full (the layout is
    // chosen again, so ids that became dense go back to a direct table).
    layout(count, max_id);
  }
  auto slot = static_cast<std::uint32_t>(size_++);
  put(id, slot);
  return slot;
}

void PointIndex::layout(std::size_t count, Id max_id) {
  std::vector<std::pair<Id, std::uint32_t>> kept;
  kept.reserve(size_);
  for (std::size_t u = 0; u < direct_.size(); ++u)
    if (direct_[u] != npos) kept.emplace_back(static_cast<Id>(u), direct_[u]);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] != 0) kept.emplace_back(keys_[i], values_[i]);
  // Swapped with empty vectors, not cleared: the old layout's memory goes back.
  std::vector<std::uint32_t>().swap(direct_);
  std::vector<Id>().swap(keys_);
  std::vector<std::uint32_t>().swap(values_);
  if (dense(max_id, count)) {
    // Store ids are mostly dense: a direct table costs 4 bytes per id up to the largest.
    direct_.assign(static_cast<std::size_t>(max_id) + 1, npos);
  } else {
    std::size_t cap = 16;
    while (cap < count * 2) cap *= 2;
    keys_.assign(cap, 0);
    values_.assign(cap, npos);
  }
  for (auto [id, slot] : kept) put(id, slot);
}

void PointIndex::put(Id id, std::uint32_t slot) noexcept {
  max_id_ = std::max(max_id_, id);
  if (!direct_.empty()) {
    direct_[static_cast<std::size_t>(id)] = slot;
    return;
  }
  std::size_t mask = keys_.size() - 1;
  std::size_t j = hash(id) & mask;
  while (keys_[j] != 0) j = (j + 1) & mask;
  keys_[j] = id;
  values_[j] = slot;
}

}  // namespace houqin::telemetry
