// The storage tables: their migration, and their registration as raw tables of the store's
// catalog so backup and restore carry them (with the hook that creates PostgreSQL partitions
// before a restore). The registration sits beside storage_migrations(), which every program
// that uses the tables links.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <string>
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
}  // namespace storage

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

}  // namespace houqin::telemetry
