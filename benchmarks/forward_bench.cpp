// The telemetry pipeline's own cost and the MQTT forwarder's throughput:
//   BM_PipelineNoop / BM_CeilingMemcpy   samples/s through a pipeline with four no-op stages
//                                        (verify, alarm, store, forward) against copying the same
//                                        samples once with memcpy, the least any queue must do
//   BM_ForwardEncode, BM_ForwardEncodeJson  the binary message format against compact JSON per
//   batch BM_ForwardEnqueue                    messages/s appended to the on-disk queue (no broker)
//   BM_ForwardDeliver                    messages/s through a real mosquitto broker, acknowledged
//   forward_bench [--samples=N] [--messages=N] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <houqin/telemetry/forward.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "../tests/support/net.hpp"
#include "ratio.hpp"

namespace {

using namespace houqin;
using namespace houqin::telemetry;
namespace fs = std::filesystem;

std::int64_t g_samples = 1'000'000;
std::int64_t g_messages = 2000;
constexpr std::size_t push_size = 1000;  // samples per push, as a host program would hand them

std::vector<Sample> make_samples(std::size_t n) {
  std::vector<Sample> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i].point_id = static_cast<Id>(1 + i % 10'000);
    v[i].time = 1'795'000'000'000'000 + static_cast<Micros>(i / 10'000) * 1'000'000;
    v[i].value = 400 + static_cast<double>(i % 97) / 100;
    v[i].flag = Flag::pass;
  }
  return v;
}

class Noop final : public Stage {
 public:
  void process(std::span<Sample> batch) override { benchmark::DoNotOptimize(batch.data()); }
};

void BM_PipelineNoop(benchmark::State& state) {
  auto input = make_samples(static_cast<std::size_t>(state.range(0)));
  auto noop = std::make_shared<Noop>();
  Pipeline p(standard_stages(noop, noop, noop, noop));
  for (auto _ : state) {
    for (std::size_t i = 0; i < input.size(); i += push_size)
      p.push(std::span(input).subspan(i, std::min(push_size, input.size() - i)));
    p.sync();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_CeilingMemcpy(benchmark::State& state) {
  auto input = make_samples(static_cast<std::size_t>(state.range(0)));
  std::vector<Sample> ring(16 * 4096);
  for (auto _ : state) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < input.size(); i += push_size) {
      auto n = std::min(push_size, input.size() - i);
      if (at + n > ring.size()) at = 0;
      std::memcpy(ring.data() + at, input.data() + i, n * sizeof(Sample));
      at += n;
    }
    benchmark::DoNotOptimize(ring.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ForwardEncode(benchmark::State& state) {
  auto input = make_samples(1000);
  std::vector<std::uint8_t> out;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    encode_message("campus-1/gateway-1", ++seq, input, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["bytes_per_sample"] = static_cast<double>(out.size()) / 1000;
}

void BM_ForwardEncodeJson(benchmark::State& state) {
  auto input = make_samples(1000);
  std::string out;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& s : input)
      rows.push_back({s.point_id, s.time, s.value, s.quality, static_cast<int>(s.flag)});
    nlohmann::json m{
        {"source", "campus-1/gateway-1"}, {"seq", ++seq}, {"samples", std::move(rows)}};
    out = m.dump();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["bytes_per_sample"] = static_cast<double>(out.size()) / 1000;
}

fs::path temp_dir(const char* what) {
  auto d = fs::temp_directory_path() / ("houqin-fwdbench-" + std::to_string(::getpid()) + what);
  fs::remove_all(d);
  return d;
}

void BM_ForwardEnqueue(benchmark::State& state) {
  auto dir = temp_dir("-enqueue");
  auto input = make_samples(1000);
  {
    ForwarderOptions o;
    o.port = testing::free_port();  // nobody there: the sender only fails to connect
    o.source_id = "bench";
    o.queue_dir = dir;
    o.max_queue_bytes = 64 << 20;  // drops the oldest beyond this: disk use stays bounded
    Forwarder f(o);
    for (auto _ : state) f.enqueue(input);
    f.flush();
  }
  fs::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
}

void BM_ForwardDeliver(benchmark::State& state) {
  if (!fs::exists("/usr/sbin/mosquitto")) {
    state.SkipWithError("no /usr/sbin/mosquitto");
    return;
  }
  auto dir = temp_dir("-deliver");
  fs::create_directories(dir);
  testing::Mosquitto broker(dir);
  try {
    broker.start();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const int port = broker.port();
  auto input = make_samples(static_cast<std::size_t>(state.range(1)));
  {
    ForwarderOptions o;
    o.port = port;
    o.source_id = "bench";
    o.queue_dir = dir / "queue";
    Forwarder f(o);
    for (auto _ : state) {
      for (std::int64_t i = 0; i < state.range(0); ++i) f.enqueue(input);
      if (!f.wait_drained(std::chrono::seconds(60))) state.SkipWithError("not drained in 60 s");
    }
    state.counters["reconnects"] = static_cast<double>(f.stats().connects);
  }
  broker.stop();
  fs::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--samples=", 10) == 0)
      g_samples = std::stoll(argv[i] + 10);
    else if (std::strncmp(argv[i], "--messages=", 11) == 0)
      g_messages = std::stoll(argv[i] + 11);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RegisterBenchmark("BM_PipelineNoop", BM_PipelineNoop)->Arg(g_samples)->UseRealTime();
  benchmark::RegisterBenchmark("BM_CeilingMemcpy", BM_CeilingMemcpy)->Arg(g_samples)->UseRealTime();
  benchmark::RegisterBenchmark("BM_ForwardEncode", BM_ForwardEncode);
  benchmark::RegisterBenchmark("BM_ForwardEncodeJson", BM_ForwardEncodeJson);
  benchmark::RegisterBenchmark("BM_ForwardEnqueue", BM_ForwardEnqueue)->UseRealTime();
  // Small messages (10 samples) measure the per-message cost; 1000-sample ones the bulk rate.
  benchmark::RegisterBenchmark("BM_ForwardDeliver", BM_ForwardDeliver)
      ->Args({g_messages, 10})
      ->Args({g_messages / 10 + 1, 1000})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_PipelineNoop", "BM_CeilingMemcpy", ">= 0.25");
  benchmark::Shutdown();
  return 0;
}
