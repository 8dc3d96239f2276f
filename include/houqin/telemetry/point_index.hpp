// Point id -> dense slot, the lookup behind every per-point engine on the telemetry hot path
// (verification, alarms, sequence of events, the sample store): slots are 0, 1, 2 ... in the
// order ids were added, so each engine keeps its per-point state in plain arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"

namespace houqin::telemetry {

/// Maps point ids to dense slots: a direct table while the ids are dense (the largest at most
/// 8 times their count plus 4096, as store ids usually are), otherwise an open-addressing hash
/// table at most half full. Lookups never allocate.
class HOUQIN_EXPORT PointIndex {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  /// Replaces the contents: slots are the positions in `ids`; Error(invalid_argument) for a
  /// duplicate or non-positive id.
  void build(std::span<const Id> ids);
  /// Adds `id` with the next slot (size() before the call) and returns it; may move the table to
  /// the other layout or a bigger one (amortised constant time). Error(invalid_argument) for a
  /// duplicate or non-positive id, leaving the index as it was.
  std::uint32_t insert(Id id);

  std::uint32_t find(Id id) const noexcept {
    if (!direct_.empty()) {
      auto u = static_cast<std::uint64_t>(id);
      return u < direct_.size() ? direct_[u] : npos;
    }
    if (keys_.empty()) return npos;
    std::size_t mask = keys_.size() - 1;
    for (std::size_t i = hash(id) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == id) return values_[i];
      if (keys_[i] == 0) return npos;
    }
  }
  std::size_t size() const noexcept { return size_; }
  /// Heap bytes held by the tables (for a caller's memory accounting).
  std::size_t heap_bytes() const noexcept {
    return direct_.capacity() * sizeof(std::uint32_t) + keys_.capacity() * sizeof(Id) +
           values_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static std::size_t hash(Id id) noexcept {
    return static_cast<std::size_t>(static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ull >> 17);
  }
  static bool dense(Id max_id, std::size_t count) noexcept {
    return static_cast<std::uint64_t>(max_id) <= 8 * static_cast<std::uint64_t>(count) + 4096;
  }
  /// Re-lays the table out for `count` ids up to `max_id`, keeping every id's slot.
  HOUQIN_NO_EXPORT void layout(std::size_t count, Id max_id);
  /// Stores id -> slot; the table has room and does not hold `id`.
  HOUQIN_NO_EXPORT void put(Id id, std::uint32_t slot) noexcept;

  std::vector<std::uint32_t> direct_;
  std::vector<Id> keys_{};  // 0: an empty hash slot
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
  Id max_id_ = 0;
};

}  // namespace houqin::telemetry
