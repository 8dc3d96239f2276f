// The SampleStore facade: each public function hands over to the Impl member of its concern
// (impl.hpp says which file holds which). Here too: the points and their classes, the opening
// sequence (option checks, stored ends, replay, flush) and flush itself.
#include "houqin/telemetry/storage.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

SampleStore::Impl::Impl(store::Store& s, SampleStoreOptions o)
    : store(s), options(std::move(o)), wal(options) {
  pg = store.dialect() == store::Dialect::postgresql;
  classes.push_back({"default", 0});
}

std::uint16_t SampleStore::Impl::class_of(std::string_view name) {
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == name) return static_cast<std::uint16_t>(i);
  classes.push_back({std::string(name), 0});
  return static_cast<std::uint16_t>(classes.size() - 1);
}

void SampleStore::Impl::configure(const PointStorage& cfg) {
  std::uint32_t i = index.find(cfg.point_id);
  if (i == PointIndex::npos) {
    // The index numbers points densely in the order they come: the slot is the next position.
    i = index.insert(cfg.point_id);
    points.emplace_back();
    points.back().id = cfg.point_id;
    gates.emplace_back();
    gates.back().id = cfg.point_id;
    points.back().block.reset(cfg.resolution);
  }
  Point& p = points[i];
  p.resolution = cfg.resolution;
  p.point_class = class_of(cfg.point_class);
  if (p.block.empty()) p.block.reset(cfg.resolution);
}

void SampleStore::Impl::load_stored_ends(Id only) {
  std::string sql = "SELECT point_id, MAX(end_us) FROM telemetry_block";
  if (only) sql += " WHERE point_id = " + std::to_string(only);
  sql += " GROUP BY point_id";
  for (auto [id, end] : pg ? stored_ends_pg(sql) : stored_ends_sqlite(sql)) {
    auto i = index.find(id);
    if (i != PointIndex::npos && end != std::numeric_limits<Micros>::max())
      gates[i].floor = std::max(gates[i].floor, end + 1);
  }
}

void SampleStore::Impl::flush() {
  close_all();
  write_pending();
  if (wal.enabled()) wal.restart();
}

SampleStore::SampleStore(store::Store& store, std::span<const PointStorage> points,
                         SampleStoreOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {
  auto& d = *impl_;
  if (!store.table_exists("telemetry_block"))
    fail(ErrorCode::failed_precondition,
         "telemetry_block: table missing (apply telemetry::storage_migrations())");
  if (d.options.max_block_bytes < 64 || d.options.max_block_bytes > (1u << 20))
    fail(ErrorCode::invalid_argument, "max_block_bytes: must be 64 .. 1 MiB");
  if (d.options.max_block_span.count() <= 0)
    fail(ErrorCode::invalid_argument, "max_block_span: must be positive");
  if (d.options.compact_span < std::chrono::minutes(1) ||
      d.options.compact_span > std::chrono::hours(24 * 7))
    fail(ErrorCode::invalid_argument, "compact_span: must be 1 minute .. 7 days");
  if (d.options.max_compact_samples < 1024)
    fail(ErrorCode::invalid_argument, "max_compact_samples: must be at least 1024");
  for (const auto& r : d.options.retention) {
    try {
      d.set_retention(r.point_class, r.keep);
    } catch (const Error& e) {
      fail(e.code(), "retention: " + r.point_class + ": " + e.what());
    }
  }
  d.points.reserve(points.size());
  d.gates.reserve(points.size());
  for (const auto& p : points) d.configure(p);
  d.load_stored_ends();
  if (d.wal.enabled()) {
    std::filesystem::create_directories(d.options.wal_dir);
    d.wal.replay([&d](std::span<const Sample> record) { d.replay_record(record); });
    d.flush();  // replayed samples become blocks; starts a fresh segment
  }
}

SampleStore::~SampleStore() {
  try {
    impl_->flush();
  } catch (...) {  // the write-ahead log still holds everything
  }
}

void SampleStore::configure(const PointStorage& point) {
  bool known = impl_->index.find(point.point_id) != PointIndex::npos;
  impl_->configure(point);
  if (!known) impl_->load_stored_ends(point.point_id);  // data from an earlier run
}

void SampleStore::append(std::span<const Sample> samples) {
  if (samples.empty()) return;
  impl_->append(samples);
}

void SampleStore::flush() {
  impl_->flush();
}

Series SampleStore::query(Id point, Micros from, Micros to) {
  return impl_->query(point, from, to);
}

std::size_t SampleStore::query(Id point, Micros from, Micros to, const ColumnBuffers& out) {
  return impl_->query(point, from, to, out);
}

std::vector<Rollup> SampleStore::rollups(Id point, Micros from, Micros to, Micros step) {
  return std::move(impl_->rollups({&point, 1}, from, to, step).front());
}

std::vector<std::vector<Rollup>> SampleStore::rollups(std::span<const Id> points, Micros from,
                                                      Micros to, Micros step) {
  return impl_->rollups(points, from, to, step);
}

CompactionResult SampleStore::compact(std::size_t max_windows, bool final) {
  return impl_->compact(max_windows, final);
}

void SampleStore::note_compaction_failure(std::string error) {
  ++impl_->counters.compaction_failures;
  impl_->counters.last_compaction_error = std::move(error);
}

void SampleStore::note_retention_failure(std::string error) {
  ++impl_->counters.retention_failures;
  impl_->counters.last_retention_error = std::move(error);
}

bool SampleStore::has_retention() const noexcept {
  for (const auto& c : impl_->classes)
    if (c.keep) return true;
  return false;
}

void SampleStore::set_retention(std::string_view point_class, std::chrono::hours keep) {
  impl_->set_retention(point_class, keep);
}

RetentionResult SampleStore::apply_retention() {
  return impl_->apply_retention();
}

SampleStoreStats SampleStore::stats() const {
  const auto& d = *impl_;
  SampleStoreStats s = d.counters;
  s.points = d.points.size();
  s.pending_bytes = d.arena.size();
  s.memory_bytes = d.points.capacity() * sizeof(Impl::Point) +
                   d.gates.capacity() * sizeof(Impl::Gate) + d.index.heap_bytes();
  for (const auto& p : d.points) {
    s.open_samples += p.block.count();
    s.memory_bytes += p.block.heap_bytes();
  }
  for (const auto& c : d.classes) s.memory_bytes += sizeof c + c.name.capacity();
  return s;
}

}  // namespace houqin::telemetry
