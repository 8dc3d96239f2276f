// The price of security: an authorised, audited service call against the same repository write
// without authorisation or audit, both one transaction per call, in the same run (target: the
// audited call costs at most 2x, ratio >= 0.5); and audit append and chain verification
// throughput.
//   security_bench [--calls=N] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <houqin/houqin.hpp>

#include "ratio.hpp"

namespace {

using namespace houqin;

std::int64_t g_calls = 2000;

struct Db {
  std::filesystem::path path;
  std::unique_ptr<store::Store> store;
  Db() {
    static int n = 0;
    path =
        std::filesystem::temp_directory_path() /
        ("houqin-secbench-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".sqlite");
    clean();
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("bench", std::string(32, '\x11'));
    store::StoreOptions o;
    o.keys = keys;
    store = store::Store::open("sqlite:" + path.string(), o);
    auto m = houqin::migrations();
    store::migrate(*store, m);
  }
  ~Db() {
    store.reset();
    clean();
  }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
};

const auth::Actor& editor() {
  static const auto a = auth::Actor::service("bench", {"site.edit"});
  return a;
}

void BM_AuditedCall(benchmark::State& state) {
  Db db;
  std::int64_t n = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < state.range(0); ++i, ++n)
      audit::audited(*db.store, editor(), "site.edit", [&](audit::Call& call) {
        call.require("site.edit");
        site::Campus c{0, 0, "C" + std::to_string(n), "Campus", ""};
        store::Repository<site::Campus>(*db.store).insert(c);
        call.record("site_campus", c.id, std::nullopt, json::to_json(c));
      });
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_CeilingPlainWrite(benchmark::State& state) {
  Db db;
  std::int64_t n = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < state.range(0); ++i, ++n)
      store::in_transaction(*db.store, [&] {
        site::Campus c{0, 0, "C" + std::to_string(n), "Campus", ""};
        store::Repository<site::Campus>(*db.store).insert(c);
      });
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_AuditAppend(benchmark::State& state) {
  Db db;
  for (auto _ : state) {
    store::in_transaction(*db.store, [&] {
      for (std::int64_t i = 0; i < state.range(0); ++i)
        audit::append(*db.store, editor(),
                      {"site.edit", "site_campus", i, audit::Outcome::success, {}, {}, {}});
    });
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_AuditVerify(benchmark::State& state) {
  Db db;
  store::in_transaction(*db.store, [&] {
    for (std::int64_t i = 0; i < state.range(0); ++i)
      audit::append(*db.store, editor(),
                    {"site.edit", "site_campus", i, audit::Outcome::success, {}, {}, {}});
  });
  for (auto _ : state) {
    auto v = audit::verify_chain(*db.store);
    if (!v.ok) state.SkipWithError(v.problem.c_str());
    benchmark::DoNotOptimize(v.records);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls=", 8) == 0)
      g_calls = std::stoll(argv[i] + 8);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  using Fn = void (*)(benchmark::State&);
  const std::pair<const char*, Fn> all[] = {{"BM_AuditedCall", BM_AuditedCall},
                                            {"BM_CeilingPlainWrite", BM_CeilingPlainWrite},
                                            {"BM_AuditAppend", BM_AuditAppend},
                                            {"BM_AuditVerify", BM_AuditVerify}};
  for (auto [name, fn] : all)
    benchmark::RegisterBenchmark(name, fn)
        ->Arg(g_calls)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_AuditedCall", "BM_CeilingPlainWrite", ">= 0.5");
  benchmark::Shutdown();
  return 0;
}
