// SampleStore queries: a point's stored blocks (from the backend), its closed blocks waiting to
// be written and its open block, merged in time order and decoded into caller columns.
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

Series SampleStore::Impl::query(Id point, Micros from, Micros to) {
  Series out;
  fetch_rows(point, from, to);
  std::size_t most = 0;
  for (const auto& r : rows) most += r.count;
  out.resize(most);
  out.resize(decode_rows(from, to, out.buffers()));
  return out;
}

std::size_t SampleStore::Impl::query(Id point, Micros from, Micros to, const ColumnBuffers& out) {
  fetch_rows(point, from, to);
  return decode_rows(from, to, out);
}

void SampleStore::Impl::fetch_rows(Id point, Micros from, Micros to) {
  fetch_stored_rows(point, from, to);
  keep_unwritten_rows(point, from, to);
}

void SampleStore::Impl::fetch_stored_rows(Id point, Micros from, Micros to, std::size_t limit,
                                          bool by_start) {
  rows.clear();
  row_data.clear();
  if (pg)
    fetch_rows_pg(point, from, to, limit, by_start);
  else
    fetch_rows_sqlite(point, from, to, limit, by_start);
}

void SampleStore::Impl::keep_unwritten_rows(Id point, Micros from, Micros to) {
  // pending and open blocks of the point, newest last
  for (const auto& b : pending)
    if (b.point_id == point && b.start < to && b.end >= from)
      keep_row(b.start, b.end, b.count, arena.data() + b.offset, b.size);
  if (auto i = index.find(point); i != PointIndex::npos) {
    const auto& blk = points[i].block;
    if (!blk.empty() && blk.start() < to && blk.last_time() >= from) {
      blob_scratch.clear();
      blk.finish(blob_scratch);
      keep_row(blk.start(), blk.last_time(), blk.count(), blob_scratch.data(), blob_scratch.size());
    }
  }
}

std::size_t SampleStore::Impl::decode_rows(Micros from, Micros to, const ColumnBuffers& out) {
  std::size_t total = 0, cap = out.capacity();
  for (const auto& r : rows) {
    std::span<const std::uint8_t> blob(row_data.data() + r.offset, r.size);
    bool whole = r.start >= from && r.end < to;
    if (whole && total + r.count <= cap) {
      decode_block(blob, {out.times.subspan(total), out.values.subspan(total),
                          out.qualities.subspan(total), out.flags.subspan(total)});
      total += r.count;
      continue;
    }
    if (scratch.size() < r.count) scratch.resize(r.count);
    decode_block(blob, scratch.buffers());
    for (std::uint32_t i = 0; i < r.count; ++i) {
      Micros t = scratch.times[i];
      if (t < from || t >= to) continue;
      if (total < cap) {
        out.times[total] = t;
        out.values[total] = scratch.values[i];
        out.qualities[total] = scratch.qualities[i];
        out.flags[total] = scratch.flags[i];
      }
      ++total;
    }
  }
  return total;
}

}  // namespace houqin::telemetry
