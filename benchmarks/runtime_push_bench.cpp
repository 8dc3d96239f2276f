// Pushing samples through telemetry::Runtime (verify + alarm + store into a SQLite file) from
// C++: the reference that benchmarks/python_push_bench.py compares houqin.telemetry.Runtime.push
// from numpy with, on the same samples and configuration, which the script writes:
//   runtime_push_bench --samples=FILE --config=FILE [--slice=N] [--batch-size=N]
//                      [--queue-batches=N] [google benchmark flags]
// FILE of samples: raw telemetry::Sample records (numpy's sample_dtype .tofile()); config: a
// TelemetryConfig JSON document. The pushes are slices of `slice` samples, as the Python binding
// makes them (half the queue). Timed in the CPU time of the whole process (pusher + pipeline
// thread), as pipeline_bench; the ceiling is one prepared sqlite3 INSERT per sample in C.
// Without --samples it makes its own (10,000 points x 100 s of 2-decimal readings).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "houqin/gas/profile.hpp"
#include "houqin/platform.hpp"
#include "houqin/power/quality.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/telemetry/runtime.hpp"
#include "ratio.hpp"

namespace fs = std::filesystem;
using namespace houqin;
using namespace houqin::telemetry;

namespace {

std::string g_samples_file, g_config_file;
std::size_t g_batch_size = 4096, g_queue_batches = 16, g_slice = 0;
std::vector<Sample> g_samples;
TelemetryConfig g_config;

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

fs::path temp_dir(const char* name) {
  auto d = fs::temp_directory_path() /
           ("houqin-runtime-push-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void load() {
  if (g_samples_file.empty()) {
    constexpr Micros t0 = 1'767'225'600'000'000;
    for (Id p = 1; p <= 10000; ++p)
      power::add(g_config, power::PowerPoint{.point_id = p, .nominal = 230, .area = "bench"});
    for (std::int64_t k = 0; k < 100; ++k)
      for (Id p = 1; p <= 10000; ++p)
        g_samples.push_back(
            {p, t0 + k * 1'000'000,
             std::round(23000 + 200 * std::sin(static_cast<double>(k + p) / 40)) / 100,
             quality_good, Flag::not_evaluated});
    return;
  }
  std::ifstream in(g_samples_file, std::ios::binary | std::ios::ate);
  if (!in) fail(ErrorCode::not_found, "samples: cannot open " + g_samples_file);
  auto bytes = static_cast<std::size_t>(in.tellg());
  g_samples.resize(bytes / sizeof(Sample));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(g_samples.data()),
          static_cast<std::streamsize>(g_samples.size() * sizeof(Sample)));
  std::ifstream c(g_config_file);
  std::stringstream text;
  text << c.rdbuf();
  g_config = json::from_json<TelemetryConfig>(json::parse(text.str(), "config"), "config");
}

void BM_RuntimePushCpp(benchmark::State& state) {
  double wall = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = temp_dir("runtime");
    auto url = "sqlite:" + (dir / "telemetry.sqlite").string();
    {
      auto db = store::Store::open(url);
      store::migrate(*db, houqin::migrations());
    }
    RuntimeOptions o;
    o.url = url;
    o.storage.wal_dir = dir / "wal";
    o.pipeline.batch_size = g_batch_size;
    o.pipeline.queue_batches = g_queue_batches;
    o.pipeline.block_timeout = std::chrono::seconds(10);
    o.serve_alarm_operations = false;
    auto rt = std::make_unique<Runtime>(o, g_config);
    state.ResumeTiming();
    auto cpu0 = process_cpu_seconds();
    auto wall0 = std::chrono::steady_clock::now();
    std::size_t slice =
        g_slice ? g_slice : std::max<std::size_t>(1, g_batch_size * g_queue_batches / 2);
    for (std::size_t done = 0; done < g_samples.size();) {
      std::size_t k = std::min(slice, g_samples.size() - done);
      auto r = rt->push(std::span<const Sample>(g_samples.data() + done, k));
      if (r.status != PushStatus::accepted) {
        state.SkipWithError("push not accepted");
        break;
      }
      done += k;
    }
    rt->sync(std::chrono::minutes(5));
    rt->close();
    auto durable = rt->stats().durable;
    rt.reset();  // timed too: closing the connections is part of the Python side's close()
    state.SetIterationTime(process_cpu_seconds() - cpu0);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    state.PauseTiming();
    if (durable != g_samples.size()) state.SkipWithError("samples lost");
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  auto n = static_cast<double>(state.iterations()) * static_cast<double>(g_samples.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["wall_samples_per_s"] = n / wall;
}

/// One prepared INSERT per sample into a plain table, 10,000 rows a transaction (WAL,
/// synchronous=NORMAL): the one-row-per-sample way, written in C.
void BM_CeilingSqliteRow(benchmark::State& state) {
  auto dir = temp_dir("rows");
  sqlite3* db = nullptr;
  sqlite3_open((dir / "rows.sqlite").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE sample (point_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
               "quality INTEGER NOT NULL, flag INTEGER NOT NULL)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO sample VALUES (?, ?, ?, ?, ?)", -1, &st, nullptr);
  std::size_t n = std::min<std::size_t>(g_samples.size(), 200'000);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 10000 == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      const auto& s = g_samples[i];
      sqlite3_bind_int64(st, 1, s.point_id);
      sqlite3_bind_int64(st, 2, s.time);
      sqlite3_bind_double(st, 3, s.value);
      sqlite3_bind_int(st, 4, s.quality);
      sqlite3_bind_int(st, 5, static_cast<int>(s.flag));
      sqlite3_step(st);
      sqlite3_reset(st);
      if (i % 10000 == 9999 || i + 1 == n) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  sqlite3_finalize(st);
  sqlite3_close(db);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      auto n = std::strlen(name);
      return a.compare(0, n, name) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--samples="))
      g_samples_file = v;
    else if (const char* c = value("--config="))
      g_config_file = c;
    else if (const char* s = value("--slice="))
      g_slice = std::stoul(s);
    else if (const char* b = value("--batch-size="))
      g_batch_size = std::stoul(b);
    else if (const char* q = value("--queue-batches="))
      g_queue_batches = std::stoul(q);
    else
      args.push_back(argv[i]);
  }
  try {
    load();
  } catch (const Error& e) {
    std::fprintf(stderr, "runtime_push_bench: %s\n", e.what());
    return 2;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RegisterBenchmark("BM_RuntimePushCpp", BM_RuntimePushCpp)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_CeilingSqliteRow", BM_CeilingSqliteRow)
      ->Unit(benchmark::kMillisecond);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_RuntimePushCpp", "BM_CeilingSqliteRow", "information");
  benchmark::Shutdown();
  return 0;
}
