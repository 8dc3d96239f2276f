// SampleStore compaction: a point's stored blocks resealed window by window into one block each
// (docs/telemetry-storage.md, "Compaction"). The blocks of a window that is over are read,
// decoded, sealed again as one and swapped for it in one transaction; telemetry_compaction
// remembers how far each point is done.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

std::optional<Micros> SampleStore::Impl::stored_value(const std::string& sql) {
  auto got = pg ? stored_ends_pg(sql) : stored_ends_sqlite(sql);
  if (got.empty()) return std::nullopt;
  return got.front().second;
}

CompactionResult SampleStore::Impl::compact(std::size_t max_windows, bool final) {
  constexpr Micros earliest = std::numeric_limits<Micros>::min();
  constexpr Micros latest = std::numeric_limits<Micros>::max();
  const Micros span = options.compact_span.count();
  CompactionResult result;
  if (compacted.size() < points.size()) {  // first call, or points added since: their marks
    std::map<Id, Micros> stored;
    for (auto [id, until] :
         pg ? stored_ends_pg("SELECT point_id, until_us FROM telemetry_compaction")
            : stored_ends_sqlite("SELECT point_id, until_us FROM telemetry_compaction"))
      stored[id] = until;
    for (std::size_t i = compacted.size(); i < points.size(); ++i)
      compacted.push_back(stored.count(points[i].id) ? stored[points[i].id] : earliest);
  }
  // Round robin from where the last bounded call stopped, each point once.
  std::size_t looked_at = 0;
  const std::size_t n = points.size();
  for (std::size_t k = 0; k < n && result.complete; ++k) {
    const std::size_t i = (compact_cursor + k) % n;
    const Point& p = points[i];
    const Micros from = compacted[i];
    // Nothing to do unless a window after the mark is over by the point's newest time known
    // here (its last sample, or past its stored end): no database read for an idle point.
    const Micros newest = gates[i].floor == latest ? latest : gates[i].floor + 1;
    if (!final && (newest < earliest + 2 * span ||
                   (from > earliest && storage::floor_to(newest, span) <= from)))
      continue;
    const std::string point = std::to_string(p.id);
    // Windows that end by the point's stored end are over: no sample can come into them now.
    auto last_end =
        stored_value("SELECT point_id, end_us FROM telemetry_block WHERE point_id = " + point +
                     " ORDER BY start_us DESC LIMIT 1");
    // (the ends of time are left alone: a window there would not fit in an int64)
    if (!last_end || *last_end == latest || *last_end < earliest + 2 * span) continue;
    const Micros limit = storage::floor_to(*last_end + 1, span);  // over: w + span <= limit
    Micros until = from;
    std::vector<Micros> created;  // PostgreSQL partitions, known once the transaction commits
    store::Transaction tx(store);
    while (true) {
      if (max_windows && looked_at >= max_windows) {
        result.complete = false;
        compact_cursor = i;  // the next call goes on with this point
        break;
      }
      auto first =
          stored_value("SELECT point_id, start_us FROM telemetry_block WHERE point_id = " + point +
                       " AND start_us >= " + std::to_string(until) + " ORDER BY start_us LIMIT 1");
      if (!first) break;
      if (*first < earliest + span) {
        until = earliest + span;
        continue;
      }
      const Micros window = storage::floor_to(*first, span);
      const bool over = window <= limit - span;
      if (!over && !final) break;
      ++looked_at;
      fetch_stored_rows(p.id, window, window + span, 0, true);
      if (rows.size() > 1) {
        try {
          reseal_window(p, window, created, result);
        } catch (const Error& e) {
          if (e.code() != ErrorCode::data_loss) throw;
          ++result.damaged_windows;  // its blocks stay as they are; queries name the damage
        }
      }
      if (!over) break;  // the last window: resealed again later if samples come into it
      until = window + span;
    }
    if (until != from)
      store.execute("INSERT INTO telemetry_compaction (point_id, until_us) VALUES (" + point +
                    ", " + std::to_string(until) +
                    ") ON CONFLICT (point_id) DO UPDATE SET until_us = excluded.until_us");
    tx.commit();
    compacted[i] = until;
    partitions.insert(created.begin(), created.end());
  }
  if (result.complete) compact_cursor = 0;
  counters.windows_compacted += static_cast<std::uint64_t>(result.windows);
  rows.clear();
  row_data.clear();
  return result;
}

void SampleStore::Impl::reseal_window(const Point& p, Micros window, std::vector<Micros>& created,
                                      CompactionResult& result) {
  std::size_t total = 0;
  for (const auto& r : rows) total += r.count;
  Series all;
  all.resize(total);
  std::size_t at = 0;
  std::int64_t bytes_before = 0;
  for (const auto& r : rows) {
    decode_block({row_data.data() + r.offset, r.size}, all.buffers(at));
    at += r.count;
    bytes_before += static_cast<std::int64_t>(r.size);
  }
  // Cut into blocks of at most max_compact_samples, never between two equal times (a block's
  // start is its key).
  std::vector<storage::PendingBlock> blocks;
  std::vector<std::uint8_t> data;
  const std::size_t most = options.max_compact_samples;
  for (std::size_t begin = 0; begin < total;) {
    std::size_t end = std::min(total, begin + most);
    while (end < total && all.times[end] == all.times[end - 1]) ++end;
    const std::size_t n = end - begin;
    const std::size_t offset = data.size();
    auto part = [&](auto& column) { return std::span(column).subspan(begin, n); };
    if (!seal_block(part(all.times), part(all.values), part(all.qualities), part(all.flags),
                    p.resolution, data, true)) {
      // no fixed resolution (or values off it): the streamed format, one header for the window
      BlockEncoder enc(p.resolution);
      for (std::size_t i = begin; i < end; ++i)
        enc.append(all.times[i], all.values[i], all.qualities[i], all.flags[i]);
      enc.finish(data);
    }
    storage::PendingBlock b{p.id,
                            all.times[begin],
                            all.times[end - 1],
                            static_cast<std::uint32_t>(n),
                            false,
                            0,
                            0,
                            Encoding::xor_float,
                            offset,
                            data.size() - offset};
    b.encoding = read_header({data.data() + offset, b.size}).encoding;
    for (std::size_t i = begin; i < end; ++i) {
      const double v = all.values[i];
      if (all.qualities[i] != quality_good || !std::isfinite(v)) continue;
      b.min = b.has_range ? std::min(b.min, v) : v;
      b.max = b.has_range ? std::max(b.max, v) : v;
      b.has_range = true;
    }
    blocks.push_back(b);
    begin = end;
  }
  store.execute("DELETE FROM telemetry_block WHERE point_id = " + std::to_string(p.id) +
                " AND start_us >= " + std::to_string(window) + " AND start_us < " +
                std::to_string(window + options.compact_span.count()));
  if (pg) {
    write_blocks_pg(blocks, data, created);
  } else {
    insert_blocks_sqlite(blocks, data);
  }
  ++result.windows;
  result.blocks_before += static_cast<std::int64_t>(rows.size());
  result.blocks_after += static_cast<std::int64_t>(blocks.size());
  result.bytes_before += bytes_before;
  result.bytes_after += static_cast<std::int64_t>(data.size());
}

}  // namespace houqin::telemetry
