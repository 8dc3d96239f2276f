// Repository<T> bulk insert against the ceiling: the same rows into the same table through a
// hand-written raw sqlite3 prepared statement, in the same run. Target: ratio >= 0.5.
//   store_bench [--rows=N] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <houqin/houqin.hpp>
#include <iostream>
#include <map>

#include "ratio.hpp"

namespace {

using namespace houqin;

std::int64_t g_rows = 100000;

std::vector<site::Room> make_rooms(std::int64_t n, Id floor_id) {
  std::vector<site::Room> rooms(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    auto& r = rooms[static_cast<std::size_t>(i)];
    r.floor_id = floor_id;
    r.code = "B-" + std::to_string(i / 1000 + 1) + "-" +
             std::to_string(10000 + i % 1000 + 1000 * (i / 1000));
    r.name = "病房 " + std::to_string(i);
    r.type = i % 4 == 0 ? site::RoomType::office : site::RoomType::ward;
    r.beds = static_cast<int>(i % 4);
    if (i % 3 == 0) r.area_m2 = 18.5 + static_cast<double>(i % 10);
  }
  return rooms;
}

void remove_db(const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

/// A fresh SQLite file with the site schema and one floor; returns its path.
std::string fresh_db(Id& floor_id) {
  static int n = 0;
  auto path =
      std::filesystem::temp_directory_path() /
      ("houqin-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".sqlite");
  remove_db(path.string());
  auto store = store::Store::open("sqlite:" + path.string());
  auto m = site::migrations();
  store::migrate(*store, m);
  site::Campus c{0, 0, "C", "c", ""};
  store::Repository<site::Campus>(*store).insert(c);
  site::Building b{0, 0, c.id, "B", "b", 200, 0};
  store::Repository<site::Building>(*store).insert(b);
  site::Floor f{0, 0, b.id, 1, "B-1", "1F"};
  store::Repository<site::Floor>(*store).insert(f);
  floor_id = f.id;
  return path.string();
}

void BM_RepositoryInsertRooms(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Id floor_id = 0;
    auto path = fresh_db(floor_id);
    auto rooms = make_rooms(state.range(0), floor_id);
    auto store = store::Store::open("sqlite:" + path);
    store::Repository<site::Room> repo(*store);
    state.ResumeTiming();
    repo.insert_many(rooms);
    state.PauseTiming();
    if (repo.count() != state.range(0)) state.SkipWithError("row count mismatch");
    store.reset();
    remove_db(path);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void check(int rc, sqlite3* db, benchmark::State& state) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    state.SkipWithError(sqlite3_errmsg(db));
}

void BM_CeilingRawSqliteInsertRooms(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Id floor_id = 0;
    auto path = fresh_db(floor_id);
    auto rooms = make_rooms(state.range(0), floor_id);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    // The same settings Store::open uses, so only the mapping layer differs.
    sqlite3_exec(db,
                 "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; "
                 "PRAGMA synchronous=NORMAL",
                 nullptr, nullptr, nullptr);
    state.ResumeTiming();
    sqlite3_stmt* st = nullptr;
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, state);
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO site_room (version, floor_id, code, name, type, "
                             "department_id, beds, area_m2, active) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             -1, &st, nullptr),
          db, state);
    for (auto& r : rooms) {
      sqlite3_bind_int64(st, 1, 1);
      sqlite3_bind_int64(st, 2, r.floor_id);
      sqlite3_bind_text(st, 3, r.code.c_str(), static_cast<int>(r.code.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 4, r.name.c_str(), static_cast<int>(r.name.size()), SQLITE_STATIC);
      auto type = enum_name(r.type);
      sqlite3_bind_text(st, 5, type.data(), static_cast<int>(type.size()), SQLITE_STATIC);
      if (r.department_id)
        sqlite3_bind_int64(st, 6, *r.department_id);
      else
        sqlite3_bind_null(st, 6);
      sqlite3_bind_int(st, 7, r.beds);
      if (r.area_m2)
        sqlite3_bind_double(st, 8, *r.area_m2);
      else
        sqlite3_bind_null(st, 8);
      sqlite3_bind_int(st, 9, r.active ? 1 : 0);
      check(sqlite3_step(st), db, state);
      r.id = sqlite3_last_insert_rowid(db);
      r.version = 1;
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, state);
    state.PauseTiming();
    sqlite3_close(db);
    remove_db(path);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rows=", 7) == 0) {
      g_rows = std::stoll(argv[i] + 7);
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RegisterBenchmark("BM_RepositoryInsertRooms", BM_RepositoryInsertRooms)
      ->Arg(g_rows)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_CeilingRawSqliteInsertRooms", BM_CeilingRawSqliteInsertRooms)
      ->Arg(g_rows)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& ips = reporter.items_per_second;
  if (ips.count("BM_RepositoryInsertRooms") && ips.count("BM_CeilingRawSqliteInsertRooms")) {
    double ratio = ips["BM_RepositoryInsertRooms"] / ips["BM_CeilingRawSqliteInsertRooms"];
    std::printf(
        "ratio BM_RepositoryInsertRooms / BM_CeilingRawSqliteInsertRooms = %.3f (target >= 0.5)\n",
        ratio);
  }
  benchmark::Shutdown();
  return 0;
}
