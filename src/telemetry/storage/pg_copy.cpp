// SampleStore on PostgreSQL: blocks written by COPY BINARY on the libpq connection under SOCI,
// rollups merged into their stored days and upserted by unnest, the weekly partitions of
// telemetry_block created on demand; and blocks read back (where each point's data ends, a query's
// rows).
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
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

void SampleStore::Impl::write_blocks_pg(std::span<const storage::PendingBlock> blocks,
                                        const std::vector<std::uint8_t>& data,
                                        std::vector<Micros>& created) {
  for (const auto& b : blocks) {
    Micros lo = storage::floor_to(b.start, storage::partition_us);
    if (partitions.count(lo) || std::find(created.begin(), created.end(), lo) != created.end())
      continue;
    pg_exec(storage::partition_sql(lo));
    created.push_back(lo);
  }
  copy_blocks(blocks, data);
}

void SampleStore::Impl::copy_blocks(std::span<const storage::PendingBlock> blocks,
                                    const std::vector<std::uint8_t>& data) {
  using storage::put_be;
  auto& out = copy_buffer;
  out.clear();
  for (char c : std::string_view("PGCOPY\n\377\r\n\0", 11)) out.push_back(c);  // signature
  put_be(out, 0, 4);                                                           // flags
  put_be(out, 0, 4);                                                           // header extension
  for (const auto& b : blocks) {
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
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(b.offset),
               data.begin() + static_cast<std::ptrdiff_t>(b.offset + b.size));
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

namespace storage {

/// A double as PostgreSQL's float8 input reads it back exactly.
std::string pg_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

namespace {

/// Appends an element to a PostgreSQL array literal being built ("{" first).
void add_element(std::string& array, std::string_view element) {
  if (array.size() > 1) array += ',';
  array += element;
}

/// The points of a query as a PostgreSQL array, and where each one's rows go (a point asked for
/// twice gets them twice).
struct PointSlots {
  std::string ids = "{";
  std::vector<std::pair<Id, std::size_t>> slots;  // (point, index), sorted
  explicit PointSlots(std::span<const Id> points) {
    for (std::size_t i = 0; i < points.size(); ++i) {
      slots.emplace_back(points[i], i);
      add_element(ids, std::to_string(points[i]));
    }
    ids += '}';
    std::sort(slots.begin(), slots.end());
  }
  /// Calls f(i) for each index i `point` was asked at.
  template <class F>
  void each(Id point, F&& f) const {
    for (auto at = std::lower_bound(slots.begin(), slots.end(), std::pair{point, std::size_t{0}});
         at != slots.end() && at->first == point; ++at)
      f(at->second);
  }
};

}  // namespace
}  // namespace storage

void SampleStore::Impl::write_rollup_days_pg(std::vector<storage::RollupDayRow>& days) {
  using storage::add_element;
  using storage::get_be;
  std::string ids = "{", starts = "{";
  for (const auto& d : days) {
    add_element(ids, std::to_string(d.point_id));
    add_element(starts, std::to_string(d.day));
  }
  ids += '}';
  starts += '}';
  // The rows already stored, merged into the new ones (days is sorted by point and day).
  const char* keys[2] = {ids.c_str(), starts.c_str()};
  PGresult* r = PQexecParams(conn(),
                             "SELECT r.point_id, r.day_us, r.data FROM telemetry_rollup r JOIN "
                             "unnest($1::int8[], $2::int8[]) AS k(p, d) ON r.point_id = k.p AND "
                             "r.day_us = k.d",
                             2, nullptr, keys, nullptr, nullptr, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("reading telemetry_rollup", r);
  for (int i = 0; i < PQntuples(r); ++i) {
    storage::RollupDayRow key{static_cast<Id>(get_be(PQgetvalue(r, i, 0), 8)),
                              static_cast<Micros>(get_be(PQgetvalue(r, i, 1), 8)),
                              {}};
    auto at = std::lower_bound(days.begin(), days.end(), key, [](const auto& a, const auto& b) {
      return a.point_id != b.point_id ? a.point_id < b.point_id : a.day < b.day;
    });
    if (at == days.end() || at->point_id != key.point_id || at->day != key.day) continue;
    const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r, i, 2));
    try {
      merge_stored_day(*at, {p, static_cast<std::size_t>(PQgetlength(r, i, 2))});
    } catch (...) {
      PQclear(r);
      throw;
    }
  }
  PQclear(r);
  static constexpr char hex[] = "0123456789abcdef";
  std::string data = "{", counts = "{", mins = "{", maxs = "{", sums = "{";
  for (const auto& d : days) {
    std::string element;
    for (std::uint8_t b : d.rollup.pack()) {
      element += hex[b >> 4];
      element += hex[b & 15];
    }
    add_element(data, element);
    const auto total = d.rollup.total();
    add_element(counts, std::to_string(total.count));
    add_element(mins, storage::pg_float(total.min));
    add_element(maxs, storage::pg_float(total.max));
    add_element(sums, storage::pg_float(total.sum));
  }
  for (auto* a : {&data, &counts, &mins, &maxs, &sums}) *a += '}';
  const char* values[7] = {ids.c_str(),  starts.c_str(), counts.c_str(), mins.c_str(),
                           maxs.c_str(), sums.c_str(),   data.c_str()};
  r = PQexecParams(conn(),
                   "INSERT INTO telemetry_rollup (point_id, day_us, count, min, max, sum, data) "
                   "SELECT p, d, c, lo, hi, s, decode(x, 'hex') FROM unnest($1::int8[], "
                   "$2::int8[], $3::int8[], $4::float8[], $5::float8[], $6::float8[], $7::text[]) "
                   "AS k(p, d, c, lo, hi, s, x) ON CONFLICT (point_id, day_us) DO UPDATE SET "
                   "count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = "
                   "EXCLUDED.sum, data = EXCLUDED.data",
                   7, nullptr, values, nullptr, nullptr, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_pg("writing telemetry_rollup", r);
  PQclear(r);
}

void SampleStore::Impl::fetch_stored_rollups_pg(std::span<const Id> points, Micros from,
                                                Micros days_to, Micros first_day,
                                                const storage::HourRange& range,
                                                std::vector<std::vector<storage::RollupRow>>& out) {
  using storage::get_be;
  // A query per group of points for their packed hours, each sent as soon as the one before it
  // is in: the server reads the next group while this side unpacks the last.
  struct Query {
    bool totals;
    std::size_t first, count;
  };
  // (The day totals are small: one query for all the points.)
  constexpr std::size_t group = 16;
  std::vector<Query> queries;
  if (days_to > from) queries.push_back({true, 0, points.size()});
  for (std::size_t g = 0; g < points.size() && range.to > range.from; g += group)
    queries.push_back({false, g, std::min(group, points.size() - g)});
  if (queries.empty()) return;
  bool in_flight = false;
  auto send = [&](const Query& q) {
    storage::PointSlots slots(points.subspan(q.first, q.count));
    std::string b = std::to_string(q.totals ? from : first_day),
                c = std::to_string(q.totals ? days_to : range.to);
    const char* values[3] = {slots.ids.c_str(), b.c_str(), c.c_str()};
    if (!PQsendQueryParams(conn(),
                           q.totals ? "SELECT point_id, day_us, count, min, max, sum FROM "
                                      "telemetry_rollup WHERE point_id = ANY($1::int8[]) AND "
                                      "day_us >= $2 AND day_us < $3"
                                    : "SELECT point_id, day_us, data FROM telemetry_rollup WHERE "
                                      "point_id = ANY($1::int8[]) AND day_us >= $2 AND day_us < "
                                      "$3",
                           3, nullptr, values, nullptr, nullptr, 1))
      fail_pg("reading telemetry_rollup", nullptr);
    in_flight = true;
  };
  // The result of the query in flight (the connection idle again after it).
  auto receive = [&] {
    PGresult* r = PQgetResult(conn());
    for (PGresult* more; (more = PQgetResult(conn()));) PQclear(more);
    in_flight = false;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("reading telemetry_rollup", r);
    return r;
  };
  try {
    send(queries[0]);
    for (std::size_t q = 0; q < queries.size(); ++q) {
      PGresult* r = receive();
      if (q + 1 < queries.size()) send(queries[q + 1]);
      try {
        const Query& query = queries[q];
        storage::PointSlots slots(points.subspan(query.first, query.count));
        for (int i = 0; i < PQntuples(r); ++i) {
          const auto point = static_cast<Id>(get_be(PQgetvalue(r, i, 0), 8));
          const auto day = static_cast<Micros>(get_be(PQgetvalue(r, i, 1), 8));
          if (query.totals) {
            auto real = [r, i](int column) {
              return std::bit_cast<double>(get_be(PQgetvalue(r, i, column), 8));
            };
            storage::RollupRow totals{
                point,   day,     real(3),
                real(4), real(5), static_cast<std::int64_t>(get_be(PQgetvalue(r, i, 2), 8))};
            if (totals.count <= 0) storage::fail_day_totals(totals);
            slots.each(point, [&](std::size_t at) { out[query.first + at].push_back(totals); });
          } else {
            storage::RollupDayRow row{point, day, {}};
            const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r, i, 2));
            storage::RollupDay::unpack({p, static_cast<std::size_t>(PQgetlength(r, i, 2))}, row);
            slots.each(point, [&](std::size_t at) {
              storage::add_hours(row, range, out[query.first + at]);
            });
          }
        }
      } catch (...) {
        PQclear(r);
        throw;
      }
      PQclear(r);
    }
  } catch (...) {
    if (in_flight)  // the connection must be idle for whoever uses it next
      while (PGresult* r = PQgetResult(conn())) PQclear(r);
    throw;
  }
  // The rows came in the server's order (sorting them there cost more than here).
  const auto by_bucket = [](const storage::RollupRow& a, const storage::RollupRow& b) {
    return a.bucket < b.bucket;
  };
  for (auto& rows : out)
    if (!std::is_sorted(rows.begin(), rows.end(), by_bucket))
      std::stable_sort(rows.begin(), rows.end(), by_bucket);
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

void SampleStore::Impl::fetch_rows_pg(Id point, Micros from, Micros to, std::size_t limit,
                                      bool by_start) {
  std::string a = std::to_string(point), b = std::to_string(to), c = std::to_string(from),
              d = std::to_string(limit);
  const char* values[4] = {a.c_str(), b.c_str(), c.c_str(), limit ? d.c_str() : nullptr};
  PGresult* r = PQexecParams(conn(),
                             by_start ? "SELECT start_us, end_us, count, data FROM telemetry_block "
                                        "WHERE point_id = $1 AND start_us < $2 AND start_us >= $3 "
                                        "ORDER BY start_us LIMIT $4::int8"
                                      : "SELECT start_us, end_us, count, data FROM telemetry_block "
                                        "WHERE point_id = $1 AND start_us < $2 AND end_us >= $3 "
                                        "ORDER BY start_us LIMIT $4::int8",
                             4, nullptr, values, nullptr, nullptr, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_pg("query", r);
  using storage::get_be;
  for (int i = 0; i < PQntuples(r); ++i)
    keep_row(static_cast<Micros>(get_be(PQgetvalue(r, i, 0), 8)),
             static_cast<Micros>(get_be(PQgetvalue(r, i, 1), 8)),
             static_cast<std::int32_t>(get_be(PQgetvalue(r, i, 2), 4)), PQgetvalue(r, i, 3),
             static_cast<std::size_t>(PQgetlength(r, i, 3)));
  PQclear(r);
}

}  // namespace houqin::telemetry
