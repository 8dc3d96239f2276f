// The host's operations in the service registry: what an operator needs from any process (the C
// ABI, Python, HTTP) to watch the consumers and jobs and to replay a dead letter once its cause
// is fixed. A replay is a request that the host holding the consumer's lease carries out, since
// only that process has the consumer's handlers.
#include "houqin/audit/call.hpp"
#include "houqin/host/availability.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/host.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::host {
namespace {

using service::Context;
using service::define;

struct DeadLetterFilter {
  std::string consumer;  // empty: every consumer
};
BOOST_DESCRIBE_STRUCT(DeadLetterFilter, (), (consumer))

struct DeadLetters {
  std::vector<DeadLetter> dead_letters;
};
BOOST_DESCRIBE_STRUCT(DeadLetters, (), (dead_letters))

struct ReplayInput {
  static constexpr std::array<std::string_view, 1> required_fields{"dead_letter_id"};
  Id dead_letter_id = 0;
};
BOOST_DESCRIBE_STRUCT(ReplayInput, (), (dead_letter_id))

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "host.status", "host.read",
        "Every durable consumer (position, lag, retries, dead letters, lease holder) and timed "
        "job (next due time, runs, failures), as the store holds them",
        [](Context& ctx, const service::NoInput&) {
          return audit::audited(ctx.store, ctx.actor, "host.status", [&](audit::Call& call) {
            call.require("host.read");
            call.quiet();
            return cluster_status(ctx.store);
          });
        }),
    define<DeadLetterFilter>(
        "host.dead_letters", "host.read",
        "The events consumers gave up on and that are not replayed yet, oldest first",
        [](Context& ctx, const DeadLetterFilter& f) {
          return audit::audited(ctx.store, ctx.actor, "host.dead_letters", [&](audit::Call& call) {
            call.require("host.read");
            call.quiet();
            return DeadLetters{dead_letters(ctx.store, f.consumer)};
          });
        }),
    define<ReplayInput>(
        "host.replay", "host.operate",
        "Ask the host running a dead letter's consumer to replay it at its next round; returns "
        "the letter with the request",
        [](Context& ctx, const ReplayInput& in) {
          return audit::audited(ctx.store, ctx.actor, "host.replay", [&](audit::Call& call) {
            call.require("host.operate");
            call.target(entity_traits<DeadLetter>::table, in.dead_letter_id);
            auto letter = request_replay(ctx.store, in.dead_letter_id, ctx.actor.label());
            call.record(entity_traits<DeadLetter>::table, letter.id, std::nullopt,
                        json::to_json(letter));
            return letter;
          });
        }),
    define<AvailabilityQuery>(
        "availability.report", "monitor.read",
        "Up and down time of the host, the database and each probed device or broker, the "
        "service's downtime against the yearly budget (8 h), and the service incidents with "
        "their response (15 min) and recovery times",
        [](Context& ctx, const AvailabilityQuery& in) {
          return audit::audited(ctx.store, ctx.actor, "availability.report",
                                [&](audit::Call& call) {
                                  call.require("monitor.read");
                                  call.quiet();
                                  return availability_report(ctx.store, in);
                                });
        }),
    define<RespondInput>(
        "availability.respond", "host.operate",
        "Take a service incident on (the contract's response to a fault), with a note",
        [](Context& ctx, const RespondInput& in) { return respond(ctx.store, ctx.actor, in); }),
};

}  // namespace
}  // namespace houqin::host
