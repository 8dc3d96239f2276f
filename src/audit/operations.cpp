// The audit domain's operations in the service registry: the hash-chain check and queries.
#include "houqin/audit/audit.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::audit {
namespace {

using service::Context;
using service::define;

struct Records {
  std::vector<Record> records;
};
BOOST_DESCRIBE_STRUCT(Records, (), (records))

// call() refuses an actor without an operation's permission before its handler runs; the refusal
// is recorded as audited() records the handler's own (outcome denied, the error's message).
void record_denial(store::Store& store, const auth::Actor& actor, std::string_view operation,
                   const std::string& message) {
  Call call(store, actor, std::string(operation));
  call.record_failure(Outcome::denied, message);
}

[[maybe_unused]] const bool recorder_set = (service::set_denial_recorder(record_denial), true);

[[maybe_unused]] const bool operations_registered[] = {
    define<service::NoInput>(
        "audit.verify", "audit.verify",
        "Walk the audit hash chain; returns where it first breaks, if it does",
        [](Context& ctx, const service::NoInput&) { return verify(ctx.store, ctx.actor); }),
    define<Filter>(
        "audit.query", "audit.read",
        "Audit records matching a filter (actor, action, entity, outcome, time)",
        [](Context& ctx, const Filter& f) { return Records{query(ctx.store, ctx.actor, f)}; }),
};

}  // namespace
}  // namespace houqin::audit
