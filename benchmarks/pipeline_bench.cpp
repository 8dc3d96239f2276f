// Telemetry pipeline benchmark: end to end (verify + alarm + store through the Pipeline and its
// standard stages) and the storage half alone (SampleStore: compressed blocks per point,
// write-ahead log, rollups), against one-row-per-sample ceilings measured in the same run: raw
// sqlite3 prepared inserts (with and without a (point, ts) index) and raw libpq COPY BINARY. Also
// bytes per stored sample, range decode speed and memory per point at 100k points.
//   pipeline_bench [--points=N] [--seconds=S] [--memory-points=N] [google benchmark flags]
// PostgreSQL benchmarks need HOUQIN_TEST_PG_URL and are skipped with a message without it.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "houqin/core/metrics.hpp"
#include "houqin/platform.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/codec.hpp"
#include "houqin/telemetry/stages.hpp"
#include "houqin/telemetry/storage.hpp"
#include "ratio.hpp"

namespace fs = std::filesystem;
using namespace houqin;
using namespace houqin::telemetry;

namespace {

std::int64_t g_points = 10000;  // points per batch; one batch is one second of readings
std::int64_t g_seconds = 1200;  // batches per SampleStore run (20 min: blocks close and reopen)
std::int64_t g_memory_points = 100000;
constexpr Micros t0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t period = 120;          // seconds of distinct signal, then it repeats

std::string pg_url() {
  const char* u = std::getenv("HOUQIN_TEST_PG_URL");
  return u ? u : "";
}

/// Noisy 2-decimal meter readings at 1 s: voltages, currents, pressures around their set points.
const std::vector<Sample>& signal() {
  static const std::vector<Sample> all = [] {
    std::vector<Sample> out;
    out.reserve(static_cast<std::size_t>(g_points * period));
    std::mt19937_64 rng(1);
    std::normal_distribution<double> noise(0, 1);
    for (std::int64_t k = 0; k < period; ++k)
      for (Id p = 1; p <= g_points; ++p) {
        double base = 10.0 + static_cast<double>(p % 400);
        double v = base + 0.5 * std::sin(static_cast<double>(k + p) / 40.0) + 0.03 * noise(rng);
        out.push_back({p, t0 + k * 1'000'000, std::round(v * 100) / 100, 0, Flag::pass});
      }
    return out;
  }();
  return all;
}

/// Batch `k` (one second of all points): the signal's batch k % period, shifted in time.
std::span<Sample> batch(std::vector<Sample>& work, std::int64_t k) {
  const auto& sig = signal();
  auto n = static_cast<std::size_t>(g_points);
  auto from = sig.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k % period) * n);
  work.assign(from, from + static_cast<std::ptrdiff_t>(n));
  Micros shift = (k / period) * period * 1'000'000;
  for (auto& s : work) s.time += shift;
  return work;
}

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("houqin-bench-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<PointStorage> point_config(std::int64_t n) {
  std::vector<PointStorage> out;
  for (Id p = 1; p <= n; ++p) out.push_back({p, 0.01, "default"});
  return out;
}

// ---- ceilings ---------------------------------------------------------------------------------

void sqlite_rows(benchmark::State& state, bool indexed) {
  auto dir = temp_dir(indexed ? "row-indexed" : "row");
  sqlite3* db = nullptr;
  sqlite3_open((dir / "rows.sqlite").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE sample (point_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
               "quality INTEGER NOT NULL, flag INTEGER NOT NULL)",
               nullptr, nullptr, nullptr);
  if (indexed)
    sqlite3_exec(db, "CREATE INDEX sample_point_ts ON sample (point_id, ts)", nullptr, nullptr,
                 nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO sample VALUES (?, ?, ?, ?, ?)", -1, &st, nullptr);
  std::vector<Sample> work;
  std::int64_t k = 0;
  for (auto _ : state) {
    auto b = batch(work, k++);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& s : b) {
      sqlite3_bind_int64(st, 1, s.point_id);
      sqlite3_bind_int64(st, 2, s.time);
      sqlite3_bind_double(st, 3, s.value);
      sqlite3_bind_int(st, 4, s.quality);
      sqlite3_bind_int(st, 5, static_cast<int>(s.flag));
      if (sqlite3_step(st) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  state.SetItemsProcessed(state.iterations() * g_points);
  sqlite3_finalize(st);
  sqlite3_close(db);
  fs::remove_all(dir);
}
void BM_CeilingSqliteRow(benchmark::State& state) {
  sqlite_rows(state, false);
}
void BM_CeilingSqliteRowIndexed(benchmark::State& state) {
  sqlite_rows(state, true);
}

void put_be(std::vector<char>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void BM_CeilingPgCopyBinary(benchmark::State& state) {
  if (pg_url().empty()) {
    state.SkipWithError("HOUQIN_TEST_PG_URL is not set: PostgreSQL benchmarks skipped");
    return;
  }
  PGconn* c = PQconnectdb(pg_url().c_str());
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PQclear(PQexec(c, "DROP TABLE IF EXISTS bench_sample"));
  PQclear(PQexec(c,
                 "CREATE TABLE bench_sample (point_id BIGINT NOT NULL, ts BIGINT NOT NULL, value "
                 "DOUBLE PRECISION, quality SMALLINT NOT NULL, flag SMALLINT NOT NULL)"));
  std::vector<Sample> work;
  std::vector<char> buf;
  std::int64_t k = 0;
  for (auto _ : state) {
    auto b = batch(work, k++);
    buf.clear();
    for (char ch : std::string_view("PGCOPY\n\377\r\n\0", 11)) buf.push_back(ch);
    put_be(buf, 0, 4);
    put_be(buf, 0, 4);
    for (const auto& s : b) {
      put_be(buf, 5, 2);
      put_be(buf, 8, 4);
      put_be(buf, static_cast<std::uint64_t>(s.point_id), 8);
      put_be(buf, 8, 4);
      put_be(buf, static_cast<std::uint64_t>(s.time), 8);
      put_be(buf, 8, 4);
      put_be(buf, std::bit_cast<std::uint64_t>(s.value), 8);
      put_be(buf, 2, 4);
      put_be(buf, s.quality, 2);
      put_be(buf, 2, 4);
      put_be(buf, static_cast<std::uint64_t>(s.flag), 2);
    }
    put_be(buf, 0xffff, 2);
    PGresult* r = PQexec(c, "COPY bench_sample FROM STDIN (FORMAT binary)");
    PQclear(r);
    PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
    PQputCopyEnd(c, nullptr);
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) state.SkipWithError(PQresultErrorMessage(r));
    PQclear(r);
    while ((r = PQgetResult(c))) PQclear(r);
  }
  state.SetItemsProcessed(state.iterations() * g_points);
  PQclear(PQexec(c, "DROP TABLE IF EXISTS bench_sample"));
  PQfinish(c);
}

// ---- the sample store -------------------------------------------------------------------------

double g_bytes_per_sample = 0, g_db_bytes_per_sample = 0;

void run_store(benchmark::State& state, store::Store& db, const fs::path& wal) {
  store::migrate(db, storage_migrations());
  SampleStoreOptions options;
  options.wal_dir = wal;
  auto cfg = point_config(g_points);
  std::vector<Sample> work;
  signal();
  std::int64_t k = 0;
  SampleStoreStats st;
  for (auto _ : state) {
    SampleStore ss(db, cfg, options);
    for (k = 0; k < g_seconds; ++k) ss.append(batch(work, k));
    ss.flush();
    st = ss.stats();
    state.PauseTiming();
    db.execute("DELETE FROM telemetry_block");  // the next run starts from an empty table
    db.execute("DELETE FROM telemetry_rollup");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * g_points * g_seconds);
  state.counters["blob_bytes_per_sample"] =
      static_cast<double>(st.block_bytes_written) / static_cast<double>(st.samples_written);
  state.counters["blocks"] = static_cast<double>(st.blocks_written);
  g_bytes_per_sample = state.counters["blob_bytes_per_sample"];
}

void BM_StoreSqlite(benchmark::State& state) {
  auto dir = temp_dir("store");
  auto db = store::Store::open("sqlite:" + (dir / "telemetry.sqlite").string());
  run_store(state, *db, dir / "wal");
  // Whole-file cost of the last run's data: rewrite it once and measure the database file.
  SampleStore ss(*db, point_config(g_points));
  std::vector<Sample> work;
  for (std::int64_t k = 0; k < g_seconds; ++k) ss.append(batch(work, k));
  ss.flush();
  db->execute("PRAGMA wal_checkpoint(TRUNCATE)");
  db->execute("VACUUM");
  g_db_bytes_per_sample = static_cast<double>(fs::file_size(dir / "telemetry.sqlite")) /
                          static_cast<double>(g_points * g_seconds);
  state.counters["file_bytes_per_sample"] = g_db_bytes_per_sample;
  db.reset();
  // Per table (SQLite's dbstat, when compiled in): the blocks apart from the rollups.
  sqlite3* raw = nullptr;
  sqlite3_stmt* st = nullptr;
  sqlite3_open((dir / "telemetry.sqlite").c_str(), &raw);
  if (sqlite3_prepare_v2(raw,
                         "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'telemetry%' OR "
                         "name LIKE 'sqlite_autoindex_telemetry%' GROUP BY name",
                         -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      std::printf("  %s: %.3f bytes per sample\n",
                  reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                  static_cast<double>(sqlite3_column_int64(st, 1)) /
                      static_cast<double>(g_points * g_seconds));
  }
  sqlite3_finalize(st);
  sqlite3_close(raw);
  fs::remove_all(dir);
}

void BM_StorePostgres(benchmark::State& state) {
  if (pg_url().empty()) {
    state.SkipWithError("HOUQIN_TEST_PG_URL is not set: PostgreSQL benchmarks skipped");
    return;
  }
  auto dir = temp_dir("store-pg");
  auto admin = store::Store::open(pg_url());
  std::string schema = "hq_bench_" + std::to_string(::getpid());
  admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  admin->execute("CREATE SCHEMA " + schema);
  {
    std::string url = pg_url() + (pg_url().find('?') == std::string::npos ? "?" : "&") +
                      "options=-csearch_path%3D" + schema;
    auto db = store::Store::open(url);
    run_store(state, *db, dir / "wal");
  }
  admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  fs::remove_all(dir);
}

// ---- end to end: verify + alarm + store --------------------------------------------------------

/// Per-point tests and alarms for signal(): gross range, rate of change and spike around each
/// point's set point, hi/lo alarms at +/-20 %; one point in a thousand has its hi limit inside
/// its swing, so it alarms and clears as the signal moves (the alarm history is written too).
TelemetryConfig pipeline_config(std::int64_t n) {
  TelemetryConfig cfg;
  for (Id p = 1; p <= n; ++p) {
    double base = 10.0 + static_cast<double>(p % 400);
    VerifyConfig v{.point_id = p};
    v.fail_min = 0;
    v.fail_max = base * 2.5;
    v.suspect_min = base * 0.5;
    v.suspect_max = base * 1.5;
    v.max_rate_per_s = base * 0.1;
    v.spike_suspect = 2.0;
    v.spike_fail = 5.0;
    cfg.verify.push_back(v);
    AlarmConfig a{.point_id = p, .area = "area" + std::to_string(p % 20)};
    a.hi = p % 1000 == 0 ? base + 0.3 : base * 1.2;
    a.lo = base * 0.8;
    a.deadband = 0.1;
    cfg.alarms.push_back(a);
    cfg.storage.push_back({p, 0.01, "default"});
  }
  return cfg;
}

std::uint64_t g_pipeline_alarms = 0;

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// `process_cpu`: the iteration's time is the CPU time of the whole process (the pushing thread
/// plus the pipeline thread), the in-process cost comparable to the CPU-timed SQLite ceiling on a
/// shared machine; the wall-time rate is reported as a counter. Otherwise wall time (PostgreSQL,
/// whose work is in the server's processes).
void run_pipeline(benchmark::State& state, store::Store& db, const fs::path& wal,
                  bool process_cpu) {
  store::migrate(db, houqin::migrations());
  auto cfg = pipeline_config(g_points);
  SampleStoreOptions so;
  so.wal_dir = wal;
  std::vector<Sample> work;
  signal();
  double wall_seconds = 0;
  std::map<std::string, double> stage_ns;
  for (auto _ : state) {
    auto cpu0 = process_cpu_seconds();
    auto wall0 = std::chrono::steady_clock::now();
    AlarmEngine engine;
    auto stages = make_stages(cfg, engine, db, db, so);
    PipelineOptions po;
    po.block_timeout = std::chrono::minutes(1);
    if (const char* b = std::getenv("HQ_BENCH_BATCH"))
      po.batch_size = std::stoul(b);  // back-pressure waits, it does not fail the run
    auto pipeline = make_pipeline(stages, po);
    for (std::int64_t k = 0; k < g_seconds; ++k) {
      auto r = pipeline->push(batch(work, k));
      if (r.status != PushStatus::accepted) state.SkipWithError("push not accepted");
    }
    pipeline->sync();
    pipeline->close();
    stages.store->finish();
    auto st = pipeline->stats();
    for (const auto& stage : st.stages)
      stage_ns[stage.name] += static_cast<double>(stage.time.count());
    if (st.durable != static_cast<std::uint64_t>(g_points * g_seconds))
      state.SkipWithError("samples lost");
    g_pipeline_alarms = stages.alarm->transitions();
    wall_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (process_cpu) state.SetIterationTime(process_cpu_seconds() - cpu0);
    state.PauseTiming();
    for (const char* t :
         {"telemetry_block", "telemetry_rollup", "telemetry_alarm", "telemetry_alarm_event"})
      db.execute(std::string("DELETE FROM ") + t);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * g_points * g_seconds);
  state.counters["alarm_transitions"] = static_cast<double>(g_pipeline_alarms);
  for (const auto& [name, ns] : stage_ns)  // time per sample in each stage (pipeline thread)
    state.counters[name + "_ns"] =
        ns / static_cast<double>(state.iterations() * g_points * g_seconds);
  state.counters["wall_samples_per_s"] =
      static_cast<double>(state.iterations() * g_points * g_seconds) / wall_seconds;
}

void BM_PipelineSqlite(benchmark::State& state) {
  auto dir = temp_dir("pipeline");
  {
    auto db = store::Store::open("sqlite:" + (dir / "telemetry.sqlite").string());
    run_pipeline(state, *db, dir / "wal", true);
  }
  fs::remove_all(dir);
}

// The same with the self-monitoring timers off (metrics::set_enabled(false)): the ceiling of the
// overhead target, on / off >= 0.97.
void BM_PipelineSqliteMetricsOff(benchmark::State& state) {
  metrics::set_enabled(false);
  BM_PipelineSqlite(state);
  metrics::set_enabled(true);
}

void BM_PipelinePostgres(benchmark::State& state) {
  if (pg_url().empty()) {
    state.SkipWithError("HOUQIN_TEST_PG_URL is not set: PostgreSQL benchmarks skipped");
    return;
  }
  auto dir = temp_dir("pipeline-pg");
  auto admin = store::Store::open(pg_url());
  std::string schema = "hq_bench_pipe_" + std::to_string(::getpid());
  admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  admin->execute("CREATE SCHEMA " + schema);
  {
    std::string url = pg_url() + (pg_url().find('?') == std::string::npos ? "?" : "&") +
                      "options=-csearch_path%3D" + schema;
    auto db = store::Store::open(url);
    run_pipeline(state, *db, dir / "wal", false);
  }
  admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  fs::remove_all(dir);
}

// ---- decode and memory ------------------------------------------------------------------------

/// One point's day at 1 s in store-sized blocks, decoded whole into caller columns.
constexpr std::size_t day = 86400;

/// A day of one voltage at 1 s as the store closes it: streamed blocks of about 512 bytes.
/// `jittered`: polled with up to 20 ms of jitter, in whole milliseconds. `noise`: of the
/// readings, in volts (0.03: 3 steps of the 0.01-V resolution; a quiet signal, a temperature or
/// a frequency, has under one step, where compaction takes the adaptive code).
std::vector<std::vector<std::uint8_t>> make_day(bool jittered, double noise_v = 0.03) {
  std::vector<std::vector<std::uint8_t>> out;
  BlockEncoder enc(0.01);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  std::uniform_int_distribution<int> jitter_ms(-20, 20);
  for (std::size_t k = 0; k < day; ++k) {
    double v =
        std::round((230 + std::sin(static_cast<double>(k) / 300.0) + noise_v * noise(rng)) * 100) /
        100;
    if (enc.encoded_size() >= 512) {
      out.emplace_back();
      enc.finish(out.back());
      enc.reset(0.01);
    }
    Micros jitter = jittered ? jitter_ms(rng) * 1000 : 0;
    enc.append(t0 + static_cast<Micros>(k) * 1'000'000 + jitter, v, 0, Flag::pass);
  }
  out.emplace_back();
  enc.finish(out.back());
  return out;
}
const std::vector<std::vector<std::uint8_t>>& streamed_day(bool jittered = false) {
  static const auto aligned = make_day(false), with_jitter = make_day(true);
  return jittered ? with_jitter : aligned;
}

/// The same blocks sealed, as SampleStore keeps them (format 2).
const std::vector<std::vector<std::uint8_t>>& sealed_day() {
  static const auto blocks = [] {
    std::vector<std::vector<std::uint8_t>> out;
    Series s;
    for (const auto& b : streamed_day()) {
      s.resize(read_header(b).count);
      std::size_t n = decode_block(b, s.buffers());
      out.emplace_back();
      if (!seal_block(std::span(s.times).first(n), std::span(s.values).first(n),
                      std::span(s.qualities).first(n), std::span(s.flags).first(n), 0.01,
                      out.back()))
        out.back() = b;
    }
    return out;
  }();
  return blocks;
}

/// A day compacted: six 4-hour windows sealed thoroughly (SampleStore::compact).
std::vector<std::vector<std::uint8_t>> compact_day(
    const std::vector<std::vector<std::uint8_t>>& streamed) {
  std::vector<std::vector<std::uint8_t>> out;
  Series all;
  all.resize(day);
  std::size_t at = 0;
  for (const auto& b : streamed) at += decode_block(b, all.buffers(at));
  constexpr std::size_t window = 4 * 3600;
  for (std::size_t from = 0; from < at; from += window) {
    const std::size_t n = std::min(window, at - from);
    out.emplace_back();
    if (!seal_block(std::span(all.times).subspan(from, n), std::span(all.values).subspan(from, n),
                    std::span(all.qualities).subspan(from, n),
                    std::span(all.flags).subspan(from, n), 0.01, out.back(), true))
      std::abort();  // sealing applies to every block of a fixed resolution
  }
  return out;
}
/// The voltage's day compacted.
const std::vector<std::vector<std::uint8_t>>& compacted_day() {
  static const auto blocks = compact_day(streamed_day());
  return blocks;
}
/// A quiet signal's day compacted (noise of 0.4 steps: the adaptive code).
const std::vector<std::vector<std::uint8_t>>& compacted_quiet_day() {
  static const auto blocks = compact_day(make_day(false, 0.004));
  return blocks;
}

void decode_day(benchmark::State& state, const std::vector<std::vector<std::uint8_t>>& blocks) {
  Series out;
  out.resize(day);
  for (auto _ : state) {
    std::size_t at = 0;
    for (const auto& b : blocks) at += decode_block(b, out.buffers(at));
    benchmark::DoNotOptimize(out.values.data());
    if (at != day) state.SkipWithError("decode lost samples");
  }
  std::size_t bytes = 0;
  for (const auto& b : blocks) bytes += b.size();
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(day);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(day));
}

/// Decoding a day of sealed blocks (what a range query decodes; issue 24's target 250M/s).
void BM_RangeDecode(benchmark::State& state) {
  decode_day(state, sealed_day());
}
/// The same day in the streamed format (blocks written before sealing, and open blocks).
void BM_RangeDecodeStreamed(benchmark::State& state) {
  decode_day(state, streamed_day());
}
/// The same day as compaction leaves it (information: its size and decoding speed).
void BM_RangeDecodeCompacted(benchmark::State& state) {
  decode_day(state, compacted_day());
}
/// A quiet signal's day as compaction leaves it: the adaptive code, the slowest to decode.
void BM_RangeDecodeCompactedQuiet(benchmark::State& state) {
  decode_day(state, compacted_quiet_day());
}

// ---- the peer decoder: Gorilla (Pelkonen et al., VLDB 2015) -------------------------------------
// The compression most time-series databases started from: times as deltas of deltas in
// prefix-coded buckets, values as the XOR with the previous value's bits, with its leading and
// meaningful bit counts. Written here for the same day, so that BM_RangeDecode has a peer on the
// same machine in the same run (information: the target itself is absolute).

/// MSB-first bits into 64-bit words.
struct GorillaWriter {
  std::vector<std::uint64_t> words{0};
  unsigned used = 0;  // bits of the last word
  void put(std::uint64_t v, unsigned n) {
    if (n == 0) return;
    if (used + n <= 64) {
      words.back() |= n == 64 ? v : (v << (64 - used - n));
      used += n;
    } else {
      const unsigned first = 64 - used, rest = n - first;
      words.back() |= v >> rest;
      words.push_back(v << (64 - rest));
      used = rest;
    }
    if (used == 64) {
      words.push_back(0);
      used = 0;
    }
  }
};

/// The day as Gorilla blocks of two hours (its block size): first time (64), first value (64),
/// then per sample the time's delta of delta and the value's XOR.
std::vector<std::vector<std::uint64_t>> gorilla_day() {
  Series all;
  all.resize(day);
  std::size_t at = 0;
  for (const auto& b : streamed_day()) at += decode_block(b, all.buffers(at));
  std::vector<std::vector<std::uint64_t>> out;
  constexpr std::size_t block = 7200;
  for (std::size_t from = 0; from < at; from += block) {
    const std::size_t n = std::min(block, at - from);
    GorillaWriter w;
    w.put(n, 64);
    w.put(static_cast<std::uint64_t>(all.times[from]), 64);
    w.put(std::bit_cast<std::uint64_t>(all.values[from]), 64);
    std::int64_t delta = 0;
    std::uint64_t prev = std::bit_cast<std::uint64_t>(all.values[from]);
    unsigned lead = 65, trail = 0;  // no window yet
    for (std::size_t i = from + 1; i < from + n; ++i) {
      const std::int64_t d = all.times[i] - all.times[i - 1], dod = d - delta;
      delta = d;
      if (dod == 0)
        w.put(0, 1);
      else if (dod >= -63 && dod <= 64)
        w.put((0b10ull << 7) | static_cast<std::uint64_t>(dod + 63), 9);
      else if (dod >= -255 && dod <= 256)
        w.put((0b110ull << 9) | static_cast<std::uint64_t>(dod + 255), 12);
      else if (dod >= -2047 && dod <= 2048)
        w.put((0b1110ull << 12) | static_cast<std::uint64_t>(dod + 2047), 16);
      else {
        w.put(0b1111, 4);
        w.put(static_cast<std::uint64_t>(dod), 64);
      }
      const std::uint64_t v = std::bit_cast<std::uint64_t>(all.values[i]), x = v ^ prev;
      prev = v;
      if (x == 0) {
        w.put(0, 1);
        continue;
      }
      const auto l = std::min(31u, static_cast<unsigned>(std::countl_zero(x)));
      const auto t = static_cast<unsigned>(std::countr_zero(x));
      if (lead <= 64 && l >= lead && t >= trail) {  // within the previous window
        w.put(0b10, 2);
        w.put(x >> trail, 64 - lead - trail);
      } else {
        lead = l;
        trail = t;
        const unsigned meaningful = 64 - l - t;
        w.put(0b11, 2);
        w.put(l, 5);
        w.put(meaningful - 1, 6);
        w.put(x >> t, meaningful);
      }
    }
    out.push_back(std::move(w.words));
    out.back().push_back(0);  // the reader may look one word ahead
  }
  return out;
}

/// Reads MSB-first bits from 64-bit words.
struct GorillaReader {
  const std::uint64_t* w;
  unsigned at = 0;                                 // bits of *w consumed
  std::uint64_t peek(unsigned n) const noexcept {  // n in 1..64
    const std::uint64_t hi = w[0] << at;
    const std::uint64_t lo = at ? w[1] >> (64 - at) : 0;
    return (hi | lo) >> (64 - n);
  }
  void skip(unsigned n) noexcept {
    at += n;
    if (at >= 64) {
      at -= 64;
      ++w;
    }
  }
  std::uint64_t get(unsigned n) noexcept {
    if (n == 0) return 0;
    const std::uint64_t v = peek(n);
    skip(n);
    return v;
  }
};

std::size_t gorilla_decode(const std::vector<std::uint64_t>& block, Micros* times, double* values) {
  GorillaReader r{block.data()};
  const auto n = static_cast<std::size_t>(r.get(64));
  auto t = static_cast<std::int64_t>(r.get(64));
  std::uint64_t v = r.get(64);
  times[0] = t;
  values[0] = std::bit_cast<double>(v);
  std::int64_t delta = 0;
  unsigned lead = 0, meaningful = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const auto ones = static_cast<unsigned>(std::countl_one(r.peek(4) << 60));
    std::int64_t dod;
    switch (ones) {
      case 0:
        r.skip(1);
        dod = 0;
        break;
      case 1:
        r.skip(2);
        dod = static_cast<std::int64_t>(r.get(7)) - 63;
        break;
      case 2:
        r.skip(3);
        dod = static_cast<std::int64_t>(r.get(9)) - 255;
        break;
      case 3:
        r.skip(4);
        dod = static_cast<std::int64_t>(r.get(12)) - 2047;
        break;
      default:
        r.skip(4);
        dod = static_cast<std::int64_t>(r.get(64));
    }
    delta += dod;
    t += delta;
    times[i] = t;
    if (r.get(1)) {
      if (r.get(1)) {
        lead = static_cast<unsigned>(r.get(5));
        meaningful = static_cast<unsigned>(r.get(6)) + 1;
      }
      v ^= r.get(meaningful) << (64 - lead - meaningful);
    }
    values[i] = std::bit_cast<double>(v);
  }
  return n;
}

/// The peer: the same day decoded from Gorilla blocks.
void BM_PeerGorillaDecode(benchmark::State& state) {
  static const auto blocks = gorilla_day();
  Series out;
  out.resize(day);
  for (auto _ : state) {
    std::size_t at = 0;
    for (const auto& b : blocks)
      at += gorilla_decode(b, out.times.data() + at, out.values.data() + at);
    benchmark::DoNotOptimize(out.values.data());
    if (at != day) state.SkipWithError("decode lost samples");
  }
  // what it decodes to is the day itself
  Series want;
  want.resize(day);
  std::size_t at = 0;
  for (const auto& b : streamed_day()) at += decode_block(b, want.buffers(at));
  for (std::size_t i = 0; i < day; ++i)
    if (out.times[i] != want.times[i] || std::bit_cast<std::uint64_t>(out.values[i]) !=
                                             std::bit_cast<std::uint64_t>(want.values[i])) {
      state.SkipWithError("the Gorilla day does not decode to the day");
      break;
    }
  std::size_t bytes = 0;
  for (const auto& b : blocks) bytes += 8 * b.size();
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(day);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(day));
}

/// What closing a block costs the append path, per sample: decoding the streamed block (for the
/// rollups) and sealing it, verification included; against streaming the samples in. The
/// argument: 1 for poll jitter.
void BM_CloseSeal(benchmark::State& state) {
  Series s;
  s.resize(day);
  std::vector<std::uint8_t> out;
  out.reserve(1 << 20);
  const auto& blocks = streamed_day(state.range(0) != 0);
  for (auto _ : state) {
    out.clear();
    for (const auto& b : blocks) {
      std::size_t n = decode_block(b, s.buffers());
      seal_block(std::span(s.times).first(n), std::span(s.values).first(n),
                 std::span(s.qualities).first(n), std::span(s.flags).first(n), 0.01, out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(day));
}
void BM_StreamEncode(benchmark::State& state) {
  Series s;
  s.resize(day);
  std::size_t at = 0;
  for (const auto& b : streamed_day()) at += decode_block(b, s.buffers(at));
  BlockEncoder enc(0.01);
  std::vector<std::uint8_t> out;
  out.reserve(1 << 20);
  for (auto _ : state) {
    out.clear();
    enc.reset(0.01);
    for (std::size_t k = 0; k < day; ++k) {
      if (enc.encoded_size() >= 512) {
        enc.finish(out);
        enc.reset(0.01);
      }
      enc.append(s.times[k], s.values[k], s.qualities[k], s.flags[k]);
    }
    enc.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(day));
}

/// The same day through SampleStore::query from SQLite: the database read included.
void BM_QuerySqlite(benchmark::State& state) {
  auto db = store::Store::open("sqlite::memory:");
  store::migrate(*db, storage_migrations());
  SampleStore ss(*db, point_config(1));
  std::vector<Sample> day;
  for (std::int64_t k = 0; k < 86400; ++k)
    day.push_back({1, t0 + k * 1'000'000,
                   std::round((230 + std::sin(static_cast<double>(k) / 300.0)) * 100) / 100, 0,
                   Flag::pass});
  ss.append(day);
  ss.flush();
  Series out;
  out.resize(86400);
  for (auto _ : state) {
    auto n = ss.query(1, t0, t0 + 86400ll * 1'000'000, out.buffers());
    if (n != 86400) state.SkipWithError("query lost samples");
  }
  state.SetItemsProcessed(state.iterations() * 86400);
}

/// A quiet signal's day through SampleStore::query from SQLite after compaction (the adaptive
/// code): the slowest day to read (issue 24: <= 1 ms).
void BM_QueryCompactedQuietSqlite(benchmark::State& state) {
  auto db = store::Store::open("sqlite::memory:");
  store::migrate(*db, storage_migrations());
  SampleStore ss(*db, point_config(1));
  std::vector<Sample> in;
  std::size_t at = 0;
  for (const auto& b : make_day(false, 0.004)) {
    Series s;
    s.resize(read_header(b).count);
    const std::size_t n = decode_block(b, s.buffers());
    for (std::size_t i = 0; i < n; ++i, ++at)
      in.push_back({1, s.times[i], s.values[i], 0, Flag::pass});
  }
  ss.append(in);
  ss.flush();
  // the day is over once a sample of the next one is stored
  ss.append(std::vector<Sample>{{1, t0 + 86400ll * 1'000'000, 230, 0, Flag::pass}});
  ss.flush();
  ss.compact(0, true);
  Series out;
  out.resize(86400);
  for (auto _ : state) {
    auto n = ss.query(1, t0, t0 + 86400ll * 1'000'000, out.buffers());
    if (n != 86400) state.SkipWithError("query lost samples");
  }
  state.SetItemsProcessed(state.iterations() * 86400);
}

// ---- a year of rollups: 100 points, one bucket a day (issue 24: <= 50 ms) ---------------------

std::int64_t g_rollup_points = 100;
std::int64_t g_rollup_days = 365;
constexpr Micros day_us = 86'400'000'000;
constexpr std::int64_t rollup_interval_s = 300;  // the rollup rows are the same at any rate

/// A store holding `g_rollup_days` of `g_rollup_points` points from t0 (a reading every 5
/// minutes, 2 decimals), flushed; and the same hours as one row each in the layout the packed
/// rows replaced (hour_rows: point, bucket, min, max, sum, count), the ceiling.
struct RollupYear {
  fs::path dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<SampleStore> ss;
  std::string schema;  // PostgreSQL

  explicit RollupYear(bool postgres) {
    dir = temp_dir(postgres ? "rollup-pg" : "rollup");
    if (postgres) {
      schema = "hq_bench_rollup_" + std::to_string(::getpid());
      auto admin = store::Store::open(pg_url());
      admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      admin->execute("CREATE SCHEMA " + schema);
      db = store::Store::open(pg_url() + (pg_url().find('?') == std::string::npos ? "?" : "&") +
                              "options=-csearch_path%3D" + schema);
    } else {
      db = store::Store::open("sqlite:" + (dir / "year.sqlite").string());
    }
    store::migrate(*db, storage_migrations());
    ss = std::make_unique<SampleStore>(*db, point_config(g_rollup_points));
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0, 1);
    std::vector<Sample> batch;
    const std::int64_t per_day = 86400 / rollup_interval_s;
    for (std::int64_t d = 0; d < g_rollup_days; ++d) {
      batch.clear();
      for (std::int64_t k = d * per_day; k < (d + 1) * per_day; ++k)
        for (Id p = 1; p <= g_rollup_points; ++p) {
          double v = 400 + 20 * std::sin(static_cast<double>(k) / 200.0 + static_cast<double>(p)) +
                     noise(rng);
          batch.push_back({p, t0 + k * rollup_interval_s * 1'000'000, std::round(v * 100) / 100, 0,
                           Flag::pass});
        }
      ss->append(batch);
    }
    ss->flush();
    // The ceiling's table, filled with the very hours the packed rows hold.
    db->execute(
        std::string("CREATE TABLE hour_rows (point_id BIGINT NOT NULL, bucket_us BIGINT NOT "
                    "NULL, min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL, "
                    "sum DOUBLE PRECISION NOT NULL, count BIGINT NOT NULL, PRIMARY KEY "
                    "(point_id, bucket_us))") +
        (postgres ? "" : " WITHOUT ROWID"));
    store::Transaction tx(*db);
    for (Id p = 1; p <= g_rollup_points; ++p) {
      std::string values;
      for (const auto& r : ss->rollups(p, t0, t0 + g_rollup_days * day_us, 3'600'000'000)) {
        if (!values.empty()) values += ',';
        values += "(" + std::to_string(p) + "," + std::to_string(r.start) + "," +
                  std::to_string(r.min) + "," + std::to_string(r.max) + "," +
                  std::to_string(r.sum) + "," + std::to_string(r.count) + ")";
        if (values.size() > (1u << 20)) {
          db->execute("INSERT INTO hour_rows VALUES " + values);
          values.clear();
        }
      }
      if (!values.empty()) db->execute("INSERT INTO hour_rows VALUES " + values);
    }
    tx.commit();
  }
  ~RollupYear() {
    ss.reset();
    db.reset();
    if (!schema.empty())
      store::Store::open(pg_url())->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    fs::remove_all(dir);
  }
};

/// Every point's year in daily buckets through SampleStore::rollups, all points in one call:
/// UTC days (from each day's totals), or Beijing days (from 16:00 UTC: from the packed hours).
void rollup_year(benchmark::State& state, bool postgres, Micros offset) {
  if (postgres && pg_url().empty()) {
    state.SkipWithError("HOUQIN_TEST_PG_URL is not set: PostgreSQL benchmarks skipped");
    return;
  }
  RollupYear year(postgres);
  std::vector<Id> points;
  for (Id p = 1; p <= g_rollup_points; ++p) points.push_back(p);
  const Micros from = t0 + offset;
  for (auto _ : state)
    for (const auto& days : year.ss->rollups(points, from, from + g_rollup_days * day_us, day_us))
      if (days.size() != static_cast<std::size_t>(g_rollup_days))
        state.SkipWithError("a day is missing");
  state.SetItemsProcessed(state.iterations() * g_rollup_points);
}
constexpr Micros beijing = -8 * 3'600'000'000;  // midnight at UTC+8 is 16:00 UTC the day before
void BM_RollupYearSqlite(benchmark::State& state) {
  rollup_year(state, false, 0);
}
void BM_RollupYearPostgres(benchmark::State& state) {
  rollup_year(state, true, 0);
}
void BM_RollupYearBeijingSqlite(benchmark::State& state) {
  rollup_year(state, false, beijing);
}
void BM_RollupYearBeijingPostgres(benchmark::State& state) {
  rollup_year(state, true, beijing);
}

/// The ceiling: the same buckets summed from one row per hour (the layout before migration 2)
/// with a prepared statement on the raw connection.
void BM_CeilingRollupHourRowsSqlite(benchmark::State& state) {
  RollupYear year(false);
  auto* db = static_cast<sqlite3*>(year.db->native_handle());
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT bucket_us, min, max, sum, count FROM hour_rows WHERE point_id = ? "
                     "AND bucket_us >= ? AND bucket_us < ? ORDER BY bucket_us",
                     -1, &st, nullptr);
  std::vector<Rollup> days;
  for (auto _ : state)
    for (Id p = 1; p <= g_rollup_points; ++p) {
      days.clear();
      sqlite3_bind_int64(st, 1, p);
      sqlite3_bind_int64(st, 2, t0);
      sqlite3_bind_int64(st, 3, t0 + g_rollup_days * day_us);
      while (sqlite3_step(st) == SQLITE_ROW) {
        Micros start = t0 + (sqlite3_column_int64(st, 0) - t0) / day_us * day_us;
        double lo = sqlite3_column_double(st, 1), hi = sqlite3_column_double(st, 2);
        if (days.empty() || days.back().start != start) days.push_back({start, lo, hi, 0, 0});
        auto& d = days.back();
        d.min = std::min(d.min, lo);
        d.max = std::max(d.max, hi);
        d.sum += sqlite3_column_double(st, 3);
        d.count += sqlite3_column_int64(st, 4);
      }
      sqlite3_reset(st);
      if (days.size() != static_cast<std::size_t>(g_rollup_days))
        state.SkipWithError("a day is missing");
    }
  sqlite3_finalize(st);
  state.SetItemsProcessed(state.iterations() * g_rollup_points);
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double g_memory_per_point = 0, g_rss_per_point = 0;

/// 100k points with half-full open blocks: the store's own accounting and the process's RSS.
void BM_MemoryPerPoint(benchmark::State& state) {
  for (auto _ : state) {
    auto db = store::Store::open("sqlite::memory:");
    store::migrate(*db, storage_migrations());
    auto cfg = point_config(g_memory_points);
    std::vector<Sample> work(static_cast<std::size_t>(g_memory_points));
    auto before = rss_bytes();
    {
      SampleStore ss(*db, cfg);
      for (std::int64_t k = 0; k < 300; ++k) {  // ~ half a block each
        for (std::size_t p = 0; p < work.size(); ++p)
          work[p] = {static_cast<Id>(p + 1), t0 + k * 1'000'000,
                     std::round((230 + 0.01 * static_cast<double>(
                                                  (k * 7 + static_cast<std::int64_t>(p)) % 13)) *
                                100) /
                         100,
                     0, Flag::pass};
        ss.append(work);
      }
      auto st = ss.stats();
      g_memory_per_point = static_cast<double>(st.memory_bytes) / static_cast<double>(st.points);
      g_rss_per_point = static_cast<double>(rss_bytes() - before) / static_cast<double>(st.points);
      state.PauseTiming();
      ss.flush();
      state.ResumeTiming();
    }
  }
  state.counters["bytes_per_point"] = g_memory_per_point;
  state.counters["rss_bytes_per_point"] = g_rss_per_point;
  state.SetItemsProcessed(state.iterations() * g_memory_points * 300);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--points=", 9) == 0)
      g_points = std::stoll(argv[i] + 9);
    else if (std::strncmp(argv[i], "--seconds=", 10) == 0)
      g_seconds = std::stoll(argv[i] + 10);
    else if (std::strncmp(argv[i], "--memory-points=", 16) == 0)
      g_memory_points = std::stoll(argv[i] + 16);
    else if (std::strncmp(argv[i], "--rollup-points=", 16) == 0)
      g_rollup_points = std::max(1LL, std::stoll(argv[i] + 16));
    else if (std::strncmp(argv[i], "--rollup-days=", 14) == 0)
      g_rollup_days = std::max(1LL, std::stoll(argv[i] + 14));
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  // In-process work (SQLite, decoding) is timed in CPU time: this machine is shared, and wall
  // time there measures the other tenants. PostgreSQL work happens in the server's processes, so
  // those two benchmarks are timed in wall time (which only makes their ratio pessimistic).
  using Fn = void (*)(benchmark::State&);
  const std::pair<const char*, Fn> cpu[] = {
      {"BM_CeilingSqliteRow", BM_CeilingSqliteRow},
      {"BM_CeilingSqliteRowIndexed", BM_CeilingSqliteRowIndexed},
      {"BM_RangeDecode", BM_RangeDecode},
      {"BM_RangeDecodeStreamed", BM_RangeDecodeStreamed},
      {"BM_RangeDecodeCompacted", BM_RangeDecodeCompacted},
      {"BM_RangeDecodeCompactedQuiet", BM_RangeDecodeCompactedQuiet},
      {"BM_PeerGorillaDecode", BM_PeerGorillaDecode},
      {"BM_StreamEncode", BM_StreamEncode},
      {"BM_QuerySqlite", BM_QuerySqlite},
      {"BM_QueryCompactedQuietSqlite", BM_QueryCompactedQuietSqlite},
      {"BM_RollupYearSqlite", BM_RollupYearSqlite},
      {"BM_RollupYearBeijingSqlite", BM_RollupYearBeijingSqlite},
      {"BM_CeilingRollupHourRowsSqlite", BM_CeilingRollupHourRowsSqlite}};
  for (auto [name, fn] : cpu) benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_CloseSeal", BM_CloseSeal)
      ->Unit(benchmark::kMillisecond)
      ->Arg(0)
      ->Arg(1);
  benchmark::RegisterBenchmark("BM_CeilingPgCopyBinary", BM_CeilingPgCopyBinary)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_StoreSqlite", BM_StoreSqlite)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_StorePostgres", BM_StorePostgres)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  // The pipeline works on two threads (pusher, pipeline): timed in the process's CPU time, see
  // run_pipeline(); its wall-time rate is the wall_samples_per_s counter.
  // Medians of 5 runs each, with and without the self-monitoring timers.
  for (auto [name, fn] : {std::pair<const char*, Fn>{"BM_PipelineSqlite", BM_PipelineSqlite},
                          {"BM_PipelineSqliteMetricsOff", BM_PipelineSqliteMetricsOff}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(1)
        ->Repetitions(5)
        ->ReportAggregatesOnly(true);
  benchmark::RegisterBenchmark("BM_PipelinePostgres", BM_PipelinePostgres)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  for (auto [name, fn] :
       {std::pair<const char*, Fn>{"BM_RollupYearPostgres", BM_RollupYearPostgres},
        {"BM_RollupYearBeijingPostgres", BM_RollupYearBeijingPostgres}})
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("BM_MemoryPerPoint", BM_MemoryPerPoint)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_PipelineSqlite", "BM_CeilingSqliteRow", ">= 5");
  reporter.print_ratio("BM_PipelinePostgres", "BM_CeilingPgCopyBinary", ">= 1");
  reporter.print_ratio("BM_PipelineSqlite", "BM_PipelineSqliteMetricsOff",
                       ">= 0.97: self-monitoring costs at most 3 %");
  if (reporter.items_per_second.count("BM_PipelineSqlite"))
    std::printf("end to end into SQLite: %.2f M samples/s per process CPU second (target >= 5)\n",
                reporter.items_per_second["BM_PipelineSqlite"] / 1e6);
  reporter.print_ratio("BM_StoreSqlite", "BM_CeilingSqliteRow", ">= 5");
  reporter.print_ratio("BM_StoreSqlite", "BM_CeilingSqliteRowIndexed", "information");
  reporter.print_ratio("BM_StorePostgres", "BM_CeilingPgCopyBinary", ">= 1");
  std::printf("bytes per stored sample: blob %.3f, whole SQLite file %.3f (target <= 1.5)\n",
              g_bytes_per_sample, g_db_bytes_per_sample);
  reporter.print_ratio("BM_RollupYearSqlite", "BM_CeilingRollupHourRowsSqlite",
                       "information: packed days against one row per hour");
  for (const char* name : {"BM_RollupYearSqlite", "BM_RollupYearPostgres",
                           "BM_RollupYearBeijingSqlite", "BM_RollupYearBeijingPostgres"})
    if (reporter.items_per_second.count(name))
      std::printf(
          "%s: 100 points, %lld days in daily buckets: %.2f ms (%.2f ms for a year); "
          "ratio to the ceiling of 50 ms = %.3f (target <= 1)\n",
          name, static_cast<long long>(g_rollup_days), 100e3 / reporter.items_per_second[name],
          100e3 / reporter.items_per_second[name] * 365 / static_cast<double>(g_rollup_days),
          100e3 / reporter.items_per_second[name] * 365 / static_cast<double>(g_rollup_days) / 50);
  if (reporter.items_per_second.count("BM_RangeDecode"))
    std::printf("range decode of sealed blocks: %.1f M samples/s (target >= 250)\n",
                reporter.items_per_second["BM_RangeDecode"] / 1e6);
  reporter.print_ratio("BM_RangeDecode", "BM_PeerGorillaDecode",
                       "information: sealed blocks against Gorilla's decoder, this machine");
  reporter.print_ratio("BM_RangeDecodeCompacted", "BM_RangeDecode",
                       "information: compacted windows / sealed blocks");
  reporter.print_ratio("BM_RangeDecode", "BM_RangeDecodeStreamed",
                       "information: sealed / streamed");
  if (reporter.items_per_second.count("BM_QuerySqlite"))
    std::printf("a day's query for one point from SQLite (sealed blocks): %.3f ms (target <= 1)\n",
                86400.0 / reporter.items_per_second["BM_QuerySqlite"] * 1e3);
  if (reporter.items_per_second.count("BM_QueryCompactedQuietSqlite"))
    std::printf(
        "a day's query for one quiet point from SQLite (compacted, tabled code): %.3f ms "
        "(target <= 1)\n",
        86400.0 / reporter.items_per_second["BM_QueryCompactedQuietSqlite"] * 1e3);
  reporter.print_ratio(
      "BM_CloseSeal", "BM_StreamEncode",
      "information: closing a jittered block (decode, seal, verify) against streaming it in");
  std::printf(
      "memory per point at %lld points: %.0f bytes counted, %.0f bytes RSS (target <= 1024)\n",
      static_cast<long long>(g_memory_points), g_memory_per_point, g_rss_per_point);
  benchmark::Shutdown();
  return 0;
}
