// The storage tables: their migration, and their registration as raw tables of the store's
// catalog so backup and restore carry them (with the hook that creates PostgreSQL partitions
// before a restore). The registration sits beside storage_migrations(), which every program
// that uses the tables links.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "houqin/core/error.hpp"
#include "houqin/store/catalog.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {
namespace storage {
namespace {

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
  store::register_raw_table("telemetry", {"telemetry_rollup",
                                          {{"point_id"},
                                           {"day_us"},
                                           {"count"},
                                           {"min", RawType::real},
                                           {"max", RawType::real},
                                           {"sum", RawType::real},
                                           {"data", RawType::blob}},
                                          {"point_id", "day_us"},
                                          {}});
  store::register_raw_table(
      "telemetry", {"telemetry_compaction", {{"point_id"}, {"until_us"}}, {"point_id"}, {}});
  return true;
}();

/// Migration 2: the hours of telemetry_rollup_1h packed into days. The 1-minute rows are
/// dropped: a minute's rollup is computed from the blocks (SampleStore::rollups), faster than
/// reading its row.
void pack_hour_rollups(store::Store& s) {
  std::vector<RollupDayRow> days;
  auto add = [&days](Id point, Micros bucket, double min, double max, double sum,
                     std::int64_t count) {
    Micros day = floor_to(bucket, day_us);
    if (days.empty() || days.back().point_id != point || days.back().day != day)
      days.push_back({point, day, {}});
    days.back().rollup.add(static_cast<int>((bucket - day) / hour_us), min, max, sum, count);
  };
  const char* select =
      "SELECT point_id, bucket_us, min, max, sum, count FROM telemetry_rollup_1h ORDER BY "
      "point_id, bucket_us";
  if (s.dialect() == store::Dialect::sqlite) {
    auto* db = static_cast<sqlite3*>(s.native_handle());
    auto check = [db](int rc, int ok) {
      if (rc != ok)
        fail(ErrorCode::unavailable, std::string("telemetry_rollup: ") + sqlite3_errmsg(db));
    };
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db, select, -1, &st, nullptr), SQLITE_OK);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      add(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_double(st, 2),
          sqlite3_column_double(st, 3), sqlite3_column_double(st, 4), sqlite3_column_int64(st, 5));
    sqlite3_finalize(st);
    check(rc, SQLITE_DONE);
    check(sqlite3_prepare_v2(
              db, "INSERT INTO telemetry_rollup (point_id, day_us, data) VALUES (?, ?, ?)", -1, &st,
              nullptr),
          SQLITE_OK);
    for (const auto& d : days) {
      auto blob = d.rollup.pack();
      sqlite3_bind_int64(st, 1, d.point_id);
      sqlite3_bind_int64(st, 2, d.day);
      sqlite3_bind_blob(st, 3, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
      rc = sqlite3_step(st);
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) break;
    }
    sqlite3_finalize(st);
    if (!days.empty()) check(rc, SQLITE_DONE);
  } else {
    auto* conn = static_cast<PGconn*>(s.native_handle());
    PGresult* r = PQexec(conn, select);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    for (int row = 0; ok && row < PQntuples(r); ++row)
      add(std::strtoll(PQgetvalue(r, row, 0), nullptr, 10),
          std::strtoll(PQgetvalue(r, row, 1), nullptr, 10),
          std::strtod(PQgetvalue(r, row, 2), nullptr), std::strtod(PQgetvalue(r, row, 3), nullptr),
          std::strtod(PQgetvalue(r, row, 4), nullptr),
          std::strtoll(PQgetvalue(r, row, 5), nullptr, 10));
    std::string msg = ok ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    for (const auto& d : days) {
      if (!ok) break;
      auto blob = d.rollup.pack();
      std::string a = std::to_string(d.point_id), b = std::to_string(d.day);
      const char* values[3] = {a.c_str(), b.c_str(), reinterpret_cast<const char*>(blob.data())};
      int lengths[3] = {0, 0, static_cast<int>(blob.size())};
      int formats[3] = {0, 0, 1};
      r = PQexecParams(conn,
                       "INSERT INTO telemetry_rollup (point_id, day_us, data) VALUES ($1, $2, $3)",
                       3, nullptr, values, lengths, formats, 0);
      ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) msg = first_line(PQresultErrorMessage(r));
      PQclear(r);
    }
    if (!ok) fail(ErrorCode::unavailable, "telemetry_rollup: " + msg);
  }
  s.execute("DROP TABLE telemetry_rollup_1m");
  s.execute("DROP TABLE telemetry_rollup_1h");
}

/// Migration 3: every row of telemetry_rollup gets its day totals (the columns count, min, max,
/// sum), so that buckets of whole days read no packed hours. Rows are read in key order a batch
/// at a time (memory stays that of a batch however many years are stored). A row whose hours are
/// damaged keeps count 0, which a query of its day reports as data_loss.
void add_day_totals(store::Store& s) {
  const bool pg = s.dialect() == store::Dialect::postgresql;
  const char* real = pg ? "DOUBLE PRECISION" : "REAL";
  s.execute(std::string("ALTER TABLE telemetry_rollup ADD COLUMN count ") +
            (pg ? "BIGINT" : "INTEGER") + " NOT NULL DEFAULT 0");
  for (const char* column : {"min", "max", "sum"})
    s.execute(std::string("ALTER TABLE telemetry_rollup ADD COLUMN ") + column + " " + real +
              " NOT NULL DEFAULT 0");
  constexpr int batch = 4096;
  const std::string select =
      "SELECT point_id, day_us, data FROM telemetry_rollup WHERE point_id > " +
      std::string(pg ? "$1" : "?1") + " OR (point_id = " + (pg ? "$1" : "?1") + " AND day_us > " +
      (pg ? "$2" : "?2") + ") ORDER BY point_id, day_us LIMIT " + std::to_string(batch);
  std::vector<RollupDayRow> days;
  Id after_point = std::numeric_limits<Id>::min();
  Micros after_day = std::numeric_limits<Micros>::min();
  auto add = [&days](Id point, Micros day, std::span<const std::uint8_t> blob) {
    RollupDayRow row{point, day, {}};
    try {
      RollupDay::unpack(blob, row);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::data_loss) throw;
      return;  // count stays 0
    }
    days.push_back(row);
  };
  for (bool more = true; more;) {
    days.clear();
    int read = 0;
    if (!pg) {
      auto* db = static_cast<sqlite3*>(s.native_handle());
      auto check = [db](int rc, int ok) {
        if (rc != ok)
          fail(ErrorCode::unavailable, std::string("telemetry_rollup: ") + sqlite3_errmsg(db));
      };
      sqlite3_stmt* st = nullptr;
      check(sqlite3_prepare_v2(db, select.c_str(), -1, &st, nullptr), SQLITE_OK);
      sqlite3_bind_int64(st, 1, after_point);
      sqlite3_bind_int64(st, 2, after_day);
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ++read;
        after_point = sqlite3_column_int64(st, 0);
        after_day = sqlite3_column_int64(st, 1);
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 2));
        add(after_point, after_day, {p, static_cast<std::size_t>(sqlite3_column_bytes(st, 2))});
      }
      sqlite3_finalize(st);
      check(rc, SQLITE_DONE);
      check(sqlite3_prepare_v2(db,
                               "UPDATE telemetry_rollup SET count = ?, min = ?, max = ?, sum = ? "
                               "WHERE point_id = ? AND day_us = ?",
                               -1, &st, nullptr),
            SQLITE_OK);
      for (const auto& d : days) {
        const auto t = d.rollup.total();
        sqlite3_bind_int64(st, 1, t.count);
        sqlite3_bind_double(st, 2, t.min);
        sqlite3_bind_double(st, 3, t.max);
        sqlite3_bind_double(st, 4, t.sum);
        sqlite3_bind_int64(st, 5, d.point_id);
        sqlite3_bind_int64(st, 6, d.day);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) break;
      }
      sqlite3_finalize(st);
      if (!days.empty()) check(rc, SQLITE_DONE);
    } else {
      auto* conn = static_cast<PGconn*>(s.native_handle());
      std::string a = std::to_string(after_point), b = std::to_string(after_day);
      const char* keys[2] = {a.c_str(), b.c_str()};
      PGresult* r = PQexecParams(conn, select.c_str(), 2, nullptr, keys, nullptr, nullptr, 1);
      bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
      auto be = [](const char* p) { return static_cast<std::int64_t>(get_be(p, 8)); };
      for (int row = 0; ok && row < PQntuples(r); ++row) {
        ++read;
        after_point = be(PQgetvalue(r, row, 0));
        after_day = be(PQgetvalue(r, row, 1));
        const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r, row, 2));
        add(after_point, after_day, {p, static_cast<std::size_t>(PQgetlength(r, row, 2))});
      }
      std::string msg = ok ? "" : first_line(PQresultErrorMessage(r));
      PQclear(r);
      if (ok && !days.empty()) {
        std::string ids = "{", starts = "{", counts = "{", mins = "{", maxs = "{", sums = "{";
        for (const auto& d : days) {
          const auto t = d.rollup.total();
          for (auto [into, v] : {std::pair{&ids, std::to_string(d.point_id)},
                                 {&starts, std::to_string(d.day)},
                                 {&counts, std::to_string(t.count)},
                                 {&mins, pg_float(t.min)},
                                 {&maxs, pg_float(t.max)},
                                 {&sums, pg_float(t.sum)}}) {
            if (into->size() > 1) *into += ',';
            *into += v;
          }
        }
        for (auto* into : {&ids, &starts, &counts, &mins, &maxs, &sums}) *into += '}';
        const char* values[6] = {ids.c_str(),  starts.c_str(), counts.c_str(),
                                 mins.c_str(), maxs.c_str(),   sums.c_str()};
        r = PQexecParams(conn,
                         "UPDATE telemetry_rollup r SET count = k.c, min = k.lo, max = k.hi, sum "
                         "= k.s FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::float8[], "
                         "$5::float8[], $6::float8[]) AS k(p, d, c, lo, hi, s) WHERE r.point_id = "
                         "k.p AND r.day_us = k.d",
                         6, nullptr, values, nullptr, nullptr, 0);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) msg = first_line(PQresultErrorMessage(r));
        PQclear(r);
      }
      if (!ok) fail(ErrorCode::unavailable, "telemetry_rollup: " + msg);
    }
    more = read == batch;
  }
}

}  // namespace
}  // namespace storage

std::vector<store::Migration> storage_migrations() {
  return {
      {"telemetry", 1, "telemetry_block (time-partitioned on PostgreSQL) and 1 min / 1 h rollups",
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
                     " NOT NULL, bucket_us " + i64 + " NOT NULL, min " + f64 + " NOT NULL, max " +
                     f64 + " NOT NULL, sum " + f64 + " NOT NULL, count " + i64 +
                     " NOT NULL, PRIMARY KEY (point_id, bucket_us))" +
                     // small rows: one b-tree on SQLite instead of a table and its key index
                     (pg ? "" : " WITHOUT ROWID"));
       }},
      {"telemetry", 2,
       "hourly rollups packed one row per point and day (telemetry_rollup), replacing the 1 min "
       "and 1 h tables; telemetry_compaction",
       [](store::Store& s) {
         bool pg = s.dialect() == store::Dialect::postgresql;
         s.execute(std::string("CREATE TABLE telemetry_rollup (point_id ") +
                   (pg ? "BIGINT" : "INTEGER") + " NOT NULL, day_us " +
                   (pg ? "BIGINT" : "INTEGER") + " NOT NULL, data " + (pg ? "BYTEA" : "BLOB") +
                   " NOT NULL, PRIMARY KEY (point_id, day_us))" +
                   // a row is at most ~650 bytes: one b-tree on SQLite
                   (pg ? "" : " WITHOUT ROWID"));
         storage::pack_hour_rollups(s);
         // how far SampleStore::compact() is with each point
         s.execute(std::string("CREATE TABLE telemetry_compaction (point_id ") +
                   (pg ? "BIGINT" : "INTEGER") + " PRIMARY KEY, until_us " +
                   (pg ? "BIGINT" : "INTEGER") + " NOT NULL)");
       }},
      {"telemetry", 3,
       "telemetry_rollup: each day's totals (count, min, max, sum) beside its packed hours",
       storage::add_day_totals}};
}

}  // namespace houqin::telemetry
