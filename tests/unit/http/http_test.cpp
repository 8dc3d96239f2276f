// The HTTP binding over loopback, on SQLite in a file and PostgreSQL: the generic mapping of the
// registry, sign-in with cookie + CSRF token or bearer token, problem+json for every refusal,
// the limits at the door (body size, slow clients, sign-in rate, path tricks) and the OpenAPI
// document made from the operations' schemas.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "../../support/http.hpp"
#include "../../support/net.hpp"
#include "../../support/process.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/http/server.hpp"
#include "houqin/platform.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
using testing::Connection;
using testing::Reply;
using testing::test_password;

class HttpTest : public ::testing::TestWithParam<std::string> {
 protected:
  /// The platform on the backend, the sample hospital imported, a server on a free port.
  void start(http::ServerConfig config = {}) {
    store_ = pf_.open(GetParam());
    if (!store_) return;
    std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
    site::import_hospital(*store_,
                          json::parse(std::string(std::istreambuf_iterator<char>(in), {})));
    config.port = 0;
    config.read_timeout = 1500ms;
    config.max_body_bytes = 64 << 10;
    config.api.policy = auth::test_policy();
    server_ = std::make_unique<http::Server>(config, [this] {
      store::StoreOptions o;
      o.clock = &pf_.clock;
      o.keys = testing::test_keyring();
      return store::Store::open(pf_.fx.url(), o);
    });
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  Connection connect() { return Connection(server_->port()); }

  /// Signs in with the session cookie; returns {cookie header, csrf token}.
  std::pair<std::string, std::string> sign_in(Connection& c, const std::string& login) {
    auto r = c.request("POST", "/api/v1/auth/login",
                       json::Json{{"login", login}, {"password", test_password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    auto set = r.header("set-cookie");
    auto cookie = set.substr(0, set.find(';'));
    return {"Cookie: " + cookie, r.json()["csrf_token"].get<std::string>()};
  }

  std::size_t roles_named(const std::string& name) {
    std::size_t n = 0;
    for (const auto& role : store::Repository<auth::Role>(*store_).find()) n += role.name == name;
    return n;
  }

  testing::PlatformFixture pf_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<http::Server> server_;
};

void expect_problem(const Reply& r, int status, const std::string& code,
                    const std::string& detail) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto p = json::parse(r.body);
  EXPECT_EQ(p["status"], status);
  EXPECT_EQ(p["code"], code);
  EXPECT_EQ(p["type"], "urn:houqin:error:" + code);
  EXPECT_NE(p["detail"].get<std::string>().find(detail), std::string::npos) << p["detail"];
}

TEST_P(HttpTest, ACookieSessionCallsAnOperationOnlyWithItsCsrfToken) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto c = connect();
  auto login = c.request("POST", "/api/v1/auth/login",
                         json::Json{{"login", "secadmin"}, {"password", test_password}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  auto set = login.header("set-cookie");
  EXPECT_NE(set.find("hq_session="), std::string::npos);
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_TRUE(login.json()["token"].is_null()) << "the token stays in the HttpOnly cookie";
  auto cookie = "Cookie: " + set.substr(0, set.find(';'));
  auto csrf = login.json()["csrf_token"].get<std::string>();
  EXPECT_EQ(csrf, http::csrf_token(set.substr(11, set.find(';') - 11)));

  auto who = c.request("GET", "/api/v1/auth/session", "", {cookie});
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(who.json()["actor"], "user:secadmin");
  EXPECT_EQ(who.json()["csrf_token"], csrf);
  auth::User secadmin;
  for (const auto& u : store::Repository<auth::User>(*store_).find())
    if (u.login == "secadmin") secadmin = u;
  EXPECT_EQ(who.json()["display_name"], secadmin.display_name);
  EXPECT_TRUE(who.json()["staff_id"].is_null()) << "an administrator is no staff member";

  auto role = json::Json{{"name", "viewer"}, {"permissions", {"bi.read"}}}.dump();
  expect_problem(c.request("POST", "/api/v1/auth/define_role", role, {cookie}), 403,
                 "permission_denied", "X-CSRF-Token: missing");
  expect_problem(c.request("POST", "/api/v1/auth/define_role", role,
                           {cookie, "X-CSRF-Token: " + std::string(64, '0')}),
                 403, "permission_denied", "does not belong to this session");
  EXPECT_EQ(roles_named("viewer"), 0u) << "a refused request changes nothing";

  auto made =
      c.request("POST", "/api/v1/auth/define_role", role, {cookie, "X-CSRF-Token: " + csrf});
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(roles_named("viewer"), 1u);

  auto out = c.request("POST", "/api/v1/auth/logout", "", {cookie, "X-CSRF-Token: " + csrf});
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  expect_problem(c.request("GET", "/api/v1/auth/session", "", {cookie}), 401, "unauthenticated",
                 "");
}

TEST_P(HttpTest, ASystemUsesABearerTokenWithoutCookieOrCsrf) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto c = connect();
  auto login = c.request(
      "POST", "/api/v1/auth/login",
      json::Json{{"login", "secadmin"}, {"password", test_password}, {"bearer", true}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.header("set-cookie"), "") << "no cookie when a bearer token is asked for";
  auto bearer = "Authorization: Bearer " + login.json()["token"].get<std::string>();
  auto made =
      c.request("POST", "/api/v1/auth/define_role",
                json::Json{{"name", "clerk"}, {"permissions", {"bi.read"}}}.dump(), {bearer});
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(roles_named("clerk"), 1u);
  // The scheme's name is case-insensitive (RFC 9110).
  auto lower = "authorization: bearer " + login.json()["token"].get<std::string>();
  EXPECT_EQ(c.request("GET", "/api/v1/auth/session", "", {lower}).status, 200);

  expect_problem(
      c.request("POST", "/api/v1/auth/define_role", "{}", {"Authorization: Bearer forged"}), 401,
      "unauthenticated", "");
  expect_problem(c.request("POST", "/api/v1/auth/define_role", "{}", {"Authorization: Basic eDp5"}),
                 401, "unauthenticated", "only a Bearer token");
  auto anonymous = c.request("POST", "/api/v1/auth/define_role", "{}");
  expect_problem(anonymous, 401, "unauthenticated", "sign in first");
  EXPECT_EQ(anonymous.header("www-authenticate"), "Bearer");
}

TEST_P(HttpTest, BadRequestsGetProblemDocumentsNamingWhatIsWrongAndChangeNothing) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto c = connect();
  auto [cookie, csrf] = sign_in(c, "secadmin");
  auto token = "X-CSRF-Token: " + csrf;
  expect_problem(c.request("POST", "/api/v1/auth/define_role", "{\"name\": ", {cookie, token}), 400,
                 "invalid_argument", "malformed JSON");
  expect_problem(c.request("POST", "/api/v1/auth/define_role", R"({"name": "x", "colour": "red"})",
                           {cookie, token}),
                 400, "invalid_argument", "colour");
  expect_problem(c.request("POST", "/api/v1/auth/define_role", R"({"name": 5})", {cookie, token}),
                 400, "invalid_argument", "name");
  expect_problem(c.request("POST", "/api/v1/auth/define_role", R"({"name": "x"})",
                           {cookie, token, "Content-Type: text/plain"}),
                 400, "invalid_argument", "Content-Type");
  expect_problem(c.request("POST", "/api/v1/auth/no_such_verb", "{}", {cookie, token}), 404,
                 "not_found", "auth.no_such_verb");
  expect_problem(c.request("GET", "/api/v1/nowhere", "", {cookie}), 404, "not_found",
                 "no such route");
  auto wrong = c.request("GET", "/api/v1/auth/define_role", "", {cookie});
  expect_problem(wrong, 405, "invalid_argument", "only POST");
  EXPECT_EQ(wrong.header("allow"), "POST");
  expect_problem(c.request("GET", "/api/v1/../../etc/passwd", "", {cookie}), 400,
                 "invalid_argument", "dot or empty segment");
  expect_problem(c.request("GET", "/api/v1/entities/rooms%00", "", {cookie}), 400,
                 "invalid_argument", "control character");
  expect_problem(c.request("GET", "/api/v1/entities/rooms?limit=-1", "", {cookie}), 400,
                 "invalid_argument", "limit");
  // A path that is not UTF-8 is echoed in the problem with U+FFFD in place of the bad byte.
  auto bytes = c.request("GET", "/api/v1/e\xe2tities/rooms", "", {cookie});
  expect_problem(bytes, 404, "not_found", "no service operation 'e\xef\xbf\xbdtities.rooms'");
  EXPECT_EQ(bytes.json()["instance"], "/api/v1/e\xef\xbf\xbdtities/rooms");
  // An injection attempt is only a value: it matches nothing and the table is still there.
  auto injected = c.request(
      "GET", "/api/v1/entities/rooms?code=x'%3B%20DROP%20TABLE%20site_room%3B--", "", {cookie});
  ASSERT_EQ(injected.status, 200) << injected.body;
  EXPECT_EQ(injected.json()["total"], 0);
  EXPECT_GT(c.request("GET", "/api/v1/entities/rooms", "", {cookie}).json()["total"], 0);
  EXPECT_EQ(roles_named("x"), 0u);
}

TEST_P(HttpTest, ARoomsQrCodeReportsARepairWithoutAnAccountWithinLimits) {
  http::ServerConfig config;
  config.api.intakes_per_hour = 6;  // the unknown room, the closed one and the refused one count
  config.api.intakes_per_room_per_hour = 2;
  start(config);
  HQ_REQUIRE_STORE(store_);
  auto rooms = store::Repository<site::Room>(*store_).find();
  ASSERT_GE(rooms.size(), 3u);
  const auto& a = rooms[0];
  const auto& b = rooms[1];
  auto c = connect();
  auto intake = [&](const json::Json& body) {
    return c.request("POST", "/api/v1/intake", body.dump());
  };
  auto ok = intake({{"room", a.code}, {"description", "tap leaks"}, {"phone", "13800000000"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto order =
      store::Repository<repair::WorkOrder>(*store_).get(ok.json()["work_order_id"].get<Id>());
  ASSERT_TRUE(order);
  EXPECT_EQ(order->room_id, a.id);
  EXPECT_EQ(order->channel, repair::Channel::web);
  EXPECT_EQ(order->description, "tap leaks");
  EXPECT_EQ(ok.json()["code"], order->code);
  auto orders = [&] { return store::Repository<repair::WorkOrder>(*store_).find().size(); };
  auto before = orders();

  // Only the intake fields: anything that would reach further is refused, and nothing is made.
  expect_problem(intake({{"room", a.code}, {"description", "x"}, {"asset_id", 1}}), 400,
                 "invalid_argument", "asset_id");
  expect_problem(intake({{"room", a.code}, {"description", "x"}, {"pooled", true}}), 400,
                 "invalid_argument", "pooled");
  expect_problem(intake({{"room", "NO-SUCH-ROOM"}, {"description", "x"}}), 404, "not_found",
                 "NO-SUCH-ROOM");
  auto closed = rooms[2];  // taken out of use (the HIS deactivated it): its QR code says so
  closed.active = false;
  store::Repository<site::Room>(*store_).update(closed);
  auto refused = intake({{"room", closed.code}, {"description", "x"}});
  EXPECT_EQ(refused.json()["code"], "failed_precondition") << refused.body;
  EXPECT_NE(refused.body.find(closed.code + " is no longer in use"), std::string::npos);
  EXPECT_EQ(orders(), before);
  ASSERT_EQ(intake({{"room", a.code}, {"description", "still leaking"}}).status, 200);
  expect_problem(intake({{"room", a.code}, {"description", "and again"}}), 429,
                 "resource_exhausted", "room " + a.code);
  ASSERT_EQ(intake({{"room", b.code}, {"description", "door stuck"}}).status, 200);
  expect_problem(intake({{"room", b.code}, {"description", "door still stuck"}}), 429,
                 "resource_exhausted", "from 127.0.0.1");
  EXPECT_EQ(orders(), before + 2);
}

TEST_P(HttpTest, EntitiesAreReadWithQueryFilters) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto c = connect();
  auto [cookie, csrf] = sign_in(c, "sysadmin");
  auto names = c.request("GET", "/api/v1/entities", "", {cookie}).json();
  EXPECT_NE(std::find(names.begin(), names.end(), "rooms"), names.end());

  auto all = c.request("GET", "/api/v1/entities/rooms?order=-code&limit=2", "", {cookie});
  ASSERT_EQ(all.status, 200) << all.body;
  auto doc = all.json();
  ASSERT_EQ(doc["items"].size(), 2u);
  auto total = doc["total"].get<std::int64_t>();
  EXPECT_GT(total, 2);
  EXPECT_GT(doc["items"][0]["code"].get<std::string>(), doc["items"][1]["code"].get<std::string>());

  auto code = doc["items"][1]["code"].get<std::string>();
  auto one = c.request("GET", "/api/v1/entities/rooms?code=" + code, "", {cookie}).json();
  ASSERT_EQ(one["total"], 1);
  auto id = one["items"][0]["id"].get<std::int64_t>();
  auto byid = c.request("GET", "/api/v1/entities/rooms/" + std::to_string(id), "", {cookie});
  ASSERT_EQ(byid.status, 200) << byid.body;
  EXPECT_EQ(byid.json()["code"], code);

  auto some = c.request("GET", "/api/v1/entities/rooms?id[le]=" + std::to_string(id), "", {cookie});
  EXPECT_EQ(some.json()["total"], id <= total ? some.json()["total"] : json::Json(0));
  expect_problem(c.request("GET", "/api/v1/entities/rooms/999999", "", {cookie}), 404, "not_found",
                 "999999");
  expect_problem(c.request("GET", "/api/v1/entities/rooms?colour=red", "", {cookie}), 400,
                 "invalid_argument", "colour");
  expect_problem(c.request("GET", "/api/v1/entities/no_such_thing", "", {cookie}), 404, "not_found",
                 "no_such_thing");
}

TEST_P(HttpTest, AReadIsRefusedAtOnceWhenItsPermissionOrSessionEndsElsewhere) {
  start();
  HQ_REQUIRE_STORE(store_);
  pf_.user_with("analyst", "analysts", {"bi.read"});
  auto c = connect();
  auto login = c.request(
      "POST", "/api/v1/auth/login",
      json::Json{{"login", "analyst"}, {"password", test_password}, {"bearer", true}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  auto token = login.json()["token"].get<std::string>();
  auto bearer = "Authorization: Bearer " + token;
  // Read again and again: the server's connections remember the session after the first.
  for (int i = 0; i < 6; ++i) {
    auto r = c.request("GET", "/api/v1/entities/bi_warning_rules?limit=1", "", {bearer});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto denied = [&] {
    std::size_t n = 0;
    for (const auto& rec : store::Repository<audit::Record>(*store_).find())
      n += rec.actor == "user:analyst" && rec.action == "entity.read" &&
           rec.outcome == audit::Outcome::denied;
    return n;
  };
  // Another connection (an administrator's tool, plain repository writes) takes the permission
  // away: the very next read is refused, and the refusal is recorded once.
  store::Repository<auth::Role> roles(*store_);
  auto role = roles.find_one(
      store::Query<auth::Role>().where(&auth::Role::name, store::Op::eq, std::string("analysts")));
  ASSERT_TRUE(role);
  role->permissions = {"repair.report"};
  roles.update(*role);
  expect_problem(c.request("GET", "/api/v1/entities/bi_warning_rules?limit=1", "", {bearer}), 403,
                 "permission_denied", "bi.read");
  EXPECT_EQ(denied(), 1u);
  role->permissions = {"bi.read"};
  roles.update(*role);
  EXPECT_EQ(c.request("GET", "/api/v1/entities/bi_warning_rules?limit=1", "", {bearer}).status,
            200);
  // The session ended elsewhere: refused at once too.
  pf_.auth->logout(token);
  expect_problem(c.request("GET", "/api/v1/entities/bi_warning_rules?limit=1", "", {bearer}), 401,
                 "unauthenticated", "session unknown or ended");
}

TEST_P(HttpTest, TheDoorRefusesOversizedBodiesSlowClientsAndSignInFloods) {
  http::ServerConfig config;
  config.api.logins_per_minute = 3;
  start(config);
  HQ_REQUIRE_STORE(store_);
  {
    auto c = connect();
    auto r = c.request("POST", "/api/v1/auth/define_role", std::string(100 << 10, ' '));
    expect_problem(r, 413, "invalid_argument", "larger than 65536 bytes");
  }
  {
    // Half a request, then nothing: the server hangs up once read_timeout (1.5 s) has passed.
    auto c = connect();
    c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_within(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  }
  {
    auto c = connect();
    c.send("NONSENSE\r\n\r\n");
    auto r = c.read();
    EXPECT_EQ(r.status, 400);
  }
  auto c = connect();
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("POST", "/api/v1/auth/login",
                       json::Json{{"login", "secadmin"}, {"password", "wrong"}}.dump());
    expect_problem(r, 401, "unauthenticated", "");
  }
  auto flood = c.request("POST", "/api/v1/auth/login",
                         json::Json{{"login", "secadmin"}, {"password", test_password}}.dump());
  expect_problem(flood, 429, "resource_exhausted", "too many sign-in attempts from 127.0.0.1");
}

TEST_P(HttpTest, HealthReadinessAndMetricsAnswerOnOneKeptAliveConnection) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto c = connect();
  auto health = c.request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  auto page = c.request("GET", "/");  // the dashboard shipped with the server
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  auto ready = c.request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["ready"], true);
  auto [cookie, csrf] = sign_in(c, "sysadmin");
  ASSERT_EQ(c.request("GET", "/api/v1/entities/rooms?limit=1", "", {cookie}).status, 200);
  auto metrics = c.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.header("content-type").find("version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE"), std::string::npos);
  auto stats = server_->stats();
  EXPECT_EQ(stats.connections_accepted, 1) << "every request above went over one connection";
  EXPECT_GE(stats.requests, 5);
}

/// An operation that takes its time, so that a request is surely with a worker when stop() comes.
struct NapInput {
  int milliseconds = 0;
};
BOOST_DESCRIBE_STRUCT(NapInput, (), (milliseconds))
[[maybe_unused]] const bool nap_defined = service::define<NapInput>(
    "httptest.nap", "", "Sleeps (a test of the HTTP server's drain)",
    [](service::Context&, const NapInput& in) {
      std::this_thread::sleep_for(std::chrono::milliseconds(in.milliseconds));
    });

TEST_P(HttpTest, StopAnswersTheRequestInFlightAndThenRefusesConnections) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto port = server_->port();
  auto c = connect();  // the only connection: nothing else keeps the server's I/O busy
  auto login = c.request(
      "POST", "/api/v1/auth/login",
      json::Json{{"login", "sysadmin"}, {"password", test_password}, {"bearer", true}}.dump());
  auto bearer = "Authorization: Bearer " + login.json()["token"].get<std::string>();
  c.send_request("POST", "/api/v1/httptest/nap", R"({"milliseconds": 400})", {bearer});
  std::this_thread::sleep_for(100ms);  // the nap is with a worker now
  std::thread stopper([&] { server_->stop(); });
  Reply reply;  // answered although stop() began while it was being worked on
  try {
    reply = c.read();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the request in flight was not answered: " << e.what();
  }
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("connection"), "close");
  stopper.join();
  EXPECT_FALSE(testing::port_open(port));
}

TEST_P(HttpTest, StopClosesKeptAliveAndHalfSentConnections) {
  start();
  HQ_REQUIRE_STORE(store_);
  auto idle = connect();
  ASSERT_EQ(idle.request("GET", "/healthz").status, 200);
  auto half = connect();
  half.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  std::this_thread::sleep_for(50ms);
  server_->stop();
  EXPECT_EQ(server_->stats().connections_open, 0);
  EXPECT_TRUE(idle.closed_within(1s));
  EXPECT_TRUE(half.closed_within(1s));
}

/// Signs `login` in with a bearer token; returns the Authorization header.
std::string bearer_for(Connection& c, const std::string& login) {
  auto r =
      c.request("POST", "/api/v1/auth/login",
                json::Json{{"login", login}, {"password", test_password}, {"bearer", true}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  return "Authorization: Bearer " + r.json()["token"].get<std::string>();
}

/// The sequence of the frame of `type` in `text` ("id: 12\nevent: <type>"), or -1.
std::int64_t frame_id(const std::string& text, const std::string& type) {
  auto at = text.find("\nevent: " + type + "\n");
  if (at == std::string::npos) return -1;
  auto start = text.rfind("id: ", at);
  return std::stoll(text.substr(start + 4, at - start - 4));
}

TEST_P(HttpTest, EventStreamsCarryWhatTheCallerMaySeeAndResumeAfterTheLastId) {
  http::ServerConfig config;
  config.events_poll = 50ms;
  config.stream_keepalive = 200ms;
  start(config);
  HQ_REQUIRE_STORE(store_);
  pf_.user_with("desk", "desk", {"repair.report", "repair.dispatch"});
  pf_.user_with("stock", "stock", {"inventory.edit"});
  auto c = connect();
  auto desk = bearer_for(c, "desk");
  auto stock = bearer_for(c, "stock");
  auto room = c.request("GET", "/api/v1/entities/rooms?limit=1", "", {desk}).json()["items"][0];

  auto live = connect();
  live.send_request("GET", "/api/v1/events", "", {desk});
  auto head = live.read_until(": houqin events\n\n", 5s);
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  auto other = connect();  // holds no repair permission: sees none of its events
  other.send_request("GET", "/api/v1/events", "", {stock});
  other.read_until(": houqin events\n\n", 5s);
  auto typed = connect();  // asks for inventory events only
  typed.send_request("GET", "/api/v1/events?types=inventory.", "", {desk});
  typed.read_until(": houqin events\n\n", 5s);
  EXPECT_EQ(server_->stats().streams_open, 3);

  auto report = json::Json{{"room_id", room["id"]},
                           {"category", "electrical"},
                           {"description", "socket sparks"},
                           {"urgency", "medium"}};
  auto reported = c.request("POST", "/api/v1/repair/report", report.dump(), {desk});
  ASSERT_EQ(reported.status, 200) << reported.body;
  auto seen = live.read_until("event: repair.WorkOrderReported\n", 5s);
  seen += live.read_until("\n\n", 5s);
  auto id = frame_id(seen, "repair.WorkOrderReported");
  ASSERT_GT(id, 0) << seen;
  auto data = seen.substr(seen.find("data: ", seen.find("event: repair.WorkOrderReported")) + 6);
  auto event = json::parse(data.substr(0, data.find('\n')));
  EXPECT_EQ(event["id"], id);
  EXPECT_EQ(event["aggregate_id"], reported.json()["id"]);
  EXPECT_EQ(event["payload"]["work_order_id"], reported.json()["id"]);

  auto nothing = other.read_for(600ms);  // three keep-alives' worth
  EXPECT_NE(nothing.find(": keep-alive"), std::string::npos) << nothing;
  EXPECT_EQ(nothing.find("event: repair."), std::string::npos) << nothing;
  EXPECT_EQ(typed.read_for(300ms).find("event: repair."), std::string::npos);

  // A client that lost its connection resumes after the last id it saw: the log replays it.
  auto again = connect();
  again.send_request("GET", "/api/v1/events", "",
                     {desk, "Last-Event-ID: " + std::to_string(id - 1)});
  auto replayed = again.read_until("event: repair.WorkOrderReported\n", 5s);
  EXPECT_EQ(frame_id(replayed + "\n", "repair.WorkOrderReported"), id) << replayed;

  expect_problem(connect().request("GET", "/api/v1/events"), 401, "unauthenticated", "sign in");
  expect_problem(connect().request("GET", "/api/v1/events", "", {desk, "Last-Event-ID: x"}), 400,
                 "invalid_argument", "Last-Event-ID");
  expect_problem(connect().request("GET", "/api/v1/events?colour=red", "", {desk}), 400,
                 "invalid_argument", "colour");
  auto wrong = connect().request("POST", "/api/v1/events", "{}", {desk});
  EXPECT_EQ(wrong.status, 405) << wrong.body;
}

TEST_P(HttpTest, AStreamThatFallsBehindIsDisconnectedNotBuffered) {
  http::ServerConfig config;
  config.events_poll = 20ms;
  config.stream_max_pending = 3;
  config.stream_send_buffer = 4096;
  start(config);
  HQ_REQUIRE_STORE(store_);
  pf_.user_with("desk", "desk", {"repair.report"});
  auto c = connect();
  auto desk = bearer_for(c, "desk");
  auto room = c.request("GET", "/api/v1/entities/rooms?limit=1", "", {desk}).json()["items"][0];
  // A stream whose client never reads: the kernel's buffers fill, then the frames wait in the
  // server until there are more than 3, and the stream is closed.
  testing::Connection stalled(server_->port(), 4096);
  stalled.send_request("GET", "/api/v1/events", "", {desk});
  std::this_thread::sleep_for(100ms);
  auto report = json::Json{{"room_id", room["id"]},
                           {"category", "electrical"},
                           {"description", "no light"},
                           {"urgency", "medium"}};
  for (int i = 0; i < 1000 && server_->stats().streams_dropped == 0; ++i)
    ASSERT_EQ(c.request("POST", "/api/v1/repair/report", report.dump(), {desk}).status, 200);
  EXPECT_EQ(server_->stats().streams_dropped, 1);
  EXPECT_EQ(server_->stats().streams_open, 0);
}

TEST(HttpOpenApi, EveryOperationIsAPathWithItsSchemasAndEveryRefResolves) {
  auto doc = http::openapi();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const auto& paths = doc["paths"];
  std::size_t ops = 0;
  for (const auto* op : service::operations()) {
    auto dot = op->name.find('.');
    auto path = "/api/v1/" + op->name.substr(0, dot) + "/" + op->name.substr(dot + 1);
    ASSERT_TRUE(paths.contains(path)) << path;
    const auto& post = paths[path]["post"];
    EXPECT_EQ(post["operationId"], op->name);
    EXPECT_EQ(post["x-permission"], op->permission);
    EXPECT_TRUE(post["responses"].contains("200"));
    EXPECT_TRUE(post["responses"].contains("default"));
    ++ops;
  }
  EXPECT_GT(ops, 100u);
  // Every $ref points into components/schemas and names something there; no $defs are left.
  std::function<void(const json::Json&)> walk = [&](const json::Json& j) {
    if (j.is_object()) {
      EXPECT_FALSE(j.contains("$defs"));
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "$ref") {
          auto ref = it->get<std::string>();
          ASSERT_TRUE(ref.starts_with("#/components/schemas/")) << ref;
          EXPECT_TRUE(doc["components"]["schemas"].contains(ref.substr(21))) << ref;
        } else {
          walk(*it);
        }
      }
    } else if (j.is_array()) {
      for (const auto& e : j) walk(e);
    }
  };
  walk(doc);
  EXPECT_TRUE(doc["components"]["schemas"].contains("Problem"));
}

/// A self-signed certificate for 127.0.0.1 and its key (openssl req), in `dir`.
void make_certificate(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  testing::Child openssl({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                          "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                          (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()},
                         true);
  ASSERT_EQ(openssl.wait(30s), 0) << openssl.read_all(1s);
}

TEST_P(HttpTest, TlsCarriesTheSameApiAndMarksTheSessionCookieSecure) {
  namespace fs = std::filesystem;
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  namespace ssl = asio::ssl;
  auto dir = fs::temp_directory_path() / ("houqin-tls-" + std::to_string(::getpid()));
  make_certificate(dir);
  http::ServerConfig config;
  config.tls_certificate = (dir / "cert.pem").string();
  config.tls_private_key = (dir / "key.pem").string();
  start(config);
  HQ_REQUIRE_STORE(store_);

  // A client that checks the server's certificate against the one made above.
  asio::io_context io;
  ssl::context client(ssl::context::tls_client);
  client.load_verify_file((dir / "cert.pem").string());
  client.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> tls(io, client);
  beast::get_lowest_layer(tls).connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
  tls.handshake(ssl::stream_base::client);
  EXPECT_EQ(SSL_version(tls.native_handle()) >= TLS1_2_VERSION, true);
  bhttp::request<bhttp::string_body> login{bhttp::verb::post, "/api/v1/auth/login", 11};
  login.set(bhttp::field::host, "127.0.0.1");
  login.set(bhttp::field::content_type, "application/json");
  login.body() = json::Json{{"login", "sysadmin"}, {"password", test_password}}.dump();
  login.prepare_payload();
  bhttp::write(tls, login);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> answer;
  bhttp::read(tls, buffer, answer);
  EXPECT_EQ(answer.result_int(), 200) << answer.body();
  auto cookie = std::string(answer[bhttp::field::set_cookie]);
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  // The same connection goes on: a page and a read through the entity API.
  bhttp::request<bhttp::string_body> rooms{bhttp::verb::get, "/api/v1/entities/rooms?limit=1", 11};
  rooms.set(bhttp::field::host, "127.0.0.1");
  rooms.set(bhttp::field::cookie, cookie.substr(0, cookie.find(';')));
  bhttp::write(tls, rooms);
  bhttp::response<bhttp::string_body> page;
  bhttp::read(tls, buffer, page);
  EXPECT_EQ(page.result_int(), 200) << page.body();
  EXPECT_EQ(json::parse(page.body())["items"].size(), 1u);

  // Plain HTTP to the TLS port gets no answer: the connection is closed.
  auto plain = connect();
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(plain.closed_within(5s));

  // Settings that cannot work are refused when the server is made, naming them.
  auto factory = [] { return std::unique_ptr<store::Store>(); };
  auto only_cert = config;
  only_cert.tls_private_key.clear();
  testing::expect_error([&] { http::Server bad(only_cert, factory); }, ErrorCode::invalid_argument,
                        "http: tls_certificate and tls_private_key: give both or neither");
  auto missing = config;
  missing.tls_certificate = (dir / "missing.pem").string();
  testing::expect_error([&] { http::Server bad(missing, factory); }, ErrorCode::invalid_argument,
                        "http: tls_certificate: cannot use " + missing.tls_certificate);
  make_certificate(dir / "other");
  auto mismatched = config;
  mismatched.tls_private_key = (dir / "other" / "key.pem").string();
  testing::expect_error([&] { http::Server bad(mismatched, factory); }, ErrorCode::invalid_argument,
                        "http: tls_private_key: ");
  fs::remove_all(dir);
}

TEST(HttpPages, PagesAreServedFromMemoryWithTheirHeadersAndNoPathLeavesTheirSet) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("houqin-pages-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "m");
  fs::create_directories(dir / ".git");
  auto write = [](const fs::path& file, const std::string& text) { std::ofstream(file) << text; };
  write(dir / "index.html", "<!doctype html><title>desk</title>");
  write(dir / "m" / "index.html", "<!doctype html><title>phone</title>");
  write(dir / "app.js", "console.log(1)");
  write(dir / ".env", "secret");
  write(dir / ".git" / "config", "secret");
  write(dir.parent_path() / ("houqin-outside-" + std::to_string(::getpid())), "outside");
  write(dir / "chart.js", "/* chart */");

  http::ApiConfig config;
  config.pages_dir = dir.string();
  config.chart_js = (dir / "chart.js").string();
  http::Api api(config);
  auto get = [&](const std::string& target, const std::string& method = "GET",
                 std::map<std::string, std::string> headers = {}) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers = std::move(headers);
    EXPECT_FALSE(http::Api::needs_store(r)) << target;
    return api.handle_static(r);
  };
  auto header = [](const http::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::string();
  };
  auto index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>desk</title>");
  EXPECT_EQ(header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(header(index, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(header(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(get("/index.html").body, index.body);
  EXPECT_EQ(get("/m/?room=A-3-0312").body, "<!doctype html><title>phone</title>");
  EXPECT_EQ(header(get("/app.js"), "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/vendor/chart.min.js").body, "/* chart */");
  // An unchanged page is not sent again.
  auto again = get("/", "GET", {{"if-none-match", header(index, "ETag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  // Hidden files and anything not read at start are not pages; a path with dot or empty
  // segments is refused before any lookup.
  for (std::string path : {"/.env", "/.git/config", "/nothing.html", "/m/index"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(header(r, "Content-Type"), "application/problem+json") << path;
  }
  const auto outside = "houqin-outside-" + std::to_string(::getpid());
  for (const std::string& path : std::vector<std::string>{"/../" + outside, "/%2e%2e/" + outside,
                                                          "/m/../../etc/passwd", "//etc/passwd"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_NE(r.body.find("dot or empty segment"), std::string::npos) << path;
  }
  EXPECT_EQ(get("/%zz").status, 400);
  auto post = get("/", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header(post, "Allow"), "GET");
  // A file written after the start is not served: the set is fixed.
  write(dir / "late.html", "late");
  EXPECT_EQ(get("/late.html").status, 404);

  config.pages_dir = (dir / "missing").string();
  testing::expect_error([&] { http::Api bad(config); }, ErrorCode::invalid_argument,
                        "api.pages_dir: " + (dir / "missing").string() + " is not a directory");
  fs::remove_all(dir);
  fs::remove(dir.parent_path() / ("houqin-outside-" + std::to_string(::getpid())));
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpTest, ::testing::Values("sqlite_file", "postgresql"));

}  // namespace
}  // namespace houqin
