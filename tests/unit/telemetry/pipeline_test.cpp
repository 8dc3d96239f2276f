// The pipeline framework with fake stages: order per point, back-pressure under both policies,
// age flush by the injected clock, flush on close, the acknowledgement (sync), stages that throw,
// concurrent pushers, and acquisition from the Modbus simulator.
#include "houqin/telemetry/pipeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "../../support/expect.hpp"
#include "houqin/drivers/simulator.hpp"
#include "houqin/telemetry/acquire.hpp"

namespace houqin {
namespace {

using namespace houqin::telemetry;
using namespace std::chrono_literals;

const Timestamp t0 = parse_timestamp("2026-11-25T08:00:00Z");

/// A sink that keeps every sample and counts flushes; `flushed` is how many samples had been
/// processed at the last flush (what a durable store would have made durable).
class Recorder final : public Stage {
 public:
  void process(std::span<Sample> batch) override {
    std::lock_guard lock(mutex);
    samples.insert(samples.end(), batch.begin(), batch.end());
    ++batches;
  }
  void flush() override {
    std::lock_guard lock(mutex);
    ++flushes;
    flushed = samples.size();
    history.push_back(flushed);
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return samples.size();
  }
  std::mutex mutex;
  std::vector<Sample> samples;
  std::size_t batches = 0;
  std::size_t flushes = 0;
  std::size_t flushed = 0;
  std::vector<std::size_t> history;  // `flushed` at each flush
};

/// Holds the pipeline thread inside process() until opened.
class Gate final : public Stage {
 public:
  void process(std::span<Sample>) override {
    std::unique_lock lock(mutex_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, 10s, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait_entered() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return entered_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  bool entered_ = false;
};

/// A verifier stand-in: flags every sample in place.
class Flagger final : public Stage {
 public:
  void process(std::span<Sample> batch) override {
    for (auto& s : batch) s.flag = s.value > 100 ? Flag::fail : Flag::pass;
  }
};

/// Throws on every second batch (or flush), after flagging nothing.
class Flaky final : public Stage {
 public:
  bool throw_on_flush = false;
  bool throw_in_process = true;
  void process(std::span<Sample>) override {
    if (++calls % 2 == 0 && throw_in_process) throw std::runtime_error("disk on fire");
  }
  void flush() override {
    if (throw_on_flush) throw std::runtime_error("fsync failed");
  }
  int calls = 0;
};

std::vector<Sample> make_samples(std::size_t n, Id points = 10, Id first_point = 1) {
  std::vector<Sample> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i].point_id = first_point + static_cast<Id>(i) % points;
    v[i].time = to_micros(t0) + static_cast<Micros>(i);
    v[i].value = static_cast<double>(i % 200);
  }
  return v;
}

template <class F>
bool eventually(F&& f, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!f()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(PipelineTest, SamplesGoThroughEveryStageInOrderPerPoint) {
  auto flagger = std::make_shared<Flagger>();
  auto store = std::make_shared<Recorder>();
  auto forward = std::make_shared<Recorder>();
  auto input = make_samples(10'000, 7);
  {
    Pipeline p(standard_stages(flagger, nullptr, store, forward),
               PipelineOptions{.batch_size = 256, .queue_batches = 4});
    for (std::size_t i = 0; i < input.size(); i += 1000)
      EXPECT_EQ(p.push(std::span(input).subspan(i, 1000)).status, PushStatus::accepted);
  }
  ASSERT_EQ(store->samples.size(), input.size());
  ASSERT_EQ(forward->samples.size(), input.size());
  std::map<Id, Micros> last;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto& s = forward->samples[i];
    EXPECT_EQ(s.flag, s.value > 100 ? Flag::fail : Flag::pass);  // the verifier ran first
    if (last.count(s.point_id)) {
      EXPECT_GT(s.time, last[s.point_id]);
    }
    last[s.point_id] = s.time;
  }
  EXPECT_EQ(last.size(), 7u);
}

TEST(PipelineTest, RejectPolicyReturnsFullWithWhatFitted) {
  auto gate = std::make_shared<Gate>();
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"gate", gate, false}, {"store", store, true}},
             PipelineOptions{.batch_size = 4, .queue_batches = 3, .when_full = FullPolicy::reject});
  EXPECT_EQ(p.capacity(), 12u);
  auto input = make_samples(100);
  EXPECT_EQ(p.push(std::span(input).first(4)).accepted, 4u);  // a full batch: goes at once
  ASSERT_TRUE(gate->wait_entered());
  auto r = p.push(std::span(input).subspan(4));
  EXPECT_EQ(r.status, PushStatus::full);
  EXPECT_EQ(r.accepted, 8u);  // the two free batches; the third is in the stages
  EXPECT_EQ(r.ticket, 12u);
  auto again = p.push(std::span(input).subspan(12));
  EXPECT_EQ(again.status, PushStatus::full);
  EXPECT_EQ(again.accepted, 0u);
  auto st = p.stats();
  EXPECT_EQ(st.accepted, 12u);
  EXPECT_EQ(st.rejected, 88u + 88u);
  EXPECT_EQ(st.full_events, 2u);
  EXPECT_EQ(st.queue_high_water, 12u);
  gate->open();
  p.sync();
  EXPECT_EQ(store->size(), 12u);
  // Room again: the rest fits now.
  EXPECT_EQ(p.push(std::span(input).subspan(12, 8)).status, PushStatus::accepted);
}

TEST(PipelineTest, BlockPolicyWaitsForRoomThenTimesOut) {
  auto gate = std::make_shared<Gate>();
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"gate", gate, false}, {"store", store, true}},
             PipelineOptions{.batch_size = 4, .queue_batches = 3, .block_timeout = 300ms});
  auto input = make_samples(100);
  p.push(std::span(input).first(4));
  ASSERT_TRUE(gate->wait_entered());
  auto start = std::chrono::steady_clock::now();
  auto r = p.push(std::span(input).subspan(4));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 290ms);
  EXPECT_EQ(r.status, PushStatus::full);
  EXPECT_EQ(r.accepted, 8u);

  // A blocked pusher goes on as soon as the stages make room.
  PushResult late;
  std::thread pusher([&] { late = p.push(std::span(input).subspan(12, 40)); });
  ASSERT_TRUE(eventually([&] { return p.stats().full_events >= 2; }));
  gate->open();
  pusher.join();
  EXPECT_EQ(late.status, PushStatus::accepted);
  EXPECT_EQ(late.accepted, 40u);
  p.close();
  EXPECT_EQ(store->size(), 12u + late.accepted);
}

TEST(PipelineTest, APartBatchGoesOutWhenItsAgeReachesMaxAgeOnTheClock) {
  ManualClock clock(t0);
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"store", store, true}},
             PipelineOptions{.clock = &clock, .batch_size = 100, .max_age = 1s});
  auto input = make_samples(5);
  p.push(input);
  std::this_thread::sleep_for(60ms);  // several poll intervals of wall time: clock has not moved
  EXPECT_EQ(store->size(), 0u);
  clock.advance(999ms);
  p.wake();
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(store->size(), 0u);
  clock.advance(1ms);
  p.wake();
  ASSERT_TRUE(eventually([&] { return store->size() == 5; }));
  EXPECT_EQ(p.stats().aged_batches, 1u);
  // The queue ran empty after the batch: the stages were flushed (group commit).
  ASSERT_TRUE(eventually([&] { return p.stats().durable == 5; }));
}

TEST(PipelineTest, ATrickleOfSamplesGoesOutByAgeWithoutAnyoneWakingThePipeline) {
  // An acquisition pushes a few samples a second and never waits: the idle pipeline thread must
  // start timing the batch those open, not sleep until a full batch arrives.
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"store", store, true}}, PipelineOptions{.batch_size = 1000, .max_age = 20ms});
  std::this_thread::sleep_for(50ms);  // the thread is idle: nothing is open
  auto input = make_samples(5);
  p.push(input);
  ASSERT_TRUE(eventually([&] { return store->size() == 5; }));
  EXPECT_EQ(p.stats().aged_batches, 1u);
  std::this_thread::sleep_for(50ms);
  p.push(input);
  ASSERT_TRUE(eventually([&] { return store->size() == 10; }));
}

TEST(PipelineTest, CloseRunsEverythingAcceptedThroughEveryStageAndFlushes) {
  ManualClock clock(t0);
  auto store = std::make_shared<Recorder>();
  auto forward = std::make_shared<Recorder>();
  auto input = make_samples(1234);
  {
    Pipeline p(standard_stages(nullptr, nullptr, store, forward),
               PipelineOptions{.clock = &clock, .batch_size = 1000, .max_age = 1h});
    p.push(input);
    p.close();
    EXPECT_TRUE(p.closed());
    EXPECT_EQ(p.push(input).status, PushStatus::closed);
    auto st = p.stats();
    EXPECT_EQ(st.processed, 1234u);
    EXPECT_EQ(st.durable, 1234u);
    EXPECT_EQ(st.stages.at(1).name, "forward");
    EXPECT_EQ(st.stages.at(1).samples, 1234u);
  }
  EXPECT_EQ(store->samples.size(), 1234u);
  EXPECT_EQ(forward->samples.size(), 1234u);
  EXPECT_EQ(store->flushed, 1234u);  // flushed after the last sample
}

TEST(PipelineTest, SyncReturnsOnceEverythingPushedIsFlushedByTheDurableStage) {
  ManualClock clock(t0);  // never advanced: no age flush, only the sync sends the open batch
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"store", store, true}},
             PipelineOptions{.clock = &clock, .batch_size = 1000, .max_age = 1h});
  auto input = make_samples(2500);
  auto r = p.push(input);
  EXPECT_EQ(r.ticket, 2500u);
  p.sync(5s);
  {
    std::lock_guard lock(store->mutex);
    EXPECT_EQ(store->flushed, 2500u);
  }
  auto more = make_samples(10);
  auto w = p.push_and_wait(more, 5s);
  EXPECT_EQ(w.ticket, 2510u);
  std::lock_guard lock(store->mutex);
  EXPECT_EQ(store->flushed, 2510u);
}

TEST(PipelineTest, UnderLoadStagesAreFlushedEveryFlushInterval) {
  ManualClock clock(t0);
  auto gate = std::make_shared<Gate>();
  auto store = std::make_shared<Recorder>();
  Pipeline p({{"gate", gate, false}, {"store", store, true}},
             PipelineOptions{.clock = &clock, .batch_size = 4, .flush_interval = 1s});
  auto input = make_samples(12);
  p.push(input);  // three full batches: the first held in the gate, two waiting behind it
  ASSERT_TRUE(gate->wait_entered());
  clock.advance(2s);
  gate->open();
  p.sync();
  std::lock_guard lock(store->mutex);
  // The queue never ran empty after the first batch, but the interval had passed: a flush came
  // between batches; the next one only when the queue ran empty.
  EXPECT_EQ(store->history, (std::vector<std::size_t>{4, 12}));
}

TEST(PipelineTest, SyncTimesOutWhileAStageHoldsTheSamples) {
  auto gate = std::make_shared<Gate>();
  Pipeline p({{"gate", gate, true}}, PipelineOptions{.batch_size = 4});
  auto input = make_samples(4);
  p.push(input);
  testing::expect_error([&] { p.sync(30ms); }, ErrorCode::deadline_exceeded,
                        "telemetry pipeline: sample 4 not durable");
  gate->open();
  p.sync();
}

TEST(PipelineTest, AThrowingStageIsReportedAndLaterStagesStillGetTheSamples) {
  auto flaky = std::make_shared<Flaky>();
  auto store = std::make_shared<Recorder>();
  std::mutex m;
  std::vector<std::pair<std::string, std::size_t>> errors;
  PipelineOptions o{.batch_size = 10};
  o.on_error = [&](std::string_view stage, std::exception_ptr e, std::span<const Sample> batch) {
    std::lock_guard lock(m);
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error& x) {
      EXPECT_STREQ(x.what(), "disk on fire");
    }
    errors.emplace_back(std::string(stage), batch.size());
  };
  Pipeline p({{"alarm", flaky, false}, {"store", store, true}}, o);
  auto input = make_samples(40);
  p.push(input);
  p.sync();  // a non-durable stage's failure does not fail the acknowledgement
  EXPECT_EQ(store->size(), 40u);
  auto st = p.stats();
  EXPECT_EQ(st.stages[0].errors, 2u);
  EXPECT_EQ(st.stages[0].failed_samples, 20u);
  EXPECT_EQ(st.processed, 40u);
  std::lock_guard lock(m);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], std::make_pair(std::string("alarm"), std::size_t{10}));
}

TEST(PipelineTest, ADurableStageThatThrowsFailsTheNextSyncOnce) {
  auto flaky = std::make_shared<Flaky>();
  auto forward = std::make_shared<Recorder>();
  std::atomic<std::size_t> handed{0};
  PipelineOptions o{.batch_size = 10};
  o.on_error = [&](std::string_view, std::exception_ptr, std::span<const Sample> batch) {
    handed += batch.size();
  };
  Pipeline p({{"store", flaky, true}, {"forward", forward, false}}, o);
  auto input = make_samples(20);
  p.push(input);
  testing::expect_error([&] { p.sync(); }, ErrorCode::unavailable,
                        "telemetry pipeline: stage 'store' failed: disk on fire");
  EXPECT_EQ(handed.load(), 10u);       // the failed batch went to the handler
  EXPECT_EQ(forward->size(), 20u);     // and on to the next stage
  p.push(std::span(input).first(10));  // batch 3: succeeds
  p.sync();
  flaky->throw_in_process = false;
  flaky->throw_on_flush = true;
  p.push(std::span(input).first(1));
  testing::expect_error([&] { p.sync(); }, ErrorCode::unavailable,
                        "telemetry pipeline: stage 'store' flush failed: fsync failed");
  EXPECT_EQ(p.stats().stages[0].errors, 2u);
}

TEST(PipelineTest, TwoThreadsPushConcurrentlyAndNothingIsLostOrReordered) {
  auto store = std::make_shared<Recorder>();
  constexpr std::size_t per_thread = 50'000;
  Pipeline p({{"store", store, true}}, PipelineOptions{.batch_size = 128, .queue_batches = 4});
  auto pusher = [&](Id first_point) {
    auto input = make_samples(per_thread, 5, first_point);
    for (std::size_t i = 0; i < input.size();) {
      auto r = p.push(std::span(input).subspan(i, std::min<std::size_t>(100, input.size() - i)));
      i += r.accepted;
      ASSERT_NE(r.status, PushStatus::closed);
    }
  };
  std::thread a(pusher, 1), b(pusher, 100);
  a.join();
  b.join();
  p.close();
  ASSERT_EQ(store->samples.size(), 2 * per_thread);
  std::map<Id, Micros> last;
  std::map<Id, std::size_t> count;
  for (const auto& s : store->samples) {
    if (last.count(s.point_id)) {
      EXPECT_GT(s.time, last[s.point_id]);
    }
    last[s.point_id] = s.time;
    ++count[s.point_id];
  }
  EXPECT_EQ(count.size(), 10u);
  for (auto [id, n] : count) EXPECT_EQ(n, per_thread / 5) << id;
  EXPECT_LE(p.stats().queue_high_water, p.capacity());
}

TEST(PipelineTest, InvalidOptionsAreRejected) {
  testing::expect_error([] { Pipeline p({}, PipelineOptions{.batch_size = 0}); },
                        ErrorCode::invalid_argument, "batch_size must be positive");
  testing::expect_error(
      [] {
        Pipeline p({{"store", nullptr, true}});
      },
      ErrorCode::invalid_argument, "stage 'store' has no Stage");
}

TEST(PipelineAcquisitionTest, ModbusReadingsArrivePerPointAsSamples) {
  using namespace houqin::drivers;
  Simulator sim;
  sim.add_unit(1, gas_panel_points(1));
  sim.start();
  PointMap map;
  Device d;
  d.id = 1;
  d.name = "gas-1";
  d.host = "127.0.0.1";
  d.port = sim.port();
  d.unit_id = 1;
  d.response_timeout_ms = 300;
  d.poll_interval_ms = 20;
  map.devices = {d};
  map.points = gas_panel_points(1);
  std::set<Id> numeric;
  for (const auto& pt : map.points)
    if (pt.data_type != DataType::string) numeric.insert(pt.id);
  ASSERT_LT(numeric.size(), map.points.size());  // the model name is a string point

  auto store = std::make_shared<Recorder>();
  Pipeline p({{"store", store, true}}, PipelineOptions{.batch_size = 64, .max_age = 5ms});
  {
    PipelineAcquisition acq(map, p);
    ASSERT_TRUE(eventually([&] { return store->size() >= 3 * numeric.size(); }));
    acq.stop();
    EXPECT_EQ(acq.dropped(), 0u);
    EXPECT_GE(acq.pushed(), 3 * numeric.size());
  }
  p.close();
  std::map<Id, std::vector<Micros>> times;
  for (const auto& s : store->samples) {
    EXPECT_TRUE(numeric.count(s.point_id)) << s.point_id;
    EXPECT_EQ(s.quality, quality_good);
    EXPECT_TRUE(std::isfinite(s.value));
    EXPECT_EQ(s.flag, Flag::not_evaluated);
    times[s.point_id].push_back(s.time);
  }
  EXPECT_EQ(times.size(), numeric.size());
  for (const auto& [id, ts] : times) EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end())) << id;
}

TEST(PipelineAcquisitionTest, QualityMapsToTheSampleAndBadReadingsCarryNaN) {
  drivers::Reading r{42, t0, 1.5, {}, drivers::Quality::good};
  auto s = to_sample(r);
  EXPECT_EQ(s.point_id, 42);
  EXPECT_EQ(s.time, to_micros(t0));
  EXPECT_EQ(s.value, 1.5);
  EXPECT_EQ(s.quality, quality_good);
  r.quality = drivers::Quality::device_busy;
  s = to_sample(r);
  EXPECT_TRUE(std::isnan(s.value));
  EXPECT_EQ(s.quality, static_cast<QualityCode>(drivers::Quality::device_busy));
}

}  // namespace
}  // namespace houqin
