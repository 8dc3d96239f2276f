// SQLite under a failing disk (issue 23): a VFS shim (tests/support/fault_vfs.hpp) fails the nth
// write or sync of a transaction -- once, as an I/O error, or from then on, as a full disk -- for
// every n until the transaction no longer reaches the fault. Each failure is a clear error
// (unavailable for an I/O error, resource_exhausted for a full disk), the file stays intact, and
// it holds exactly what committed: every row of a transaction that returned, none of one that
// threw. The same connection goes on working once the disk does.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "../../support/fault_vfs.hpp"
#include "../../support/types.hpp"
#include "houqin/auth/actor.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

namespace fs = std::filesystem;
using store::Repository;
using testing::AllTypes;
using testing::FaultVfs;

/// PRAGMA integrity_check of the file, through a connection of its own.
std::string integrity(const fs::path& file) {
  sqlite3* db = nullptr;
  std::string out = "cannot open";
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

AllTypes row(std::int64_t n) {
  AllTypes a;
  a.i64 = n;
  a.text = "row " + std::to_string(n) + std::string(200, 'x');  // a few rows fill a page
  a.texts = {"a", "b"};
  return a;
}

/// The i64 of every row, in id order: what the file holds.
std::vector<std::int64_t> contents(store::Store& s) {
  std::vector<std::int64_t> out;
  for (const auto& a :
       Repository<AllTypes>(s).find(store::Query<AllTypes>().order_by(&AllTypes::id)))
    out.push_back(a.i64);
  return out;
}

struct Fault {
  FaultVfs::Op op;
  int code;
  bool sticky;
  ErrorCode expected;
  const char* name;
};

class FaultInjection : public ::testing::TestWithParam<Fault> {};

TEST_P(FaultInjection, EachFailingCallIsAClearErrorAndTheFileHoldsExactlyWhatCommitted) {
  const Fault f = GetParam();
  auto& vfs = FaultVfs::install();
  const auto dir = fs::temp_directory_path() /
                   ("houqin-fault-" + std::string(f.name) + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto file = dir / "store.db";
  auto s = store::Store::open("sqlite:" + file.string());
  store::create_table<AllTypes>(*s);
  std::vector<std::int64_t> expected;
  store::in_transaction(*s, [&] {
    for (std::int64_t n = 0; n < 40; ++n) {
      auto a = row(n);
      Repository<AllTypes>(*s).insert(a);
      expected.push_back(n);
    }
  });
  int tripped = 0, committed_after_trip = 0;
  std::set<int> unknown_outcome;  // calls whose error said the commit's outcome is unknown
  std::int64_t next = 1000;
  for (int nth = 1; nth <= 400; ++nth) {
    vfs.arm(f.op, nth, f.code, f.sticky);
    bool threw = false;
    std::vector<std::int64_t> added;
    try {
      store::in_transaction(*s, [&] {
        Repository<AllTypes> repo(*s);
        for (int k = 0; k < 30; ++k) {
          auto a = row(next + k);
          repo.insert(a);
          added.push_back(a.i64);
        }
        auto first = repo.find(store::Query<AllTypes>().order_by(&AllTypes::id).limit(5));
        for (auto& a : first) {  // and rows that were there before, changed in place
          const auto before = a;
          a.i32 += 1;
          repo.update(a, before);
        }
      });
    } catch (const Error& e) {
      threw = true;
      EXPECT_EQ(e.code(), f.expected) << "call " << nth << ": " << e.what();
      if (std::string_view(e.what()).find("committed is unknown") != std::string_view::npos)
        unknown_outcome.insert(nth);
    }
    // Then the write-ahead log copied into the database file, where the syncs are (in WAL mode
    // with synchronous=NORMAL a commit does not sync): a failure is as clear, and loses nothing.
    const bool hit_transaction = vfs.tripped();
    if (!threw) {
      try {
        s->execute("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), f.expected) << "checkpoint, call " << nth << ": " << e.what();
      }
    }
    const bool hit = vfs.tripped();
    vfs.disarm();
    next += 30;
    if (!hit) {  // the transaction made fewer calls than nth: every place has been tried
      ASSERT_FALSE(threw);
      expected.insert(expected.end(), added.begin(), added.end());
      break;
    }
    ++tripped;
    // A transaction that returned is in. One that threw is out -- or, when the disk failed in its
    // COMMIT ("whether the transaction committed is unknown"), wholly in: SQLite may have made it
    // durable before the call that failed. Never a part of it. The store's own connection, opened
    // again after the failure, and a fresh one see the same.
    auto with_added = expected;
    with_added.insert(with_added.end(), added.begin(), added.end());
    const auto now = contents(*s);
    if (!threw) {
      ++committed_after_trip;
      ASSERT_EQ(now, with_added) << "call " << nth << " (returned)";
    } else if (now == with_added) {
      ++committed_after_trip;
      ASSERT_NE(unknown_outcome.find(nth), unknown_outcome.end())
          << "call " << nth << ": the transaction threw, was not reported as unknown, and is in";
    } else {
      ASSERT_EQ(now, expected) << "call " << nth << " (threw)";
    }
    expected = now;
    ASSERT_EQ(contents(*store::Store::open("sqlite:" + file.string())), expected)
        << "call " << nth << ": a fresh connection sees something else";
    // Writes: once the transaction no longer reaches the fault, the checkpoint's calls are the
    // rest (a failing one has been tried). Syncs happen only in checkpoints: the first 40.
    if (f.op == FaultVfs::Op::write ? !hit_transaction : nth >= 40) break;
    ASSERT_EQ(integrity(file), "ok") << "call " << nth;
  }
  EXPECT_GT(tripped, 0) << "no call failed: the shim is not in the path";
  // A fresh connection reads the same.
  s.reset();
  s = store::Store::open("sqlite:" + file.string());
  EXPECT_EQ(contents(*s), expected);
  RecordProperty("failed_calls", tripped);
  RecordProperty("committed_after_a_failed_call", committed_after_trip);
  s.reset();
  fs::remove_all(dir);
}

struct FillInput {
  std::int64_t rows = 0;
};
BOOST_DESCRIBE_STRUCT(FillInput, (), (rows))
struct FillOutput {
  std::int64_t attempts = 0;
};
BOOST_DESCRIBE_STRUCT(FillOutput, (), (attempts))

int fill_attempts = 0;
// An operation that writes enough to spill pages to the log before its COMMIT.
[[maybe_unused]] const bool fill_defined =
    service::define<FillInput>("faulttest.fill", "site.edit", "Inserts rows (fault injection test)",
                               [](service::Context& ctx, const FillInput& in) {
                                 ++fill_attempts;
                                 ctx.store.execute("PRAGMA cache_size = 1");
                                 store::in_transaction(ctx.store, [&] {
                                   for (std::int64_t n = 0; n < in.rows; ++n) {
                                     auto r = row(n);
                                     Repository<AllTypes>(ctx.store).insert(r);
                                   }
                                 });
                                 return FillOutput{fill_attempts};
                               });

TEST(FaultInjectionRetry, ARegistryCallWhoseDiskFailedBeforeItsCommitRunsAgainOnAFreshConnection) {
  auto& vfs = FaultVfs::install();
  const auto dir = fs::temp_directory_path() / ("houqin-fault-retry-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto s = store::Store::open("sqlite:" + (dir / "store.db").string());
  store::create_table<AllTypes>(*s);
  fill_attempts = 0;
  vfs.arm(FaultVfs::Op::write, 1, SQLITE_IOERR_WRITE, false);
  const auto out = service::call(*s, auth::Actor::service("t", {"site.edit"}), "faulttest.fill",
                                 {{"rows", 2000}});
  EXPECT_TRUE(vfs.tripped());
  vfs.disarm();
  EXPECT_EQ(out["attempts"], 2);  // the first failed on the disk before its COMMIT
  EXPECT_EQ(Repository<AllTypes>(*s).count(), 2000);
  EXPECT_EQ(s->connection_generation(), 1u);  // opened again once
  s.reset();
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(SqliteFile, FaultInjection,
                         ::testing::Values(Fault{FaultVfs::Op::write, SQLITE_IOERR_WRITE, false,
                                                 ErrorCode::unavailable, "io_error"},
                                           Fault{FaultVfs::Op::write, SQLITE_FULL, true,
                                                 ErrorCode::resource_exhausted, "disk_full"},
                                           Fault{FaultVfs::Op::sync, SQLITE_IOERR_FSYNC, false,
                                                 ErrorCode::unavailable, "sync_error"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace houqin
