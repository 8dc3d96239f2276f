#include "houqin/power/soe.hpp"

#include <algorithm>
#include <cmath>

#include "houqin/store/repository.hpp"

namespace houqin::power {

void SoeRecorder::configure(std::span<const Id> points) {
  index_.build(points);
  state_.assign(points.size(), 0);
  time_.assign(points.size(), 0);
  known_.assign(points.size(), false);
}

void SoeRecorder::detect(std::span<const telemetry::Sample> samples, std::vector<SoeEvent>& out) {
  std::size_t begin = out.size();
  for (const auto& x : samples) {
    if (x.quality != telemetry::quality_good || x.flag == telemetry::Flag::fail ||
        !std::isfinite(x.value))
      continue;
    auto slot = index_.find(x.point_id);
    if (slot == telemetry::PointIndex::npos) continue;
    auto position = static_cast<std::int64_t>(std::llround(x.value));
    if (known_[slot]) {
      if (x.time < time_[slot]) continue;
      if (position != state_[slot])
        out.push_back({0, 0, x.point_id, x.time, state_[slot], position});
    }
    known_[slot] = true;
    state_[slot] = position;
    time_[slot] = x.time;
  }
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end(),
                   [](const SoeEvent& a, const SoeEvent& b) { return a.time_us < b.time_us; });
}

void SoeRecorder::persist(store::Store& store, std::span<SoeEvent> events) {
  if (events.empty()) return;
  store::Repository<SoeEvent>(store).insert_many(events);
}

std::vector<SoeEvent> SoeRecorder::read(store::Store& store, Id point_id, std::int64_t from_us) {
  store::Query<SoeEvent> q;
  if (point_id != 0) q.where(&SoeEvent::point_id, store::Op::eq, point_id);
  q.where(&SoeEvent::time_us, store::Op::ge, from_us)
      .order_by(&SoeEvent::time_us)
      .order_by(&SoeEvent::id);
  return store::Repository<SoeEvent>(store).find(q);
}

}  // namespace houqin::power
