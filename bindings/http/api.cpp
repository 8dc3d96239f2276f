// Routing of the HTTP binding: the generic mapping from requests to the service registry and the
// entity API, sign-in, and problem+json for every refusal (docs/http.md).
#include "houqin/http/api.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/core/clock.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/metrics.hpp"
#include "houqin/http/pages.hpp"
#include "houqin/protect/entities.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::http {

namespace {

constexpr std::string_view api_prefix = "/api/v1/";
const std::string json_type = "application/json";

struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decoding; `plus` turns '+' into a space (query strings). A malformed escape, a NUL or
/// a control character is refused.
std::string decode(std::string_view text, bool plus, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        fail(ErrorCode::invalid_argument, std::string(what) + ": malformed percent escape");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(ErrorCode::invalid_argument, std::string(what) + ": control character");
    out += c;
  }
  return out;
}

Target split_target(std::string_view target) {
  Target t;
  auto q = target.find('?');
  t.path = decode(target.substr(0, q), false, "path");
  if (t.path.empty() || t.path.front() != '/')
    fail(ErrorCode::invalid_argument, "path: must start with /");
  // No dot segments, no empty segments: nothing here maps to files, and a path is matched
  // exactly, so "/api/v1/../x" or "//" is refused rather than normalised.
  for (std::size_t at = 1; at <= t.path.size();) {
    auto end = t.path.find('/', at);
    if (end == std::string::npos) end = t.path.size();
    auto seg = std::string_view(t.path).substr(at, end - at);
    if (seg == "." || seg == ".." || (seg.empty() && end != t.path.size()))
      fail(ErrorCode::invalid_argument, "path: dot or empty segment");
    at = end + 1;
  }
  if (q == std::string_view::npos) return t;
  auto rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto key = decode(part.substr(0, eq), true, "query");
      auto value =
          eq == std::string_view::npos ? std::string{} : decode(part.substr(eq + 1), true, "query");
      t.query.emplace_back(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return t;
}

std::string header(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string{} : it->second;
}

std::string cookie(const Request& r, std::string_view name) {
  std::string_view all = [&]() -> std::string_view {
    auto it = r.headers.find("cookie");
    return it == r.headers.end() ? std::string_view{} : std::string_view(it->second);
  }();
  while (!all.empty()) {
    auto semi = all.find(';');
    auto part = all.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    all = all.substr(semi + 1);
  }
  return {};
}

std::string client_host(const std::string& client) {
  auto colon = client.rfind(':');
  return colon == std::string::npos ? client : client.substr(0, colon);
}

/// Thrown for a route called with the wrong method: answered 405 with Allow.
struct WrongMethod {
  std::string allow;
  std::string detail;
};

void only(const Request& r, const char* method, const std::string& route) {
  if (r.method != method)
    throw WrongMethod{method, route + ": only " + method + ", not " + r.method};
}

/// The text of a JSON body. What a request sent may come back in it (a path in a problem's
/// instance, a name in its detail), and a request may send bytes that are not UTF-8: those are
/// replaced by U+FFFD rather than failing the response (found by tests/fuzz/http_fuzz.cpp).
std::string body_text(const json::Json& body) {
  return body.dump(-1, ' ', false, json::Json::error_handler_t::replace);
}

Response json_response(int status, const json::Json& body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", json_type);
  r.body = body_text(body);
  return r;
}

std::string session_cookie_header(const std::string& token, bool secure, bool clear) {
  std::string c = std::string(session_cookie) + "=" + (clear ? "" : token) +
                  "; Path=/; HttpOnly; SameSite=Strict";
  if (clear) c += "; Max-Age=0";
  if (secure) c += "; Secure";
  return c;
}

/// Who a request acts as: a bearer token, or the session cookie (then `cookie` is set).
struct Caller {
  auth::Actor actor;
  std::string token;
  bool cookie = false;
};

/// The token a request carries (a bearer token, else the session cookie); refused when it
/// carries none or another scheme.
std::pair<std::string, bool> token_of(const Request& request) {
  std::string token;
  bool via_cookie = false;
  auto authorization = header(request, "authorization");
  if (!authorization.empty()) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), authorization.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      fail(ErrorCode::unauthenticated, "Authorization: only a Bearer token is accepted");
    token = authorization.substr(scheme.size());
  } else {
    token = cookie(request, session_cookie);
    via_cookie = true;
  }
  if (token.empty())
    fail(ErrorCode::unauthenticated,
         "sign in first: no session cookie and no Authorization: Bearer token");
  return {std::move(token), via_cookie};
}

Caller authenticate(const Request& request, store::Store& store, const auth::Policy& policy) {
  auto [token, via_cookie] = token_of(request);
  auto actor = auth::Auth(store, policy).resume(token);
  return Caller{std::move(actor), std::move(token), via_cookie};
}

/// A POST made with the session cookie must carry the session's CSRF token (a page of another
/// site can make the browser send the cookie, but cannot read the token).
void check_csrf(const Request& request, const Caller& caller) {
  if (!caller.cookie || request.method != "POST") return;
  auto sent = header(request, "x-csrf-token");
  auto expected = csrf_token(caller.token);
  if (sent.size() != expected.size() ||
      sodium_memcmp(sent.data(), expected.data(), expected.size()) != 0)
    fail(ErrorCode::permission_denied,
         sent.empty() ? "X-CSRF-Token: missing on a POST made with the session cookie"
                      : "X-CSRF-Token: does not belong to this session");
}

json::Json body_json(const Request& request) {
  auto type = header(request, "content-type");
  auto semi = type.find(';');
  auto bare = type.substr(0, semi);
  while (!bare.empty() && bare.back() == ' ') bare.pop_back();
  std::transform(bare.begin(), bare.end(), bare.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (request.body.empty() && bare.empty()) return json::Json::object();
  if (bare != json_type)
    fail(ErrorCode::invalid_argument,
         "Content-Type: expected application/json, got '" + (bare.empty() ? "" : bare) + "'");
  if (request.body.empty()) return json::Json::object();
  return json::parse(request.body, "body");
}

/// A query-string value as JSON: the JSON literal it spells when it is one (5, true, null,
/// "quoted text"), otherwise the text itself.
json::Json query_value(const std::string& text) {
  if (!text.empty()) {
    try {
      auto j = json::parse(text);
      if (!j.is_object() && !j.is_array()) return j;
    } catch (const Error&) {
    }
  }
  return text;
}

/// A whole number >= `min` from a query parameter, header or path segment, named `what` in the
/// refusal.
std::int64_t whole_number(const std::string& what, const std::string& text, std::int64_t min) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < min)
    fail(ErrorCode::invalid_argument,
         what + ": expected a whole number >= " + std::to_string(min) + ", got '" + text + "'");
  return n;
}

/// ?status=open&created_at[ge]=2026-01-01T00:00:00Z&order=-created_at,code&limit=20&offset=40
json::Json entity_query(const std::vector<std::pair<std::string, std::string>>& params) {
  json::Json where = json::Json::array();
  json::Json order = json::Json::array();
  json::Json q = json::Json::object();
  for (const auto& [key, value] : params) {
    if (key == "limit" || key == "offset") {
      q[key] = whole_number(key, value, 0);
    } else if (key == "order") {
      std::string_view rest = value;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        auto col = rest.substr(0, comma);
        bool desc = !col.empty() && col.front() == '-';
        if (desc) col.remove_prefix(1);
        if (col.empty()) fail(ErrorCode::invalid_argument, "order: empty column name");
        order.push_back({{"column", std::string(col)}, {"descending", desc}});
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
    } else {
      std::string column = key;
      std::string op = "eq";
      auto open = key.find('[');
      if (open != std::string::npos) {
        if (key.back() != ']' || open == 0)
          fail(ErrorCode::invalid_argument, key + ": expected column or column[op]");
        column = key.substr(0, open);
        op = key.substr(open + 1, key.size() - open - 2);
      }
      json::Json v;
      if (op == "in") {
        v = json::Json::array();
        std::string_view rest = value;
        while (true) {
          auto comma = rest.find(',');
          v.push_back(query_value(std::string(rest.substr(0, comma))));
          if (comma == std::string_view::npos) break;
          rest = rest.substr(comma + 1);
        }
      } else if (op == "is_null" || op == "not_null") {
        v = nullptr;
      } else {
        v = query_value(value);
      }
      where.push_back({{"column", column}, {"op", op}, {"value", v}});
    }
  }
  q["where"] = where;
  q["order_by"] = order;
  return q;
}

/// GET /api/v1/entities/<name>[/<id>] (`rest` without the prefix) as `actor`.
json::Json read_entities(store::Store& store, const auth::Actor& actor, const std::string& rest,
                         const std::vector<std::pair<std::string, std::string>>& query) {
  auto name = rest.substr(std::string_view("entities/").size());
  auto slash = name.find('/');
  if (slash == std::string::npos)
    return protect::find_entities(store, actor, name, entity_query(query));
  auto id_text = name.substr(slash + 1);
  name = name.substr(0, slash);
  return protect::get_entity(store, actor, name, whole_number("id", id_text, 1));
}

}  // namespace

/// A read of a table without personal columns by a session this connection resumed lately:
/// the check that the session still holds and the read share one read transaction (one
/// snapshot, one lock) instead of taking one each -- most of what a small GET costs. Anything
/// else, and any refusal (recorded in the audit log, a write), is left to the ordinary path,
/// which answers it from the start: nullopt.
std::optional<Response> Api::read_remembered(
    const Request& request, store::Store& store, const std::string& rest,
    const std::vector<std::pair<std::string, std::string>>& query) {
  // Only tables without personal columns: reading those is audited, a write.
  auto name = std::string_view(rest).substr(std::string_view("entities/").size());
  if (store.transaction_depth() != 0 || !plain_entities_.count(name.substr(0, name.find('/'))))
    return std::nullopt;
  try {
    auto token = token_of(request).first;
    store::Transaction reading(store, store::Transaction::read_only);
    auto actor = auth::Auth(store, config_.policy).resume_cached(token);
    if (!actor) return std::nullopt;
    auto answer = json_response(200, read_entities(store, *actor, rest, query));
    reading.commit();
    return answer;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string csrf_token(std::string_view session_token) {
  static constexpr std::string_view label = "houqin http csrf v1:";
  std::string input(label);
  input += session_token;
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

int status_of(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok:
      return 200;
    case ErrorCode::invalid_argument:
      return 400;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::already_exists:
      return 409;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::permission_denied:
      return 403;
    case ErrorCode::failed_precondition:
      return 409;
    case ErrorCode::unauthenticated:
      return 401;
    case ErrorCode::resource_exhausted:
      return 429;
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::data_loss:
      return 500;
    case ErrorCode::internal:
      return 500;
    case ErrorCode::unimplemented:
      return 501;
    case ErrorCode::deadline_exceeded:
      return 504;
  }
  return 500;
}

void add_header(Request& request, std::string_view name, std::string_view value) {
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto& slot = request.headers[key];
  if (slot.empty())
    slot = std::string(value);
  else
    slot += (key == "cookie" ? "; " : ", ") + std::string(value);
}

Response problem(ErrorCode code, std::string detail, std::string instance, int status) {
  Problem p;
  p.code = std::string(to_string(code));
  p.type = "urn:houqin:error:" + p.code;
  p.title = p.code;
  p.status = status ? status : status_of(code);
  p.detail = std::move(detail);
  p.instance = std::move(instance);
  Response r;
  r.status = p.status;
  r.headers.emplace_back("Content-Type", "application/problem+json");
  if (code == ErrorCode::unauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  r.body = body_text(json::to_json(p));
  return r;
}

bool EventFilter::visible(std::string_view type) const {
  auto dot = type.find('.');
  if (dot == std::string_view::npos) return false;
  if (!std::binary_search(domains.begin(), domains.end(), type.substr(0, dot))) return false;
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(),
                     [&](const std::string& t) { return type.starts_with(t); });
}

std::string event_frame(const store::StoredEvent& event) {
  // The JSON has no raw newline (dump() escapes them), so one data line carries it.
  return "id: " + std::to_string(event.id) + "\nevent: " + event.type +
         "\ndata: " + body_text(json::to_json(event)) + "\n\n";
}

bool Api::is_stream(const Request& request) {
  auto path = std::string_view(request.target).substr(0, request.target.find('?'));
  return request.method == "GET" && path == "/api/v1/events";
}

EventFilter Api::open_stream(const Request& request, store::Store& store) {
  auto target = split_target(request.target);
  auto caller = authenticate(request, store, config_.policy);
  EventFilter f;
  for (const auto& p : caller.actor.permissions()) f.domains.push_back(p.substr(0, p.find('.')));
  std::sort(f.domains.begin(), f.domains.end());
  f.domains.erase(std::unique(f.domains.begin(), f.domains.end()), f.domains.end());
  if (auto last = header(request, "last-event-id"); !last.empty())
    f.after = whole_number("Last-Event-ID", last, 0);
  for (const auto& [key, value] : target.query) {
    if (key == "types") {
      std::string_view rest = value;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        if (auto t = rest.substr(0, comma); !t.empty()) f.types.emplace_back(t);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
    } else if (key == "after") {
      if (!f.after)
        f.after = whole_number("after", value, 0);  // Last-Event-ID wins: it is the resume
    } else {
      fail(ErrorCode::invalid_argument, key + ": unknown parameter (types, after)");
    }
  }
  return f;
}

/// ApiConfig::pages_dir when it is empty: the source tree's pages while it is there (a build
/// tree, the tests), else the installed ones.
std::string default_pages_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory(HQ_SOURCE_PAGES_DIR, ec)) return HQ_SOURCE_PAGES_DIR;
  return HQ_INSTALLED_PAGES_DIR;
}

Api::Api(ApiConfig config)
    : config_(std::move(config)),
      pages_(std::make_shared<const Pages>(Pages::load(
          config_.pages_dir.empty() ? default_pages_dir() : config_.pages_dir, config_.chart_js))),
      openapi_text_(openapi().dump()) {
  for (const auto& name : store::entities().names())
    if (!store::entities().at(name).table->has_personal) plain_entities_.insert(name);
}

bool Api::needs_store(const Request& request) {
  auto path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (path == "/readyz") return true;
  if (!path.starts_with("/api/")) return false;  // /healthz, /metrics and the pages
  return !(request.method == "GET" && path == "/api/v1/openapi.json");
}

Response Api::handle_static(const Request& request) {
  auto path = std::string_view(request.target).substr(0, request.target.find('?'));
  Response r;
  if (path == "/healthz") {
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = "ok\n";
  } else if (path == "/metrics") {
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = metrics::prometheus(metrics::snapshot(system_clock().now()));
  } else if (path == "/api/v1/openapi.json") {
    r.headers.emplace_back("Content-Type", json_type);
    r.body = openapi_text_;
  } else {
    try {
      return pages_->answer(request, split_target(request.target).path);
    } catch (const Error& e) {  // a malformed escape in the path
      return problem(e.code(), e.what(), std::string(path));
    }
  }
  return r;
}

bool Api::allow(const std::string& key, int limit, std::chrono::steady_clock::duration window) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (attempts_.size() > 100000) attempts_.clear();  // a flood of addresses: start over, bounded
  auto& times = attempts_[key];
  std::erase_if(times, [&](auto t) { return now - t >= window; });
  if (static_cast<int>(times.size()) >= limit) return false;
  times.push_back(now);
  return true;
}

Response Api::intake(const Request& request, store::Store& store) {
  auto in = json::from_json<IntakeInput>(body_json(request), "intake");
  auto host = client_host(request.client);
  if (!allow("intake:" + host, config_.intakes_per_hour, std::chrono::hours(1)))
    fail(ErrorCode::resource_exhausted, "too many reports without an account from " + host +
                                            " in the last hour; call the service desk");
  auto reader = auth::Actor::service("http-intake", {});
  auto rooms = protect::find_entities(
      store, reader, "rooms",
      {{"where", json::Json::array({{{"column", "code"}, {"op", "eq"}, {"value", in.room}}})}});
  if (rooms["items"].empty())
    fail(ErrorCode::not_found, "room: no room has the code '" + in.room + "'");
  if (!rooms["items"][0].value("active", true))
    fail(ErrorCode::failed_precondition,
         "room: " + in.room + " is no longer in use; call the service desk");
  if (!allow("intake-room:" + in.room, config_.intakes_per_room_per_hour, std::chrono::hours(1)))
    fail(ErrorCode::resource_exhausted,
         "room " + in.room + " has had enough reports this hour; call the service desk");
  json::Json report = {{"channel", "web"},
                       {"room_id", rooms["items"][0]["id"]},
                       {"description", in.description},
                       {"category", in.category}};
  if (in.urgency) report["urgency"] = *in.urgency;
  if (in.phone) report["reporter_phone"] = *in.phone;
  auto actor = auth::Actor::service("http-intake", {"repair.report"});
  auto order = service::call(store, actor, "repair.report", report);
  IntakeOutput out;
  out.work_order_id = order["id"].get<Id>();
  out.code = order["code"].get<std::string>();
  return json_response(200, json::to_json(out));
}

Response Api::handle(const Request& request, store::Store& store) {
  std::string instance = request.target.substr(0, request.target.find('?'));
  // Every audit record this request causes (sign-in attempts and refusals included) names the
  // client's address; the store is the worker's own, so the next request sets its own.
  audit::set_origin(store, "http " + request.client);
  struct Clear {
    store::Store& s;
    ~Clear() { audit::set_origin(s, {}); }
  } clear{store};
  try {
    if (!needs_store(request)) return handle_static(request);
    auto target = split_target(request.target);
    const auto& path = target.path;
    if (path == "/readyz") {
      only(request, "GET", path);
      store.execute("SELECT 1");
      return json_response(200, {{"ready", true}});
    }
    if (!path.starts_with(api_prefix)) fail(ErrorCode::not_found, "no such route: " + path);
    auto rest = path.substr(api_prefix.size());

    if (rest == "auth/login") {
      only(request, "POST", path);
      if (!allow("login:" + client_host(request.client), config_.logins_per_minute,
                 std::chrono::minutes(1)))
        fail(ErrorCode::resource_exhausted,
             "too many sign-in attempts from " + client_host(request.client) + "; wait a minute");
      auto in = json::from_json<LoginInput>(body_json(request), "login");
      auth::Auth auth(store, config_.policy);
      auto login = auth.login(in.login, in.password);
      LoginOutput out;
      out.session_id = login.session_id;
      out.login = in.login;
      out.csrf_token = csrf_token(login.token);
      out.must_change_password = login.must_change_password;
      auto r = json_response(200, json::Json());
      if (in.bearer) {
        out.token = login.token;
      } else {
        r.headers.emplace_back("Set-Cookie",
                               session_cookie_header(login.token, request.secure, false));
      }
      r.headers.emplace_back("Cache-Control", "no-store");
      r.body = body_text(json::to_json(out));
      return r;
    }

    if (rest == "intake") {  // no account: the room's QR code is the only context
      only(request, "POST", path);
      return intake(request, store);
    }

    // The method is checked before the caller: a wrong method says so whoever asks.
    if (rest == "events") {
      only(request, "GET", path);
      fail(ErrorCode::unimplemented, "events: an event stream is served by http::Server");
    }
    if (rest == "auth/logout") only(request, "POST", path);
    if (rest == "auth/session" || rest == "entities" || rest.starts_with("entities/"))
      only(request, "GET", path);
    if (rest.starts_with("entities/"))
      if (auto answer = read_remembered(request, store, rest, target.query)) return *answer;
    auto caller = authenticate(request, store, config_.policy);
    check_csrf(request, caller);

    if (rest == "auth/logout") {
      auth::Auth(store, config_.policy).logout(caller.token);
      auto r = json_response(200, json::Json::object());
      if (caller.cookie)
        r.headers.emplace_back("Set-Cookie", session_cookie_header("", request.secure, true));
      return r;
    }
    if (rest == "auth/session") {
      SessionInfo info;
      info.actor = caller.actor.label();
      info.user_id = caller.actor.user_id();
      info.session_id = caller.actor.session_id();
      if (auto id = caller.actor.user_id()) {
        if (auto user = store::Repository<auth::User>(store).get(*id)) {
          info.display_name = user->display_name;
          info.staff_id = user->staff_id;
        }
      }
      info.permissions = caller.actor.permissions();
      if (caller.cookie) info.csrf_token = csrf_token(caller.token);
      return json_response(200, json::to_json(info));
    }
    if (rest == "entities" || rest.starts_with("entities/")) {
      if (rest == "entities") return json_response(200, json::Json(protect::entity_names()));
      return json_response(200, read_entities(store, caller.actor, rest, target.query));
    }

    // POST /api/v1/<domain>/<verb>: any registered operation.
    auto slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() ||
        rest.find('/', slash + 1) != std::string::npos)
      fail(ErrorCode::not_found, "no such route: " + path);
    auto name = rest.substr(0, slash) + "." + rest.substr(slash + 1);
    service::operation(name);  // not_found naming the domain's operations
    only(request, "POST", path);
    auto result = service::call(store, caller.actor, name, body_json(request));
    return json_response(200, result);
  } catch (const WrongMethod& w) {
    auto r = problem(ErrorCode::invalid_argument, w.detail, instance, 405);
    r.headers.emplace_back("Allow", w.allow);
    return r;
  } catch (const Error& e) {
    return problem(e.code(), e.what(), instance);
  } catch (const std::exception& e) {
    return problem(ErrorCode::internal, e.what(), instance);
  }
}

}  // namespace houqin::http
