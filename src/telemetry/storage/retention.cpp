// SampleStore retention: per point class, blocks and rollups older than the class's horizon are
// deleted on both backends; on PostgreSQL whole expired partitions are dropped first.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {

void SampleStore::Impl::set_retention(std::string_view point_class, std::chrono::hours keep) {
  if (keep.count() <= 0) fail(ErrorCode::invalid_argument, "keep: must be at least one hour");
  classes[class_of(point_class)].keep =
      std::chrono::duration_cast<std::chrono::microseconds>(keep).count();
}

RetentionResult SampleStore::Impl::apply_retention() {
  RetentionResult result;
  Micros now = to_micros(store.clock().now());
  store::Transaction tx(store);
  if (pg) drop_expired_partitions(now, result);
  for (std::uint16_t c = 0; c < classes.size(); ++c) {
    if (!classes[c].keep) continue;
    Micros cutoff = now - classes[c].keep;
    std::vector<Id> ids;
    for (const auto& p : points)
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
        // a day of rollups goes once the whole day is older than the cutoff
        {"telemetry_rollup", "day_us <= @", cutoff - storage::day_us, &result.rollup_rows}};
    for (const auto& t : targets) {
      // "@" is the bound: $2 on PostgreSQL, ?2 on SQLite
      std::string where;
      for (const char* ch = t.condition; *ch; ++ch)
        if (*ch == '@')
          where += pg ? "$2" : "?2";
        else
          where += *ch;
      if (pg) {
        std::string arr = "{";
        for (std::size_t i = 0; i < ids.size(); ++i) arr += (i ? "," : "") + std::to_string(ids[i]);
        arr += "}";
        std::string bound = std::to_string(t.bound);
        const char* values[2] = {arr.c_str(), bound.c_str()};
        std::string sql = std::string("DELETE FROM ") + t.table +
                          " WHERE point_id = ANY($1::int8[]) AND " + where;
        PGresult* r = PQexecParams(conn(), sql.c_str(), 2, nullptr, values, nullptr, nullptr, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_pg("retention", r);
        *t.count += std::strtoll(PQcmdTuples(r), nullptr, 10);
        PQclear(r);
      } else {
        std::string sql =
            std::string("DELETE FROM ") + t.table + " WHERE point_id = ?1 AND " + where;
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(lite(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
          fail_sqlite("retention");
        for (Id id : ids) {
          sqlite3_bind_int64(st, 1, id);
          sqlite3_bind_int64(st, 2, t.bound);
          int rc = sqlite3_step(st);
          sqlite3_reset(st);
          if (rc != SQLITE_DONE) {
            sqlite3_finalize(st);
            fail_sqlite("retention");
          }
          *t.count += sqlite3_changes(lite());
        }
        sqlite3_finalize(st);
      }
    }
  }
  tx.commit();
  counters.blocks_expired += static_cast<std::uint64_t>(result.blocks);
  counters.rollup_rows_expired += static_cast<std::uint64_t>(result.rollup_rows);
  return result;
}

/// A partition is dropped when it holds nothing that must stay: every row belongs to a
/// configured point whose class has a retention, and ends before that class's cutoff. Partitions
/// that hold anything else are left for the row-by-row DELETE.
void SampleStore::Impl::drop_expired_partitions(Micros now, RetentionResult& result) {
  using storage::partition_name;
  using storage::partition_us;
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
  PGresult* r = PQexec(conn(),
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
    std::int64_t in_partition = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
    std::int64_t keep = std::strtoll(PQgetvalue(r, 0, 1), nullptr, 10);
    PQclear(r);
    if (keep) continue;
    pg_exec("ALTER TABLE telemetry_block DETACH PARTITION " + name);
    pg_exec("DROP TABLE " + name);
    partitions.erase(lo);
    result.blocks += in_partition;
    ++result.partitions_dropped;
  }
}

}  // namespace houqin::telemetry
