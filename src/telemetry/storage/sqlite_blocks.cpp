// SampleStore on SQLite: blocks and rollups written with prepared statements on the native
// connection, and blocks read back (where each point's data ends, a query's rows).
#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

storage::SqliteStatements::~SqliteStatements() {
  for (auto* st : {insert_block, read_day, write_day, read_days, read_totals}) sqlite3_finalize(st);
}

void SampleStore::Impl::fail_sqlite(const std::string& what) {
  fail(ErrorCode::unavailable, "telemetry storage: " + what + ": " + sqlite3_errmsg(lite()));
}

sqlite3_stmt* SampleStore::Impl::prepare(sqlite3_stmt*& st, const char* sql) {
  if (!st &&
      sqlite3_prepare_v3(lite(), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
    fail_sqlite("prepare");
  return st;
}

void SampleStore::Impl::insert_blocks_sqlite(std::span<const storage::PendingBlock> blocks,
                                             const std::vector<std::uint8_t>& data) {
  auto* st = prepare(statements.insert_block,
                     "INSERT INTO telemetry_block (point_id, start_us, end_us, count, min, max, "
                     "encoding, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& b : blocks) {
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
    sqlite3_bind_blob(st, 8, data.data() + b.offset, static_cast<int>(b.size), SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail_sqlite("writing a block of point " + std::to_string(b.point_id));
  }
  sqlite3_clear_bindings(st);
}

void SampleStore::Impl::write_rollup_days_sqlite(std::vector<storage::RollupDayRow>& days) {
  auto* read = prepare(statements.read_day,
                       "SELECT data FROM telemetry_rollup WHERE point_id = ? AND day_us = ?");
  auto* write = prepare(statements.write_day,
                        "INSERT INTO telemetry_rollup (point_id, day_us, count, min, max, sum, "
                        "data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (point_id, day_us) DO "
                        "UPDATE SET count = excluded.count, min = excluded.min, max = "
                        "excluded.max, sum = excluded.sum, data = excluded.data");
  std::vector<std::uint8_t> blob;
  for (auto& d : days) {
    sqlite3_bind_int64(read, 1, d.point_id);
    sqlite3_bind_int64(read, 2, d.day);
    int rc = sqlite3_step(read);
    blob.clear();
    if (rc == SQLITE_ROW) {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(read, 0));
      blob.assign(p, p + sqlite3_column_bytes(read, 0));
      rc = sqlite3_step(read);
    }
    sqlite3_reset(read);
    if (rc != SQLITE_DONE) fail_sqlite("reading telemetry_rollup");
    if (!blob.empty()) merge_stored_day(d, blob);
    blob = d.rollup.pack();
    const auto total = d.rollup.total();
    sqlite3_bind_int64(write, 1, d.point_id);
    sqlite3_bind_int64(write, 2, d.day);
    sqlite3_bind_int64(write, 3, total.count);
    sqlite3_bind_double(write, 4, total.min);
    sqlite3_bind_double(write, 5, total.max);
    sqlite3_bind_double(write, 6, total.sum);
    sqlite3_bind_blob(write, 7, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
    rc = sqlite3_step(write);
    sqlite3_reset(write);
    if (rc != SQLITE_DONE) fail_sqlite("writing telemetry_rollup");
  }
}

void SampleStore::Impl::fetch_rollup_hours_sqlite(
    std::span<const Id> points, Micros from_day, const storage::HourRange& range,
    std::vector<std::vector<storage::RollupRow>>& out) {
  auto* st = prepare(statements.read_days,
                     "SELECT day_us, data FROM telemetry_rollup WHERE point_id = ? AND day_us >= ? "
                     "AND day_us < ? ORDER BY day_us");
  for (std::size_t i = 0; i < points.size(); ++i) {
    sqlite3_bind_int64(st, 1, points[i]);
    sqlite3_bind_int64(st, 2, from_day);
    sqlite3_bind_int64(st, 3, range.to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      storage::RollupDayRow row{points[i], sqlite3_column_int64(st, 0), {}};
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 1));
      auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, 1));
      try {
        storage::RollupDay::unpack({p, size}, row);
      } catch (...) {
        sqlite3_reset(st);
        throw;
      }
      storage::add_hours(row, range, out[i]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail_sqlite("reading telemetry_rollup");
  }
}

void SampleStore::Impl::fetch_day_totals_sqlite(std::span<const Id> points, Micros from_day,
                                                Micros to,
                                                std::vector<std::vector<storage::RollupRow>>& out) {
  auto* st = prepare(statements.read_totals,
                     "SELECT day_us, count, min, max, sum FROM telemetry_rollup WHERE point_id = ? "
                     "AND day_us >= ? AND day_us < ? ORDER BY day_us");
  for (std::size_t i = 0; i < points.size(); ++i) {
    sqlite3_bind_int64(st, 1, points[i]);
    sqlite3_bind_int64(st, 2, from_day);
    sqlite3_bind_int64(st, 3, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      storage::RollupRow day{points[i],
                             sqlite3_column_int64(st, 0),
                             sqlite3_column_double(st, 2),
                             sqlite3_column_double(st, 3),
                             sqlite3_column_double(st, 4),
                             sqlite3_column_int64(st, 1)};
      if (day.count <= 0) {
        sqlite3_reset(st);
        storage::fail_day_totals(day);
      }
      out[i].push_back(day);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail_sqlite("reading telemetry_rollup");
  }
}

std::vector<std::pair<Id, Micros>> SampleStore::Impl::stored_ends_sqlite(const std::string& sql) {
  std::vector<std::pair<Id, Micros>> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(lite(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    fail_sqlite("reading stored ends");
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  return out;
}

void SampleStore::Impl::fetch_rows_sqlite(Id point, Micros from, Micros to, std::size_t limit,
                                          bool by_start) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(lite(),
                         by_start ? "SELECT start_us, end_us, count, data FROM telemetry_block "
                                    "WHERE point_id = ? AND start_us < ? AND start_us >= ? ORDER "
                                    "BY start_us LIMIT ?"
                                  : "SELECT start_us, end_us, count, data FROM telemetry_block "
                                    "WHERE point_id = ? AND start_us < ? AND end_us >= ? ORDER BY "
                                    "start_us LIMIT ?",
                         -1, &st, nullptr) != SQLITE_OK)
    fail_sqlite("query");
  sqlite3_bind_int64(st, 1, point);
  sqlite3_bind_int64(st, 2, to);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, limit ? static_cast<sqlite3_int64>(limit) : -1);
  while (sqlite3_step(st) == SQLITE_ROW)
    keep_row(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
             sqlite3_column_blob(st, 3), static_cast<std::size_t>(sqlite3_column_bytes(st, 3)));
  sqlite3_finalize(st);
}

}  // namespace houqin::telemetry
