// Telemetry storage in backup and restore: the block and rollup tables (not entities: no id, a
// blob column) are catalogued as raw tables, so a backup carries them with row counts and
// checksums, and a restore -- into the same store, a fresh one, or across SQLite and PostgreSQL
// -- gives back the same series.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/telemetry/storage.hpp"

namespace houqin::telemetry {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

constexpr Micros t0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z, a partition boundary
constexpr Micros second = 1'000'000;

Sample sample(Id p, std::int64_t k) {
  double v =
      std::round((50.0 * static_cast<double>(p) + 2 * std::cos(static_cast<double>(k) / 9.0)) *
                 100) /
      100;
  return {p, t0 + k * 600 * second, v, k % 97 == 5 ? QualityCode{3} : quality_good, Flag::pass};
}

/// Three points, one reading every 10 minutes for ten days (two PostgreSQL partitions); point 3 has
/// no fixed resolution (XOR floats).
std::vector<PointStorage> config() {
  return {{1, 0.01, "gas"}, {2, 0.01, "gas"}, {3, 0, "power"}};
}

void write_samples(store::Store& s, std::int64_t from, std::int64_t to) {
  SampleStore ss(s, config());
  std::vector<Sample> in;
  for (std::int64_t k = from; k < to; ++k)
    for (Id p = 1; p <= 3; ++p) in.push_back(sample(p, k));
  ss.append(in);
  ss.flush();
}

void expect_samples(store::Store& s, std::int64_t from, std::int64_t to) {
  SampleStore ss(s, config());
  for (Id p = 1; p <= 3; ++p) {
    auto got = ss.query(p, t0 - 1, t0 + 100'000 * 600 * second);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(to - from)) << "point " << p;
    for (std::int64_t k = from; k < to; ++k) {
      auto i = static_cast<std::size_t>(k - from);
      auto want = sample(p, k);
      ASSERT_EQ(got.times[i], want.time) << p << " " << k;
      ASSERT_EQ(got.values[i], want.value) << p << " " << k;
      ASSERT_EQ(got.qualities[i], want.quality) << p << " " << k;
    }
    // the rollups count the good readings (one in 97 is bad: in the blocks, not the rollups)
    constexpr Micros day = 24 * 3600 * second;
    auto r = ss.rollups(p, t0, t0 + 20 * day, 20 * day);
    std::int64_t good = 0;
    for (std::int64_t k = from; k < to; ++k) good += k % 97 != 5;
    ASSERT_EQ(r.size(), 1u) << "point " << p;
    EXPECT_EQ(r[0].count, good) << "point " << p;
  }
}

std::map<std::string, protect::TableSummary> telemetry_tables(store::Store& s) {
  std::map<std::string, protect::TableSummary> out;
  for (const auto& e : store::raw_catalog())
    if (e.domain == "telemetry") out[e.table->name] = protect::summarize_raw_table(s, *e.table);
  return out;
}

constexpr std::int64_t ten_days = 10 * 24 * 6;

class StorageBackupTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("houqin-tbackup-" + std::to_string(::getpid()) + "-" + std::to_string(++serial_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  static inline int serial_ = 0;
};

TEST_P(StorageBackupTest, BackupCarriesBlocksAndRollupsAndRestoreGivesTheSeriesBack) {
  testing::PlatformFixture a, b;
  auto s = a.open(GetParam());
  HQ_REQUIRE_STORE(s);
  write_samples(*s, 0, ten_days);
  auto before = telemetry_tables(*s);
  ASSERT_GT(before.at("telemetry_block").rows, 3);
  // one row of hourly rollups per point and day
  ASSERT_EQ(before.at("telemetry_rollup").rows, 3 * 10);
  auto m = protect::backup(*s, a.actor("sysadmin"), dir_ / "t.hqb");
  for (const auto& [name, sum] : before) EXPECT_EQ(m.tables.at(name), sum) << name;
  // the alarm tables are entities of their own domain, catalogued already
  for (const char* t : {"telemetry_alarm", "telemetry_alarm_event", "telemetry_soe"})
    EXPECT_TRUE(m.tables.count(t)) << t;
  EXPECT_EQ(protect::verify_backup(dir_ / "t.hqb").tables.at("telemetry_block"),
            before.at("telemetry_block"));

  // More data after the backup, then restore: back to what was backed up.
  write_samples(*s, ten_days, ten_days + 100);
  ASSERT_NE(telemetry_tables(*s), before);
  protect::restore(*s, a.actor("sysadmin"), dir_ / "t.hqb");
  EXPECT_EQ(telemetry_tables(*s), before);
  expect_samples(*s, 0, ten_days);

  // Into a fresh store of the same kind.
  auto fresh = b.open(GetParam());
  protect::restore(*fresh, b.actor("sysadmin"), dir_ / "t.hqb");
  EXPECT_EQ(telemetry_tables(*fresh), before);
  expect_samples(*fresh, 0, ten_days);
}

TEST_P(StorageBackupTest, ADamagedBlockIsRefused) {
  testing::PlatformFixture a;
  auto s = a.open(GetParam());
  HQ_REQUIRE_STORE(s);
  write_samples(*s, 0, 1000);
  protect::backup(*s, a.actor("sysadmin"), dir_ / "t.hqb");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "t.hqb").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE telemetry_block SET data = zeroblob(length(data)) WHERE rowid IN "
                         "(SELECT rowid FROM telemetry_block LIMIT 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  expect_error([&] { protect::verify_backup(dir_ / "t.hqb"); }, ErrorCode::data_loss,
               "backup " + (dir_ / "t.hqb").string() + ": table telemetry_block does not match");
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageBackupTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& param_info) { return param_info.param; });

TEST(StorageBackupAcrossBackends, SqliteToPostgresqlAndBackGivesTheSameSeries) {
  testing::PlatformFixture a, b, c;
  auto sa = a.open("sqlite_file");
  auto sb = b.open("postgresql");
  HQ_REQUIRE_STORE(sb);
  auto sc = c.open("sqlite_memory");
  auto dir = fs::temp_directory_path() / ("houqin-txb-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_samples(*sa, 0, ten_days);
  auto m1 = protect::backup(*sa, a.actor("sysadmin"), dir / "1.hqb");
  protect::restore(*sb, b.actor("sysadmin"), dir / "1.hqb");
  expect_samples(*sb, 0, ten_days);  // PostgreSQL got the partitions the blocks need
  auto m2 = protect::backup(*sb, b.actor("sysadmin"), dir / "2.hqb");
  protect::restore(*sc, c.actor("sysadmin"), dir / "2.hqb");
  expect_samples(*sc, 0, ten_days);
  auto m3 = protect::backup(*sc, c.actor("sysadmin"), dir / "3.hqb");
  for (const char* t : {"telemetry_block", "telemetry_rollup"}) {
    EXPECT_GT(m1.tables.at(t).rows, 0) << t;
    EXPECT_EQ(m2.tables.at(t), m1.tables.at(t)) << t << " SQLite -> PostgreSQL";
    EXPECT_EQ(m3.tables.at(t), m1.tables.at(t)) << t << " PostgreSQL -> SQLite";
  }
  // and the restored PostgreSQL store goes on writing where the data ends
  write_samples(*sb, ten_days, ten_days + 10);
  expect_samples(*sb, 0, ten_days + 10);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace houqin::telemetry
