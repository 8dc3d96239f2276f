// Outgoing webhooks (docs/daemon.md, "Webhooks"): events of the durable log whose type starts with
// a subscribed prefix are POSTed as JSON to a subscriber's http:// URL, signed the Standard
// Webhooks way (webhook-id, webhook-timestamp, webhook-signature: v1,<HMAC-SHA256>). Each
// subscription is a host consumer ("webhook.<name>"), so delivery is at least once from its
// checkpoint, retried with backoff and finally dead-lettered by the host's rules.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/host/consumer.hpp"
#include "houqin/host/host.hpp"
#include "houqin/http/api.hpp"

namespace houqin::http {

/// One subscription, as the daemon's config file gives it (`webhooks`: a list of these).
struct WebhookConfig {
  static constexpr std::array<std::string_view, 4> required_fields{"name", "url", "events",
                                                                   "secret"};
  /// Letters, digits, '-', '_', '.'; the consumer is "webhook.<name>" (checkpoint, dead letters).
  std::string name;
  /// http://host[:port][/path] or https://host[:port][/path]. An https receiver's certificate
  /// must chain to a trusted authority (ca_file) and name the URL's host or IP address; TLS 1.2
  /// or later.
  std::string url;
  /// Event type prefixes, compared without regard to case: "repair." (every repair event),
  /// "telemetry.alarm" (telemetry.AlarmRaised, telemetry.AlarmCleared).
  std::vector<std::string> events;
  /// The signing key: "whsec_<base64>" (the Standard Webhooks form; the key is the decoded
  /// bytes) or any other non-empty text (the key is its bytes).
  std::string secret;
  /// For the whole request: connecting, sending and the answer's status line and headers.
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  /// Tries per event and the backoff between them; then the event is dead-lettered.
  host::RetryPolicy retry;
  /// https only: a PEM file of the authorities the receiver's certificate may chain to (a
  /// hospital's own CA); empty: the system's (/etc/ssl/certs, Debian's ca-certificates).
  std::string ca_file;
};
BOOST_DESCRIBE_STRUCT(WebhookConfig, (), (name, url, events, secret, timeout, retry, ca_file))

/// Checks a list of subscriptions: Error(invalid_argument) naming the entry and key
/// ("webhooks[1].url: 'ftp://x/' is not an http:// or https:// URL").
HOUQIN_HTTP_EXPORT void validate_webhooks(const std::vector<WebhookConfig>& webhooks);

/// Whether an event type matches one of the subscription's prefixes.
HOUQIN_HTTP_EXPORT bool webhook_matches(const WebhookConfig& webhook, std::string_view type);

/// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the subscription's secret.
HOUQIN_HTTP_EXPORT std::string webhook_signature(std::string_view secret, std::string_view id,
                                                 std::string_view timestamp, std::string_view body);

/// The JSON body sent for a log row: the StoredEvent's JSON form, as an event stream carries it
/// ({"id", "version", "type", "aggregate", "aggregate_id", "time", "actor", "payload"}).
HOUQIN_HTTP_EXPORT std::string webhook_body(const store::StoredEvent& event);

/// The consumer of one subscription ("webhook.<name>", one event per transaction, starting at the
/// end of the log): POSTs each matching event and throws unless the answer is 2xx.
HOUQIN_HTTP_EXPORT host::Consumer webhook_consumer(const WebhookConfig& webhook);

/// A host of their own for the subscriptions, on `store` (a connection that outlives it): their
/// consumers and no jobs, so it never takes the scheduler's lease. Not started. houqind replaces
/// it on SIGHUP when the subscriptions change (a running host cannot add or drop consumers).
HOUQIN_HTTP_EXPORT std::unique_ptr<host::Host> make_webhook_host(
    store::Store& store, const std::vector<WebhookConfig>& webhooks,
    host::HostOptions options = {});

/// Drops the checkpoint of a subscription that was removed, so the log's retention is not held
/// back by a reader that is gone (its dead letters stay on record). Returns whether it had one.
HOUQIN_HTTP_EXPORT bool forget_webhook(store::Store& store, const std::string& name);

}  // namespace houqin::http
