#include "houqin/telemetry/storage.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "../../support/small_disk.hpp"

namespace houqin::telemetry {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

constexpr Micros t0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
constexpr Micros second = 1'000'000;

/// The deterministic test signal: point p's k-th sample, one a second, two decimals.
Sample sample(Id p, std::int64_t k) {
  double v =
      std::round((100.0 * static_cast<double>(p) + 3 * std::sin(static_cast<double>(k) / 7.0)) *
                 100) /
      100;
  return {p, t0 + k * second, v, quality_good, Flag::pass};
}

/// Samples k in [from, to) of points 1..n, point by point within each instant.
std::vector<Sample> batch(Id n, std::int64_t from, std::int64_t to) {
  std::vector<Sample> out;
  for (std::int64_t k = from; k < to; ++k)
    for (Id p = 1; p <= n; ++p) out.push_back(sample(p, k));
  return out;
}

std::vector<PointStorage> points(Id n, double resolution = 0.01,
                                 const std::string& cls = "default") {
  std::vector<PointStorage> out;
  for (Id p = 1; p <= n; ++p) out.push_back({p, resolution, cls});
  return out;
}

/// One number from SQL, through the store's native connection.
double scalar(store::Store& s, const std::string& sql) {
  if (s.dialect() == store::Dialect::sqlite) {
    auto* db = static_cast<sqlite3*>(s.native_handle());
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return v;
  }
  PGresult* r = PQexec(static_cast<PGconn*>(s.native_handle()), sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  double v =
      PQntuples(r) && !PQgetisnull(r, 0, 0) ? std::strtod(PQgetvalue(r, 0, 0), nullptr) : NAN;
  PQclear(r);
  return v;
}

void expect_series(const Series& got, Id p, std::int64_t from, std::int64_t to) {
  ASSERT_EQ(got.size(), static_cast<std::size_t>(to - from)) << "point " << p;
  for (std::int64_t k = from; k < to; ++k) {
    auto i = static_cast<std::size_t>(k - from);
    auto want = sample(p, k);
    ASSERT_EQ(got.times[i], want.time) << "point " << p << " sample " << k;
    ASSERT_EQ(got.values[i], want.value) << "point " << p << " sample " << k;
    ASSERT_EQ(got.flags[i], Flag::pass);
    ASSERT_EQ(got.qualities[i], quality_good);
  }
}

SampleStoreOptions with(std::size_t max_block_bytes, fs::path wal = {},
                        std::uint64_t segment = 64ull << 20, SyncPolicy sync = SyncPolicy::none) {
  SampleStoreOptions o;
  o.sync = sync;
  o.sync_interval = std::chrono::milliseconds(1);
  o.max_block_bytes = max_block_bytes;
  o.wal_dir = std::move(wal);
  o.wal_segment_bytes = segment;
  return o;
}

constexpr Micros minute = 60 * second, hour = 60 * minute, day = 24 * hour;

/// The rollups of `samples` (one point's, in time order) as SampleStore::rollups defines them,
/// computed here from the samples themselves.
std::vector<Rollup> reference_rollups(std::span<const Sample> samples, Micros from, Micros to,
                                      Micros step) {
  std::vector<Rollup> out;
  for (const auto& x : samples) {
    if (x.time < from || x.time >= to || x.quality != quality_good || !std::isfinite(x.value))
      continue;
    Micros start = from + (x.time - from) / step * step;
    if (out.empty() || out.back().start != start) out.push_back({start, x.value, x.value, 0, 0});
    auto& b = out.back();
    b.min = std::min(b.min, x.value);
    b.max = std::max(b.max, x.value);
    b.sum += x.value;
    ++b.count;
  }
  return out;
}

void expect_rollups(const std::vector<Rollup>& got, const std::vector<Rollup>& want,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].start, want[i].start) << what << " bucket " << i;
    ASSERT_EQ(got[i].count, want[i].count) << what << " bucket " << i;
    ASSERT_EQ(got[i].min, want[i].min) << what << " bucket " << i;
    ASSERT_EQ(got[i].max, want[i].max) << what << " bucket " << i;
    ASSERT_NEAR(got[i].sum, want[i].sum, 1e-9 * std::max(1.0, std::abs(want[i].sum)))
        << what << " bucket " << i;
  }
}

/// A point's good samples of the first `days` days from t0 in one bucket (count, sum ...).
Rollup total(SampleStore& ss, Id p, std::int64_t days = 10) {
  auto r = ss.rollups(p, t0, t0 + days * day, days * day);
  return r.empty() ? Rollup{} : r[0];
}

/// Appends 100 instants of points 1..4 at a time from k on until an append is refused (or k
/// reaches 100,000); k ends after the last accepted batch. Returns the refusal.
std::optional<Error> append_until_refused(SampleStore& ss, std::int64_t& k) {
  while (k < 100000) {
    try {
      ss.append(batch(4, k, k + 100));
      k += 100;
    } catch (const Error& e) {
      return e;
    }
  }
  return std::nullopt;
}

class SampleStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<store::Store> open(store::StoreOptions options = {}) {
    auto s = fx_.open(GetParam(), options);
    if (s) store::migrate(*s, storage_migrations());
    return s;
  }
  fs::path wal_dir() {
    auto dir = fs::temp_directory_path() /
               ("houqin-wal-" + std::to_string(::getpid()) + "-" + std::to_string(++n_));
    fs::remove_all(dir);
    dirs_.push_back(dir);
    return dir;
  }
  ~SampleStoreTest() override {
    for (auto& d : dirs_) fs::remove_all(d);
  }
  testing::BackendFixture fx_;
  std::vector<fs::path> dirs_;
  int n_ = 0;
};

TEST_P(SampleStoreTest, QueriesMergeStoredAndOpenBlocks) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(3), with(64));
  for (std::int64_t k = 0; k < 600; k += 50) ss.append(batch(3, k, k + 50));
  auto st = ss.stats();
  EXPECT_GT(st.blocks_written, 10u);  // small blocks: most are stored ...
  EXPECT_GT(st.open_samples, 0u);     // ... and the newest are still open
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"),
            static_cast<double>(st.blocks_written));
  for (Id p = 1; p <= 3; ++p) expect_series(ss.query(p, t0, t0 + 600 * second), p, 0, 600);
  // range edges: from is included, to is not, wherever the block boundaries fall
  for (std::int64_t a : {0, 1, 37, 111, 299, 598})
    for (std::int64_t b : {a, a + 1, a + 2, a + 90, std::int64_t{600}})
      if (b >= a && b <= 600) expect_series(ss.query(2, t0 + a * second, t0 + b * second), 2, a, b);
  expect_series(ss.query(2, t0 - 100 * second, t0), 2, 0, 0);
  EXPECT_EQ(ss.query(99, t0, t0 + 600 * second).size(), 0u);  // unknown point: nothing
  // into caller buffers: the first capacity samples, and the total
  Series small;
  small.resize(25);
  EXPECT_EQ(ss.query(1, t0 + 10 * second, t0 + 500 * second, small.buffers()), 490u);
  small.resize(25);
  expect_series(small, 1, 10, 35);
  ss.flush();
  EXPECT_EQ(ss.stats().open_samples, 0u);
  expect_series(ss.query(3, t0, t0 + 600 * second), 3, 0, 600);
}

TEST_P(SampleStoreTest, BlockRowsAreReadableWithSqlAndRollupsComeFromTheStore) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(1), with(64));
  std::vector<Sample> in = batch(1, 0, 7200);  // two hours
  in[100].quality = 2;                         // a bad reading: kept, but not in the rollups
  in[100].value = NAN;
  ss.append(in);
  ss.flush();
  double lo = 1e9, hi = -1e9, sum = 0;
  for (std::int64_t k = 60; k < 120; ++k) {
    if (k == 100) continue;
    double v = sample(1, k).value;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  auto minutes = ss.rollups(1, t0, t0 + 2 * hour, minute);
  ASSERT_EQ(minutes.size(), 120u);
  EXPECT_EQ(minutes[1].start, t0 + minute);
  EXPECT_EQ(minutes[1].count, 59);
  EXPECT_DOUBLE_EQ(minutes[1].min, lo);
  EXPECT_DOUBLE_EQ(minutes[1].max, hi);
  EXPECT_NEAR(minutes[1].sum, sum, 1e-9);
  expect_rollups(minutes, reference_rollups(in, t0, t0 + 2 * hour, minute), "minutes");
  auto hours = ss.rollups(1, t0, t0 + 2 * hour, hour);
  expect_rollups(hours, reference_rollups(in, t0, t0 + 2 * hour, hour), "hours");
  EXPECT_EQ(hours[0].count + hours[1].count, 7199);
  // the hours are stored packed: one row for the point's day, with its totals readable by SQL
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup"), 1);
  EXPECT_EQ(scalar(*s, "SELECT count FROM telemetry_rollup"), 7199);
  EXPECT_NEAR(scalar(*s, "SELECT sum FROM telemetry_rollup"), hours[0].sum + hours[1].sum, 1e-6);
  EXPECT_EQ(scalar(*s, "SELECT min FROM telemetry_rollup"), std::min(hours[0].min, hours[1].min));
  EXPECT_GT(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"), 120);
  EXPECT_EQ(scalar(*s, "SELECT SUM(count) FROM telemetry_block"), 7200);
  EXPECT_EQ(scalar(*s, "SELECT MIN(start_us) FROM telemetry_block"), static_cast<double>(t0));
  EXPECT_EQ(scalar(*s, "SELECT MAX(end_us) FROM telemetry_block"),
            static_cast<double>(t0 + 7199 * second));
  // the bad reading comes back as it went in
  auto got = ss.query(1, t0 + 100 * second, t0 + 101 * second);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::isnan(got.values[0]));
  EXPECT_EQ(got.qualities[0], 2);
  // a day's row that later blocks add to is merged, not duplicated
  ss.append(batch(1, 7200, 7230));
  ss.flush();
  hours = ss.rollups(1, t0, t0 + day, hour);
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[2].start, t0 + 2 * hour);
  EXPECT_EQ(hours[2].count, 30);
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup"), 1);
}

TEST_P(SampleStoreTest, RollupsMergeStoredWaitingAndOpenBlocksOnEveryPath) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto options = with(256, wal_dir());
  options.write_batch_bytes = 2 << 10;  // some closed blocks written, some waiting
  SampleStore ss(*s, points(2), options);
  // Three days of point 1 every 7 s from 22:00 on, with bad readings and a gap; point 2 beside.
  std::vector<Sample> mine;
  const Micros begin = t0 - 2 * hour;
  for (Micros t = begin; t < begin + 3 * day; t += 7 * second) {
    if (t >= begin + 30 * hour && t < begin + 33 * hour) continue;  // a gap of three hours
    auto x = sample(1, (t - t0) / second);
    x.time = t;
    if ((t / second) % 97 == 0) {
      x.quality = 3;
      x.value = NAN;
    }
    mine.push_back(x);
  }
  std::size_t at = 0;  // mine[0, at) appended
  auto check = [&](const std::string& when) {
    struct Case {
      Micros from, to, step;
    };
    const Case cases[] = {
        {begin, begin + 3 * day, hour},                        // whole hours: the stored rows
        {t0, t0 + 2 * day + 17 * second, 6 * hour},            // a partial last hour, decoded
        {t0 - day, t0 + 5 * day, day},                         // beyond the data on both sides
        {t0, t0 + 2 * day + 5 * hour + 17 * second, 2 * day},  // day totals, hours, samples
        {begin, begin + 3 * day, minute},                      // minutes: decoded
        {begin + 13 * second, begin + 50 * hour, hour},        // not on an hour: decoded
        {begin + 5 * hour, begin + 5 * hour + 20 * minute, 7 * second},
    };
    for (const auto& c : cases)
      expect_rollups(ss.rollups(1, c.from, c.to, c.step),
                     reference_rollups(std::span(mine).first(at), c.from, c.to, c.step),
                     when + ": [" + std::to_string(c.from) + ", " + std::to_string(c.to) +
                         ") step " + std::to_string(c.step));
  };
  bool mixed = false;  // checked once while blocks were stored, waiting and open at once
  for (int part = 0; part < 3; ++part) {  // a day at a time, in appends of 500 instants
    while (at < mine.size() && mine[at].time < begin + (part + 1) * day) {
      std::vector<Sample> in;
      for (std::size_t n = 0;
           n < 500 && at < mine.size() && mine[at].time < begin + (part + 1) * day; ++n, ++at) {
        in.push_back(mine[at]);
        in.push_back({2, mine[at].time, 1.5, quality_good, Flag::pass});
      }
      ss.append(in);
      auto st = ss.stats();
      if (!mixed && st.pending_bytes > 0 && st.blocks_written > 0 && st.open_samples > 0) {
        mixed = true;
        check("stored, waiting and open blocks");
      }
    }
    check("after day " + std::to_string(part + 1));
  }
  EXPECT_TRUE(mixed);
  ss.flush();
  check("flushed");
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup WHERE point_id = 1"), 4);
  // point 2 is in its own rows
  auto two = ss.rollups(2, begin, begin + 4 * day, 4 * day);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].count, static_cast<std::int64_t>(mine.size()));
  // several points at once: each as if asked alone, in the order asked (twice if asked twice)
  for (Micros step : {day, 2 * day, hour}) {
    const std::vector<Id> asked{2, 1, 7, 2};
    auto all = ss.rollups(asked, t0 - day, t0 + 2 * day + 5 * hour, step);
    ASSERT_EQ(all.size(), asked.size());
    for (std::size_t i = 0; i < asked.size(); ++i)
      expect_rollups(all[i], ss.rollups(asked[i], t0 - day, t0 + 2 * day + 5 * hour, step),
                     "point " + std::to_string(asked[i]) + " step " + std::to_string(step));
  }
  EXPECT_TRUE(ss.rollups(std::vector<Id>{}, t0, t0 + day, day).empty());
}

TEST_P(SampleStoreTest, RollupsRefuseBadRangesAndSteps) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(1), with(64));
  ss.append(batch(1, 0, 100));
  expect_error([&] { ss.rollups(1, t0, t0 + hour, 0); }, ErrorCode::invalid_argument, "step:");
  expect_error([&] { ss.rollups(1, t0, t0 + hour, -minute); }, ErrorCode::invalid_argument,
               "step:");
  expect_error([&] { ss.rollups(1, t0 + hour, t0 + hour, hour); }, ErrorCode::invalid_argument,
               "from:");
  expect_error([&] { ss.rollups(1, t0, t0 + day, 1); }, ErrorCode::invalid_argument,
               "step: [from, to) would hold more than 1,000,000 buckets");
  // The extremes of time do not overflow, and the empty stretches cost nothing: buckets
  // [min, -1) and [-1, max).
  constexpr auto lo = std::numeric_limits<Micros>::min(), hi = std::numeric_limits<Micros>::max();
  auto all = ss.rollups(1, lo, hi, hi);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].count, 100);
  EXPECT_EQ(all[0].start, -1);
  all = ss.rollups(1, lo - lo % hour /* the first whole hour */, hi, 1'000'000 * day);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].count, 100);
  EXPECT_TRUE(ss.rollups(7, t0, t0 + day, hour).empty());  // a point with no data
  EXPECT_EQ(total(ss, 1).count, 100);
}

TEST_P(SampleStoreTest, ADamagedRollupRowIsNamedAndReplacedByTheNextWrite) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(1), with(64));
  ss.append(batch(1, 0, 600));
  ss.flush();
  s->execute(std::string("UPDATE telemetry_rollup SET data = ") +
             (s->dialect() == store::Dialect::postgresql ? "'\\x0102'::bytea" : "x'0102'"));
  expect_error([&] { ss.rollups(1, t0, t0 + day, hour); }, ErrorCode::data_loss,
               "telemetry_rollup: the row of point 1, day " + std::to_string(t0) + " us");
  EXPECT_EQ(ss.query(1, t0, t0 + day).size(), 600u);  // the blocks are whole
  // whole days come from the row's totals, which are intact; missing totals are damage too
  EXPECT_EQ(total(ss, 1).count, 600);
  s->execute("UPDATE telemetry_rollup SET count = 0");
  expect_error([&] { total(ss, 1); }, ErrorCode::data_loss,
               "telemetry_rollup: the row of point 1, day " + std::to_string(t0) +
                   " us is damaged (no day totals");
  ss.append(batch(1, 600, 700));
  ss.flush();  // one bad row does not stop the writes
  EXPECT_EQ(ss.stats().damaged_rollup_rows, 1u);
  EXPECT_NE(ss.stats().last_write_error.find("telemetry_rollup"), std::string::npos);
  EXPECT_EQ(total(ss, 1).count, 100);  // the new hours alone
}

TEST_P(SampleStoreTest, MigrationTwoPacksTheHourlyRollupsOfMigrationOne) {
  auto s = fx_.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto all = storage_migrations();
  ASSERT_GE(all.size(), 2u);
  store::migrate(*s, std::span(all).first(1));
  // rows as version 1 wrote them: two hours of point 1 on one day, one of point 2 the next day
  s->execute(
      "INSERT INTO telemetry_rollup_1h (point_id, bucket_us, min, max, sum, count) VALUES "
      "(1, " +
      std::to_string(t0) + ", 1.5, 2.5, 20, 10), (1, " + std::to_string(t0 + 5 * hour) +
      ", -1, 1, 0.25, 3), (2, " + std::to_string(t0 + day + 23 * hour) + ", 7, 7, 14, 2)");
  s->execute(
      "INSERT INTO telemetry_rollup_1m (point_id, bucket_us, min, max, sum, count) VALUES "
      "(1, " +
      std::to_string(t0) + ", 1.5, 2.5, 20, 10)");
  store::migrate(*s, all);
  EXPECT_FALSE(s->table_exists("telemetry_rollup_1h"));
  EXPECT_FALSE(s->table_exists("telemetry_rollup_1m"));
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup"), 2);
  SampleStore ss(*s, points(2), with(64));
  auto one = ss.rollups(1, t0, t0 + day, hour);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].start, t0);
  EXPECT_EQ(one[0].min, 1.5);
  EXPECT_EQ(one[0].max, 2.5);
  EXPECT_EQ(one[0].sum, 20);
  EXPECT_EQ(one[0].count, 10);
  EXPECT_EQ(one[1].start, t0 + 5 * hour);
  EXPECT_EQ(one[1].sum, 0.25);
  auto two = ss.rollups(2, t0, t0 + 2 * day, day);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].start, t0 + day);
  EXPECT_EQ(two[0].count, 2);
}

TEST_P(SampleStoreTest, MigrationThreeGivesEveryStoredDayItsTotals) {
  auto s = fx_.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto all = storage_migrations();
  ASSERT_GE(all.size(), 3u);
  store::migrate(*s, std::span(all).first(1));
  // 4,100 days of point 1, two hours each (more rows than the migration reads at once), and
  // one day of point 2, packed by migration 2
  std::string values;
  for (std::int64_t d = 0; d < 4100; ++d)
    for (std::int64_t h : {3, 20})
      values += std::string(values.empty() ? "" : ",") + "(1, " +
                std::to_string(t0 + d * day + h * hour) + ", " + std::to_string(d % 7 - h) + ", " +
                std::to_string(d + h) + ", " + std::to_string(2 * d + h) + ".5, " +
                std::to_string(h) + ")";
  values += ",(2, " + std::to_string(t0 + hour) + ", 1, 2, 3, 2)";
  s->execute("INSERT INTO telemetry_rollup_1h (point_id, bucket_us, min, max, sum, count) VALUES " +
             values);
  store::migrate(*s, std::span(all).first(2));
  // point 2's day damaged before migration 3 sees it
  s->execute(std::string("UPDATE telemetry_rollup SET data = ") +
             (s->dialect() == store::Dialect::postgresql ? "'\\x0102'::bytea" : "x'0102'") +
             " WHERE point_id = 2");
  store::migrate(*s, all);
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup WHERE count = 23"), 4100);
  EXPECT_EQ(scalar(*s, "SELECT SUM(sum) FROM telemetry_rollup WHERE point_id = 1"),
            4100.0 * 4099 * 2 + 4100 * 24);  // sum over d of (2d + 3.5) + (2d + 20.5)
  EXPECT_EQ(scalar(*s, "SELECT min FROM telemetry_rollup WHERE point_id = 1 AND day_us = " +
                           std::to_string(t0 + 9 * day)),
            2 - 20);
  EXPECT_EQ(scalar(*s, "SELECT max FROM telemetry_rollup WHERE point_id = 1 AND day_us = " +
                           std::to_string(t0 + 9 * day)),
            9 + 20);
  SampleStore ss(*s, points(2), with(64));
  auto days = ss.rollups(1, t0, t0 + 4100 * day, day);  // from the totals
  ASSERT_EQ(days.size(), 4100u);
  auto hours = ss.rollups(1, t0, t0 + 4100 * day, hour);  // from the packed hours
  ASSERT_EQ(hours.size(), 8200u);
  for (std::size_t d = 0; d < days.size(); ++d) {
    ASSERT_EQ(days[d].start, t0 + static_cast<Micros>(d) * day);
    ASSERT_EQ(days[d].count, hours[2 * d].count + hours[2 * d + 1].count);
    ASSERT_EQ(days[d].min, std::min(hours[2 * d].min, hours[2 * d + 1].min));
    ASSERT_EQ(days[d].max, std::max(hours[2 * d].max, hours[2 * d + 1].max));
    ASSERT_EQ(days[d].sum, hours[2 * d].sum + hours[2 * d + 1].sum);
  }
  // the damaged day has no totals: named as damaged, whichever way it is read
  EXPECT_EQ(scalar(*s, "SELECT count FROM telemetry_rollup WHERE point_id = 2"), 0);
  expect_error(
      [&] { ss.rollups(2, t0, t0 + day, day); }, ErrorCode::data_loss,
      "telemetry_rollup: the row of point 2, day " + std::to_string(t0) + " us is damaged");
  expect_error(
      [&] { ss.rollups(2, t0, t0 + day, hour); }, ErrorCode::data_loss,
      "telemetry_rollup: the row of point 2, day " + std::to_string(t0) + " us is damaged");
}

TEST_P(SampleStoreTest, CompactionResealsEachOverWindowAsOneBlockAndReadsBackTheSame) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto config = points(2);
  config[1].resolution = 0;  // XOR floats: resealed in the streamed format
  auto options = with(64);
  options.compact_span = std::chrono::hours(6);
  const auto blocks = [&](Id p) {
    return scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = " + std::to_string(p));
  };
  {
    SampleStore ss(*s, config, options);
    std::vector<Sample> in = batch(2, 0, 14 * 3600);  // 00:00 .. 14:00
    in[2 * 7000].quality = 2;                         // a bad reading: kept as it was
    in[2 * 7000].value = NAN;
    for (auto& x : in)  // equal times across what could be a cut
      if (x.time >= t0 + 8000 * second && x.time < t0 + 8010 * second) x.time = t0 + 8000 * second;
    ss.append(in);
    ss.flush();
    const auto before = ss.query(1, t0, t0 + day), floats = ss.query(2, t0, t0 + day);
    const auto hours = ss.rollups(1, t0, t0 + day, hour);
    ASSERT_GT(blocks(1), 1000);
    const double in_first_windows =
        scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE start_us < " +
                       std::to_string(t0 + 12 * hour));
    auto r = ss.compact();
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.windows, 4);  // 00-06 and 06-12 of both points; 12-18 is not over
    EXPECT_EQ(r.blocks_after, 4);
    EXPECT_EQ(static_cast<double>(r.blocks_before), in_first_windows);
    EXPECT_LT(r.bytes_after, r.bytes_before);
    EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = 1 AND start_us < " +
                             std::to_string(t0 + 12 * hour)),
              2);
    // the same samples, bit for bit, and the same rollups
    for (auto [p, want] : {std::pair<Id, const Series*>{1, &before}, {2, &floats}}) {
      auto got = ss.query(p, t0, t0 + day);
      ASSERT_EQ(got.size(), want->size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got.times[i], want->times[i]) << p << " " << i;
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got.values[i]),
                  std::bit_cast<std::uint64_t>(want->values[i]))
            << p << " " << i;
        ASSERT_EQ(got.qualities[i], want->qualities[i]) << p << " " << i;
        ASSERT_EQ(got.flags[i], want->flags[i]) << p << " " << i;
      }
    }
    expect_rollups(ss.rollups(1, t0, t0 + day, hour), hours, "after compaction");
    // The first window's row: the blocks that started in 00:00-06:00, the last of them running a
    // little past 06:00, with the statistics of their good samples.
    const std::string first =
        " FROM telemetry_block WHERE point_id = 1 AND start_us = " + std::to_string(t0);
    const auto end = static_cast<Micros>(scalar(*s, "SELECT end_us" + first));
    EXPECT_GE(end, t0 + 6 * hour - second);
    EXPECT_LT(end, t0 + 6 * hour + 10 * minute);
    double lo = 1e9, hi = -1e9;
    std::int64_t n = 0;
    for (std::size_t i = 0; i < before.size() && before.times[i] <= end; ++i, ++n)
      if (before.qualities[i] == quality_good) {
        lo = std::min(lo, before.values[i]);
        hi = std::max(hi, before.values[i]);
      }
    EXPECT_EQ(scalar(*s, "SELECT min" + first), lo);
    EXPECT_EQ(scalar(*s, "SELECT max" + first), hi);
    EXPECT_EQ(scalar(*s, "SELECT count" + first), static_cast<double>(n));
    // nothing left to do, but for the last window, which `final` reseals without marking it done
    EXPECT_EQ(ss.compact().windows, 0);
    r = ss.compact(0, true);
    EXPECT_EQ(r.windows, 2);
    EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = 1"), 3);
    EXPECT_EQ(scalar(*s, "SELECT until_us FROM telemetry_compaction WHERE point_id = 1"),
              static_cast<double>(t0 + 12 * hour));
    EXPECT_EQ(ss.query(1, t0, t0 + day).size(), before.size());
  }
  // Reopened: appending goes on after the stored end, and the next windows compact once over.
  SampleStore ss(*s, config, options);
  ss.append(batch(2, 14 * 3600, 20 * 3600));
  ss.flush();
  auto r = ss.compact();
  EXPECT_EQ(r.windows, 2);  // 12-18 of both points: the block `final` made and the new ones
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = 1 AND start_us < " +
                           std::to_string(t0 + 18 * hour)),
            3);
  EXPECT_EQ(scalar(*s, "SELECT until_us FROM telemetry_compaction WHERE point_id = 1"),
            static_cast<double>(t0 + 18 * hour));
  auto all = ss.query(1, t0, t0 + day);
  ASSERT_EQ(all.size(), 20u * 3600);
  for (std::size_t i = 1; i < all.size(); ++i) ASSERT_LE(all.times[i - 1], all.times[i]);
  EXPECT_EQ(all.times.back(), t0 + (20 * 3600 - 1) * second);
}

TEST_P(SampleStoreTest, CompactionStopsAtMaxWindowsAndCutsFullWindowsIntoBlocksOfTheLimit) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto options = with(64);
  options.compact_span = std::chrono::hours(1);
  options.max_compact_samples = 1024;
  SampleStore ss(*s, points(3), options);
  ss.append(batch(3, 0, 4 * 3600 + 1));
  ss.flush();
  auto r = ss.compact(2);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.windows, 2);
  EXPECT_EQ(r.blocks_after, 2 * 4);  // 3600 samples in blocks of at most 1024
  // Bounded calls go on where the last stopped, point after point, until all is done.
  std::int64_t windows = r.windows;
  for (int call = 0; call < 20 && !r.complete; ++call) {
    r = ss.compact(3);
    windows += r.windows;
  }
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(windows, 3 * 4);  // hours 0-4 of three points; 4-5 is not over
  EXPECT_EQ(ss.compact().windows, 0);
  for (Id p = 1; p <= 3; ++p) {
    EXPECT_EQ(
        scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = " + std::to_string(p) +
                       " AND start_us < " + std::to_string(t0 + 4 * hour)),
        4 * 4)
        << p;
    expect_series(ss.query(p, t0, t0 + day), p, 0, 4 * 3600 + 1);
  }
  EXPECT_EQ(scalar(*s, "SELECT MAX(count) FROM telemetry_block"), 1024);
  // bad options are refused
  auto bad = with(64);
  bad.compact_span = std::chrono::seconds(30);
  expect_error([&] { SampleStore x(*s, points(1), bad); }, ErrorCode::invalid_argument,
               "compact_span:");
  bad = with(64);
  bad.max_compact_samples = 10;
  expect_error([&] { SampleStore x(*s, points(1), bad); }, ErrorCode::invalid_argument,
               "max_compact_samples:");
}

TEST_P(SampleStoreTest, BadInputLeavesTheStoreUnchanged) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(2), with(64));
  ss.append(batch(2, 0, 100));
  auto before = ss.stats();
  auto blocks = scalar(*s, "SELECT COUNT(*) FROM telemetry_block");

  auto unknown = batch(2, 100, 200);
  unknown[150].point_id = 7;
  expect_error([&] { ss.append(unknown); }, ErrorCode::not_found, "point_id 7: not a configured");
  auto backwards = batch(2, 100, 200);
  backwards[151].time = t0 + 99 * second;  // point 2 goes back in time, late in the batch
  expect_error([&] { ss.append(backwards); }, ErrorCode::invalid_argument,
               "time " + std::to_string(t0 + 99 * second) + " of point 2 is before");
  auto bad_flag = batch(2, 100, 101);
  bad_flag[0].flag = static_cast<Flag>(9);
  expect_error([&] { ss.append(bad_flag); }, ErrorCode::invalid_argument, "flag 9 of point 1");

  EXPECT_EQ(ss.stats().samples_appended, before.samples_appended);
  EXPECT_EQ(ss.stats().open_samples, before.open_samples);
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"), blocks);
  expect_series(ss.query(1, t0, t0 + 1000 * second), 1, 0, 100);
  // the same samples, put right, are accepted: nothing of the refused calls was kept
  ss.append(batch(2, 100, 200));
  expect_series(ss.query(2, t0, t0 + 1000 * second), 2, 0, 200);

  // equal times are fine within a block; once stored, a point continues after its end
  Sample again = sample(1, 199);
  ss.append(std::span(&again, 1));
  EXPECT_EQ(ss.query(1, t0 + 199 * second, t0 + 200 * second).size(), 2u);
  ss.flush();
  expect_error([&] { ss.append(std::span(&again, 1)); }, ErrorCode::invalid_argument, "time ");
}

TEST_P(SampleStoreTest, ReopenContinuesAfterStoredData) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  {
    SampleStore ss(*s, points(2));
    ss.append(batch(2, 0, 300));
  }  // a clean close writes the open blocks
  EXPECT_EQ(scalar(*s, "SELECT SUM(count) FROM telemetry_block"), 600);
  SampleStore ss(*s, points(1));
  Sample old = sample(1, 299);
  expect_error([&] { ss.append(std::span(&old, 1)); }, ErrorCode::invalid_argument, "time ");
  ss.configure({2, 0.01, "default"});  // a point added later also knows its stored end
  Sample old2 = sample(2, 10);
  expect_error([&] { ss.append(std::span(&old2, 1)); }, ErrorCode::invalid_argument, "time ");
  ss.append(batch(2, 300, 310));
  expect_series(ss.query(2, t0, t0 + 400 * second), 2, 0, 310);
}

TEST_P(SampleStoreTest, BatchesOfAnySizeAndOrderFindTheirPoints) {
  // append() guesses each sample's point from the order of the previous call: batches that cut
  // the points at other places, skip some or list them backwards must still land right.
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(50), with(64));
  std::vector<Sample> all = batch(50, 0, 40);
  std::size_t at = 0;
  for (std::size_t size : {1, 7, 50, 13, 49, 51, 200, 3, 99}) {
    std::size_t n = std::min(size, all.size() - at);
    ss.append(std::span(all).subspan(at, n));
    at += n;
  }
  ss.append(std::span(all).subspan(at));
  std::vector<Sample> backwards;
  for (Id p = 50; p >= 1; --p)
    if (p % 3) backwards.push_back(sample(p, 40));
  ss.append(backwards);
  for (Id p = 1; p <= 50; ++p)
    expect_series(ss.query(p, t0, t0 + 1000 * second), p, 0, p % 3 ? 41 : 40);
  // a wrong guess for an unknown point is still an unknown point
  Sample stranger = sample(51, 41);
  expect_error([&] { ss.append(std::span(&stranger, 1)); }, ErrorCode::not_found, "point_id 51");
}

TEST_P(SampleStoreTest, SparseIdsAndPointsAddedLaterFindTheirPoints) {
  // Sparse store ids put the point index in its hashed layout, and points added by configure()
  // move it between layouts: every point must keep its own open block and stored data.
  auto s = open();
  HQ_REQUIRE_STORE(s);
  std::vector<Id> ids{7, 5'000'000'000, 42};
  std::vector<PointStorage> cfg;
  for (Id p : ids) cfg.push_back({p, 0.01, "default"});
  SampleStore ss(*s, cfg, with(64));
  auto round = [&](std::int64_t from, std::int64_t to) {
    std::vector<Sample> out;
    for (std::int64_t k = from; k < to; ++k)
      for (Id p : ids) out.push_back(sample(p, k));
    ss.append(out);
  };
  round(0, 100);
  for (Id p = 1; p <= 3; ++p) ss.configure({p, 0.01, "default"});  // dense ones as well
  ss.configure({2'000'000'000'000, 0.01, "default"});
  ids.insert(ids.end(), {1, 2, 3, 2'000'000'000'000});
  round(100, 200);
  auto first = [](Id p) -> std::int64_t {
    return p == 7 || p == 42 || p == 5'000'000'000 ? 0 : 100;
  };
  for (Id p : ids) expect_series(ss.query(p, t0, t0 + 1000 * second), p, first(p), 200);
  // store ids are positive: a point_id of 0 or below is refused, as by verification and alarms
  for (Id bad : {0, -5}) {
    PointStorage p{bad, 0.01, "default"};
    expect_error([&] { ss.configure(p); }, ErrorCode::invalid_argument,
                 "point_id must be positive, got " + std::to_string(bad));
  }
  EXPECT_EQ(ss.stats().points, ids.size());
  Sample zero = sample(0, 300);
  expect_error([&] { ss.append(std::span(&zero, 1)); }, ErrorCode::not_found, "point_id 0");
  ss.flush();
  for (Id p : ids) expect_series(ss.query(p, t0, t0 + 1000 * second), p, first(p), 200);
}

TEST_P(SampleStoreTest, NeedsItsTables) {
  auto s = fx_.open(GetParam());
  HQ_REQUIRE_STORE(s);
  expect_error([&] { SampleStore ss(*s, points(1)); }, ErrorCode::failed_precondition,
               "telemetry_block: table missing");
}

TEST_P(SampleStoreTest, RetentionPerPointClassFollowsTheStoreClock) {
  ManualClock clock(from_micros(t0 + 72 * 3600 * second));
  store::StoreOptions options;
  options.clock = &clock;
  auto s = open(options);
  HQ_REQUIRE_STORE(s);
  auto config = points(2);
  config[0].point_class = "gas";
  SampleStore ss(*s, config, with(512));
  for (std::int64_t h = 0; h < 72; ++h) {
    std::vector<Sample> in;
    for (std::int64_t k = h * 3600; k < (h + 1) * 3600; k += 60) {
      in.push_back(sample(1, k));
      in.push_back(sample(2, k));
    }
    ss.append(in);
  }
  ss.flush();
  auto blocks = [&](Id p) {
    return scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE point_id = " + std::to_string(p));
  };
  ASSERT_EQ(blocks(1), 72);
  EXPECT_EQ(ss.apply_retention().blocks, 0);  // no class has a retention yet
  ss.set_retention("gas", std::chrono::hours(24));
  auto r = ss.apply_retention();
  EXPECT_EQ(r.blocks, 48);  // hours 0..47 end before now - 24 h
  EXPECT_EQ(blocks(1), 24);
  EXPECT_EQ(blocks(2), 72);     // "default" is kept
  EXPECT_EQ(r.rollup_rows, 2);  // days 1 and 2 of point 1: day 2 ends at the cutoff
  EXPECT_EQ(scalar(*s, "SELECT MIN(day_us) FROM telemetry_rollup WHERE point_id = 1"),
            static_cast<double>(t0 + 2 * day));
  EXPECT_EQ(ss.rollups(1, t0, t0 + 3 * day, day).front().start, t0 + 2 * day);
  EXPECT_EQ(total(ss, 2, 3).count, 72 * 60);
  auto left = ss.query(1, t0, t0 + 100 * 3600 * second);
  ASSERT_EQ(left.size(), 24u * 60);
  EXPECT_EQ(left.times[0], t0 + 48 * 3600 * second);
  clock.advance(std::chrono::hours(12));
  r = ss.apply_retention();
  EXPECT_EQ(r.blocks, 12);
  EXPECT_EQ(r.rollup_rows, 0);  // day 3 reaches 12 hours past the cutoff
  expect_error([&] { ss.set_retention("gas", std::chrono::hours(0)); }, ErrorCode::invalid_argument,
               "keep:");
}

TEST_P(SampleStoreTest, RetentionDropsWholeExpiredPartitionsOnPostgresql) {
  // Four weeks of hourly readings; t0 starts a 7-day partition. Points 1 and 2 are "gas" (kept
  // 10 days), point 3 has no retention and reads only in the second week.
  constexpr Micros hour = 3600 * second, day = 24 * hour;
  ManualClock clock(from_micros(t0 + 28 * day));
  store::StoreOptions options;
  options.clock = &clock;
  auto s = open(options);
  HQ_REQUIRE_STORE(s);
  bool pg = s->dialect() == store::Dialect::postgresql;
  auto config = points(3, 0.01, "gas");
  config[2].point_class = "default";
  SampleStore ss(*s, config, with(512));
  for (std::int64_t h = 0; h < 28 * 24; ++h) {
    std::vector<Sample> in;
    for (Id p = 1; p <= 3; ++p)
      if (p != 3 || (h >= 7 * 24 && h < 14 * 24)) in.push_back(sample(p, h * 3600));
    ss.append(in);
  }
  ss.flush();
  auto count = [&](const std::string& where) {
    return scalar(*s, "SELECT COUNT(*) FROM telemetry_block WHERE " + where);
  };
  auto partition = [&](std::int64_t week) {  // 1 if the partition of that week exists
    return scalar(*s,
                  "SELECT COUNT(*) FROM pg_inherits WHERE inhrelid = to_regclass('"
                  "telemetry_block_p" +
                      std::to_string((t0 + week * 7 * day) / (7 * day)) + "')");
  };
  if (pg) {
    EXPECT_EQ(scalar(*s,
                     "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = "
                     "'telemetry_block'::regclass"),
              4);
    for (std::int64_t w = 0; w < 4; ++w) EXPECT_EQ(partition(w), 1) << "week " << w;
  }
  auto before = scalar(*s, "SELECT COUNT(*) FROM telemetry_block");
  ss.set_retention("gas", std::chrono::hours(10 * 24));
  auto r = ss.apply_retention();
  // gas blocks ending before day 18 are gone either way: one block a reading (1 h apart)
  EXPECT_EQ(r.blocks, 2 * 18 * 24);
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"), before - 2 * 18 * 24);
  EXPECT_EQ(count("point_id < 3 AND start_us < " + std::to_string(t0 + 18 * day)), 0);
  if (pg) {
    // week 0 held only expired gas blocks: dropped whole; week 1 also holds point 3, which is
    // kept, so its gas rows were deleted; week 2 straddles the horizon; week 3 is young
    EXPECT_EQ(r.partitions_dropped, 1);
    EXPECT_EQ(partition(0), 0);
    EXPECT_TRUE(std::isnan(scalar(*s, "SELECT to_regclass('telemetry_block_p" +
                                          std::to_string(t0 / (7 * day)) + "')::text")));
    for (std::int64_t w = 1; w < 4; ++w) EXPECT_EQ(partition(w), 1) << "week " << w;
  } else {
    EXPECT_EQ(r.partitions_dropped, 0);
  }
  // what is kept is intact
  auto gas = ss.query(1, t0, t0 + 28 * day);
  ASSERT_EQ(gas.size(), 10u * 24);
  for (std::size_t i = 0; i < gas.size(); ++i) {
    auto want = sample(1, static_cast<std::int64_t>(18 * 24 + i) * 3600);
    ASSERT_EQ(gas.times[i], want.time);
    ASSERT_EQ(gas.values[i], want.value);
  }
  EXPECT_EQ(ss.query(3, t0, t0 + 28 * day).size(), 7u * 24);
  EXPECT_EQ(ss.apply_retention().blocks, 0);  // nothing more to do
  // a point added later may still write into the dropped week: its partition comes back
  ss.configure({4, 0.01, "default"});
  Sample late = sample(4, 5);
  ss.append(std::span(&late, 1));
  ss.flush();
  EXPECT_EQ(ss.query(4, t0, t0 + day).size(), 1u);
  if (pg) {
    EXPECT_EQ(partition(0), 1);
  }
}

TEST_P(SampleStoreTest, MemoryPerPointStaysUnderOneKibibyte) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  SampleStore ss(*s, points(2000));
  for (std::int64_t k = 0; k < 400; k += 100) ss.append(batch(2000, k, k + 100));
  auto st = ss.stats();
  EXPECT_EQ(st.points, 2000u);
  EXPECT_GT(st.open_samples, 0u);
  EXPECT_LT(st.memory_bytes / st.points, 1024u) << st.memory_bytes;
}

// ---- durability ----------------------------------------------------------------------------

/// Runs `body` in a child process whose store is its own connection (or, for the in-memory
/// database, the copy fork() made of the parent's), then returns its exit status.
template <class F>
pid_t start_child(store::Store* parent, const std::string& url, F body, int* pipe_read) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    try {
      std::unique_ptr<store::Store> own;
      if (url.rfind("sqlite::memory:", 0) != 0 && !url.empty()) own = store::Store::open(url);
      body(own ? *own : *parent, fds[1]);
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      ::_exit(3);
    }
  }
  ::close(fds[1]);
  *pipe_read = fds[0];
  return pid;
}

TEST_P(SampleStoreTest, ReplaysTheLogAndCutsATornTail) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = wal_dir();
  std::string url = GetParam() == "sqlite_memory" ? "sqlite::memory:" : fx_.url();
  int fd = -1;
  // The child appends 500 samples a point and dies without flushing.
  pid_t pid = start_child(
      s.get(), url,
      [&](store::Store& st, int) {
        SampleStore ss(st, points(4), with(64, dir, 64ull << 20, SyncPolicy::every_append));
        ss.append(batch(4, 0, 250));
        ss.append(batch(4, 250, 500));
        ::_exit(0);  // no destructor: the open blocks exist only in the log
      },
      &fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // A torn record at the end: a header promising more than is there.
  auto segs = std::vector<fs::path>(fs::directory_iterator(dir), fs::directory_iterator());
  ASSERT_EQ(segs.size(), 1u);
  {
    std::ofstream out(segs[0], std::ios::binary | std::ios::app);
    const char torn[] = "\x34\x00\x00\x00\x02\x00\x00\x00garbage!partial";
    out.write(torn, sizeof torn - 1);
  }
  SampleStore ss(*s, points(4), with(64, dir));
  EXPECT_GT(ss.stats().wal_samples_replayed, 0u);
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 1000 * second), p, 0, 500);
  ss.append(batch(4, 500, 510));  // and goes on
  expect_series(ss.query(4, t0, t0 + 1000 * second), 4, 0, 510);
}

TEST_P(SampleStoreTest, ClosedBlocksWaitForABatchWithALog) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = wal_dir();
  auto options = with(64, dir, 4 << 10);  // small segments: they rotate while blocks wait
  options.write_batch_bytes = 4 << 10;
  {
    SampleStore ss(*s, points(4), options);
    ss.append(batch(4, 0, 100));
    EXPECT_EQ(ss.stats().blocks_written, 0u);  // closed blocks wait in memory ...
    EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"), 0);
    EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_rollup"), 0);
    for (Id p = 1; p <= 4; ++p)  // ... where queries find them
      expect_series(ss.query(p, t0, t0 + 10000 * second), p, 0, 100);
    for (std::int64_t k = 100; k < 1000; k += 100) ss.append(batch(4, k, k + 100));
    auto written = ss.stats().blocks_written;
    EXPECT_GT(written, 0u);  // ... until 4 KiB of them are pending
    EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM telemetry_block"), static_cast<double>(written));
  }
  // A crash while blocks wait: the log kept every segment they need, though it rotated. (An
  // in-memory database dies with the child, blocks it wrote included: nothing to test there.)
  if (GetParam() == "sqlite_memory") return;
  std::string url = GetParam() == "sqlite_memory" ? "sqlite::memory:" : fx_.url();
  int fd = -1;
  pid_t pid = start_child(
      s.get(), url,
      [&](store::Store& st, int) {
        SampleStore ss(st, points(4), options);
        for (std::int64_t k = 1000; k < 3000; k += 100) ss.append(batch(4, k, k + 100));
        auto got = ss.stats();  // some blocks written, some still waiting when it dies
        bool waiting = got.samples_appended > got.samples_written + got.open_samples;
        ::_exit(got.blocks_written > 0 && waiting ? 0 : 5);
      },
      &fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_GT(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  SampleStore ss(*s, points(4), with(64, dir));
  EXPECT_GT(ss.stats().wal_samples_replayed, 0u);
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 10000 * second), p, 0, 3000);
  // the rollups count every sample once: written blocks' rows were not counted again by the
  // replay of the waiting ones
  for (Id p = 1; p <= 4; ++p) {
    double sum = 0;
    for (std::int64_t k = 0; k < 3000; ++k) sum += sample(p, k).value;
    // everything is stored now, so these are the stored rows' counts
    ASSERT_EQ(ss.stats().open_samples, 0u);
    EXPECT_EQ(total(ss, p).count, 3000) << "point " << p;
    EXPECT_NEAR(total(ss, p).sum, sum, 1e-6) << "point " << p;
  }
}

TEST_P(SampleStoreTest, BlocksTheDatabaseCannotTakeWaitInTheLogAndGoOutWhenItCan) {
  // Another connection holds SQLite's write lock, as a database that is away would refuse the
  // write (PostgreSQL's own loss is in tests/integration/failover_test.cpp).
  if (GetParam() != "sqlite_file") GTEST_SKIP() << "needs a second connection to a file";
  store::StoreOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(20);
  auto s = open(quick);
  HQ_REQUIRE_STORE(s);
  auto options = with(64, wal_dir());
  options.write_batch_bytes = 2 << 10;
  options.max_pending_bytes = 16 << 10;
  SampleStore ss(*s, points(4), options);
  auto other = store::Store::open(fx_.url(), quick);
  other->begin();  // BEGIN IMMEDIATE: the write lock

  std::int64_t k = 0;
  for (; k < 600; k += 100) ss.append(batch(4, k, k + 100));  // accepted: nothing throws
  auto st = ss.stats();
  EXPECT_EQ(st.blocks_written, 0u);
  EXPECT_GT(st.pending_bytes, options.write_batch_bytes);
  EXPECT_GE(st.write_failures, 1u);
  EXPECT_NE(st.last_write_error.find("locked"), std::string::npos) << st.last_write_error;
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 100000 * second), p, 0, k);

  // A long outage: past max_pending_bytes the samples are refused, nothing of them accepted.
  auto refused = append_until_refused(ss, k);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), ErrorCode::unavailable) << refused->what();
  EXPECT_EQ(ss.stats().samples_appended, static_cast<std::uint64_t>(4 * k));
  EXPECT_EQ(ss.query(1, t0, t0 + 1000000 * second).size(), static_cast<std::size_t>(k));

  // The database is back: the next append writes everything that waited.
  other->rollback();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the first pause
  ss.append(batch(4, k, k + 100));
  k += 100;
  st = ss.stats();
  EXPECT_GT(st.blocks_written, 0u);
  EXPECT_LT(st.pending_bytes, options.write_batch_bytes);
  ss.flush();
  EXPECT_EQ(total(ss, 3).count, k);
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 1000000 * second), p, 0, k);
}

/// A record as the first version of the write-ahead log wrote it (26 bytes a sample), with the
/// same checksum, for the compatibility test below.
std::string old_record(std::span<const Sample> samples) {
  std::string payload;
  for (const auto& smp : samples) {
    char buf[26];
    std::memcpy(buf, &smp.point_id, 8);
    std::memcpy(buf + 8, &smp.time, 8);
    std::memcpy(buf + 16, &smp.value, 8);
    buf[24] = static_cast<char>(smp.quality);
    buf[25] = static_cast<char>(smp.flag);
    payload.append(buf, 26);
  }
  auto bytes = static_cast<std::uint32_t>(payload.size());
  auto count = static_cast<std::uint32_t>(samples.size());
  std::uint64_t h = count ^ (payload.size() * 0x9E3779B97F4A7C15ull);
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, payload.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  for (; i < payload.size(); ++i)
    h = (h ^ static_cast<std::uint8_t>(payload[i])) * 0x100000001b3ull;
  h ^= h >> 32;
  std::string out(16, '\0');
  std::memcpy(out.data(), &bytes, 4);
  std::memcpy(out.data() + 4, &count, 4);
  std::memcpy(out.data() + 8, &h, 8);
  return out + payload;
}

/// Writes `bytes` as the log's first segment in `dir`.
void write_first_segment(const fs::path& dir, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / "telemetry-0000000000000001.wal", std::ios::binary) << bytes;
}

TEST_P(SampleStoreTest, ReplaysLogsOfTheFirstRecordFormat) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = wal_dir();
  write_first_segment(dir, old_record(batch(3, 0, 40)) + old_record(batch(3, 40, 70)));
  SampleStore ss(*s, points(3), with(64, dir));
  EXPECT_EQ(ss.stats().wal_samples_replayed, 210u);
  for (Id p = 1; p <= 3; ++p) expect_series(ss.query(p, t0, t0 + 1000 * second), p, 0, 70);
}

TEST_P(SampleStoreTest, ARecordClaimingMoreSamplesThanItsBytesHoldEndsTheSegment) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = wal_dir();
  // Between two good records, an empty compact record that claims 2^31 - 1 samples, with the
  // right checksum (found by tests/fuzz/wal_fuzz: replay used to size a buffer for them all).
  const char damage[] = "\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00";
  write_first_segment(dir, old_record(batch(3, 0, 40)) + std::string(damage, sizeof damage - 1) +
                               old_record(batch(3, 40, 70)));
  SampleStore ss(*s, points(3), with(64, dir));
  EXPECT_EQ(ss.stats().wal_samples_replayed, 120u);
  for (Id p = 1; p <= 3; ++p) expect_series(ss.query(p, t0, t0 + 1000 * second), p, 0, 40);
}

TEST_P(SampleStoreTest, KillNineLosesNothingAcknowledged) {
  // An in-memory database dies with the process, blocks it wrote included: nothing to test.
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "an in-memory database is not durable";
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = wal_dir();
  std::string url = GetParam() == "sqlite_memory" ? "sqlite::memory:" : fx_.url();
  constexpr Id n = 20;
  constexpr std::int64_t per_batch = 10;
  int fd = -1;
  pid_t pid = start_child(
      s.get(), url,
      [&](store::Store& st, int ack) {
        SampleStore ss(st, points(n), with(64, dir, 64 << 10, SyncPolicy::interval));
        for (std::int64_t b = 0;; ++b) {
          ss.append(batch(n, b * per_batch, (b + 1) * per_batch));
          std::int64_t acked = b + 1;  // acknowledged: append() returned
          if (::write(ack, &acked, sizeof acked) != sizeof acked) ::_exit(4);
        }
      },
      &fd);
  std::int64_t acked = 0, got = 0;
  while (acked < 60 && ::read(fd, &got, sizeof got) == sizeof got) acked = got;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (::read(fd, &got, sizeof got) == sizeof got) acked = got;  // what it said before dying
  ::close(fd);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped on its own: " << status;
  ASSERT_GE(acked, 60);

  SampleStore ss(*s, points(n), with(64, dir));
  for (Id p = 1; p <= n; ++p) {
    auto series = ss.query(p, t0, t0 + 1'000'000 * second);
    ASSERT_GE(series.size(), static_cast<std::size_t>(acked * per_batch)) << "point " << p;
    series.resize(static_cast<std::size_t>(acked * per_batch));
    expect_series(series, p, 0, acked * per_batch);
  }
}

// ---- a full disk ---------------------------------------------------------------------------

TEST_P(SampleStoreTest, DiskFullUnderTheLogRefusesTheBatchWholeAndKeepsEverythingAcknowledged) {
  testing::SmallDisk disk(512 << 10);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << disk.why();
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto dir = disk.path() / "wal";
  fs::create_directories(dir);
  disk.fill(48 << 10);
  std::string url = GetParam() == "sqlite_memory" ? "sqlite::memory:" : fx_.url();
  constexpr Id n = 20;
  constexpr std::int64_t per_batch = 10;
  // The child appends until the disk is full, checks the refusal, makes room, appends the refused
  // batch again and one more, and dies without flushing: only the log holds the samples.
  int fd = -1;
  pid_t pid = start_child(
      s.get(), url,
      [&](store::Store& st, int ack) {
        SampleStore ss(st, points(n), with(64, dir, 64ull << 20, SyncPolicy::every_append));
        auto log_bytes = [&] {
          std::uintmax_t total = 0;
          for (const auto& e : fs::directory_iterator(dir)) total += fs::file_size(e.path());
          return total;
        };
        std::int64_t b = 0;
        std::optional<Error> refused;
        std::uintmax_t before = 0;
        for (; b < 10000 && !refused; ++b) {
          before = log_bytes();
          try {
            ss.append(batch(n, b * per_batch, (b + 1) * per_batch));
          } catch (const Error& e) {
            refused = e;
            break;
          }
          if (::write(ack, &b, sizeof b) != sizeof b) ::_exit(4);
        }
        if (!refused) ::_exit(10);  // the disk never filled
        std::string what = refused->what();
        if (refused->code() != ErrorCode::resource_exhausted ||
            what.find("write-ahead log") == std::string::npos ||
            what.find(std::strerror(ENOSPC)) == std::string::npos) {
          std::fprintf(stderr, "child: refused with %s\n", what.c_str());
          ::_exit(11);
        }
        if (log_bytes() != before) ::_exit(12);  // a piece of the refused record stayed behind
        if (ss.stats().samples_appended != static_cast<std::uint64_t>(b * per_batch * n))
          ::_exit(13);
        disk.make_room();
        for (std::int64_t again = b; again < b + 2; ++again) {  // the refused batch, then one more
          ss.append(batch(n, again * per_batch, (again + 1) * per_batch));
          if (::write(ack, &again, sizeof again) != sizeof again) ::_exit(4);
        }
        ::_exit(0);  // no destructor: the open blocks exist only in the log
      },
      &fd);
  std::int64_t last = -1, got = 0;
  while (::read(fd, &got, sizeof got) == sizeof got) last = got;
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0) << "10: never full, 11: wrong error, 12: torn record left, "
                                       "13: samples counted that were refused";
  ASSERT_GT(last, 2);
  // Every acknowledged batch, the retried one once, nothing else.
  SampleStore ss(*s, points(n), with(64, dir));
  EXPECT_EQ(ss.stats().wal_samples_replayed,
            static_cast<std::uint64_t>((last + 1) * per_batch * n));
  for (Id p = 1; p <= n; ++p)
    expect_series(ss.query(p, t0, t0 + 1'000'000 * second), p, 0, (last + 1) * per_batch);
}

TEST_P(SampleStoreTest, DiskFullUnderTheDatabaseKeepsSamplesInTheLogUntilThereIsRoom) {
  // SQLite's file on the full disk (PostgreSQL's own disk is not the test's to fill).
  if (GetParam() != "sqlite_file") GTEST_SKIP() << "needs the database file on the small disk";
  testing::SmallDisk disk(1 << 20);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << disk.why();
  auto s = store::Store::open("sqlite:" + (disk.path() / "telemetry.sqlite").string());
  store::migrate(*s, storage_migrations());
  auto options = with(64, wal_dir());
  options.write_batch_bytes = 2 << 10;
  options.max_pending_bytes = 64 << 10;
  SampleStore ss(*s, points(4), options);
  ss.append(batch(4, 0, 100));
  ss.flush();  // the database holds blocks already
  disk.fill(0);

  std::int64_t k = 100;
  for (; k < 700; k += 100) ss.append(batch(4, k, k + 100));  // accepted: nothing throws
  auto st = ss.stats();
  EXPECT_GE(st.write_failures, 1u);
  EXPECT_NE(st.last_write_error.find("full"), std::string::npos) << st.last_write_error;
  EXPECT_GT(st.pending_bytes, options.write_batch_bytes);
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 100000 * second), p, 0, k);

  // Past max_pending_bytes the samples are refused, none of them accepted.
  auto refused = append_until_refused(ss, k);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), ErrorCode::resource_exhausted) << refused->what();
  EXPECT_EQ(ss.stats().samples_appended, static_cast<std::uint64_t>(4 * k));

  // Room again: what waited goes out, and the database is whole.
  disk.make_room();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the first pause
  ss.append(batch(4, k, k + 100));
  k += 100;
  ss.flush();
  EXPECT_EQ(ss.stats().pending_bytes, 0u);
  EXPECT_EQ(total(ss, 2).count, k);
  EXPECT_EQ(scalar(*s, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
            0.0);
  for (Id p = 1; p <= 4; ++p) expect_series(ss.query(p, t0, t0 + 1000000 * second), p, 0, k);
}

INSTANTIATE_TEST_SUITE_P(Backends, SampleStoreTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace houqin::telemetry
