// The notify domain's operations in the service registry.
#include "houqin/notify/notifier.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::notify {
namespace {

struct DeliverInput {
  std::optional<Timestamp> now;
  std::int64_t limit = 100;
};
BOOST_DESCRIBE_STRUCT(DeliverInput, (), (now, limit))

json::Json presented(const Message& m, const auth::Actor& actor) {
  return protect::present(store::table_info<Message>(), json::to_json(m), actor);
}

using service::Context;
using service::define;

[[maybe_unused]] const bool operations_registered[] = {
    define<SendRequest, Message>(
        "notify.send", "notify.send",
        "Render a template and queue the message in the outbox; returns it "
        "(address and body masked unless the caller may unmask)",
        [](Context& c, const SendRequest& in) {
          return presented(Notifier(c.store).send(c.actor, in), c.actor);
        }),
    define<RemindRequest, Message>(
        "notify.remind", "notify.send",
        "Queue a reminder (new_assignment, sla_warning, escalation, completion) to a staff member",
        [](Context& c, const RemindRequest& in) {
          return presented(Notifier(c.store).remind(c.actor, in), c.actor);
        }),
    define<DeliverInput>("notify.deliver_due", "notify.send",
                         "Deliver the pending messages that are due through the configured "
                         "channels; returns the counts",
                         [](Context& c, const DeliverInput& in) {
                           if (in.limit < 1)
                             fail(ErrorCode::invalid_argument, "limit: must be at least 1");
                           return Notifier(c.store).deliver_due(c.actor, in.now,
                                                                static_cast<std::size_t>(in.limit));
                         }),
    define<Template>("notify.save_template", "notify.configure",
                     "Store a template (replacing the default of the same name); returns it",
                     [](Context& c, const Template& in) {
                       return Notifier(c.store).save_template(c.actor, in);
                     }),
};

}  // namespace
}  // namespace houqin::notify
