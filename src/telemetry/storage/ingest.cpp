// SampleStore's hot path: a batch is validated, logged, added to the open blocks; full blocks
// close (with their statistics and rollups) and wait, then go to the database in batches. Every
// per-sample loop of append() is in this file, so nothing per sample crosses into another one.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

void SampleStore::Impl::validate(std::span<const Sample> samples) {
  if (++epoch == 0) {  // wrapped: clear every stale mark
    for (auto& g : gates) g.epoch = 0;
    epoch = 1;
  }
  if (which.size() < samples.size()) which.resize(samples.size());
  const std::size_t n = gates.size();
  std::uint32_t guess = n ? gates[last_point < n ? last_point : 0].next : 0;
  std::uint32_t prev = PointIndex::npos;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const Sample& s = samples[k];
    // Batches usually list the points in the same order each time: try the point that came
    // after the previous one last time before the index.
    std::uint32_t i = guess < n && gates[guess].id == s.point_id ? guess : index.find(s.point_id);
    if (i == PointIndex::npos)
      fail(ErrorCode::not_found,
           "point_id " + std::to_string(s.point_id) + ": not a configured telemetry point");
    if (prev != PointIndex::npos) gates[prev].next = i;
    prev = i;
    Gate& p = gates[i];
    guess = p.next;
    if (p.epoch != epoch) {
      p.epoch = epoch;
      p.check = p.floor;
    }
    if (s.time < p.check)
      fail(ErrorCode::invalid_argument, "time " + std::to_string(s.time) + " of point " +
                                            std::to_string(s.point_id) +
                                            " is before its previous or stored sample (" +
                                            std::to_string(p.check) + " at the earliest)");
    if (static_cast<unsigned>(s.flag) > static_cast<unsigned>(Flag::fail))
      fail(ErrorCode::invalid_argument, "flag " + std::to_string(static_cast<int>(s.flag)) +
                                            " of point " + std::to_string(s.point_id) +
                                            " is not a Flag");
    p.check = s.time;
    which[k] = i;
  }
  last_point = prev;
}

void SampleStore::Impl::append(std::span<const Sample> samples) {
  validate(samples);
  // The database has been away for as long as the waiting blocks may fill: write them before
  // accepting more, or refuse this append with nothing accepted (back-pressure).
  if (wal.is_open() && arena.size() >= options.max_pending_bytes) write_pending();
  if (wal.is_open()) wal.append(samples);
  // The open blocks are too many for the CPU cache (~700 bytes a point): fetch each point's
  // encoder a few samples ahead, and the end of its stream once the encoder is there.
  constexpr std::size_t ahead = 16;
  const std::size_t n = samples.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (k + 2 * ahead < n) {
      const auto* next = &points[which[k + 2 * ahead]];
      __builtin_prefetch(next, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(next) + 64, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(next) + 128, 1);
    }
    if (k + ahead < n) points[which[k + ahead]].block.prefetch();
    add(which[k], samples[k]);
  }
  counters.samples_appended += samples.size();
  // With a write-ahead log the closed blocks may wait (durable there) and go in batches.
  if (!wal.is_open())
    write_pending();
  else if (arena.size() >= options.write_batch_bytes)
    write_pending_or_wait();
  if (wal.is_open()) rotate_if_full();
}

void SampleStore::Impl::add(std::uint32_t i, const Sample& s) {
  Point& p = points[i];
  if (!p.block.empty() && s.time > p.block.last_time() &&
      (p.block.encoded_size() >= options.max_block_bytes ||
       static_cast<std::uint64_t>(s.time - p.block.start()) >=
           static_cast<std::uint64_t>(options.max_block_span.count())))
    close(p);
  if (p.block.empty()) {
    if (p.block.heap_bytes() == 0) p.block.reserve(options.max_block_bytes + 32);
    p.wal_segment = static_cast<std::uint32_t>(wal.seq());
  }
  p.block.append(s);
  gates[i].floor = s.time;
}

void SampleStore::Impl::close(Point& p) {
  using storage::RollupRow;
  std::size_t offset = arena.size();
  p.block.finish(arena);
  std::span<const std::uint8_t> blob(arena.data() + offset, arena.size() - offset);
  std::uint32_t n = p.block.count();
  if (scratch.size() < n) scratch.resize(n);
  decode_block(blob, scratch.buffers());
  // Sealed: re-encoded with what the whole block shows (docs/telemetry-storage.md, "Sealed
  // blocks"), kept when smaller; the streamed block stays where sealing does not apply.
  std::size_t streamed = blob.size();
  if (seal_block(std::span(scratch.times).first(n), std::span(scratch.values).first(n),
                 std::span(scratch.qualities).first(n), std::span(scratch.flags).first(n),
                 p.resolution, arena)) {
    std::size_t sealed = arena.size() - offset - streamed;
    if (sealed < streamed) {
      std::memmove(arena.data() + offset, arena.data() + offset + streamed, sealed);
      arena.resize(offset + sealed);
    } else {
      arena.resize(offset + streamed);
    }
  }
  storage::PendingBlock b{
      p.id,   p.block.start(),      p.block.last_time(), n, false, 0, 0, p.block.encoding(),
      offset, arena.size() - offset};
  // The hour buckets of the block's good samples (a block spans an hour or two at most).
  RollupRow h{p.id, 0, 0, 0, 0, 0};
  for (std::uint32_t i = 0; i < n; ++i) {
    double v = scratch.values[i];
    if (scratch.qualities[i] != quality_good || !std::isfinite(v)) continue;
    if (!b.has_range) {
      b.has_range = true;
      b.min = b.max = v;
    } else {
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
    }
    Micros t = scratch.times[i];
    // times only grow within a block: a division only when a new bucket starts
    if (h.count && static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(h.bucket) >=
                       static_cast<std::uint64_t>(storage::hour_us)) {
      rollup_hours.push_back(h);
      h.count = 0;
    }
    if (!h.count) {
      h.bucket = storage::floor_to(t, storage::hour_us);
      h.min = h.max = v;
      h.sum = 0;
    }
    h.min = std::min(h.min, v);
    h.max = std::max(h.max, v);
    h.sum += v;
    ++h.count;
  }
  if (h.count) rollup_hours.push_back(h);
  pending.push_back(b);
  pending_segment = std::min(pending_segment, p.wal_segment);
  p.block.reset(p.resolution);
}

void SampleStore::Impl::close_all() {
  for (std::size_t i = 0; i < points.size(); ++i) {
    Point& p = points[i];
    if (!p.block.empty()) {
      Micros end = p.block.last_time();
      close(p);
      gates[i].floor = end == std::numeric_limits<Micros>::max() ? end : end + 1;
    }
  }
}

void SampleStore::Impl::replay_record(std::span<const Sample> samples) {
  for (const auto& s : samples) {
    auto i = index.find(s.point_id);
    if (i == PointIndex::npos)
      fail(ErrorCode::failed_precondition, "telemetry write-ahead log holds samples of point " +
                                               std::to_string(s.point_id) +
                                               ", which is not configured");
    if (s.time < gates[i].floor) continue;  // already in a stored block
    add(i, s);
    ++counters.wal_samples_replayed;
  }
}

void SampleStore::Impl::write_pending() {
  if (pending.empty()) return;
  std::vector<Micros> created;
  store::Transaction tx(store);
  if (pg)
    write_blocks_pg(pending, arena, created);
  else
    insert_blocks_sqlite(pending, arena);
  write_rollups();
  tx.commit();
  partitions.insert(created.begin(), created.end());
  for (const auto& b : pending) {
    ++counters.blocks_written;
    counters.block_bytes_written += b.size;
    counters.samples_written += b.count;
  }
  pending.clear();
  pending_segment = std::numeric_limits<std::uint32_t>::max();
  arena.clear();
  rollup_hours.clear();
  if (arena.capacity() > (8u << 20)) arena.shrink_to_fit();  // after a big flush
}

void SampleStore::Impl::write_pending_or_wait() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_write_try) return;
  try {
    write_pending();
    write_backoff = std::chrono::milliseconds{0};
  } catch (const Error& e) {
    // The samples are in the log already: a database that is away or whose disk is full makes
    // them wait (and, past max_pending_bytes, refuses the next ones), it never fails this append.
    if (e.code() != ErrorCode::unavailable && e.code() != ErrorCode::resource_exhausted) throw;
    ++counters.write_failures;
    counters.last_write_error = e.what();
    write_backoff = std::clamp(write_backoff * 2, std::chrono::milliseconds{250},
                               std::chrono::milliseconds{8000});
    next_write_try = now + write_backoff;
  }
}

void SampleStore::Impl::rotate_if_full() {
  if (!wal.full()) return;
  wal.open_next();
  std::uint64_t needed = wal.seq();
  for (const auto& p : points)
    if (!p.block.empty()) needed = std::min<std::uint64_t>(needed, p.wal_segment);
  needed = std::min<std::uint64_t>(needed, pending_segment);  // closed, not yet written
  wal.remove_before(needed);
}

}  // namespace houqin::telemetry
