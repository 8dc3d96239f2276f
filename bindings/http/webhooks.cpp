// Outgoing webhooks (see webhooks.hpp): the subscriptions' checks, the signing, the POST over
// Boost.Beast with one deadline for the whole exchange, and the consumers that send.
#include "houqin/http/webhooks.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <fstream>
#include <set>
#include <variant>

#include "houqin/core/error.hpp"
#include "houqin/core/time.hpp"
#include "houqin/core/validate.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr std::chrono::milliseconds max_timeout{std::chrono::seconds(60)};

/// Where a subscription's requests go.
struct Target {
  bool tls = false;         // https://
  std::string host;         // without brackets, for the resolver
  std::string port = "80";  // service for the resolver
  std::string authority;    // the Host header
  std::string path = "/";
};

/// Parses http(s)://host[:port][/path]; errors start with "url: ".
Target parse_target(const std::string& url) {
  auto bad = [&](const std::string& why) {
    fail(ErrorCode::invalid_argument, "url: '" + url + "' " + why);
  };
  Target t;
  t.tls = url.rfind("https://", 0) == 0;
  if (!t.tls && url.rfind("http://", 0) != 0) bad("is not an http:// or https:// URL");
  if (t.tls) t.port = "443";
  for (unsigned char c : url)
    if (c <= ' ' || c == 0x7f) bad("holds spaces or control characters");
  auto rest = url.substr(t.tls ? 8 : 7);
  auto slash = rest.find('/');
  t.authority = rest.substr(0, slash);
  if (slash != std::string::npos) t.path = rest.substr(slash);
  if (t.path.find('#') != std::string::npos) bad("has a fragment");
  std::string hostport = t.authority;
  if (hostport.find('@') != std::string::npos) bad("holds user information");
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string::npos) bad("has an unclosed '['");
    t.host = hostport.substr(1, close - 1);
    auto after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad("has text after ']'");
      t.port = after.substr(1);
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
    t.host = hostport.substr(0, colon);
    t.port = hostport.substr(colon + 1);
  } else {
    t.host = hostport;
  }
  if (t.host.empty()) bad("has no host");
  if (t.port.empty() || t.port.size() > 5 ||
      !std::all_of(t.port.begin(), t.port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(t.port) < 1 || std::stoi(t.port) > 65535)
    bad("has a port that is not 1..65535");
  return t;
}

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// Standard base64 with padding; nullopt when `text` is not that.
std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

constexpr std::string_view whsec = "whsec_";

/// The HMAC key a secret stands for.
std::string signing_key(std::string_view secret) {
  if (secret.starts_with(whsec)) {
    auto key = unbase64(secret.substr(whsec.size()));
    if (!key) fail(ErrorCode::invalid_argument, "secret: 'whsec_' must be followed by base64");
    return *key;
  }
  return std::string(secret);
}

/// POSTs `body` with `headers`; returns the answer's status. Error(unavailable) naming the stage
/// when the network fails or the deadline passes.
unsigned post(const Target& t, const std::string& ca_file, const std::string& where,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::string& body, std::chrono::milliseconds timeout) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, t.path, 11};
  req.set(bhttp::field::host, t.authority);
  req.set(bhttp::field::user_agent, "houqind-webhooks");
  req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();

  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  // https: the receiver's certificate must chain to a trusted authority (the system's, or
  // `ca_file`) and name the URL's host (or IP address); TLS 1.2 at least.
  std::optional<ssl::context> tls;
  if (t.tls) {
    tls.emplace(ssl::context::tls_client);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (ca_file.empty())
      tls->set_default_verify_paths(ec);
    else
      tls->load_verify_file(ca_file, ec);
    if (ec)
      fail(ErrorCode::unavailable, where + ": certificate authorities " +
                                       (ca_file.empty() ? "of the system" : ca_file) + ": " +
                                       ec.message());
    tls->set_verify_mode(ssl::verify_peer);
    tls->set_verify_callback(ssl::host_name_verification(t.host));
  }
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  std::variant<beast::tcp_stream, TlsStream> streams =
      tls ? decltype(streams)(std::in_place_type<TlsStream>, ioc, *tls)
          : decltype(streams)(std::in_place_type<beast::tcp_stream>, ioc);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  beast::error_code failed;
  std::string stage = "resolving " + t.host;
  bool done = false;
  auto finish = [&](beast::error_code ec) {
    failed = ec;
    done = true;
  };
  std::visit(
      [&](auto& stream) {
        auto& tcp_stream = beast::get_lowest_layer(stream);
        auto send = [&] {
          stage = "sending";
          bhttp::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
            if (ec) return finish(ec);
            stage = "waiting for the answer";
            bhttp::async_read(stream, buffer, res,
                              [&](beast::error_code ec2, std::size_t) { finish(ec2); });
          });
        };
        tcp_stream.expires_after(timeout);
        resolver.async_resolve(
            t.host, t.port, [&, send](beast::error_code ec, tcp::resolver::results_type r) {
              if (ec) return finish(ec);
              stage = "connecting";
              tcp_stream.async_connect(r, [&, send](beast::error_code ec2, const tcp::endpoint&) {
                if (ec2) return finish(ec2);
                if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, TlsStream>) {
                  beast::error_code parsed;
                  asio::ip::make_address(t.host, parsed);
                  if (parsed)  // a host name, not an address: say which (SNI)
                    SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str());
                  stage = "in the TLS handshake";
                  stream.async_handshake(ssl::stream_base::client,
                                         [&, send](beast::error_code ec3) {
                                           if (ec3) return finish(ec3);
                                           send();
                                         });
                } else {
                  send();
                }
              });
            });
        ioc.run_for(timeout);
        if (!done) {
          // The resolver is not bound by the stream's deadline: cancel everything and drain.
          resolver.cancel();
          beast::error_code ignored;
          tcp_stream.socket().close(ignored);
          ioc.run();
        }
      },
      streams);
  if (!done || failed == beast::error::timeout)
    fail(ErrorCode::unavailable,
         where + ": timed out " + stage + " (" + std::to_string(timeout.count()) + " ms)");
  if (failed) fail(ErrorCode::unavailable, where + ": " + stage + ": " + failed.message());
  return res.result_int();
}

}  // namespace

void validate_webhooks(const std::vector<WebhookConfig>& webhooks) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < webhooks.size(); ++i) {
    const auto& w = webhooks[i];
    const std::string at = "webhooks[" + std::to_string(i) + "].";
    auto bad = [&](const std::string& what) { fail(ErrorCode::invalid_argument, at + what); };
    try {
      require_code(w.name, "name");
      auto target = parse_target(w.url);
      signing_key(w.secret);
      if (!w.ca_file.empty()) {
        if (!target.tls)
          fail(ErrorCode::invalid_argument, "ca_file: only an https:// receiver has a certificate");
        if (!std::ifstream(w.ca_file))
          fail(ErrorCode::invalid_argument, "ca_file: '" + w.ca_file + "' cannot be read");
      }
    } catch (const Error& e) {
      bad(e.what());
    }
    if (!names.insert(w.name).second) bad("name: '" + w.name + "' names two subscriptions");
    if (w.events.empty()) bad("events: name at least one event type prefix");
    for (std::size_t j = 0; j < w.events.size(); ++j)
      if (w.events[j].empty())
        bad("events[" + std::to_string(j) + "]: is empty (it would match every event)");
    if (w.secret.empty()) bad("secret: must not be empty (requests are signed)");
    if (w.timeout.count() <= 0 || w.timeout > max_timeout)
      bad("timeout: must be more than 0 and at most PT60S");
    if (w.retry.max_attempts < 1) bad("retry.max_attempts: must be at least 1");
    if (w.retry.first_delay.count() <= 0) bad("retry.first_delay: must be more than 0");
    if (w.retry.max_delay < w.retry.first_delay)
      bad("retry.max_delay: must be at least retry.first_delay");
  }
}

bool webhook_matches(const WebhookConfig& webhook, std::string_view type) {
  auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  return std::any_of(webhook.events.begin(), webhook.events.end(), [&](const std::string& p) {
    return p.size() <= type.size() &&
           std::equal(p.begin(), p.end(), type.begin(),
                      [&](char a, char b) { return lower(a) == lower(b); });
  });
}

std::string webhook_signature(std::string_view secret, std::string_view id,
                              std::string_view timestamp, std::string_view body) {
  const auto key = signing_key(secret);
  std::string signed_text;
  signed_text.reserve(id.size() + timestamp.size() + body.size() + 2);
  signed_text.append(id).append(".").append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
            &size))
    fail(ErrorCode::internal, "webhook: HMAC-SHA256 failed");
  return "v1," + base64(mac, size);
}

std::string webhook_body(const store::StoredEvent& event) {
  return json::to_json(event).dump();  // the same form as an event stream's data line
}

host::Consumer webhook_consumer(const WebhookConfig& webhook) {
  const Target target = parse_target(webhook.url);
  host::ConsumerOptions options;
  options.retry = webhook.retry;
  // The POST is made outside the store's transaction (no SQLite write lock held while a receiver
  // answers), one event at a time: no event its receiver acknowledged is sent again because a
  // later one failed.
  options.outside_transaction = true;
  options.batch = 16;
  options.start_at = host::StartAt::end;
  host::Consumer consumer("webhook." + webhook.name, options);
  consumer.on_any(
      [webhook](std::string_view type) { return webhook_matches(webhook, type); },
      [webhook, target](host::Delivery& d) {
        const auto id = std::to_string(d.event.id);
        const auto now = d.store.clock().now();
        const auto timestamp = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
        const auto body = webhook_body(d.event);
        const auto where = "webhook " + webhook.name + " (" + webhook.url + ")";
        const unsigned status =
            post(target, webhook.ca_file, where,
                 {{"webhook-id", id},
                  {"webhook-timestamp", timestamp},
                  {"webhook-signature", webhook_signature(webhook.secret, id, timestamp, body)}},
                 body, webhook.timeout);
        if (status < 200 || status > 299)
          fail(ErrorCode::unavailable,
               where + ": answered " + std::to_string(status) + " to event " + id);
      });
  return consumer;
}

std::unique_ptr<host::Host> make_webhook_host(store::Store& store,
                                              const std::vector<WebhookConfig>& webhooks,
                                              host::HostOptions options) {
  validate_webhooks(webhooks);
  options.event_retention = std::chrono::hours(0);  // no jobs: the platform's host prunes
  auto h = std::make_unique<host::Host>(store, std::move(options));
  for (const auto& w : webhooks) h->add(webhook_consumer(w));
  return h;
}

bool forget_webhook(store::Store& store, const std::string& name) {
  store::Repository<host::ConsumerState> repo(store);
  auto found = repo.find_one(store::Query<host::ConsumerState>().where(
      &host::ConsumerState::name, store::Op::eq, "webhook." + name));
  return found && repo.remove(found->id);
}

}  // namespace houqin::http
