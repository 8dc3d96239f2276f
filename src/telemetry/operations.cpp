// The telemetry domain's operations in the service registry.
#include <array>
#include <atomic>
#include <string_view>

#include "houqin/service/registry.hpp"
#include "houqin/telemetry/alarm.hpp"

namespace houqin::telemetry {
namespace {

// The engine the alarm operations act on: the one a Runtime (or host) serves, if any.
std::atomic<AlarmEngine*> served{nullptr};

AlarmEngine& engine() {
  AlarmEngine* e = served.load();
  if (!e)
    fail(ErrorCode::failed_precondition, "telemetry: no alarm engine is running in this process");
  return *e;
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

using service::Context;
using service::define;

[[maybe_unused]] const bool operations_registered[] = {
    define<AlarmAction>("telemetry.acknowledge_alarm", "telemetry.ack",
                        "Acknowledge an alarm; returns its new status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine())
                              .acknowledge(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<ShelveAction>("telemetry.shelve_alarm", "telemetry.shelve",
                         "Shelve an alarm for duration_s seconds with a reason; returns its status",
                         [](Context& ctx, const ShelveAction& in) {
                           return Alarms(ctx.store, engine())
                               .shelve(ctx.actor, {in.point_id, in.kind},
                                       std::chrono::seconds(in.duration_s), in.reason);
                         }),
    define<AlarmAction>("telemetry.unshelve_alarm", "telemetry.shelve",
                        "Unshelve a shelved alarm; returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine())
                              .unshelve(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>("telemetry.remove_alarm_from_service", "telemetry.out_of_service",
                        "Take an alarm out of service (comment is the reason); returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine())
                              .remove_from_service(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>("telemetry.return_alarm_to_service", "telemetry.out_of_service",
                        "Return an out-of-service alarm to service; returns its status",
                        [](Context& ctx, const AlarmAction& in) {
                          return Alarms(ctx.store, engine())
                              .return_to_service(ctx.actor, {in.point_id, in.kind}, in.comment);
                        }),
    define<AlarmAction>(
        "telemetry.reset_alarm", "telemetry.reset",
        "Reset a latched alarm whose condition has cleared; returns its status",
        [](Context& ctx, const AlarmAction& in) {
          return Alarms(ctx.store, engine()).reset(ctx.actor, {in.point_id, in.kind}, in.comment);
        }),
    define<service::NoInput>(
        "telemetry.standing_alarms", "telemetry.read",
        "Every alarm not in state normal, and the flood count per operator area",
        [](Context& ctx, const service::NoInput&) {
          auto& e = engine();
          return Standing{Alarms(ctx.store, e).standing(ctx.actor), e.flood_intervals()};
        }),
};

}  // namespace

void serve_alarm_operations(AlarmEngine* engine) {
  served.store(engine);
}

}  // namespace houqin::telemetry
