// The delivery channels: each takes one outbox message and either delivers it or throws
// Error(unavailable) (retried with backoff) or another Error (a message that can never be sent
// this way, e.g. a malformed number: still retried until its attempts are used up, then failed).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/notify/model.hpp"

namespace houqin::notify {

class HOUQIN_EXPORT Channel {
 public:
  virtual ~Channel();
  virtual void send(const Message& message) = 0;
};

/// SMS through the Gammu SMS daemon: runs `gammu-smsd-inject -c CONFIG TEXT NUMBER [-unicode]
/// -len N -text BODY` (no shell; arguments passed as they are). The daemon, configured with the
/// same file, sends what lands in its outbox; with `service = files` the outbox is a folder of
/// .smsbackup files, which is how the tests read real output without a modem.
struct GammuOptions {
  std::string inject_command = "gammu-smsd-inject";
  std::string config_path = "/etc/gammu-smsdrc";
  std::chrono::milliseconds timeout{10000};
};

class HOUQIN_EXPORT GammuSms final : public Channel {
 public:
  explicit GammuSms(GammuOptions options) : options_(std::move(options)) {}
  void send(const Message& message) override;

 private:
  GammuOptions options_;
};

/// Phone calls as Asterisk call files: written complete into `temp_dir`, then renamed into
/// `spool_dir` (Asterisk's outgoing folder), so Asterisk never sees half a file. Both folders
/// must be on one filesystem (rename is atomic only there); checked on every send. The message
/// body goes to the dialplan as channel variables HQ_MESSAGE_1 .. HQ_MESSAGE_<HQ_MESSAGE_PARTS>
/// of at most 200 bytes each (Asterisk reads call files through a 256-byte line buffer), with
/// newlines as spaces, ';' escaped and a '#' after a blank made full-width (both would start a
/// comment); HQ_MESSAGE_ID names the outbox row.
struct AsteriskOptions {
  std::string spool_dir = "/var/spool/asterisk/outgoing";
  std::string temp_dir = "/var/spool/asterisk/tmp";
  std::string channel = "PJSIP/{{number}}@trunk";  // {{number}}: the message's address
  std::string caller_id = "\"Logistics\" <8000>";
  int max_retries = 2;
  int retry_time = 60;  // seconds between Asterisk's own retries
  int wait_time = 45;   // seconds to let the phone ring
  std::string context = "houqin-notify";
  std::string extension = "s";
  int priority = 1;
};

class HOUQIN_EXPORT AsteriskCall final : public Channel {
 public:
  explicit AsteriskCall(AsteriskOptions options) : options_(std::move(options)) {}
  void send(const Message& message) override;
  /// The call file's text for a message (what send() writes).
  std::string call_file(const Message& message) const;

 private:
  AsteriskOptions options_;
};

/// POSTs the message as JSON to an http:// URL with a small HTTP/1.1 client of our own (one
/// request per connection, Connection: close). A 2xx answer is delivery; anything else, or no
/// answer within the timeout, is Error(unavailable). https:// is Error(unimplemented): put a
/// local relay in front.
struct WebhookOptions {
  std::string url;
  std::chrono::milliseconds timeout{5000};
  std::map<std::string, std::string> headers{};  // e.g. an Authorization token
};

class HOUQIN_EXPORT Webhook final : public Channel {
 public:
  explicit Webhook(WebhookOptions options) : options_(std::move(options)) {}
  explicit Webhook(std::string url) : options_{std::move(url)} {}
  void send(const Message& message) override;
  /// The JSON body posted for a message.
  static std::string payload(const Message& message);

 private:
  WebhookOptions options_;
};

BOOST_DESCRIBE_STRUCT(GammuOptions, (), (inject_command, config_path, timeout))
BOOST_DESCRIBE_STRUCT(AsteriskOptions, (),
                      (spool_dir, temp_dir, channel, caller_id, max_retries, retry_time, wait_time,
                       context, extension, priority))
BOOST_DESCRIBE_STRUCT(WebhookOptions, (), (url, timeout, headers))

/// Which adapters to make, as configuration (a host's JSON): a kind left out has none.
struct ChannelSettings {
  std::optional<GammuOptions> sms;
  std::optional<AsteriskOptions> call;
  std::optional<WebhookOptions> webhook;
};
BOOST_DESCRIBE_STRUCT(ChannelSettings, (), (sms, call, webhook))

/// The adapters a dispatcher delivers through, by channel kind (a kind without one: the message
/// waits and its attempt counts as failed with "no ... channel configured").
struct Channels {
  std::shared_ptr<Channel> sms;
  std::shared_ptr<Channel> call;
  std::shared_ptr<Channel> webhook;
  Channel* get(ChannelKind kind) const;
};

/// The adapters the settings ask for.
HOUQIN_EXPORT Channels make_channels(const ChannelSettings& settings);

}  // namespace houqin::notify
