// The notifier: renders templates, writes messages to the outbox (authorised by notify.send and
// audited, inside the caller's transaction when there is one), and delivers due messages through
// the channels with retries and exponential backoff. Reminders for repair's events are named
// default templates sent with remind(), which the host wires to those events.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/notify/channels.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::notify {

/// The notify domain's schema migrations (after site).
HOUQIN_EXPORT std::vector<store::Migration> migrations();

using Variables = std::map<std::string, std::string>;

/// Replaces every {{name}} (spaces inside the braces allowed) with its variable. A placeholder
/// without a variable is Error(invalid_argument) naming the template and the variable; an
/// unclosed "{{" too. Variables the template does not use are ignored.
HOUQIN_EXPORT std::string render(std::string_view template_name, std::string_view body,
                                 const Variables& variables);

BOOST_DEFINE_ENUM_CLASS(Reminder, new_assignment, sla_warning, escalation, completion)

/// The built-in templates: one per Reminder (same names), each documented in docs/notify.md.
HOUQIN_EXPORT const std::map<std::string, Template, std::less<>>& default_templates();

/// Attempt n (1-based) failed: the next is base * 2^(n-1) later, at most `cap`; after
/// max_attempts failures the message is failed for good.
struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::seconds base{30};
  std::chrono::seconds cap{3600};
  /// How long a claimed message is left alone when its dispatcher dies mid-send.
  std::chrono::seconds lease{300};
};
HOUQIN_EXPORT std::chrono::seconds backoff(const RetryPolicy& policy, int failed_attempts);

struct SendRequest {
  static constexpr std::array<std::string_view, 1> required_fields{"template_name"};
  ChannelKind channel = ChannelKind::sms;
  std::optional<Id> recipient_staff_id;  // sms/call: the number is the staff member's phone
  std::optional<std::string> address;    // or a number given directly
  std::string template_name;
  Variables variables;
  std::optional<std::string> dedupe_key;
  std::optional<int> max_attempts;     // default: the policy's
  bool redact_after_delivery = false;  // see Message::redact_after_delivery
};

struct RemindRequest {
  static constexpr std::array<std::string_view, 2> required_fields{"kind", "recipient_staff_id"};
  Reminder kind = Reminder::new_assignment;
  Id recipient_staff_id = 0;
  Variables variables;
  ChannelKind channel = ChannelKind::sms;
  std::optional<std::string> dedupe_key;
};

struct DeliveryReport {
  std::int64_t due = 0;
  std::int64_t sent = 0;
  std::int64_t retried = 0;  // failed this time, another attempt scheduled
  std::int64_t failed = 0;   // failed for good
  std::int64_t skipped = 0;  // claimed by another dispatcher meanwhile
};

BOOST_DESCRIBE_STRUCT(SendRequest, (),
                      (channel, recipient_staff_id, address, template_name, variables, dedupe_key,
                       max_attempts, redact_after_delivery))
BOOST_DESCRIBE_STRUCT(RemindRequest, (), (kind, recipient_staff_id, variables, channel, dedupe_key))
BOOST_DESCRIBE_STRUCT(DeliveryReport, (), (due, sent, retried, failed, skipped))

// ---- events ----
struct MessageQueued {
  static constexpr std::string_view aggregate = "notify_message";  // durable: in the event log
  Id aggregate_id() const { return message_id; }
  Id message_id = 0;
  ChannelKind channel = ChannelKind::sms;
};
struct MessageDelivered {
  static constexpr std::string_view aggregate = "notify_message";  // durable: in the event log
  Id aggregate_id() const { return message_id; }
  Id message_id = 0;
  ChannelKind channel = ChannelKind::sms;
};
struct MessageFailed {
  static constexpr std::string_view aggregate = "notify_message";  // durable: in the event log
  Id aggregate_id() const { return message_id; }
  Id message_id = 0;
  ChannelKind channel = ChannelKind::sms;
  std::string error;
};
BOOST_DESCRIBE_STRUCT(MessageQueued, (), (message_id, channel))
BOOST_DESCRIBE_STRUCT(MessageDelivered, (), (message_id, channel))
BOOST_DESCRIBE_STRUCT(MessageFailed, (), (message_id, channel, error))

/// The channels deliver_due() uses when a Notifier is built without its own (and the
/// notify.deliver_due operation): set once by the host at start-up.
HOUQIN_EXPORT void set_default_channels(Channels channels);
HOUQIN_EXPORT Channels default_channels();

class HOUQIN_EXPORT Notifier {
 public:
  explicit Notifier(store::Store& store, Channels channels = default_channels(),
                    RetryPolicy policy = {})
      : store_(store), channels_(std::move(channels)), policy_(policy) {}

  /// Renders and writes one message to the outbox (state pending, due now). Reading the
  /// recipient's phone is a read of personal data and is audited with the send.
  Message send(const auth::Actor& actor, const SendRequest& request);
  /// send() with the reminder's template (stored override or default) to a staff member.
  Message remind(const auth::Actor& actor, const RemindRequest& request);
  Message remind(const auth::Actor& actor, Reminder kind, Id recipient_staff_id,
                 Variables variables, ChannelKind channel = ChannelKind::sms) {
    return remind(actor,
                  RemindRequest{kind, recipient_staff_id, std::move(variables), channel, {}});
  }

  /// Delivers every pending message due at `now` (default: the store's clock), oldest first, at
  /// most `limit`. Each message is claimed (attempts + 1, version-checked) and committed before
  /// the channel is called, so two dispatchers never send one message twice; the result is
  /// committed after. Needs notify.send; every state change is audited.
  DeliveryReport deliver_due(const auth::Actor& actor, std::optional<Timestamp> now = {},
                             std::size_t limit = 100);

  /// The template a name resolves to: a stored one, else the default; Error(not_found).
  Template find_template(std::string_view name);
  Template save_template(const auth::Actor& actor, Template t);

 private:
  store::Store& store_;
  Channels channels_;
  RetryPolicy policy_;
};

}  // namespace houqin::notify
