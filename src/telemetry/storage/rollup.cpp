// SampleStore rollups: each closed block's good samples summed up per hour, written with the
// block as one packed row per point and UTC day (telemetry_rollup), and the rollups() query,
// which reads whole hours from those rows and decodes only what they do not cover.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {
namespace storage {

// ---- the packed day (docs/telemetry-storage.md, "Rollups") ----
//
//   byte 0      format version (1)
//   bytes 1-3   the hours present, bit h for hour h (little-endian)
//   per hour present, in order: count (LEB128), min, max, sum (IEEE doubles, little-endian)

namespace {

constexpr std::uint8_t rollup_format = 1;

void put_double(std::vector<std::uint8_t>& out, double v) {
  auto bits = std::bit_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

}  // namespace

void RollupDay::add(int h, double min, double max, double sum, std::int64_t count) {
  Hour& into = hours[static_cast<std::size_t>(h)];
  if (!into.count) {
    into = {min, max, sum, count};
    return;
  }
  into.min = std::min(into.min, min);
  into.max = std::max(into.max, max);
  into.sum += sum;
  into.count += count;
}

void RollupDay::merge(const RollupDay& other) {
  for (int h = 0; h < 24; ++h) {
    const Hour& o = other.hours[static_cast<std::size_t>(h)];
    if (o.count) add(h, o.min, o.max, o.sum, o.count);
  }
}

RollupDay::Hour RollupDay::total() const {
  Hour t;
  for (const Hour& h : hours) {
    if (!h.count) continue;
    if (!t.count) {
      t = h;
      continue;
    }
    t.min = std::min(t.min, h.min);
    t.max = std::max(t.max, h.max);
    t.sum += h.sum;
    t.count += h.count;
  }
  return t;
}

void fail_day_totals(const RollupRow& day) {
  fail(ErrorCode::data_loss,
       "telemetry_rollup: the row of " + day_name({day.point_id, day.bucket, {}}) +
           " is damaged (no day totals: its count is " + std::to_string(day.count) + ")");
}

std::vector<std::uint8_t> RollupDay::pack() const {
  std::vector<std::uint8_t> out;
  out.reserve(4 + 24 * 27);
  std::uint32_t mask = 0;
  for (int h = 0; h < 24; ++h)
    if (hours[static_cast<std::size_t>(h)].count) mask |= 1u << h;
  out.push_back(rollup_format);
  for (int i = 0; i < 3; ++i) out.push_back(static_cast<std::uint8_t>(mask >> (8 * i)));
  for (const Hour& h : hours) {
    if (!h.count) continue;
    for (auto c = static_cast<std::uint64_t>(h.count);; c >>= 7) {
      if (c < 0x80) {
        out.push_back(static_cast<std::uint8_t>(c));
        break;
      }
      out.push_back(static_cast<std::uint8_t>(c | 0x80));
    }
    put_double(out, h.min);
    put_double(out, h.max);
    put_double(out, h.sum);
  }
  return out;
}

void RollupDay::unpack(std::span<const std::uint8_t> blob, RollupDayRow& row) {
  auto damaged = [&row](const char* why) {
    fail(ErrorCode::data_loss,
         "telemetry_rollup: the row of " + day_name(row) + " is damaged (" + why + ")");
  };
  if (blob.size() < 4) damaged("shorter than its header");
  if (blob[0] != rollup_format)
    damaged(("format " + std::to_string(blob[0]) + " is not 1").c_str());
  std::uint32_t mask = blob[1] | (blob[2] << 8) | (static_cast<std::uint32_t>(blob[3]) << 16);
  RollupDay& day = row.rollup;
  day = {};
  std::size_t at = 4;
  auto get_double = [&] {
    std::uint64_t bits;
    std::memcpy(&bits, blob.data() + at, 8);
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
    at += 8;
    return std::bit_cast<double>(bits);
  };
  for (int h = 0; h < 24; ++h) {
    if (!(mask >> h & 1)) continue;
    std::uint64_t count = 0;
    for (int shift = 0;; shift += 7) {
      if (at >= blob.size() || shift > 56) damaged("a count runs past its end");
      std::uint8_t b = blob[at++];
      count |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (count == 0 || count > (1ull << 62)) damaged("a count out of range");
    if (blob.size() - at < 24) damaged("an hour runs past its end");
    auto& into = day.hours[static_cast<std::size_t>(h)];
    into.count = static_cast<std::int64_t>(count);
    into.min = get_double();
    into.max = get_double();
    into.sum = get_double();
  }
  if (at != blob.size()) damaged("bytes after its last hour");
}

}  // namespace storage

void SampleStore::Impl::write_rollups() {
  if (rollup_hours.empty()) return;
  std::sort(rollup_hours.begin(), rollup_hours.end(),
            [](const storage::RollupRow& a, const storage::RollupRow& b) {
              return a.point_id != b.point_id ? a.point_id < b.point_id : a.bucket < b.bucket;
            });
  std::vector<storage::RollupDayRow> days;
  for (const auto& r : rollup_hours) {
    Micros day = storage::floor_to(r.bucket, storage::day_us);
    if (days.empty() || days.back().point_id != r.point_id || days.back().day != day)
      days.push_back({r.point_id, day, {}});
    days.back().rollup.add(static_cast<int>((r.bucket - day) / storage::hour_us), r.min, r.max,
                           r.sum, r.count);
  }
  if (pg)
    write_rollup_days_pg(days);
  else
    write_rollup_days_sqlite(days);
}

void SampleStore::Impl::merge_stored_day(storage::RollupDayRow& into,
                                         std::span<const std::uint8_t> stored) {
  try {
    storage::RollupDayRow row{into.point_id, into.day, {}};
    storage::RollupDay::unpack(stored, row);
    into.rollup.merge(row.rollup);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::data_loss) throw;
    ++counters.damaged_rollup_rows;
    counters.last_write_error = e.what();
  }
}

void storage::add_hours(const RollupDayRow& d, const HourRange& range,
                        std::vector<RollupRow>& out) {
  for (int h = 0; h < 24; ++h) {
    const auto& hour = d.rollup.hours[static_cast<std::size_t>(h)];
    const Micros start = d.day + h * hour_us;
    if (!hour.count || start < range.from || start >= range.to) continue;
    const Micros bucket = range.bucket(start);
    if (out.empty() || out.back().bucket != bucket) {
      out.push_back({d.point_id, bucket, hour.min, hour.max, hour.sum, hour.count});
      continue;
    }
    auto& into = out.back();
    into.min = std::min(into.min, hour.min);
    into.max = std::max(into.max, hour.max);
    into.sum += hour.sum;
    into.count += hour.count;
  }
}

void SampleStore::Impl::bucket_rows(Micros from, Micros to, Micros origin, Micros width,
                                    std::vector<storage::RollupRow>& out) {
  const auto w = static_cast<std::uint64_t>(width);
  for (const auto& r : rows) {
    if (r.start >= to || r.end < from) continue;
    if (scratch.size() < r.count) scratch.resize(r.count);
    decode_block({row_data.data() + r.offset, r.size}, scratch.buffers());
    storage::RollupRow part{0, 0, 0, 0, 0, 0};
    std::uint64_t end = 0;  // the current part's bucket end, relative to origin
    for (std::uint32_t i = 0; i < r.count; ++i) {
      Micros t = scratch.times[i];
      double v = scratch.values[i];
      if (t < from || t >= to || scratch.qualities[i] != quality_good || !std::isfinite(v))
        continue;
      // times only grow within a block: a division only when a new bucket starts
      auto rel = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(origin);
      if (!part.count || rel >= end) {
        if (part.count) out.push_back(part);
        std::uint64_t k = rel / w;
        part = {0, static_cast<Micros>(static_cast<std::uint64_t>(origin) + k * w), v, v, 0, 0};
        end = (k + 1) * w;
      }
      part.min = std::min(part.min, v);
      part.max = std::max(part.max, v);
      part.sum += v;
      ++part.count;
    }
    if (part.count) out.push_back(part);
  }
}

std::vector<std::vector<Rollup>> SampleStore::Impl::rollups(std::span<const Id> points, Micros from,
                                                            Micros to, Micros step) {
  using storage::day_us;
  using storage::hour_us;
  if (step <= 0) fail(ErrorCode::invalid_argument, "step: must be positive");
  if (from >= to) fail(ErrorCode::invalid_argument, "from: must be before to");
  constexpr std::uint64_t most_buckets = 1'000'000;
  const auto span = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  if ((span - 1) / static_cast<std::uint64_t>(step) >= most_buckets)
    fail(ErrorCode::invalid_argument,
         "step: [from, to) would hold more than 1,000,000 buckets of " + std::to_string(step) +
             " us");
  constexpr Micros earliest = std::numeric_limits<Micros>::min();
  // [from, hours_to): whole hours, from the stored rollups; of them [from, days_to) whole days,
  // from the rows' day totals when every bucket is whole days (a year by the day reads no
  // packed hours), for every point in one query
  Micros hours_to = from, days_to = from;
  if (step % hour_us == 0 && from % hour_us == 0 && to >= earliest + hour_us) {
    hours_to = std::max(from, storage::floor_to(to, hour_us));
    if (step % day_us == 0 && from % day_us == 0)
      days_to = std::max(from, storage::floor_to(hours_to, day_us));
  }
  // What is stored of [from, hours_to): one RollupRow a bucket, so it takes no more memory than
  // the answer; then each point's blocks not yet in it.
  std::vector<std::vector<storage::RollupRow>> stored(points.size());
  const Micros first_day =
      days_to < earliest + day_us ? earliest : storage::floor_to(days_to, day_us);
  const storage::HourRange range{days_to, hours_to, from, static_cast<std::uint64_t>(step)};
  if (pg) {
    fetch_stored_rollups_pg(points, from, days_to, first_day, range, stored);
  } else {
    if (days_to > from) fetch_day_totals_sqlite(points, from, days_to, stored);
    if (hours_to > days_to) fetch_rollup_hours_sqlite(points, first_day, range, stored);
  }
  std::vector<std::vector<Rollup>> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i)
    out.push_back(rollups_of(points[i], from, to, step, hours_to, stored[i]));
  return out;
}

std::vector<Rollup> SampleStore::Impl::rollups_of(Id point, Micros from, Micros to, Micros step,
                                                  Micros hours_to,
                                                  std::span<const storage::RollupRow> stored) {
  const auto w = static_cast<std::uint64_t>(step);
  auto bucket_of = [&](Micros t) {
    auto rel = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(from);
    return static_cast<Micros>(static_cast<std::uint64_t>(from) + rel / w * w);
  };
  std::vector<storage::RollupRow> parts;
  Micros decode_from = from;
  if (hours_to > from) {
    // summed up per bucket as they come (in time order)
    storage::RollupRow part{point, 0, 0, 0, 0, 0};
    for (const auto& r : stored) {
      const Micros bucket = bucket_of(r.bucket);
      if (part.count && part.bucket != bucket) {
        parts.push_back(part);
        part.count = 0;
      }
      if (!part.count) {
        part = r;
        part.bucket = bucket;
        continue;
      }
      part.min = std::min(part.min, r.min);
      part.max = std::max(part.max, r.max);
      part.sum += r.sum;
      part.count += r.count;
    }
    if (part.count) parts.push_back(part);
    // the blocks not written yet are in no stored rollup
    rows.clear();
    row_data.clear();
    keep_unwritten_rows(point, from, hours_to);
    bucket_rows(from, hours_to, from, step, parts);
    decode_from = hours_to;
  }
  // The rest from the samples: the stored blocks a page at a time (memory stays that of a
  // page however long the range; an empty stretch costs nothing), then those not written yet.
  if (decode_from < to) {
    constexpr std::size_t page = 256;
    for (Micros at = decode_from;;) {
      fetch_stored_rows(point, at, to, page);
      bucket_rows(at, to, from, step, parts);
      if (rows.size() < page || rows.back().end >= to - 1) break;
      at = rows.back().end + 1;  // a point's blocks do not overlap
    }
    rows.clear();
    row_data.clear();
    keep_unwritten_rows(point, decode_from, to);
    bucket_rows(decode_from, to, from, step, parts);
  }
  const auto by_bucket = [](const storage::RollupRow& a, const storage::RollupRow& b) {
    return a.bucket < b.bucket;
  };
  if (!std::is_sorted(parts.begin(), parts.end(), by_bucket))
    std::stable_sort(parts.begin(), parts.end(), by_bucket);
  std::vector<Rollup> out;
  for (const auto& p : parts) {
    if (!out.empty() && out.back().start == p.bucket) {
      auto& into = out.back();
      into.min = std::min(into.min, p.min);
      into.max = std::max(into.max, p.max);
      into.sum += p.sum;
      into.count += p.count;
    } else {
      out.push_back({p.bucket, p.min, p.max, p.sum, p.count});
    }
  }
  return out;
}

}  // namespace houqin::telemetry
