// SampleStore on PostgreSQL: blocks written by COPY BINARY on the libpq connection under SOCI,
// rollups by one unnest upsert per table, the weekly partitions of telemetry_block created on
// demand; and blocks read back (where each point's data ends, a query's rows).
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "houqin/core/error.hpp"
#include "telemetry/storage/impl.hpp"

namespace houqin::telemetry {
namespace storage {

std::string partition_name(Micros lo) {
  return "telemetry_block_p" + std::string(lo < 0 ? "m" : "") +
         std::to_string(lo < 0 ? -(lo / partition_us) : lo / partition_us);
}

std::string partition_sql(Micros lo) {
  return "CREATE TABLE IF NOT EXISTS " + partition_name(lo) +
         " PARTITION OF telemetry_block FOR VALUES FROM (" + std::to_string(lo) + ") TO (" +
         std::to_string(lo + partition_us) + ")";
}

namespace {

void put_be(std::vector<char>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace
}  // namespace storage

void SampleStore::Impl::fail_pg(const std::string& what, PGresult* res) {
  std::string msg =
      res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : PQerrorMessage(conn());
  if (res) PQclear(res);
  fail(ErrorCode::unavailable, "telemetry storage: " + what + ": " + storage::first_line(msg));
}

void SampleStore::Impl::pg_exec(const std::string& sql) {
  PGresult* r = PQexec(conn(), sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_pg(sql.substr(0, 40), r);
  PQclear(r);
}

void SampleStore::Impl::write_pending_pg(std::vector<Micros>& created) {
  for (const auto& b : pending) {
    Micros lo = storage::floor_to(b.start, storage::partition_us);
    if (partitions.count(lo) || std::find(created.begin(), created.end(), lo) != created.end())
      continue;
    pg_exec(storage::partition_sql(lo));
    created.push_back(lo);
  }
  copy_blocks();
  upsert_pg("telemetry_rollup_1m", rollup_1m);
  upsert_pg("telemetry_rollup_1h", rollup_1h);
}

void SampleStore::Impl::copy_blocks() {
  using storage::put_be;
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
    std::string msg = storage::first_line(PQresultErrorMessage(r));
    PQclear(r);
    while ((r = PQgetResult(conn()))) PQclear(r);
    fail(ErrorCode::unavailable, "telemetry storage: COPY telemetry_block: " + msg);
  }
  PQclear(r);
  while ((r = PQgetResult(conn()))) PQclear(r);
}

void SampleStore::Impl::upsert_pg(const std::string& table,
                                  const std::vector<storage::RollupRow>& rows) {
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

std::vector<std::pair<Id, Micros>> SampleStore::Impl::stored_ends_pg(const std::string& sql) {
  std::vector<std::pair<Id, Micros>> out;
  PGresult* r = PQexec(conn(), sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("reading stored ends", r);
  for (int row = 0; row < PQntuples(r); ++row)
    out.emplace_back(std::strtoll(PQgetvalue(r, row, 0), nullptr, 10),
                     std::strtoll(PQgetvalue(r, row, 1), nullptr, 10));
  PQclear(r);
  return out;
}

void SampleStore::Impl::fetch_rows_pg(Id point, Micros from, Micros to) {
  std::string a = std::to_string(point), b = std::to_string(to), c = std::to_string(from);
  const char* values[3] = {a.c_str(), b.c_str(), c.c_str()};
  PGresult* r = PQexecParams(conn(),
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
    keep_row(static_cast<Micros>(be(PQgetvalue(r, i, 0), 8)),
             static_cast<Micros>(be(PQgetvalue(r, i, 1), 8)),
             static_cast<std::int32_t>(be(PQgetvalue(r, i, 2), 4)), PQgetvalue(r, i, 3),
             static_cast<std::size_t>(PQgetlength(r, i, 3)));
  PQclear(r);
}

}  // namespace houqin::telemetry
