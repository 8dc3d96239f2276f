// The telemetry domain's operations in the service registry: the operator's alarm actions on
// the engine this process runs, and the trends of telemetry.series from its runtime.
#include <algorithm>
#include <array>
#include <cmath>
#include <shared_mutex>
#include <string_view>

#include "houqin/service/registry.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/runtime.hpp"

namespace houqin::telemetry {
namespace {

using service::Context;
using service::define;

// What the operations act on: the engine and runtime a Runtime (or host) serves, if any. A call
// holds the lock shared while it runs, so detaching (exclusive) waits for the calls in flight.
std::shared_mutex served_mutex;
AlarmEngine* served_engine = nullptr;
Runtime* served_runtime = nullptr;

struct Served {
  std::shared_lock<std::shared_mutex> lock{served_mutex};
};

AlarmEngine& engine(const Served&) {
  if (!served_engine)
    fail(ErrorCode::failed_precondition, "telemetry: no alarm engine is running in this process");
  return *served_engine;
}

Runtime& runtime(const Served&) {
  if (!served_runtime)
    fail(ErrorCode::failed_precondition,
         "telemetry: no telemetry runtime is running in this process");
  return *served_runtime;
}

/// telemetry.series: what a trend chart draws.
struct SeriesQuery {
  static constexpr std::array<std::string_view, 1> required_fields{"point_ids"};
  std::vector<Id> point_ids;      // 1..64 configured points
  std::optional<Timestamp> from;  // absent: `to` minus 10 minutes
  std::optional<Timestamp> to;    // absent: now; at most 31 days after `from`
  int buckets = 120;              // 1..2000 equal intervals of [from, to)
};
BOOST_DESCRIBE_STRUCT(SeriesQuery, (), (point_ids, from, to, buckets))

/// One interval of a trend: its good samples summed up (an interval without any is left out).
struct TrendBucket {
  Timestamp start{};
  double min = 0;
  double max = 0;
  double avg = 0;
  double last = 0;
  std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(TrendBucket, (), (start, min, max, avg, last, count))

struct LastSample {
  Timestamp time{};
  double value = 0;
  Flag flag = Flag::not_evaluated;
};
BOOST_DESCRIBE_STRUCT(LastSample, (), (time, value, flag))

struct PointTrend {
  Id point_id = 0;
  std::int64_t samples = 0;        // every sample in range
  std::int64_t not_good = 0;       // of them, readings whose quality was not good (left out)
  std::optional<LastSample> last;  // the newest good sample in range
  std::vector<TrendBucket> buckets;
};
BOOST_DESCRIBE_STRUCT(PointTrend, (), (point_id, samples, not_good, last, buckets))

struct Trends {
  Timestamp from{};
  Timestamp to{};
  std::int64_t bucket_us = 0;
  std::vector<PointTrend> points;
};
BOOST_DESCRIBE_STRUCT(Trends, (), (from, to, bucket_us, points))

Trends series(Context& ctx, const SeriesQuery& in) {
  if (in.point_ids.empty() || in.point_ids.size() > 64)
    fail(ErrorCode::invalid_argument, "point_ids: give 1..64 points");
  if (in.buckets < 1 || in.buckets > 2000)
    fail(ErrorCode::invalid_argument, "buckets: must be 1..2000");
  Trends out;
  out.to = in.to ? *in.to : ctx.store.clock().now();
  out.from = in.from ? *in.from : out.to - std::chrono::minutes(10);
  if (out.from >= out.to) fail(ErrorCode::invalid_argument, "from: must be before to");
  if (out.to - out.from > std::chrono::days(31))
    fail(ErrorCode::invalid_argument,
         "to: at most 31 days after from (longer trends: telemetry.rollups)");
  const Micros from = to_micros(out.from), to = to_micros(out.to);
  out.bucket_us = std::max<Micros>(1, (to - from + in.buckets - 1) / in.buckets);
  Served served;
  Runtime& rt = runtime(served);
  for (Id point : in.point_ids) {
    Series s = rt.query(point, from, to);
    PointTrend trend;
    trend.point_id = point;
    trend.samples = static_cast<std::int64_t>(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s.qualities[i] != quality_good || !std::isfinite(s.values[i])) {
        ++trend.not_good;
        continue;
      }
      const double v = s.values[i];
      const Timestamp start =
          from_micros(from + (s.times[i] - from) / out.bucket_us * out.bucket_us);
      if (trend.buckets.empty() || trend.buckets.back().start != start) {
        trend.buckets.push_back({start, v, v, 0, v, 0});
      }
      auto& b = trend.buckets.back();
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      b.avg += (v - b.avg) / static_cast<double>(++b.count);  // running mean
      b.last = v;
      trend.last = LastSample{from_micros(s.times[i]), v, s.flags[i]};
    }
    out.points.push_back(std::move(trend));
  }
  return out;
}

/// telemetry.rollups: long trends (a month by the hour, a year by the day) from the stored
/// hourly rollups.
struct RollupQuery {
  static constexpr std::array<std::string_view, 3> required_fields{"point_ids", "from", "to"};
  std::vector<Id> point_ids;  // 1..64 configured points
  Timestamp from{};           // on a whole hour (UTC or +08:00 alike) for the stored hours
  Timestamp to{};             // at most 3,660 days after `from`
  // bucket width, seconds (a multiple of 3,600 reads the stored hours)
  std::int64_t step_s = 86'400;
};
BOOST_DESCRIBE_STRUCT(RollupQuery, (), (point_ids, from, to, step_s))

/// One bucket of good samples (a bucket without any is left out).
struct RollupBucket {
  Timestamp start{};
  double min = 0;
  double max = 0;
  double avg = 0;
  std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(RollupBucket, (), (start, min, max, avg, count))

struct PointRollups {
  Id point_id = 0;
  std::vector<RollupBucket> buckets;
};
BOOST_DESCRIBE_STRUCT(PointRollups, (), (point_id, buckets))

struct RollupSeries {
  Timestamp from{};
  Timestamp to{};
  std::int64_t step_s = 0;
  std::vector<PointRollups> points;
};
BOOST_DESCRIBE_STRUCT(RollupSeries, (), (from, to, step_s, points))

RollupSeries rollup_series(Context&, const RollupQuery& in) {
  if (in.point_ids.empty() || in.point_ids.size() > 64)
    fail(ErrorCode::invalid_argument, "point_ids: give 1..64 points");
  if (in.from >= in.to) fail(ErrorCode::invalid_argument, "from: must be before to");
  if (in.to - in.from > std::chrono::days(3660))
    fail(ErrorCode::invalid_argument, "to: at most 3,660 days after from");
  if (in.step_s < 1) fail(ErrorCode::invalid_argument, "step_s: must be at least 1");
  const Micros from = to_micros(in.from), to = to_micros(in.to), step = in.step_s * 1'000'000;
  if ((to - from - 1) / step >= 100'000)
    fail(ErrorCode::invalid_argument, "step_s: [from, to) would hold more than 100,000 buckets");
  RollupSeries out{in.from, in.to, in.step_s, {}};
  Served served;
  Runtime& rt = runtime(served);
  auto all = rt.rollups(in.point_ids, from, to, step);
  for (std::size_t i = 0; i < all.size(); ++i) {
    PointRollups p{in.point_ids[i], {}};
    for (const auto& r : all[i])
      p.buckets.push_back(
          {from_micros(r.start), r.min, r.max, r.sum / static_cast<double>(r.count), r.count});
    out.points.push_back(std::move(p));
  }
  return out;
}

struct AlarmAction {
  static constexpr std::array<std::string_view, 2> required_fields{"point_id", "kind"};
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  std::string comment;
};
BOOST_DESCRIBE_STRUCT(AlarmAction, (), (point_id, kind, comment))

struct ShelveAction {
  static constexpr std::array<std::string_view, 3> required_fields{"point_id", "kind",
                                                                   "duration_s"};
  Id point_id = 0;
  AlarmKind kind = AlarmKind::hi;
  std::int64_t duration_s = 0;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(ShelveAction, (), (point_id, kind, duration_s, reason))

struct Standing {
  std::vector<AlarmStatus> alarms;
  std::vector<FloodInterval> flood;
};
BOOST_DESCRIBE_STRUCT(Standing, (), (alarms, flood))

[[maybe_unused]] const bool operations_registered[] = {
    define<AlarmAction>("telemetry.acknowledge_alarm", "telemetry.ack",
                        "Acknowledge an alarm; returns its new status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine(Served{}))
                              .acknowledge(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<ShelveAction>("telemetry.shelve_alarm", "telemetry.shelve",
                         "Shelve an alarm for duration_s seconds with a reason; returns its status",
                         [](Context& ctx, const ShelveAction& in) {
                           return Alarms(ctx.store, engine(Served{}))
                               .shelve(ctx.actor, {in.point_id, in.kind},
                                       std::chrono::seconds(in.duration_s), in.reason);
                         }),
    define<AlarmAction>("telemetry.unshelve_alarm", "telemetry.shelve",
                        "Unshelve a shelved alarm; returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine(Served{}))
                              .unshelve(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>("telemetry.remove_alarm_from_service", "telemetry.out_of_service",
                        "Take an alarm out of service (comment is the reason); returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine(Served{}))
                              .remove_from_service(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>("telemetry.return_alarm_to_service", "telemetry.out_of_service",
                        "Return an out-of-service alarm to service; returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine(Served{}))
                              .return_to_service(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>("telemetry.reset_alarm", "telemetry.reset",
                        "Reset a latched alarm whose condition has cleared; returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine(Served{}))
                              .reset(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<service::NoInput>(
        "telemetry.standing_alarms", "telemetry.read",
        "Every alarm not in state normal, and the flood count per operator area",
        [](Context& ctx, const service::NoInput&) {
          Served served;
          auto& e = engine(served);
          return Standing{Alarms(ctx.store, e).standing(ctx.actor), e.flood_intervals()};
        }),
    define<SeriesQuery, Trends>(
        "telemetry.series", "telemetry.read",
        "Trends of up to 64 points over [from, to) in equal buckets of good samples (min, max, "
        "mean, last) and each point's newest good sample: what a live chart draws",
        series),
    define<RollupQuery, RollupSeries>(
        "telemetry.rollups", "telemetry.read",
        "Long trends of up to 64 points over [from, to) in buckets of step_s seconds (min, max, "
        "mean of the good samples): whole hours come from the stored hourly rollups, so a year "
        "by the day reads 365 rows a point",
        rollup_series),
};

}  // namespace

void serve_alarm_operations(AlarmEngine* engine) {
  std::unique_lock lock(served_mutex);
  served_engine = engine;
}

void serve_runtime_operations(Runtime* runtime) {
  std::unique_lock lock(served_mutex);
  served_runtime = runtime;
}

}  // namespace houqin::telemetry
