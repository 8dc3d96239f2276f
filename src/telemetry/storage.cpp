#include "houqin/telemetry/storage.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "houqin/core/error.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/telemetry/point_index.hpp"

namespace houqin::telemetry {
namespace {

constexpr Micros minute_us = 60'000'000;
constexpr Micros hour_us = 3'600'000'000;
/// PostgreSQL partitions of telemetry_block cover this much of start_us each.
constexpr Micros partition_us = 7 * 24 * hour_us;

Micros floor_to(Micros t, Micros width) noexcept {
  Micros q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// ---- write-ahead segments
// ------------------------------------------------------------------------
//
// A segment is a sequence of records: a 16-byte header (payload bytes u32, sample count u32,
// checksum u64 of count and payload, in this machine's byte order) followed by 26 bytes per
// sample (point_id, time, value bits, quality, flag). One record per append() call.

constexpr std::size_t record_header = 16;
constexpr std::size_t record_sample = 26;  // point_id, time, value (8 each), quality, flag
// Compact records (the count's top bit set): per sample the point_id and the time as zig-zag
// LEB128 deltas from the previous sample of the record (usually 1 and 0: one byte each), then
// value, quality and flag as above: about 12 bytes a sample instead of 26.
constexpr std::uint32_t compact_record = 0x80000000u;
constexpr std::size_t compact_sample_max = 10 + 10 + 8 + 2;

inline std::uint8_t* put_varint(std::uint8_t* out, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *out++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(v);
  return out;
}
/// Reads one varint; false when it runs past `end` or is longer than 64 bits.
inline bool get_varint(const std::uint8_t*& in, const std::uint8_t* end,
                       std::uint64_t& v) noexcept {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (in == end) return false;
    std::uint8_t b = *in++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}
inline std::uint64_t zig(std::uint64_t v) noexcept {
  return (v << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(v) >> 63);
}
inline std::uint64_t unzig(std::uint64_t z) noexcept {
  return (z >> 1) ^ (0 - (z & 1));
}

std::uint64_t checksum(const void* data, std::size_t bytes, std::uint64_t seed) noexcept {
  // A multiply-xor hash over 8-byte words: fast, and any torn or damaged record fails it.
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint64_t h = seed ^ (bytes * 0x9E3779B97F4A7C15ull);
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h ^ (h >> 32);
}

std::string segment_name(std::uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "telemetry-%016llx.wal", static_cast<unsigned long long>(seq));
  return buf;
}

[[noreturn]] void fail_errno(const std::string& what) {
  fail(ErrorCode::unavailable, "telemetry write-ahead log: " + what + ": " + std::strerror(errno));
}

struct RollupRow {
  Id point_id;
  Micros bucket;
  double min, max, sum;
  std::int64_t count;
};

struct PendingBlock {
  Id point_id;
  Micros start, end;
  std::uint32_t count;
  bool has_range;
  double min, max;
  Encoding encoding;
  std::size_t offset, size;  // in the arena
};

void put_be(std::vector<char>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::string partition_name(Micros lo) {
  return "telemetry_block_p" + std::string(lo < 0 ? "m" : "") +
         std::to_string(lo < 0 ? -(lo / partition_us) : lo / partition_us);
}

std::string partition_sql(Micros lo) {
  return "CREATE TABLE IF NOT EXISTS " + partition_name(lo) +
         " PARTITION OF telemetry_block FOR VALUES FROM (" + std::to_string(lo) + ") TO (" +
         std::to_string(lo + partition_us) + ")";
}

/// Restoring telemetry_block into PostgreSQL: every partition the backup's blocks need.
void create_partitions_for(store::Store& source, store::Store& target) {
  if (target.dialect() != store::Dialect::postgresql) return;
  std::string p = std::to_string(partition_us);
  std::string sql = "SELECT DISTINCT start_us - (((start_us % " + p + ") + " + p + ") % " + p +
                    ") FROM telemetry_block";
  std::vector<Micros> lows;
  if (source.dialect() == store::Dialect::sqlite) {
    auto* db = static_cast<sqlite3*>(source.native_handle());
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      fail(ErrorCode::unavailable, std::string("telemetry_block: ") + sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) lows.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
  } else {
    PGresult* r = PQexec(static_cast<PGconn*>(source.native_handle()), sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    for (int row = 0; ok && row < PQntuples(r); ++row)
      lows.push_back(std::strtoll(PQgetvalue(r, row, 0), nullptr, 10));
    std::string msg = ok ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) fail(ErrorCode::unavailable, "telemetry_block: " + msg);
  }
  for (Micros lo : lows) target.execute(partition_sql(lo));
}

/// The storage tables are not entities (no id, blobs): registered with their columns, so
/// backup and restore carry them.
[[maybe_unused]] const bool raw_tables_registered = [] {
  using store::RawType;
  store::register_raw_table("telemetry", {"telemetry_block",
                                          {{"point_id"},
                                           {"start_us"},
                                           {"end_us"},
                                           {"count"},
                                           {"min", RawType::real, true},
                                           {"max", RawType::real, true},
                                           {"encoding"},
                                           {"data", RawType::blob}},
                                          {"point_id", "start_us"},
                                          create_partitions_for});
  for (const char* name : {"telemetry_rollup_1m", "telemetry_rollup_1h"})
    store::register_raw_table("telemetry", {name,
                                            {{"point_id"},
                                             {"bucket_us"},
                                             {"min", RawType::real},
                                             {"max", RawType::real},
                                             {"sum", RawType::real},
                                             {"count"}},
                                            {"point_id", "bucket_us"},
                                            {}});
  return true;
}();

}  // namespace

// ---- migrations ---------------------------------------------------------------------------------

std::vector<store::Migration> storage_migrations() {
  return {{"telemetry", 1,
           "telemetry_block (time-partitioned on PostgreSQL) and 1 min / 1 h rollups",
           [](store::Store& s) {
             bool pg = s.dialect() == store::Dialect::postgresql;
             const char* i64 = pg ? "BIGINT" : "INTEGER";
             const char* f64 = pg ? "DOUBLE PRECISION" : "REAL";
             std::string block = std::string("CREATE TABLE telemetry_block (point_id ") + i64 +
                                 " NOT NULL, start_us " + i64 + " NOT NULL, end_us " + i64 +
                                 " NOT NULL, count INTEGER NOT NULL, min " + f64 + ", max " + f64 +
                                 ", encoding SMALLINT NOT NULL, data " + (pg ? "BYTEA" : "BLOB") +
                                 " NOT NULL, PRIMARY KEY (point_id, start_us))";
             if (pg) block += " PARTITION BY RANGE (start_us)";
             s.execute(block);
             for (const char* name : {"telemetry_rollup_1m", "telemetry_rollup_1h"})
               s.execute(std::string("CREATE TABLE ") + name + " (point_id " + i64 +
                         " NOT NULL, bucket_us " + i64 + " NOT NULL, min " + f64 +
                         " NOT NULL, max " + f64 + " NOT NULL, sum " + f64 + " NOT NULL, count " +
                         i64 + " NOT NULL, PRIMARY KEY (point_id, bucket_us))" +
                         // small rows: one b-tree on SQLite instead of a table and its key index
                         (pg ? "" : " WITHOUT ROWID"));
           }}};
}

// ---- the store ----------------------------------------------------------------------------------

struct SampleStore::Impl {
  struct Point {
    Id id = 0;
    double resolution = 0;
    std::uint16_t point_class = 0;
    BlockEncoder block;
    std::uint32_t wal_segment = 0;  // the segment holding the open block's first sample
  };
  /// What append() checks per sample, apart from the Point (32 bytes, 320 KB for 10k points, so
  /// the check pass stays in the CPU's L2 cache while the open blocks do not).
  struct Gate {
    Id id = 0;
    /// The earliest time the next sample may have: the last sample's time (equal allowed) or,
    /// after the point's data was stored, one past its end.
    Micros floor = std::numeric_limits<Micros>::min();
    Micros check = 0;  // append()'s validation scratch, valid when epoch == the call's
    std::uint32_t epoch = 0;
    /// The point that followed this one in the last append() (a guess for the next lookup:
    /// batches list their points in the same order, whatever their sizes).
    std::uint32_t next = 0;
  };
  struct PointClass {
    std::string name;
    Micros keep = 0;  // 0: forever
  };

  store::Store& store;
  SampleStoreOptions options;
  bool pg = false;
  std::vector<Point> points;
  std::vector<Gate> gates;  // parallel to points
  PointIndex index;         // point id -> position in points and gates
  std::vector<PointClass> classes;
  std::uint32_t epoch = 0;
  std::uint32_t last_point = 0;      // the last point of the last append() (Gate::next chain)
  std::vector<std::uint32_t> which;  // the point index of each sample of the current append()
  SampleStoreStats counters;

  // closed blocks not yet in the database, and their rollups
  std::vector<std::uint8_t> arena;
  std::vector<PendingBlock> pending;
  /// The oldest write-ahead segment holding a sample of a pending block (max: none pending).
  std::uint32_t pending_segment = std::numeric_limits<std::uint32_t>::max();
  std::vector<RollupRow> rollup_1m, rollup_1h;
  Series scratch;  // a decoded block
  std::vector<std::uint8_t> blob_scratch;
  std::vector<char> copy_buffer;
  std::set<Micros> partitions;  // PostgreSQL partitions known to exist

  // write-ahead log
  int wal_fd = -1;
  std::uint64_t wal_seq = 0;
  std::uint64_t wal_size = 0;
  std::vector<std::uint8_t> wal_buffer;  // the record being written
  std::chrono::steady_clock::time_point last_sync{};

  // SQLite statements (finalized in the destructor)
  sqlite3_stmt* insert_block = nullptr;
  sqlite3_stmt* upsert_1m = nullptr;
  sqlite3_stmt* upsert_1h = nullptr;

  Impl(store::Store& s, SampleStoreOptions o) : store(s), options(std::move(o)) {
    pg = store.dialect() == store::Dialect::postgresql;
    classes.push_back({"default", 0});
  }
  ~Impl() {
    for (auto* st : {insert_block, upsert_1m, upsert_1h}) sqlite3_finalize(st);
    if (wal_fd >= 0) ::close(wal_fd);
  }

  sqlite3* lite() { return static_cast<sqlite3*>(store.native_handle()); }
  PGconn* conn() { return static_cast<PGconn*>(store.native_handle()); }

  [[noreturn]] void fail_sqlite(const std::string& what) {
    fail(ErrorCode::unavailable, "telemetry storage: " + what + ": " + sqlite3_errmsg(lite()));
  }
  [[noreturn]] void fail_pg(const std::string& what, PGresult* res) {
    std::string msg =
        res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : PQerrorMessage(conn());
    if (res) PQclear(res);
    fail(ErrorCode::unavailable, "telemetry storage: " + what + ": " + first_line(msg));
  }
  sqlite3_stmt* prepare(sqlite3_stmt*& st, const char* sql) {
    if (!st &&
        sqlite3_prepare_v3(lite(), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
      fail_sqlite("prepare");
    return st;
  }
  /// Runs a command on the libpq connection; throws on error.
  void pg_exec(const std::string& sql) {
    PGresult* r = PQexec(conn(), sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_pg(sql.substr(0, 40), r);
    PQclear(r);
  }

  std::uint16_t class_of(std::string_view name) {
    for (std::size_t i = 0; i < classes.size(); ++i)
      if (classes[i].name == name) return static_cast<std::uint16_t>(i);
    classes.push_back({std::string(name), 0});
    return static_cast<std::uint16_t>(classes.size() - 1);
  }

  void configure(const PointStorage& cfg) {
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

  // ---- stored ends ----
  /// Reads where each point's stored blocks end (one point, or all when `only` is 0).
  void load_stored_ends(Id only = 0) {
    auto apply = [&](Id id, Micros end) {
      auto i = index.find(id);
      if (i != PointIndex::npos && end != std::numeric_limits<Micros>::max())
        gates[i].floor = std::max(gates[i].floor, end + 1);
    };
    std::string text = "SELECT point_id, MAX(end_us) FROM telemetry_block";
    if (only) text += " WHERE point_id = " + std::to_string(only);
    text += " GROUP BY point_id";
    const char* sql = text.c_str();
    if (pg) {
      PGresult* r = PQexec(conn(), sql);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("reading stored ends", r);
      for (int row = 0; row < PQntuples(r); ++row)
        apply(std::strtoll(PQgetvalue(r, row, 0), nullptr, 10),
              std::strtoll(PQgetvalue(r, row, 1), nullptr, 10));
      PQclear(r);
    } else {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(lite(), sql, -1, &st, nullptr) != SQLITE_OK)
        fail_sqlite("reading stored ends");
      while (sqlite3_step(st) == SQLITE_ROW)
        apply(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
      sqlite3_finalize(st);
    }
  }

  // ---- the hot path ----
  void validate(std::span<const Sample> samples, std::vector<std::uint32_t>& which) {
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

  void add(std::uint32_t i, const Sample& s) {
    Point& p = points[i];
    if (!p.block.empty() && s.time > p.block.last_time() &&
        (p.block.encoded_size() >= options.max_block_bytes ||
         static_cast<std::uint64_t>(s.time - p.block.start()) >=
             static_cast<std::uint64_t>(options.max_block_span.count())))
      close(p);
    if (p.block.empty()) {
      if (p.block.heap_bytes() == 0) p.block.reserve(options.max_block_bytes + 32);
      p.wal_segment = static_cast<std::uint32_t>(wal_seq);
    }
    p.block.append(s);
    gates[i].floor = s.time;
  }

  /// Moves the open block to the pending list, with its statistics and rollups.
  void close(Point& p) {
    std::size_t offset = arena.size();
    p.block.finish(arena);
    std::span<const std::uint8_t> blob(arena.data() + offset, arena.size() - offset);
    std::uint32_t n = p.block.count();
    if (scratch.size() < n) scratch.resize(n);
    decode_block(blob, scratch.buffers());
    PendingBlock b{p.id,   p.block.start(), p.block.last_time(), n, false, 0, 0, p.block.encoding(),
                   offset, blob.size()};
    RollupRow m{p.id, 0, 0, 0, 0, 0}, h = m;
    auto emit = [](std::vector<RollupRow>& out, RollupRow& r) {
      if (r.count) out.push_back(r);
      r.count = 0;
    };
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
      for (auto [row, out, width] :
           {std::tuple{&m, &rollup_1m, minute_us}, std::tuple{&h, &rollup_1h, hour_us}}) {
        // times only grow within a block: a division only when a new bucket starts
        if (row->count && static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(row->bucket) >=
                              static_cast<std::uint64_t>(width))
          emit(*out, *row);
        if (!row->count) {
          row->bucket = floor_to(t, width);
          row->min = row->max = v;
          row->sum = 0;
        }
        row->min = std::min(row->min, v);
        row->max = std::max(row->max, v);
        row->sum += v;
        ++row->count;
      }
    }
    emit(rollup_1m, m);
    emit(rollup_1h, h);
    pending.push_back(b);
    pending_segment = std::min(pending_segment, p.wal_segment);
    p.block.reset(p.resolution);
  }

  // ---- writing blocks ----
  static void merge_rollups(std::vector<RollupRow>& rows) {
    std::sort(rows.begin(), rows.end(), [](const RollupRow& a, const RollupRow& b) {
      return a.point_id != b.point_id ? a.point_id < b.point_id : a.bucket < b.bucket;
    });
    std::size_t w = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (w && rows[w - 1].point_id == rows[r].point_id && rows[w - 1].bucket == rows[r].bucket) {
        auto& into = rows[w - 1];
        into.min = std::min(into.min, rows[r].min);
        into.max = std::max(into.max, rows[r].max);
        into.sum += rows[r].sum;
        into.count += rows[r].count;
      } else {
        rows[w++] = rows[r];
      }
    }
    rows.resize(w);
  }

  void write_pending() {
    if (pending.empty()) return;
    merge_rollups(rollup_1m);
    merge_rollups(rollup_1h);
    std::vector<Micros> created;
    store::Transaction tx(store);
    if (pg) {
      for (const auto& b : pending) {
        Micros lo = floor_to(b.start, partition_us);
        if (partitions.count(lo) || std::find(created.begin(), created.end(), lo) != created.end())
          continue;
        pg_exec(partition_sql(lo));
        created.push_back(lo);
      }
      copy_blocks();
      upsert_pg("telemetry_rollup_1m", rollup_1m);
      upsert_pg("telemetry_rollup_1h", rollup_1h);
    } else {
      insert_blocks_sqlite();
      upsert_sqlite(upsert_1m, "telemetry_rollup_1m", rollup_1m);
      upsert_sqlite(upsert_1h, "telemetry_rollup_1h", rollup_1h);
    }
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
    rollup_1m.clear();
    rollup_1h.clear();
    if (arena.capacity() > (8u << 20)) arena.shrink_to_fit();  // after a big flush
  }

  void insert_blocks_sqlite() {
    auto* st = prepare(insert_block,
                       "INSERT INTO telemetry_block (point_id, start_us, end_us, count, min, max, "
                       "encoding, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& b : pending) {
      sqlite3_bind_int64(st, 1, b.point_id);
      sqlite3_bind_int64(st, 2, b.start);
      sqlite3_bind_int64(st, 3, b.end);
      sqlite3_bind_int64(st, 4, b.count);
      if (b.has_range) {
        sqlite3_bind_double(st, 5, b.min);
        sqlite3_bind_double(st, 6, b.max);
      } else {
        sqlite3_bind_null(st, 5);
        sqlite3_bind_null(st, 6);
      }
      sqlite3_bind_int(st, 7, static_cast<int>(b.encoding));
      sqlite3_bind_blob(st, 8, arena.data() + b.offset, static_cast<int>(b.size), SQLITE_STATIC);
      int rc = sqlite3_step(st);
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) fail_sqlite("writing a block of point " + std::to_string(b.point_id));
    }
    sqlite3_clear_bindings(st);
  }

  void upsert_sqlite(sqlite3_stmt*& cache, const std::string& table, std::vector<RollupRow>& rows) {
    if (rows.empty()) return;
    std::string sql = "INSERT INTO " + table +
                      " (point_id, bucket_us, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (point_id, bucket_us) DO UPDATE SET min = min(" +
                      table + ".min, excluded.min), max = max(" + table +
                      ".max, excluded.max), sum = " + table +
                      ".sum + excluded.sum, count = " + table + ".count + excluded.count";
    auto* st = prepare(cache, sql.c_str());
    for (const auto& r : rows) {
      sqlite3_bind_int64(st, 1, r.point_id);
      sqlite3_bind_int64(st, 2, r.bucket);
      sqlite3_bind_double(st, 3, r.min);
      sqlite3_bind_double(st, 4, r.max);
      sqlite3_bind_double(st, 5, r.sum);
      sqlite3_bind_int64(st, 6, r.count);
      int rc = sqlite3_step(st);
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) fail_sqlite("writing " + table);
    }
  }

  void copy_blocks() {
    auto& out = copy_buffer;
    out.clear();
    for (char c : std::string_view("PGCOPY\n\377\r\n\0", 11)) out.push_back(c);  // signature
    put_be(out, 0, 4);                                                           // flags
    put_be(out, 0, 4);                                                           // header extension
    for (const auto& b : pending) {
      put_be(out, 8, 2);
      auto i8 = [&](std::int64_t v) {
        put_be(out, 8, 4);
        put_be(out, static_cast<std::uint64_t>(v), 8);
      };
      auto f8 = [&](bool present, double v) {
        if (!present) {
          put_be(out, 0xffffffffu, 4);
        } else {
          put_be(out, 8, 4);
          put_be(out, std::bit_cast<std::uint64_t>(v), 8);
        }
      };
      i8(b.point_id);
      i8(b.start);
      i8(b.end);
      put_be(out, 4, 4);
      put_be(out, b.count, 4);
      f8(b.has_range, b.min);
      f8(b.has_range, b.max);
      put_be(out, 2, 4);
      put_be(out, static_cast<std::uint64_t>(b.encoding), 2);
      put_be(out, b.size, 4);
      out.insert(out.end(), arena.begin() + static_cast<std::ptrdiff_t>(b.offset),
                 arena.begin() + static_cast<std::ptrdiff_t>(b.offset + b.size));
    }
    put_be(out, 0xffff, 2);
    PGresult* r = PQexec(conn(),
                         "COPY telemetry_block (point_id, start_us, end_us, count, min, max, "
                         "encoding, data) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN) fail_pg("COPY telemetry_block", r);
    PQclear(r);
    if (PQputCopyData(conn(), out.data(), static_cast<int>(out.size())) != 1 ||
        PQputCopyEnd(conn(), nullptr) != 1)
      fail_pg("COPY telemetry_block", nullptr);
    r = PQgetResult(conn());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
      std::string msg = first_line(PQresultErrorMessage(r));
      PQclear(r);
      while ((r = PQgetResult(conn()))) PQclear(r);
      fail(ErrorCode::unavailable, "telemetry storage: COPY telemetry_block: " + msg);
    }
    PQclear(r);
    while ((r = PQgetResult(conn()))) PQclear(r);
  }

  void upsert_pg(const std::string& table, const std::vector<RollupRow>& rows) {
    if (rows.empty()) return;
    std::string cols[6];
    for (auto& c : cols) c = "{";
    char num[64];
    auto add = [&](std::string& col, auto v) {
      if (col.size() > 1) col += ',';
      auto res = std::to_chars(num, num + sizeof num, v);
      col.append(num, res.ptr);
    };
    for (const auto& r : rows) {
      add(cols[0], r.point_id);
      add(cols[1], r.bucket);
      add(cols[2], r.min);
      add(cols[3], r.max);
      add(cols[4], r.sum);
      add(cols[5], r.count);
    }
    for (auto& c : cols) c += '}';
    std::string sql = "INSERT INTO " + table +
                      " (point_id, bucket_us, min, max, sum, count) SELECT * FROM "
                      "unnest($1::int8[], $2::int8[], $3::float8[], $4::float8[], $5::float8[], "
                      "$6::int8[]) ON CONFLICT (point_id, bucket_us) DO UPDATE SET min = LEAST(" +
                      table + ".min, EXCLUDED.min), max = GREATEST(" + table +
                      ".max, EXCLUDED.max), sum = " + table +
                      ".sum + EXCLUDED.sum, count = " + table + ".count + EXCLUDED.count";
    const char* values[6];
    for (int i = 0; i < 6; ++i) values[i] = cols[i].c_str();
    PGresult* r = PQexecParams(conn(), sql.c_str(), 6, nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_pg("writing " + table, r);
    PQclear(r);
  }

  // ---- retention on PostgreSQL ----
  /// Detaches and drops every partition of telemetry_block that holds nothing that must stay: every
  /// row belongs to a configured point whose class has a retention, and ends before that class's
  /// cutoff. Partitions that hold anything else are left for the row-by-row DELETE.
  void drop_expired_partitions(Micros now, RetentionResult& result) {
    std::string ids = "{", cutoffs = "{";
    Micros latest = std::numeric_limits<Micros>::min();  // the shortest retention's cutoff
    for (const auto& p : points) {
      Micros keep = classes[p.point_class].keep;
      if (!keep) continue;
      Micros cutoff = now - keep;
      latest = std::max(latest, cutoff);
      if (ids.size() > 1) {
        ids += ',';
        cutoffs += ',';
      }
      ids += std::to_string(p.id);
      cutoffs += std::to_string(cutoff);
    }
    ids += '}';
    cutoffs += '}';
    if (latest == std::numeric_limits<Micros>::min()) return;
    // The partitions that exist, from the catalog (also those an earlier run created).
    PGresult* r =
        PQexec(conn(),
               "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
               "WHERE i.inhparent = 'telemetry_block'::regclass");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("listing the partitions", r);
    std::vector<Micros> candidates;
    for (int row = 0; row < PQntuples(r); ++row) {
      std::string_view name = PQgetvalue(r, row, 0);
      constexpr std::string_view prefix = "telemetry_block_p";
      if (!name.starts_with(prefix)) continue;
      name.remove_prefix(prefix.size());
      bool negative = !name.empty() && name.front() == 'm';
      if (negative) name.remove_prefix(1);
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
      if (ec != std::errc{} || end != name.data() + name.size()) continue;
      Micros lo = (negative ? -n : n) * partition_us;
      if (partition_name(lo) != PQgetvalue(r, row, 0)) continue;  // not one of ours
      // only partitions wholly before some cutoff can hold nothing but expired blocks
      if (lo <= latest - partition_us) candidates.push_back(lo);
    }
    PQclear(r);
    for (Micros lo : candidates) {
      std::string name = partition_name(lo);
      // Anything to keep: a row of a point without an (expired) retention, or ending too late.
      const char* values[2] = {ids.c_str(), cutoffs.c_str()};
      std::string check =
          "SELECT COUNT(*), COUNT(*) FILTER (WHERE k.cutoff IS NULL OR b.end_us >= "
          "k.cutoff) FROM " +
          name +
          " b LEFT JOIN unnest($1::int8[], $2::int8[]) AS k(id, cutoff) ON k.id = "
          "b.point_id";
      r = PQexecParams(conn(), check.c_str(), 2, nullptr, values, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("retention of " + name, r);
      std::int64_t rows = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
      std::int64_t keep = std::strtoll(PQgetvalue(r, 0, 1), nullptr, 10);
      PQclear(r);
      if (keep) continue;
      pg_exec("ALTER TABLE telemetry_block DETACH PARTITION " + name);
      pg_exec("DROP TABLE " + name);
      partitions.erase(lo);
      result.blocks += rows;
      ++result.partitions_dropped;
    }
  }

  // ---- write-ahead log ----
  std::filesystem::path segment_path(std::uint64_t seq) const {
    return options.wal_dir / segment_name(seq);
  }
  std::vector<std::uint64_t> segments() const {
    std::vector<std::uint64_t> out;
    for (const auto& e : std::filesystem::directory_iterator(options.wal_dir)) {
      auto name = e.path().filename().string();
      if (name.size() == 30 && name.rfind("telemetry-", 0) == 0 && name.ends_with(".wal"))
        out.push_back(std::stoull(name.substr(10, 16), nullptr, 16));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  void open_segment(std::uint64_t seq) {
    if (wal_fd >= 0) ::close(wal_fd);
    wal_fd = -1;
    auto path = segment_path(seq);
    wal_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (wal_fd < 0) fail_errno("open " + path.string());
    wal_seq = seq;
    wal_size = static_cast<std::uint64_t>(::lseek(wal_fd, 0, SEEK_END));
    // The new file's name must survive a power cut too.
    int dir = ::open(options.wal_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

  void log(std::span<const Sample> samples) {
    if (samples.size() >= compact_record)
      fail(ErrorCode::invalid_argument, "samples: more than 2^31 in one append()");
    std::uint32_t count = static_cast<std::uint32_t>(samples.size()) | compact_record;
    std::size_t most = record_header + samples.size() * compact_sample_max;
    if (wal_buffer.size() < most) wal_buffer.resize(most);  // grows to the largest batch once
    std::uint8_t* out = wal_buffer.data() + record_header;
    std::uint64_t prev_id = 0, prev_time = 0;
    for (const auto& smp : samples) {  // field by field: no padding bytes reach the file
      auto id = static_cast<std::uint64_t>(smp.point_id);
      auto time = static_cast<std::uint64_t>(smp.time);
      out = put_varint(out, zig(id - prev_id));
      out = put_varint(out, zig(time - prev_time));
      prev_id = id;
      prev_time = time;
      std::memcpy(out, &smp.value, 8);
      out[8] = smp.quality;
      out[9] = static_cast<std::uint8_t>(smp.flag);
      out += 10;
    }
    auto bytes = static_cast<std::uint32_t>(out - (wal_buffer.data() + record_header));
    std::size_t total = record_header + bytes;
    std::uint64_t sum = checksum(wal_buffer.data() + record_header, bytes, count);
    std::memcpy(wal_buffer.data(), &bytes, 4);
    std::memcpy(wal_buffer.data() + 4, &count, 4);
    std::memcpy(wal_buffer.data() + 8, &sum, 8);
    std::size_t done = 0;
    while (done < total) {
      ssize_t n = ::write(wal_fd, wal_buffer.data() + done, total - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno;
        // A partial record would hide every later one from replay: cut it off.
        if (::ftruncate(wal_fd, static_cast<off_t>(wal_size)) != 0) {
        }
        errno = err;
        fail_errno("write");
      }
      done += static_cast<std::size_t>(n);
    }
    wal_size += total;
    bool sync = options.sync == SyncPolicy::every_append;
    if (options.sync == SyncPolicy::interval) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_sync >= options.sync_interval) {
        sync = true;
        last_sync = now;
      }
    }
    if (sync && ::fdatasync(wal_fd) != 0) fail_errno("fdatasync");
  }

  /// After blocks were written: a full segment is replaced by a new one, and segments no open
  /// block needs any more are deleted.
  void rotate_if_full() {
    if (wal_size < options.wal_segment_bytes) return;
    open_segment(wal_seq + 1);
    std::uint64_t needed = wal_seq;
    for (const auto& p : points)
      if (!p.block.empty()) needed = std::min<std::uint64_t>(needed, p.wal_segment);
    needed = std::min<std::uint64_t>(needed, pending_segment);  // closed, not yet written
    for (auto seq : segments())
      if (seq < needed) std::filesystem::remove(segment_path(seq));
  }

  void replay() {
    std::vector<std::uint8_t> data;
    std::uint64_t last = 0;
    for (auto seq : segments()) {
      last = seq;
      wal_seq = seq;
      auto path = segment_path(seq);
      int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) fail_errno("open " + path.string());
      off_t size = ::lseek(fd, 0, SEEK_END);
      data.resize(static_cast<std::size_t>(size));
      std::size_t got = 0;
      while (got < data.size()) {
        ssize_t n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      std::size_t at = 0;
      std::vector<Sample> samples;
      while (data.size() - at >= record_header) {
        std::uint32_t bytes, count;
        std::uint64_t sum;
        std::memcpy(&bytes, data.data() + at, 4);
        std::memcpy(&count, data.data() + at + 4, 4);
        std::memcpy(&sum, data.data() + at + 8, 8);
        bool compact = count & compact_record;
        std::uint32_t n = count & ~compact_record;
        if ((!compact && static_cast<std::uint64_t>(n) * record_sample != bytes) ||
            data.size() - at - record_header < bytes ||
            checksum(data.data() + at + record_header, bytes, count) != sum)
          break;
        samples.resize(n);
        const std::uint8_t* in = data.data() + at + record_header;
        const std::uint8_t* end = in + bytes;
        bool whole = true;
        std::uint64_t prev_id = 0, prev_time = 0;
        for (auto& smp : samples) {
          if (compact) {
            std::uint64_t d_id, d_time;
            if (!get_varint(in, end, d_id) || !get_varint(in, end, d_time) || end - in < 10) {
              whole = false;
              break;
            }
            prev_id += unzig(d_id);
            prev_time += unzig(d_time);
            smp.point_id = static_cast<Id>(prev_id);
            smp.time = static_cast<Micros>(prev_time);
            std::memcpy(&smp.value, in, 8);
            smp.quality = in[8];
            smp.flag = static_cast<Flag>(in[9]);
            in += 10;
            continue;
          }
          std::memcpy(&smp.point_id, in, 8);
          std::memcpy(&smp.time, in + 8, 8);
          std::memcpy(&smp.value, in + 16, 8);
          smp.quality = in[24];
          smp.flag = static_cast<Flag>(in[25]);
          in += record_sample;
        }
        if (!whole || in != end) break;  // a damaged record that passed its checksum
        for (const auto& s : samples) {
          auto i = index.find(s.point_id);
          if (i == PointIndex::npos)
            fail(ErrorCode::failed_precondition,
                 "telemetry write-ahead log holds samples of point " + std::to_string(s.point_id) +
                     ", which is not configured");
          if (s.time < gates[i].floor) continue;  // already in a stored block
          add(i, s);
          ++counters.wal_samples_replayed;
        }
        at += record_header + bytes;
      }
      if (at < data.size() && ::ftruncate(fd, static_cast<off_t>(at)) != 0) {
        ::close(fd);
        fail_errno("truncating the torn tail of " + path.string());
      }
      ::close(fd);
    }
    wal_seq = last;
  }

  // ---- flush ----
  void close_all() {
    for (std::size_t i = 0; i < points.size(); ++i) {
      Point& p = points[i];
      if (!p.block.empty()) {
        Micros end = p.block.last_time();
        close(p);
        gates[i].floor = end == std::numeric_limits<Micros>::max() ? end : end + 1;
      }
    }
  }
  void flush() {
    close_all();
    write_pending();
    if (!options.wal_dir.empty()) {
      auto old = segments();
      open_segment(wal_seq + 1);
      for (auto seq : old)
        if (seq != wal_seq) std::filesystem::remove(segment_path(seq));
    }
  }

  // ---- queries ----
  struct Row {
    std::size_t offset, size;
    std::uint32_t count;
    Micros start, end;
  };
  std::vector<Row> rows;
  std::vector<std::uint8_t> row_data;

  void fetch_rows(Id point, Micros from, Micros to) {
    rows.clear();
    row_data.clear();
    auto keep = [&](Micros start, Micros end, std::int64_t count, const void* data,
                    std::size_t size) {
      rows.push_back({row_data.size(), size, static_cast<std::uint32_t>(count), start, end});
      auto* p = static_cast<const std::uint8_t*>(data);
      row_data.insert(row_data.end(), p, p + size);
    };
    if (pg) {
      std::string a = std::to_string(point), b = std::to_string(to), c = std::to_string(from);
      const char* values[3] = {a.c_str(), b.c_str(), c.c_str()};
      PGresult* r =
          PQexecParams(conn(),
                       "SELECT start_us, end_us, count, data FROM telemetry_block WHERE "
                       "point_id = $1 AND start_us < $2 AND end_us >= $3 ORDER BY start_us",
                       3, nullptr, values, nullptr, nullptr, 1);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("query", r);
      auto be = [](const char* p, int n) {
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
        return v;
      };
      for (int i = 0; i < PQntuples(r); ++i)
        keep(static_cast<Micros>(be(PQgetvalue(r, i, 0), 8)),
             static_cast<Micros>(be(PQgetvalue(r, i, 1), 8)),
             static_cast<std::int32_t>(be(PQgetvalue(r, i, 2), 4)), PQgetvalue(r, i, 3),
             static_cast<std::size_t>(PQgetlength(r, i, 3)));
      PQclear(r);
    } else {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(lite(),
                             "SELECT start_us, end_us, count, data FROM telemetry_block WHERE "
                             "point_id = ? AND start_us < ? AND end_us >= ? ORDER BY start_us",
                             -1, &st, nullptr) != SQLITE_OK)
        fail_sqlite("query");
      sqlite3_bind_int64(st, 1, point);
      sqlite3_bind_int64(st, 2, to);
      sqlite3_bind_int64(st, 3, from);
      while (sqlite3_step(st) == SQLITE_ROW)
        keep(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
             sqlite3_column_blob(st, 3), static_cast<std::size_t>(sqlite3_column_bytes(st, 3)));
      sqlite3_finalize(st);
    }
    // pending and open blocks of the point, newest last
    for (const auto& b : pending)
      if (b.point_id == point && b.start < to && b.end >= from)
        keep(b.start, b.end, b.count, arena.data() + b.offset, b.size);
    if (auto i = index.find(point); i != PointIndex::npos) {
      const auto& blk = points[i].block;
      if (!blk.empty() && blk.start() < to && blk.last_time() >= from) {
        blob_scratch.clear();
        blk.finish(blob_scratch);
        keep(blk.start(), blk.last_time(), blk.count(), blob_scratch.data(), blob_scratch.size());
      }
    }
  }

  std::size_t upper_bound() const {
    std::size_t n = 0;
    for (const auto& r : rows) n += r.count;
    return n;
  }

  std::size_t decode_rows(Micros from, Micros to, const ColumnBuffers& out) {
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
};

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
  d.points.reserve(points.size());
  d.gates.reserve(points.size());
  for (const auto& p : points) d.configure(p);
  d.load_stored_ends();
  if (!d.options.wal_dir.empty()) {
    std::filesystem::create_directories(d.options.wal_dir);
    d.replay();
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
  auto& d = *impl_;
  if (samples.empty()) return;
  auto& which = d.which;
  d.validate(samples, which);
  if (d.wal_fd >= 0) d.log(samples);
  // The open blocks are too many for the CPU cache (~700 bytes a point): fetch each point's
  // encoder a few samples ahead, and the end of its stream once the encoder is there.
  constexpr std::size_t ahead = 16;
  const std::size_t n = samples.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (k + 2 * ahead < n) {
      const auto* next = &d.points[which[k + 2 * ahead]];
      __builtin_prefetch(next, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(next) + 64, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(next) + 128, 1);
    }
    if (k + ahead < n) d.points[which[k + ahead]].block.prefetch();
    d.add(which[k], samples[k]);
  }
  d.counters.samples_appended += samples.size();
  // With a write-ahead log the closed blocks may wait (durable there) and go in batches.
  if (d.wal_fd < 0 || d.arena.size() >= d.options.write_batch_bytes) d.write_pending();
  if (d.wal_fd >= 0) d.rotate_if_full();
}

void SampleStore::flush() {
  impl_->flush();
}

Series SampleStore::query(Id point, Micros from, Micros to) {
  auto& d = *impl_;
  Series out;
  d.fetch_rows(point, from, to);
  out.resize(d.upper_bound());
  out.resize(d.decode_rows(from, to, out.buffers()));
  return out;
}

std::size_t SampleStore::query(Id point, Micros from, Micros to, const ColumnBuffers& out) {
  auto& d = *impl_;
  d.fetch_rows(point, from, to);
  return d.decode_rows(from, to, out);
}

void SampleStore::set_retention(std::string_view point_class, std::chrono::hours keep) {
  if (keep.count() <= 0) fail(ErrorCode::invalid_argument, "keep: must be at least one hour");
  impl_->classes[impl_->class_of(point_class)].keep =
      std::chrono::duration_cast<std::chrono::microseconds>(keep).count();
}

RetentionResult SampleStore::apply_retention() {
  auto& d = *impl_;
  RetentionResult result;
  Micros now = to_micros(d.store.clock().now());
  store::Transaction tx(d.store);
  if (d.pg) d.drop_expired_partitions(now, result);
  for (std::uint16_t c = 0; c < d.classes.size(); ++c) {
    if (!d.classes[c].keep) continue;
    Micros cutoff = now - d.classes[c].keep;
    std::vector<Id> ids;
    for (const auto& p : d.points)
      if (p.point_class == c) ids.push_back(p.id);
    if (ids.empty()) continue;
    struct Target {
      const char* table;
      const char* condition;  // older than the cutoff as a whole
      Micros bound;
      std::int64_t* count;
    };
    Target targets[] = {
        // start_us < cutoff too (implied, since start <= end): lets PostgreSQL skip every
        // partition that starts after the horizon, so only the one straddling it is searched.
        {"telemetry_block", "start_us < @ AND end_us < @", cutoff, &result.blocks},
        {"telemetry_rollup_1m", "bucket_us <= @", cutoff - minute_us, &result.rollup_rows},
        {"telemetry_rollup_1h", "bucket_us <= @", cutoff - hour_us, &result.rollup_rows}};
    for (const auto& t : targets) {
      // "@" is the bound: $2 on PostgreSQL, ?2 on SQLite
      std::string where;
      for (const char* ch = t.condition; *ch; ++ch)
        if (*ch == '@')
          where += d.pg ? "$2" : "?2";
        else
          where += *ch;
      if (d.pg) {
        std::string arr = "{";
        for (std::size_t i = 0; i < ids.size(); ++i) arr += (i ? "," : "") + std::to_string(ids[i]);
        arr += "}";
        std::string bound = std::to_string(t.bound);
        const char* values[2] = {arr.c_str(), bound.c_str()};
        std::string sql = std::string("DELETE FROM ") + t.table +
                          " WHERE point_id = ANY($1::int8[]) AND " + where;
        PGresult* r = PQexecParams(d.conn(), sql.c_str(), 2, nullptr, values, nullptr, nullptr, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) d.fail_pg("retention", r);
        *t.count += std::strtoll(PQcmdTuples(r), nullptr, 10);
        PQclear(r);
      } else {
        std::string sql =
            std::string("DELETE FROM ") + t.table + " WHERE point_id = ?1 AND " + where;
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(d.lite(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
          d.fail_sqlite("retention");
        for (Id id : ids) {
          sqlite3_bind_int64(st, 1, id);
          sqlite3_bind_int64(st, 2, t.bound);
          int rc = sqlite3_step(st);
          sqlite3_reset(st);
          if (rc != SQLITE_DONE) {
            sqlite3_finalize(st);
            d.fail_sqlite("retention");
          }
          *t.count += sqlite3_changes(d.lite());
        }
        sqlite3_finalize(st);
      }
    }
  }
  tx.commit();
  return result;
}

SampleStoreStats SampleStore::stats() const {
  const auto& d = *impl_;
  SampleStoreStats s = d.counters;
  s.points = d.points.size();
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
