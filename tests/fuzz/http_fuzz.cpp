// libFuzzer target for the HTTP binding: an input is the bytes of one HTTP/1.1 request as a
// client sends them. They go through Boost.Beast's parser with the server's limits, into the
// Request the server makes of them, and into Api::handle (or handle_static, or open_stream for an
// event stream), as the server does. In the input "$TOKEN" becomes a bearer token of the security
// administrator and "$SESSION" / "$CSRF" a cookie session and its CSRF token, so signed-in routes
// are reached. The contract, whatever the bytes: Api never throws (open_stream only Error), a
// status is 100-599 and never 500, and every refusal (>= 400) is an RFC 9457 problem+json
// document whose status is the response's and whose code and detail are not empty. Seeds:
// tests/fuzz/http_corpus; regressions: tests/fuzz/http_regressions.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "houqin/http/api.hpp"

namespace {

using namespace houqin;
namespace bhttp = boost::beast::http;

struct Target {
  ManualClock clock{parse_timestamp("2026-03-02T08:00:00Z")};
  std::unique_ptr<store::Store> store = fuzz::platform_store(&clock);
  http::Api api = [] {
    http::ApiConfig c;
    c.policy = auth::test_policy();
    c.logins_per_minute = 1000000;  // sign-in limits would make most inputs alike
    c.intakes_per_hour = 1000000;
    c.intakes_per_room_per_hour = 1000000;
    return http::Api(c);
  }();
  std::string token, session, csrf;

  Target() {
    http::Request login{
        "POST",
        "/api/v1/auth/login",
        {{"content-type", "application/json"}},
        json::Json{
            {"login", "secadmin"}, {"password", std::string(fuzz::password)}, {"bearer", true}}
            .dump(),
        "127.0.0.1:1",
        false};
    auto r = api.handle(login, *store);
    if (r.status != 200) fuzz::finding("the harness cannot sign in: " + r.body, "");
    token = json::parse(r.body)["token"].get<std::string>();
    login.body =
        json::Json{{"login", "sysadmin"}, {"password", std::string(fuzz::password)}}.dump();
    r = api.handle(login, *store);
    for (const auto& [name, value] : r.headers)
      if (name == "Set-Cookie" || name == "set-cookie") session = value.substr(0, value.find(';'));
    csrf = json::parse(r.body)["csrf_token"].get<std::string>();
  }
};

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void check(const http::Response& r, std::string_view input) {
  if (r.status < 100 || r.status > 599) fuzz::finding("a status outside 100-599", input);
  if (r.status == 500) fuzz::finding("an internal server error: " + r.body, input);
  if (r.status < 400) return;
  bool problem = false;
  for (const auto& [name, value] : r.headers)
    problem |=
        (name == "Content-Type" || name == "content-type") && value == "application/problem+json";
  if (!problem) fuzz::finding("a refusal that is not problem+json", input);
  json::Json p;
  try {
    p = json::parse(r.body, "problem");
  } catch (const Error&) {
    fuzz::finding("a problem document that is not JSON: " + r.body, input);
  }
  if (!p.is_object() || p.value("status", 0) != r.status ||
      p.value("code", std::string()).empty() || p.value("detail", std::string()).empty())
    fuzz::finding("a problem document without its status, code or detail: " + r.body, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target t;
  std::string text(reinterpret_cast<const char*>(data), size);
  replace_all(text, "$TOKEN", t.token);
  replace_all(text, "$SESSION", t.session);
  replace_all(text, "$CSRF", t.csrf);

  // The server's parser and limits (ServerConfig defaults: 1 MiB body, 16 KiB of headers).
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(1 << 20);
  parser.header_limit(16 << 10);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t at = 0;
  while (!parser.is_done() && at < text.size()) {
    at += parser.put(boost::asio::buffer(text.data() + at, text.size() - at), ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
      break;
    }
    if (ec) return 0;  // the server answers 400/413/431 itself, before Api
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return 0;  // nothing came: the server waits or times out
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  auto& msg = parser.get();
  http::Request request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  for (const auto& field : msg) http::add_header(request, field.name_string(), field.value());
  request.body = std::move(msg.body());
  request.client = "127.0.0.1:40000";

  const std::string_view input(text);
  try {
    if (!http::Api::needs_store(request)) {
      check(t.api.handle_static(request), input);
    } else if (http::Api::is_stream(request)) {
      try {
        t.api.open_stream(request, *t.store);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::internal) fuzz::finding("an internal error", input);
      }
    } else {
      check(t.api.handle(request, *t.store), input);
    }
  } catch (const std::exception& e) {
    fuzz::finding(std::string("an exception escaped the Api: ") + e.what(), input);
  }
  t.clock.advance(std::chrono::seconds(1));
  return 0;
}
