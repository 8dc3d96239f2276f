// Outgoing webhooks over loopback: a receiver in the test records what arrives; signatures are
// recomputed here with OpenSSL; retries, dead letters and checkpoints run on every backend.
#include "houqin/http/webhooks.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../../support/backends.hpp"
#include "../../support/process.hpp"
#include "../../support/receiver.hpp"
#include "houqin/core/clock.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/http/daemon.hpp"

namespace houqin {
namespace alarmtest {
/// A durable event whose type is "alarmtest.Raised".
struct Raised {
  static constexpr std::string_view aggregate = "alarmtest";
  Id aggregate_id() const { return point_id; }
  Id point_id = 0;
  double value = 0;
};
BOOST_DESCRIBE_STRUCT(Raised, (), (point_id, value))
}  // namespace alarmtest
namespace othertest {
/// One no subscription asks for: "othertest.Other".
struct Other {
  static constexpr std::string_view aggregate = "othertest";
  Id aggregate_id() const { return 1; }
  std::string note;
};
BOOST_DESCRIBE_STRUCT(Other, (), (note))
}  // namespace othertest

namespace {

using std::chrono::milliseconds;

using testing::Received;
using testing::Receiver;

std::string b64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// What a receiver computes: base64 of HMAC-SHA256(key, id.timestamp.body).
std::string expected_signature(const std::string& key, const Received& r) {
  const std::string text =
      r.headers.at("webhook-id") + "." + r.headers.at("webhook-timestamp") + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  return "v1," + b64(std::string(reinterpret_cast<char*>(mac), size));
}

const std::string raw_key = "a key of thirty-two bytes, truly";

class WebhooksTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.clock = &clock;
    s = fx.open(GetParam(), o);
    HQ_REQUIRE_STORE(s);
    store::migrate(*s, host::migrations());
  }
  http::WebhookConfig config(const std::string& url) {
    http::WebhookConfig w;
    w.name = "alarms";
    w.url = url;
    w.events = {"ALARMTEST."};  // compared without regard to case
    w.secret = "whsec_" + b64(raw_key);
    w.timeout = milliseconds(2000);
    w.retry.max_attempts = 3;
    w.retry.first_delay = milliseconds(1000);
    w.retry.max_delay = milliseconds(4000);
    return w;
  }
  Id raise(double value) {
    s->events().publish(alarmtest::Raised{7, value}, "service:test");
    return store::last_event_seq(*s);
  }
  /// Polls until the consumer has nothing left or is waiting for a retry (bounded).
  host::PollResult drain(host::Consumer& c) {
    host::PollResult last;
    for (int i = 0; i < 50; ++i) {
      last = c.poll(*s);
      if (last.handled + last.skipped + last.parked == 0 || last.failed || last.waiting_for_retry)
        break;
    }
    return last;
  }

  ManualClock clock{parse_timestamp("2026-03-02T08:00:00Z")};
  testing::BackendFixture fx;
  std::unique_ptr<store::Store> s;
  Receiver receiver;
};

TEST_P(WebhooksTest, MatchingEventsArriveSignedOthersDoNot) {
  auto c = http::webhook_consumer(config(receiver.url("/hook?from=houqin")));
  c.state(*s);  // starts at the end of the log: what follows is delivered
  auto first = raise(1.5);
  s->events().publish(othertest::Other{"not subscribed"});
  auto second = raise(2.5);
  drain(c);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& r = got[i];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook?from=houqin");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("webhook-id"), std::to_string(i == 0 ? first : second));
    EXPECT_EQ(r.headers.at("webhook-timestamp"),
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch())
                      .count()));
    EXPECT_EQ(r.headers.at("webhook-signature"), expected_signature(raw_key, r));
    auto body = json::Json::parse(r.body);
    EXPECT_EQ(body["type"], "alarmtest.Raised");
    EXPECT_EQ(body["id"], i == 0 ? first : second);
    EXPECT_EQ(body["actor"], "service:test");
    EXPECT_EQ(body["payload"]["value"], i == 0 ? 1.5 : 2.5);
  }
  EXPECT_EQ(c.state(*s).position, second);
  // A signature made with another key does not verify.
  EXPECT_NE(got[0].headers.at("webhook-signature"), expected_signature("another key", got[0]));
  // A plain-text secret is its own key.
  EXPECT_EQ(
      http::webhook_signature("plain", "1", "2", "{}"),
      expected_signature(
          "plain", Received{"", "", "{}", {{"webhook-id", "1"}, {"webhook-timestamp", "2"}}}));
}

TEST_P(WebhooksTest, AFailingReceiverIsRetriedWithTheSameIdUntilItAnswers2xx) {
  receiver.script({500, 500});
  auto c = http::webhook_consumer(config(receiver.url()));
  c.state(*s);
  auto id = raise(1);
  auto p = c.poll(*s);
  EXPECT_EQ(p.failed, 1);
  EXPECT_NE(c.state(*s).last_error.find("answered 500"), std::string::npos)
      << c.state(*s).last_error;
  EXPECT_TRUE(c.poll(*s).waiting_for_retry) << "backoff by the store's clock";
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(c.poll(*s).failed, 1);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(c.poll(*s).handled, 1);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) EXPECT_EQ(r.headers.at("webhook-id"), std::to_string(id));
  EXPECT_EQ(c.state(*s).position, id);
  EXPECT_EQ(c.state(*s).attempts, 0);
}

TEST_P(WebhooksTest, AReceiverThatNeverSucceedsGetsTheEventDeadLettered) {
  receiver.script({500, 500, 500});
  auto c = http::webhook_consumer(config(receiver.url()));
  c.state(*s);
  auto bad = raise(1);
  auto good = raise(2);
  for (int i = 0; i < 3; ++i) {
    c.poll(*s);
    clock.advance(std::chrono::seconds(5));
  }
  auto letters = host::dead_letters(*s, "webhook.alarms");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].seq, bad);
  drain(c);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.back().headers.at("webhook-id"), std::to_string(good));
}

TEST_P(WebhooksTest, ATimeoutIsAFailure) {
  receiver.script({0});
  auto w = config(receiver.url());
  w.timeout = milliseconds(300);
  auto c = http::webhook_consumer(w);
  c.state(*s);
  raise(1);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(c.poll(*s).failed, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_NE(c.state(*s).last_error.find("timed out"), std::string::npos) << c.state(*s).last_error;
}

TEST_P(WebhooksTest, HttpsReceiversMustProveWhoTheyAreBeforeAnEventIsSent) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("houqin-webhook-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  testing::Child openssl(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
       "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert},
      true);
  ASSERT_EQ(openssl.wait(std::chrono::seconds(30)), 0) << openssl.read_all(milliseconds(1000));
  Receiver secure(cert, key);
  ASSERT_EQ(secure.url().rfind("https://127.0.0.1:", 0), 0u);

  // The hospital's own authority (here the receiver's self-signed certificate) is trusted.
  auto trusted = config(secure.url("/in"));
  trusted.ca_file = cert;
  auto c = http::webhook_consumer(trusted);
  c.state(*s);
  auto id = raise(1.5);
  drain(c);
  auto got = secure.requests();
  ASSERT_EQ(got.size(), 1u) << c.state(*s).last_error;
  EXPECT_EQ(got[0].target, "/in");
  EXPECT_EQ(got[0].headers.at("webhook-id"), std::to_string(id));
  EXPECT_EQ(got[0].headers.at("webhook-signature"), expected_signature(raw_key, got[0]));
  EXPECT_EQ(c.state(*s).position, id);

  // The system's authorities have never heard of it: refused before anything is sent.
  auto unknown = config(secure.url());
  unknown.name = "untrusted";
  auto u = http::webhook_consumer(unknown);
  u.state(*s);
  raise(2.5);
  EXPECT_EQ(u.poll(*s).failed, 1);
  EXPECT_NE(u.state(*s).last_error.find("in the TLS handshake: certificate verify failed"),
            std::string::npos)
      << u.state(*s).last_error;

  // A certificate of a trusted authority for another name is refused as well.
  auto other_name =
      config("https://localhost:" + secure.url().substr(std::string("https://127.0.0.1:").size()));
  other_name.name = "misnamed";
  other_name.ca_file = cert;
  auto m = http::webhook_consumer(other_name);
  m.state(*s);
  raise(3.5);
  EXPECT_EQ(m.poll(*s).failed, 1);
  EXPECT_NE(m.state(*s).last_error.find("certificate verify failed"), std::string::npos)
      << m.state(*s).last_error;
  EXPECT_EQ(secure.requests().size(), 1u) << "nothing reached the receiver but the first";
  // The receiver counts a refused handshake on its own thread, maybe after the client gave up.
  for (int i = 0; i < 100 && secure.failed_handshakes() < 2; ++i)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_GE(secure.failed_handshakes(), 2);
  fs::remove_all(dir);
}

TEST_P(WebhooksTest, DeliveryResumesFromTheCheckpointWhenTheConsumerIsRecreated) {
  {
    auto host = http::make_webhook_host(*s, {config(receiver.url())});
    host->run_once();  // takes the lease, creates the checkpoint at the end of the log
    raise(1);
    raise(2);
    for (int i = 0; i < 10 && receiver.requests().size() < 2; ++i) host->run_once();
    host->stop();
  }
  ASSERT_EQ(receiver.requests().size(), 2u);
  auto third = raise(3);
  auto host = http::make_webhook_host(*s, {config(receiver.url())});
  for (int i = 0; i < 10; ++i) host->run_once();
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 3u) << "nothing acknowledged is sent again";
  EXPECT_EQ(got.back().headers.at("webhook-id"), std::to_string(third));
  EXPECT_FALSE(host->status().scheduler_active) << "the webhooks' host runs no jobs";

  host->stop();
  EXPECT_TRUE(http::forget_webhook(*s, "alarms"));
  EXPECT_FALSE(http::forget_webhook(*s, "alarms"));
  for (const auto& st : host::consumer_states(*s)) EXPECT_NE(st.name, "webhook.alarms");
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhooksTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

// ---- the subscriptions in the daemon's config ----------------------------------------------

std::string refusal(const std::vector<http::WebhookConfig>& w) {
  try {
    http::validate_webhooks(w);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.what();
  }
  return "accepted";
}

TEST(WebhookConfig, BadSubscriptionsAreRefusedNamingTheKey) {
  http::WebhookConfig ok{"a", "http://127.0.0.1:9/x", {"repair."}, "s", milliseconds(1000), {}, ""};
  EXPECT_EQ(refusal({ok}), "accepted");
  auto w = ok;
  w.name = "b";
  w.url = "https://example.org/hook";
  EXPECT_EQ(refusal({ok, w}), "accepted");
  w.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(refusal({ok, w}), "webhooks[1].ca_file: '/nonexistent/ca.pem' cannot be read");
  w = ok;
  w.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_EQ(refusal({w}), "webhooks[0].ca_file: only an https:// receiver has a certificate");
  w = ok;
  w.url = "ftp://x/";
  EXPECT_EQ(refusal({w}), "webhooks[0].url: 'ftp://x/' is not an http:// or https:// URL");
  w.url = "http://host:99999/";
  EXPECT_EQ(refusal({w}), "webhooks[0].url: 'http://host:99999/' has a port that is not 1..65535");
  EXPECT_EQ(refusal({ok, ok}), "webhooks[1].name: 'a' names two subscriptions");
  w = ok;
  w.name = "a b";
  EXPECT_EQ(refusal({w}).rfind("webhooks[0].name: 'a b' may hold only", 0), 0u);
  w = ok;
  w.events = {};
  EXPECT_EQ(refusal({w}), "webhooks[0].events: name at least one event type prefix");
  w.events = {""};
  EXPECT_EQ(refusal({w}), "webhooks[0].events[0]: is empty (it would match every event)");
  w = ok;
  w.secret = "";
  EXPECT_EQ(refusal({w}), "webhooks[0].secret: must not be empty (requests are signed)");
  w.secret = "whsec_not base64!";
  EXPECT_EQ(refusal({w}), "webhooks[0].secret: 'whsec_' must be followed by base64");
  w = ok;
  w.timeout = milliseconds(0);
  EXPECT_EQ(refusal({w}), "webhooks[0].timeout: must be more than 0 and at most PT60S");
  w = ok;
  w.retry.max_attempts = 0;
  EXPECT_EQ(refusal({w}), "webhooks[0].retry.max_attempts: must be at least 1");

  EXPECT_TRUE(http::webhook_matches(ok, "repair.WorkOrderReported"));
  EXPECT_FALSE(http::webhook_matches(ok, "inventory.StockMoved"));
  w.events = {"telemetry.alarm"};
  EXPECT_TRUE(http::webhook_matches(w, "telemetry.AlarmRaised"));
}

TEST(WebhookConfig, TheDaemonConfigFileNamesTheFaultyKey) {
  auto path = std::filesystem::temp_directory_path() /
              ("houqind-webhooks-" + std::to_string(::getpid()) + ".json");
  auto read = [&](const std::string& text) -> std::string {
    std::ofstream(path) << text;
    try {
      auto c = http::read_daemon_config(path.string());
      return "accepted " + std::to_string(c.webhooks.size());
    } catch (const Error& e) {
      return e.what();
    }
  };
  const std::string head = R"({"store": "sqlite:/tmp/x.db", "webhooks": [)";
  EXPECT_EQ(read(head + R"({"name": "a", "url": "http://h/", "events": ["repair."],
                            "secret": "s", "timeout": "PT2S",
                            "retry": {"max_attempts": 8}}]})"),
            "accepted 1");
  EXPECT_EQ(read(head + R"({"name": "a", "url": "https://h/", "events": ["x"], "secret": "s",
                            "ca_file": "/etc/ssl/certs/ca-certificates.crt"}]})"),
            "accepted 1");
  auto no_ca = read(head + R"({"name": "a", "url": "https://h/", "events": ["x"], "secret": "s",
                               "ca_file": "/no/such/ca.pem"}]})");
  EXPECT_NE(no_ca.find("webhooks[0].ca_file: '/no/such/ca.pem' cannot be read"), std::string::npos)
      << no_ca;
  auto unknown =
      read(head + R"({"name": "a", "url": "http://h/", "events": ["x"], "secrt": "s"}]})");
  EXPECT_NE(unknown.find("secrt"), std::string::npos) << unknown;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace houqin
