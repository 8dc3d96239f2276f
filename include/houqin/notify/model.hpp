// Notifications (通信插件): every message is first written to the outbox table, in the caller's
// transaction, and delivered afterwards by a dispatcher through a channel (SMS through the Gammu
// SMS daemon, a phone call as an Asterisk call file, an HTTP webhook), with retries and backoff.
// The outbox row records the delivery state. Addresses and bodies may carry personal data, so
// both are sealed at rest.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::notify {

BOOST_DEFINE_ENUM_CLASS(ChannelKind, sms, call, webhook)

/// pending (waiting for its next attempt), sent, failed (permanently: attempts used up).
BOOST_DEFINE_ENUM_CLASS(DeliveryState, pending, sent, failed)

/// A message template stored by a host; it replaces the built-in default of the same name.
struct Template {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;  // e.g. "new_assignment"
  std::string body;  // text with {{variable}} placeholders
  std::string description;
  HOUQIN_EXPORT void validate() const;
};

/// One message in the outbox.
struct Message {
  Id id = 0;
  std::int64_t version = 0;
  ChannelKind channel = ChannelKind::sms;
  std::optional<Id> recipient_staff_id;
  std::string address;  // phone number (sms, call) or "" (webhook: the channel's URL); personal
  std::string template_name;
  std::string body;  // the rendered text; personal (it may name people)
  /// Enqueueing twice with the same key returns the first message: reminders stay single.
  std::optional<std::string> dedupe_key;
  /// The body holds a secret meant for the recipient alone (a one-time survey link): once the
  /// message is sent or has failed for good, the body is replaced by `redacted_body`.
  bool redact_after_delivery = false;
  DeliveryState state = DeliveryState::pending;
  int attempts = 0;
  int max_attempts = 5;
  Timestamp next_attempt_at{};
  std::string last_error;
  Timestamp created_at{};
  std::optional<Timestamp> sent_at;
  std::string actor;
};

/// What a redact_after_delivery message's body becomes once delivered (or failed for good).
inline constexpr std::string_view redacted_body = "[redacted after delivery]";
BOOST_DESCRIBE_STRUCT(Template, (), (id, version, name, body, description))
BOOST_DESCRIBE_STRUCT(Message, (),
                      (id, version, channel, recipient_staff_id, address, template_name, body,
                       dedupe_key, redact_after_delivery, state, attempts, max_attempts,
                       next_attempt_at, last_error, created_at, sent_at, actor))

}  // namespace houqin::notify

template <>
struct houqin::entity_traits<houqin::notify::Template> {
  static constexpr std::string_view table = "notify_template";
  static constexpr std::string_view collection = "notify_templates";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};

template <>
struct houqin::entity_traits<houqin::notify::Message> {
  static constexpr std::string_view table = "notify_message";
  static constexpr std::string_view collection = "notify_messages";
  static constexpr std::array<std::string_view, 1> unique{"dedupe_key"};
  static constexpr std::array personal{Personal{"address", Mask::phone},
                                       Personal{"body", Mask::text}};
  static constexpr auto references =
      std::tuple{ref<site::Staff>(&notify::Message::recipient_staff_id)};
};

// Instantiated once, in libhouqin (src/notify/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::notify::Template)
HOUQIN_EXTERN_ENTITY(houqin::notify::Message)
