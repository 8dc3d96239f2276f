// SampleStore on SQLite: blocks and rollups written with prepared statements on the native
// connection, and blocks read back (where each point's data ends, a query's rows).
#include <sqlite3.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

storage::SqliteStatements::~SqliteStatements() {
  for (auto* st : {insert_block, upsert_1m, upsert_1h}) sqlite3_finalize(st);
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

namespace storage {
namespace {

/// The rollup upsert into `table`: a bucket already there is merged (min of mins, sum of sums).
std::string sqlite_rollup_upsert(const std::string& table) {
  return "INSERT INTO " + table +
         " (point_id, bucket_us, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?) "
         "ON CONFLICT (point_id, bucket_us) DO UPDATE SET min = min(" +
         table + ".min, excluded.min), max = max(" + table + ".max, excluded.max), sum = " + table +
         ".sum + excluded.sum, count = " + table + ".count + excluded.count";
}

}  // namespace
}  // namespace storage

void SampleStore::Impl::write_pending_sqlite() {
  auto* st = prepare(statements.insert_block,
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

  for (auto [cache, table, rows] :
       {std::tuple{&statements.upsert_1m, "telemetry_rollup_1m", &rollup_1m},
        std::tuple{&statements.upsert_1h, "telemetry_rollup_1h", &rollup_1h}}) {
    if (rows->empty()) continue;
    auto* up = prepare(*cache, storage::sqlite_rollup_upsert(table).c_str());
    for (const auto& r : *rows) {
      sqlite3_bind_int64(up, 1, r.point_id);
      sqlite3_bind_int64(up, 2, r.bucket);
      sqlite3_bind_double(up, 3, r.min);
      sqlite3_bind_double(up, 4, r.max);
      sqlite3_bind_double(up, 5, r.sum);
      sqlite3_bind_int64(up, 6, r.count);
      int rc = sqlite3_step(up);
      sqlite3_reset(up);
      if (rc != SQLITE_DONE) fail_sqlite(std::string("writing ") + table);
    }
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

void SampleStore::Impl::fetch_rows_sqlite(Id point, Micros from, Micros to) {
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
    keep_row(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
             sqlite3_column_blob(st, 3), static_cast<std::size_t>(sqlite3_column_bytes(st, 3)));
  sqlite3_finalize(st);
}

}  // namespace houqin::telemetry
