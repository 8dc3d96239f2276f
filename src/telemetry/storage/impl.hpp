// The private half of SampleStore, shared by the files of src/telemetry/storage/. Each file
// defines the Impl members of one concern (the comments below say which); what more than one of
// them needs -- constants, the rows of a write, the partition names -- has its one home here.
// Not installed. See docs/telemetry-storage.md, "Source layout".
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/telemetry/codec.hpp"
#include "houqin/telemetry/point_index.hpp"
#include "houqin/telemetry/storage.hpp"
#include "telemetry/storage/wal.hpp"

// The handles of the two backends, declared as sqlite3.h and libpq-fe.h declare them: only the
// files that talk to a backend include its header.
struct sqlite3;
struct sqlite3_stmt;
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace houqin::telemetry::storage {

inline constexpr Micros hour_us = 3'600'000'000;
inline constexpr Micros day_us = 24 * hour_us;
/// PostgreSQL partitions of telemetry_block cover this much of start_us each.
inline constexpr Micros partition_us = 7 * 24 * hour_us;

inline Micros floor_to(Micros t, Micros width) noexcept {
  Micros q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

inline std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

/// The partition of telemetry_block whose range starts at `lo` (a multiple of partition_us), and
/// the statement that creates it (pg_copy.cpp).
std::string partition_name(Micros lo);
std::string partition_sql(Micros lo);
/// A big-endian integer of n bytes (PostgreSQL's binary results).
inline std::uint64_t get_be(const char* p, int n) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}
/// A double as PostgreSQL's float8 input reads it back exactly (pg_copy.cpp).
std::string pg_float(double v);

/// The rollup of one point's good, finite samples in one bucket (an hour when written).
struct RollupRow {
  Id point_id;
  Micros bucket;
  double min, max, sum;
  std::int64_t count;
};

struct RollupDayRow;

/// One row of telemetry_rollup: a point's hourly rollups of one UTC day, packed (rollup.cpp;
/// docs/telemetry-storage.md, "Rollups").
struct RollupDay {
  struct Hour {
    double min = 0, max = 0, sum = 0;
    std::int64_t count = 0;  // 0: no good sample in the hour
  };
  std::array<Hour, 24> hours{};
  /// Adds a bucket's rollup into hour h (min of mins, sum of sums ...).
  void add(int h, double min, double max, double sum, std::int64_t count);
  void merge(const RollupDay& other);
  /// The whole day: min of the hours' mins, ... (count 0 for an empty day).
  Hour total() const;
  std::vector<std::uint8_t> pack() const;
  /// The blob of `row` back into row.rollup; Error(data_loss) naming the row for a damaged one.
  static void unpack(std::span<const std::uint8_t> blob, RollupDayRow& row);
};

/// A row of telemetry_rollup being written or read: the day's merged rollups and, once read, the
/// row already stored.
struct RollupDayRow {
  Id point_id;
  Micros day;
  RollupDay rollup;
};

/// How errors name a row of telemetry_rollup.
inline std::string day_name(const RollupDayRow& row) {
  return "point " + std::to_string(row.point_id) + ", day " + std::to_string(row.day) + " us";
}

/// The stored hours a rollup query reads: those starting in [from, to), summed up in buckets of
/// `width` from `origin`.
struct HourRange {
  Micros from, to, origin;
  std::uint64_t width;
  Micros bucket(Micros t) const noexcept {
    const auto rel = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(origin);
    return static_cast<Micros>(static_cast<std::uint64_t>(origin) + rel / width * width);
  }
};

/// Adds the hours of `d` in `range` to `out`, one RollupRow a bucket, in time order (rows read
/// in time order; rollup.cpp).
void add_hours(const RollupDayRow& d, const HourRange& range, std::vector<RollupRow>& out);

/// Error(data_loss) for a row whose day totals are missing (count 0: a row whose packed hours
/// were damaged when migration 3 computed the totals).
[[noreturn]] void fail_day_totals(const RollupRow& day);

/// A closed block waiting to be written; its blob is in Impl::arena.
struct PendingBlock {
  Id point_id;
  Micros start, end;
  std::uint32_t count;
  bool has_range;
  double min, max;
  Encoding encoding;
  std::size_t offset, size;  // in the arena
};

/// A block a query reads; its blob is in Impl::row_data.
struct QueryRow {
  std::size_t offset, size;
  std::uint32_t count;
  Micros start, end;
};

/// The SQLite writer's statements, prepared on first use, finalized with the SampleStore
/// (sqlite_blocks.cpp).
struct SqliteStatements {
  sqlite3_stmt* insert_block = nullptr;
  sqlite3_stmt* read_day = nullptr;
  sqlite3_stmt* write_day = nullptr;
  sqlite3_stmt* read_days = nullptr;
  sqlite3_stmt* read_totals = nullptr;
  SqliteStatements() = default;
  SqliteStatements(const SqliteStatements&) = delete;
  SqliteStatements& operator=(const SqliteStatements&) = delete;
  ~SqliteStatements();
};

}  // namespace houqin::telemetry::storage

namespace houqin::telemetry {

// Hidden: nested in an exported class, Impl's members would otherwise be exported as well, and
// calls to them, even inside one file (add() once per sample), would go through the PLT.
struct HOUQIN_NO_EXPORT SampleStore::Impl {
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
  std::vector<storage::PendingBlock> pending;
  /// The oldest write-ahead segment holding a sample of a pending block (max: none pending).
  std::uint32_t pending_segment = std::numeric_limits<std::uint32_t>::max();
  /// The hourly rollups of the pending blocks.
  std::vector<storage::RollupRow> rollup_hours;
  /// After a failed write of the pending blocks (the database away): not tried again before this.
  std::chrono::steady_clock::time_point next_write_try{};
  std::chrono::milliseconds write_backoff{0};
  Series scratch;  // a decoded block

  storage::WriteAheadLog wal;
  storage::SqliteStatements statements;
  std::vector<char> copy_buffer;  // PostgreSQL: the COPY BINARY stream
  std::set<Micros> partitions;    // PostgreSQL partitions known to exist

  // a query's blocks, stored, pending and open
  std::vector<storage::QueryRow> rows;
  std::vector<std::uint8_t> row_data;
  std::vector<std::uint8_t> blob_scratch;  // the open block, finished for a query

  // ---- storage.cpp: points, opening, flush ----
  Impl(store::Store& s, SampleStoreOptions o);
  std::uint16_t class_of(std::string_view name);
  void configure(const PointStorage& cfg);
  /// Reads where each point's stored blocks end (one point, or all when `only` is 0).
  void load_stored_ends(Id only = 0);
  void flush();

  // ---- ingest.cpp: the hot path, samples into open blocks, closed blocks into the database ----
  void append(std::span<const Sample> samples);
  void validate(std::span<const Sample> samples);
  void add(std::uint32_t i, const Sample& s);
  /// Moves the open block to the pending list, with its statistics and rollups.
  void close(Point& p);
  void close_all();
  /// One write-ahead record read back at opening.
  void replay_record(std::span<const Sample> samples);
  /// Writes the pending blocks and their rollups in one transaction.
  void write_pending();
  /// write_pending() for append() with a write-ahead log, where the blocks are durable already: a
  /// database that cannot be reached (Error(unavailable)) leaves them pending, to be tried again
  /// after a pause that grows from 250 ms to 8 s, and is counted in the stats.
  void write_pending_or_wait();
  /// After blocks were written: a full segment is replaced by a new one, and segments no open
  /// or pending block needs any more are deleted.
  void rotate_if_full();

  sqlite3* lite() { return static_cast<sqlite3*>(store.native_handle()); }
  PGconn* conn() { return static_cast<PGconn*>(store.native_handle()); }

  // ---- sqlite_blocks.cpp ----
  [[noreturn]] void fail_sqlite(const std::string& what);
  sqlite3_stmt* prepare(sqlite3_stmt*& st, const char* sql);
  /// Inserts the blocks (their blobs in `data`) with prepared statements.
  void insert_blocks_sqlite(std::span<const storage::PendingBlock> blocks,
                            const std::vector<std::uint8_t>& data);
  void write_rollup_days_sqlite(std::vector<storage::RollupDayRow>& days);
  /// The stored hours of points[i] in `range` into out[i] (add_hours); the rows read are those
  /// with from_day <= day_us < range.to. Error(data_loss) naming a damaged row.
  void fetch_rollup_hours_sqlite(std::span<const Id> points, Micros from_day,
                                 const storage::HourRange& range,
                                 std::vector<std::vector<storage::RollupRow>>& out);
  /// The day totals of the rows of points[i] with from_day <= day_us < to into out[i], one
  /// RollupRow a day in time order.
  void fetch_day_totals_sqlite(std::span<const Id> points, Micros from_day, Micros to,
                               std::vector<std::vector<storage::RollupRow>>& out);
  std::vector<std::pair<Id, Micros>> stored_ends_sqlite(const std::string& sql);
  /// The blocks of `point` overlapping [from, to), or with by_start those starting in it.
  void fetch_rows_sqlite(Id point, Micros from, Micros to, std::size_t limit = 0,
                         bool by_start = false);

  // ---- pg_copy.cpp ----
  [[noreturn]] void fail_pg(const std::string& what, PGresult* res);
  /// Runs a command on the libpq connection; throws on error.
  void pg_exec(const std::string& sql);
  /// Creates the partitions the blocks need (adding them to `created`: they exist once the
  /// transaction commits) and copies the blocks (their blobs in `data`).
  void write_blocks_pg(std::span<const storage::PendingBlock> blocks,
                       const std::vector<std::uint8_t>& data, std::vector<Micros>& created);
  void copy_blocks(std::span<const storage::PendingBlock> blocks,
                   const std::vector<std::uint8_t>& data);
  /// Merges the rows already stored into `days` and writes them back.
  void write_rollup_days_pg(std::vector<storage::RollupDayRow>& days);
  /// What fetch_day_totals_sqlite() and fetch_rollup_hours_sqlite() give, for [from, days_to)
  /// and `range` (from first_day on): the totals in one query, the hours in a query per group
  /// of points, each sent while the one before is unpacked.
  void fetch_stored_rollups_pg(std::span<const Id> points, Micros from, Micros days_to,
                               Micros first_day, const storage::HourRange& range,
                               std::vector<std::vector<storage::RollupRow>>& out);
  std::vector<std::pair<Id, Micros>> stored_ends_pg(const std::string& sql);
  void fetch_rows_pg(Id point, Micros from, Micros to, std::size_t limit = 0,
                     bool by_start = false);

  // ---- query.cpp ----
  Series query(Id point, Micros from, Micros to);
  std::size_t query(Id point, Micros from, Micros to, const ColumnBuffers& out);
  void fetch_rows(Id point, Micros from, Micros to);
  /// The stored blocks alone, at most `limit` of them (0: all), first first; by_start: those
  /// starting in [from, to) rather than overlapping it.
  void fetch_stored_rows(Id point, Micros from, Micros to, std::size_t limit = 0,
                         bool by_start = false);
  /// The part of fetch_rows() not in the database: the point's pending and open blocks.
  void keep_unwritten_rows(Id point, Micros from, Micros to);
  std::size_t decode_rows(Micros from, Micros to, const ColumnBuffers& out);
  /// Adds a block to the query's rows (the backend readers call it per row).
  void keep_row(Micros start, Micros end, std::int64_t count, const void* data, std::size_t size) {
    rows.push_back({row_data.size(), size, static_cast<std::uint32_t>(count), start, end});
    auto* p = static_cast<const std::uint8_t*>(data);
    row_data.insert(row_data.end(), p, p + size);
  }

  // ---- rollup.cpp: the hourly rollups, packed by day, and their queries ----
  /// The pending blocks' hourly rollups, merged into their stored days (in write_pending()'s
  /// transaction).
  void write_rollups();
  /// Merges a stored row into the one about to replace it. A damaged stored row is replaced
  /// (counted in stats().damaged_rollup_rows): one bad row must not stop every later write.
  void merge_stored_day(storage::RollupDayRow& into, std::span<const std::uint8_t> stored);
  std::vector<std::vector<Rollup>> rollups(std::span<const Id> points, Micros from, Micros to,
                                           Micros step);
  /// One point's rollups, given what is stored of [from, hours_to) (day totals, then hours, in
  /// time order); the blocks not written yet and [hours_to, to) are decoded.
  std::vector<Rollup> rollups_of(Id point, Micros from, Micros to, Micros step, Micros hours_to,
                                 std::span<const storage::RollupRow> stored);
  /// Adds the good samples of the blocks in `rows` with from <= time < to into buckets of
  /// `width` starting at `origin` (decoding each block once).
  void bucket_rows(Micros from, Micros to, Micros origin, Micros width,
                   std::vector<storage::RollupRow>& out);

  // ---- compact.cpp: stored blocks resealed window by window ----
  /// Per point (parallel to points): the windows before this are compacted (telemetry_compaction,
  /// read at the first compact()).
  std::vector<Micros> compacted;
  std::size_t compact_cursor = 0;  // where a compact() stopped by max_windows goes on
  CompactionResult compact(std::size_t max_windows, bool final);
  /// Reseals the query rows (the blocks of one window of point `p`) as few blocks and replaces
  /// them in the database (PostgreSQL partitions it creates are added to `created`).
  void reseal_window(const Point& p, Micros window, std::vector<Micros>& created,
                     CompactionResult& result);
  /// One row of two integers (the first a point id), or none, from `sql` on either backend.
  std::optional<Micros> stored_value(const std::string& sql);

  // ---- retention.cpp ----
  void set_retention(std::string_view point_class, std::chrono::hours keep);
  RetentionResult apply_retention();
  /// PostgreSQL: detaches and drops the partitions that hold nothing that must stay.
  void drop_expired_partitions(Micros now, RetentionResult& result);
};

}  // namespace houqin::telemetry
