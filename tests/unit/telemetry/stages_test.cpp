// The standard stages in a real pipeline, every backend: an O2 area pressure with a spike and a
// drop below its lo limit goes through verify -> alarm -> store; after sync() the samples are
// stored with their flags, the alarm is in the history and AlarmRaised was delivered; close()
// runs and flushes everything accepted. Also the configuration built from profiles.
#include "houqin/telemetry/stages.hpp"
#include "houqin/gas/profile.hpp"
#include "houqin/power/quality.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/telemetry/profiles.hpp"

namespace houqin::telemetry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr Micros sec = 1'000'000;
constexpr Id area_o2 = 1;    // ICU area alarm panel: nominal 400 kPa, lo 320, fail above 1000
constexpr Id source_o2 = 2;  // oxygen plant outlet
constexpr std::int64_t spike_at = 3;
constexpr std::int64_t drop_at = 10;

TelemetryConfig o2_config() {
  TelemetryConfig cfg;
  gas::add(cfg, gas::GasPoint{.point_id = area_o2, .role = gas::Role::area, .area = "ICU"});
  gas::add(cfg, gas::GasPoint{.point_id = source_o2, .role = gas::Role::source, .area = "plant"});
  return cfg;
}

/// Second k of both points: the area pressure steady at 400, a spike to 1100 kPa (beyond the
/// transmitter's range) at spike_at, and a drop to 300 kPa from drop_at until `recover_at`.
std::vector<Sample> second(Micros t0, std::int64_t k, std::int64_t recover_at = 1'000) {
  double area = k == spike_at ? 1100 : (k >= drop_at && k < recover_at ? 300 : 400 + 0.1 * (k % 2));
  return {{area_o2, t0 + k * sec, area, quality_good, Flag::not_evaluated},
          {source_o2, t0 + k * sec, 450 + 0.1 * (k % 3), quality_good, Flag::not_evaluated}};
}

class StagesTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  AlarmEngine engine{pf.clock};
  Micros t0 = to_micros(testing::test_start);
  fs::path wal =
      fs::temp_directory_path() / ("houqin-stages-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::mutex mutex;
  std::vector<AlarmRaised> raised;
  std::vector<AlarmCleared> cleared;
  Subscription sub_raised, sub_cleared;

  void SetUp() override {
    fs::remove_all(wal);
    s = pf.open(GetParam());
    if (!s) return;
    // Delivered on the pipeline thread, after AlarmLog's commit.
    sub_raised = s->events().subscribe<AlarmRaised>([this](const AlarmRaised& e) {
      std::lock_guard lock(mutex);
      raised.push_back(e);
    });
    sub_cleared = s->events().subscribe<AlarmCleared>([this](const AlarmCleared& e) {
      std::lock_guard lock(mutex);
      cleared.push_back(e);
    });
  }
  void TearDown() override { fs::remove_all(wal); }

  PipelineOptions options() {
    PipelineOptions o;
    o.clock = &pf.clock;
    o.batch_size = 4;  // several batches, each with samples of both points
    o.queue_batches = 4;
    return o;
  }
  void push(Pipeline& p, std::int64_t from, std::int64_t to, std::int64_t recover_at = 1'000) {
    for (std::int64_t k = from; k < to; ++k) {
      auto b = second(t0, k, recover_at);
      ASSERT_EQ(p.push(b).status, PushStatus::accepted);
    }
  }
  std::vector<AlarmEvent> history() {
    return store::Repository<AlarmEvent>(*s).find(
        store::Query<AlarmEvent>().order_by(&AlarmEvent::id));
  }
};

TEST_P(StagesTest, FaultsAreFlaggedStoredAndAlarmedAfterSyncAndCloseFlushesTheRest) {
  HQ_REQUIRE_STORE(s);
  SampleStoreOptions so;
  so.wal_dir = wal;
  auto stages = make_stages(o2_config(), engine, *s, *s, so);
  auto pipeline = make_pipeline(stages, options());
  push(*pipeline, 0, 20);
  pipeline->sync();

  // Stored with their flags: the spike beyond the sensor range fails, the 100 kPa/s drop is
  // suspect (rate of change), steady readings pass.
  auto got = stages.store->samples().query(area_o2, t0, t0 + 20 * sec);
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(got.values[spike_at], 1100);
  EXPECT_EQ(got.flags[spike_at], Flag::fail) << enum_name(got.flags[spike_at]);
  EXPECT_EQ(got.flags[drop_at], Flag::suspect) << enum_name(got.flags[drop_at]);
  EXPECT_EQ(got.flags[drop_at + 2], Flag::pass);
  EXPECT_EQ(got.flags[spike_at + 2], Flag::pass);
  EXPECT_EQ(stages.store->samples().query(source_o2, t0, t0 + 20 * sec).size(), 20u);
  EXPECT_EQ(stages.verify->verifier().counters().fail, 1u);

  // The drop raised the area's lo alarm after its 2 s on-delay; the failed spike raised nothing.
  auto h = history();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].point_id, area_o2);
  EXPECT_EQ(h[0].kind, AlarmKind::lo);
  EXPECT_EQ(h[0].cause, AlarmCause::activated);
  EXPECT_EQ(h[0].to_state, AlarmState::unacknowledged);
  EXPECT_EQ(h[0].value, 300);
  EXPECT_EQ(h[0].time, from_micros(t0 + (drop_at + 2) * sec));
  EXPECT_EQ(engine.status({area_o2, AlarmKind::lo}).state, AlarmState::unacknowledged);
  EXPECT_EQ(stages.alarm->transitions(), 1u);
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(raised.size(), 1u);
    EXPECT_EQ(raised[0].point_id, area_o2);
    EXPECT_EQ(raised[0].kind, AlarmKind::lo);
    EXPECT_EQ(raised[0].episode, static_cast<std::uint64_t>(h[0].episode));
    EXPECT_TRUE(cleared.empty());
  }

  // The pressure comes back; close() without sync() still runs every accepted sample through
  // every stage and flushes them.
  push(*pipeline, 20, 30, 22);
  pipeline->close();
  auto st = pipeline->stats();
  EXPECT_EQ(st.accepted, 60u);
  EXPECT_EQ(st.durable, 60u);
  h = history();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].cause, AlarmCause::cleared);
  EXPECT_EQ(h[1].to_state, AlarmState::returned_unacknowledged);
  EXPECT_EQ(h[1].time, from_micros(t0 + 22 * sec));

  // finish() writes the open blocks: a fresh SampleStore reads every sample from the database.
  stages.store->finish();
  SampleStore fresh(*s, o2_config().storage);
  auto all = fresh.query(area_o2, t0, t0 + 30 * sec);
  ASSERT_EQ(all.size(), 30u);
  EXPECT_EQ(all.flags[spike_at], Flag::fail);
  EXPECT_DOUBLE_EQ(all.values[25], 400.1);
}

TEST_P(StagesTest, WithoutAWriteAheadLogSyncWritesTheBlocks) {
  HQ_REQUIRE_STORE(s);
  auto stages = make_stages(o2_config(), engine, *s, *s);
  auto pipeline = make_pipeline(stages, options());
  push(*pipeline, 0, 8);
  pipeline->sync();
  // Quiescent after sync(): another SampleStore on the same handle sees the written blocks.
  SampleStore fresh(*s, o2_config().storage);
  EXPECT_EQ(fresh.query(area_o2, t0, t0 + 8 * sec).size(), 8u);
  EXPECT_EQ(fresh.query(source_o2, t0, t0 + 8 * sec).size(), 8u);
}

TEST_P(StagesTest, TheStoreStageCompactsBetweenBatchesAndCarriesOnWhenItCannot) {
  HQ_REQUIRE_STORE(s);
  SampleStoreOptions o;  // no write-ahead log: flush() writes the blocks
  o.max_block_bytes = 64;
  o.compact_span = std::chrono::minutes(1);
  o.compact_every = std::chrono::milliseconds(1);
  StoreStage stage(*s, o2_config().storage, o);
  const Micros start = t0 - t0 % (60 * sec);  // on a minute
  auto feed = [&](std::int64_t from, std::int64_t to) {
    for (std::int64_t k = from; k < to; ++k) {
      auto b = second(start, k);
      stage.process(b);
    }
  };
  feed(0, 200);
  std::this_thread::sleep_for(5ms);
  stage.flush();
  auto st = stage.samples().stats();
  // minutes 0, 1 and 2 of each point, where they held more than one block
  EXPECT_GE(st.windows_compacted, 2u);
  const auto compacted = st.windows_compacted;
  stage.flush();  // nothing more is over: another turn compacts nothing
  EXPECT_EQ(stage.samples().stats().windows_compacted, compacted);
  EXPECT_EQ(st.compaction_failures, 0u);
  EXPECT_EQ(stage.samples().query(area_o2, start, start + 300 * sec).size(), 200u);
  // Compaction that fails is counted; the stage goes on storing.
  s->execute("DROP TABLE telemetry_compaction");
  feed(200, 400);
  std::this_thread::sleep_for(5ms);
  stage.flush();
  st = stage.samples().stats();
  EXPECT_EQ(st.compaction_failures, 1u);
  EXPECT_NE(st.last_compaction_error.find("telemetry_compaction"), std::string::npos)
      << st.last_compaction_error;
  EXPECT_EQ(stage.samples().query(area_o2, start, start + 500 * sec).size(), 400u);
  // compact_every zero: never
  o.compact_every = std::chrono::milliseconds(0);
  StoreStage idle(*s, {{PointStorage{9, 0.1, "gas"}}}, o);
  for (std::int64_t k = 0; k < 200; ++k) {
    std::vector<Sample> b{{9, start + k * sec, 1.0 * (k % 5), quality_good, Flag::pass}};
    idle.process(b);
  }
  std::this_thread::sleep_for(5ms);
  idle.flush();
  EXPECT_EQ(idle.samples().stats().windows_compacted, 0u);
}

TEST_P(StagesTest, TheStoreStageAppliesTheRetentionOnItsOwnAndCarriesOnWhenItCannot) {
  HQ_REQUIRE_STORE(s);
  const auto config = o2_config().storage;
  SampleStoreOptions o;  // no write-ahead log: flush() writes the blocks
  o.max_block_bytes = 64;
  o.compact_every = std::chrono::milliseconds(0);
  o.retention = {{config[0].point_class, std::chrono::hours(24)}};
  o.retention_every = std::chrono::milliseconds(1);
  StoreStage stage(*s, config, o);
  EXPECT_TRUE(stage.samples().has_retention());
  for (std::int64_t k = 0; k < 200; ++k) {
    auto b = second(t0, k);
    stage.process(b);
  }
  stage.flush();  // the first turn: nothing is a day old yet
  auto st = stage.samples().stats();
  EXPECT_EQ(st.blocks_expired, 0u);
  EXPECT_EQ(st.retention_failures, 0u);
  ASSERT_EQ(stage.samples().query(area_o2, t0, t0 + 300 * sec).size(), 200u);
  // Two days on, the next turn deletes the blocks and rollups of the class.
  pf.clock.advance(std::chrono::hours(48));
  std::this_thread::sleep_for(5ms);
  stage.flush();
  st = stage.samples().stats();
  EXPECT_GT(st.blocks_expired, 0u);
  EXPECT_GT(st.rollup_rows_expired, 0u);
  EXPECT_EQ(stage.samples().query(area_o2, t0, t0 + 300 * sec).size(), 0u);
  // A retention that fails is counted, and deletes nothing.
  for (std::int64_t k = 0; k < 200; ++k) {
    auto b = second(t0 + 48 * 3600 * sec, k);
    stage.process(b);
  }
  stage.flush();
  s->execute("ALTER TABLE telemetry_rollup RENAME TO telemetry_rollup_kept");
  s->execute("CREATE TABLE telemetry_rollup (point_id BIGINT)");
  pf.clock.advance(std::chrono::hours(48));
  std::this_thread::sleep_for(5ms);
  stage.flush();
  st = stage.samples().stats();
  EXPECT_EQ(st.retention_failures, 1u);
  EXPECT_NE(st.last_retention_error.find("day_us"), std::string::npos) << st.last_retention_error;
  EXPECT_EQ(stage.samples().query(area_o2, t0, t0 + 96 * 3600 * sec).size(), 200u);
  // retention_every zero: never
  o.retention_every = std::chrono::milliseconds(0);
  s->execute("DROP TABLE telemetry_rollup");
  s->execute("ALTER TABLE telemetry_rollup_kept RENAME TO telemetry_rollup");
  StoreStage never(*s, config, o);
  never.flush();
  EXPECT_EQ(never.samples().stats().blocks_expired, 0u);
  EXPECT_EQ(never.samples().query(area_o2, t0, t0 + 96 * 3600 * sec).size(), 200u);
}

TEST_P(StagesTest, AStoreErrorGoesToOnErrorAndSync) {
  HQ_REQUIRE_STORE(s);
  auto stages = make_stages(o2_config(), engine, *s, *s);
  std::mutex m;
  std::vector<std::string> failed;
  auto o = options();
  o.on_error = [&](std::string_view stage, std::exception_ptr, std::span<const Sample>) {
    std::lock_guard lock(m);
    failed.emplace_back(stage);
  };
  auto pipeline = make_pipeline(stages, o);
  Sample unknown{99, t0, 1, quality_good, Flag::not_evaluated};
  pipeline->push(std::span(&unknown, 1));
  testing::expect_error([&] { pipeline->sync(); }, ErrorCode::unavailable, "telemetry pipeline: ");
  std::lock_guard lock(m);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], "store");
}

INSTANTIATE_TEST_SUITE_P(Backends, StagesTest, ::testing::ValuesIn(testing::backends()));

power::PowerPoint cfg_point3() {
  return {.point_id = 3, .quantity = power::Quantity::phase_voltage, .area = "substation"};
}

TEST(TelemetryConfigTest, ProfilesGiveVerifyAlarmAndStorageConfigPerPoint) {
  TelemetryConfig cfg = o2_config();
  power::add(cfg, cfg_point3());
  ASSERT_TRUE(cfg.alarms.at(2).hi.has_value());
  ASSERT_EQ(cfg.verify.size(), 3u);
  ASSERT_EQ(cfg.alarms.size(), 3u);
  ASSERT_EQ(cfg.storage.size(), 3u);
  EXPECT_EQ(cfg.alarms[0].point_id, area_o2);
  EXPECT_EQ(cfg.alarms[0].lo, 320);  // GB 50751: area alarm at -20 % of 400 kPa
  EXPECT_EQ(cfg.alarms[0].area, "ICU");
  EXPECT_EQ(cfg.alarms[1].lo, 340);  // source alarm at -15 %
  EXPECT_EQ(cfg.verify[0].fail_max, 1000);
  EXPECT_EQ(cfg.storage[0].resolution, 0.1);
  EXPECT_EQ(cfg.storage[0].point_class, "gas");
  EXPECT_EQ(cfg.alarms[2].hi, power::alarm_config(cfg_point3()).hi);
  EXPECT_EQ(cfg.verify[2].fail_max, power::verify_config(cfg_point3()).fail_max);
  EXPECT_EQ(cfg.storage[2].point_class, "power");
  EXPECT_EQ(cfg.storage[2].resolution, 0.01);
  // A bad point leaves the configuration as it was.
  testing::expect_error(
      [&] {
        gas::add(cfg, gas::GasPoint{
                          .point_id = 4, .gas = gas::Gas::vacuum, .measure = gas::Measure::purity});
      },
      ErrorCode::invalid_argument, "gas point 4: purity is monitored for oxygen only");
  EXPECT_EQ(cfg.verify.size(), 3u);
  EXPECT_EQ(cfg.alarms.size(), 3u);
  EXPECT_EQ(cfg.storage.size(), 3u);
}

// Telemetry knows no domain profile: gas and power register theirs, and the stored point map's
// kinds reach them through the registry.
TEST(TelemetryProfilesTest, GasAndPowerRegisterThemselvesOncePerName) {
  auto names = profile_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "gas"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "power"), names.end());
  testing::expect_error(
      [] {
        register_profile("gas", [](TelemetryConfig&, const drivers::Point&, const ProfileContext&) {
          return false;
        });
      },
      ErrorCode::already_exists, "profile 'gas' is registered twice");
  testing::expect_error([] { register_profile("nothing", {}); }, ErrorCode::invalid_argument,
                        "profile 'nothing': no function");

  TelemetryConfig cfg;
  drivers::Point o2;
  o2.id = 5;
  o2.kind = drivers::PointKind::o2_pressure;
  EXPECT_TRUE(apply_profile(cfg, o2, {"ICU", 0.1, 230}));
  drivers::Point breaker;
  breaker.id = 6;
  breaker.kind = drivers::PointKind::breaker_state;
  EXPECT_TRUE(apply_profile(cfg, breaker, {"LV1", 1, 230}));
  drivers::Point other;
  other.id = 7;
  EXPECT_FALSE(apply_profile(cfg, other, {"LV1", 1, 230}));
  ASSERT_EQ(cfg.storage.size(), 2u);
  EXPECT_EQ(cfg.storage[0].point_class, "gas");
  EXPECT_EQ(cfg.alarms[0].area, "ICU");
  EXPECT_EQ(cfg.storage[1].point_class, "power");
  EXPECT_EQ(cfg.alarms[1].area, "LV1");
}

}  // namespace
}  // namespace houqin::telemetry
