// The HTTP face of the service registry (docs/http.md), without the sockets: a Request in, a
// Response out, on a store the caller owns. One generic mapping serves every operation --
//
//   POST /api/v1/<domain>/<verb>            service::call("<domain>.<verb>", body)
//   GET  /api/v1/entities[/<name>[/<id>]]   the actor-checked entity API (protect/entities.hpp)
//   GET  /api/v1/openapi.json               OpenAPI 3.1 made from the operations' JSON Schemas
//   POST /api/v1/auth/login|logout, GET /api/v1/auth/session
//   GET  /healthz, /readyz, /metrics
//
// -- so a new operation needs no HTTP code. Errors are RFC 9457 problem+json carrying houqin's
// stable error code. Browsers sign in to an HttpOnly, SameSite=Strict session cookie and send the
// session's CSRF token in X-CSRF-Token with every POST; systems send the same session token as a
// bearer token (Authorization: Bearer), which needs no CSRF token. The Server (server.hpp) runs
// this over Boost.Beast; tests and other hosts may call handle() directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/auth/auth.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/json.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/store.hpp"

#if defined(HQ_HTTP_BUILDING)
#define HOUQIN_HTTP_EXPORT __attribute__((visibility("default")))
#else
#define HOUQIN_HTTP_EXPORT
#endif

namespace houqin::http {

class Pages;

/// One request as the server read it. Header names are lower case.
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/api/v1/entities/rooms?limit=5"
  std::map<std::string, std::string> headers;
  std::string body;
  std::string client;   // the peer address, "127.0.0.1:53122"
  bool secure = false;  // arrived over TLS: the session cookie is then marked Secure
};

/// Adds a header to `request` as the server reads one: the name in lower case, a header sent
/// again folded into the first (cookies joined with "; ", the rest with ", ").
HOUQIN_HTTP_EXPORT void add_header(Request& request, std::string_view name, std::string_view value);

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type among them
  std::string body;
};

/// An RFC 9457 problem document, as every error is answered: `type` is a stable URI per error
/// code ("urn:houqin:error:invalid_argument"), `code` the same code as the C ABI and Python use.
struct Problem {
  std::string type;
  std::string title;  // the code's name, e.g. "invalid_argument"
  int status = 0;
  std::string detail;  // houqin's one-line message naming the field or id at fault
  std::string code;
  std::string instance;  // the request path
};
BOOST_DESCRIBE_STRUCT(Problem, (), (type, title, status, detail, code, instance))

/// POST /api/v1/auth/login. With `bearer` the token is returned in the body for a system to send
/// as a bearer token and no cookie is set; otherwise the token goes only into the HttpOnly cookie.
struct LoginInput {
  std::string login;
  std::string password;
  bool bearer = false;
  static constexpr std::array<std::string_view, 2> required_fields{"login", "password"};
};
BOOST_DESCRIBE_STRUCT(LoginInput, (), (login, password, bearer))

struct LoginOutput {
  Id session_id = 0;
  std::string login;
  std::string csrf_token;  // send as X-CSRF-Token with every POST made with the cookie
  bool must_change_password = false;
  std::optional<std::string> token;  // only when bearer was asked for
};
BOOST_DESCRIBE_STRUCT(LoginOutput, (), (session_id, login, csrf_token, must_change_password, token))

/// GET /api/v1/auth/session: who the request acts as.
struct SessionInfo {
  std::string actor;  // "user:alice"
  std::optional<Id> user_id;
  std::optional<Id> session_id;
  std::string display_name;
  /// The staff member the user is (a technician's orders carry it as technician_id).
  std::optional<Id> staff_id;
  std::vector<std::string> permissions;
  std::string csrf_token;  // empty for a bearer token
};
BOOST_DESCRIBE_STRUCT(SessionInfo, (),
                      (actor, user_id, session_id, display_name, staff_id, permissions, csrf_token))

/// POST /api/v1/intake: a repair reported from a room's QR code (label.room) without an account.
/// Only these fields are accepted; the work order is reported by the service actor
/// "service:http-intake", which holds repair.report and nothing else.
struct IntakeInput {
  static constexpr std::array<std::string_view, 2> required_fields{"room", "description"};
  std::string room;  // the room's code, as the QR code's ?room= carries it
  std::string description;
  std::string category;                // empty: the desk sorts it
  std::optional<std::string> urgency;  // high, medium (default) or low
  std::optional<std::string> phone;    // for the technician to call back
};
BOOST_DESCRIBE_STRUCT(IntakeInput, (), (room, description, category, urgency, phone))

struct IntakeOutput {
  Id work_order_id = 0;
  std::string code;  // the work order's code, to quote when calling the desk
};
BOOST_DESCRIBE_STRUCT(IntakeOutput, (), (work_order_id, code))

/// How the door behaves: sign-in rules and the limits applied before any work is done.
struct ApiConfig {
  /// Failed and successful login attempts allowed per client address per minute, on top of the
  /// account lockout (auth::Policy); the next one is answered 429.
  int logins_per_minute = 10;
  /// Reports without an account (POST /api/v1/intake) allowed per client address and per room
  /// in any hour; the next one is answered 429.
  int intakes_per_hour = 20;
  int intakes_per_room_per_hour = 10;
  /// Passwords, lockout and session lifetimes (the same policy every host of the store uses).
  auth::Policy policy;
  /// The pages (dashboard at /, mobile pages at /m/), read once at start; empty: the source
  /// tree's pages when it is there (a build tree), else those installed (share/houqin/www).
  std::string pages_dir;
  /// Chart.js for the dashboard's trends, served at /vendor/chart.min.js (Debian libjs-chart.js).
  std::string chart_js = "/usr/share/javascript/chart.js/chart.min.js";
};
BOOST_DESCRIBE_STRUCT(ApiConfig, (),
                      (logins_per_minute, intakes_per_hour, intakes_per_room_per_hour, policy,
                       pages_dir, chart_js))

/// GET /api/v1/events (server-sent events): which events of the durable log a stream may carry.
/// An event is visible when the caller holds a permission of the event's domain (a
/// "repair.WorkOrderReported" needs some "repair.*" permission) and, when `types` is given, its
/// type starts with one of them.
struct EventFilter {
  std::vector<std::string> domains;  // sorted: the domains of the permissions held
  std::vector<std::string> types;    // ?types=repair.,telemetry.AlarmRaised; empty: every type
  /// Resume after this sequence (Last-Event-ID, or ?after=); absent: only what comes next.
  std::optional<std::int64_t> after;
  bool visible(std::string_view type) const;
};

/// One server-sent event frame of a stored event: "id: <seq>\nevent: <type>\ndata: <JSON of
/// the StoredEvent>\n\n".
HOUQIN_HTTP_EXPORT std::string event_frame(const store::StoredEvent& event);

/// The name of the session cookie.
inline constexpr std::string_view session_cookie = "hq_session";

/// The CSRF token of a session token: a BLAKE2b digest of it under a label of its own, so it is
/// fixed for the session's life, survives a restart of the server, and cannot be made without the
/// 32 random bytes of the (HttpOnly) token, which script on another site never sees.
HOUQIN_HTTP_EXPORT std::string csrf_token(std::string_view session_token);

/// The OpenAPI 3.1 document of every registered operation and the fixed routes: each operation a
/// POST with its input schema as the request body, its output schema as the 200 response and
/// problem+json for every error; the structs the schemas share under components/schemas.
HOUQIN_HTTP_EXPORT json::Json openapi();

/// The HTTP status of an error code (invalid_argument 400, unauthenticated 401, ...).
HOUQIN_HTTP_EXPORT int status_of(ErrorCode code) noexcept;

/// A problem+json response; `status` 0 means status_of(code).
HOUQIN_HTTP_EXPORT Response problem(ErrorCode code, std::string detail, std::string instance,
                                    int status = 0);

/// Routes requests; safe to share between threads (each call brings its own store).
class HOUQIN_HTTP_EXPORT Api {
 public:
  explicit Api(ApiConfig config = {});
  /// Answers one request on `store` (a connection the calling thread owns). Never throws: every
  /// failure is a problem+json response, and a refused request has changed nothing.
  Response handle(const Request& request, store::Store& store);
  /// Whether the request opens an event stream (GET /api/v1/events), which the server keeps open.
  static bool is_stream(const Request& request);
  /// Authenticates an event stream's request and reads its filter; Error (as for handle()) when
  /// it is refused.
  EventFilter open_stream(const Request& request, store::Store& store);
  /// Whether the route needs a store: /api/v1/... but the OpenAPI document, and /readyz. The
  /// rest -- /healthz, /metrics, the OpenAPI document and the pages -- the server answers on its
  /// I/O thread.
  static bool needs_store(const Request& request);
  /// Answers a request that needs no store.
  Response handle_static(const Request& request);

 private:
  /// Counts an attempt under `key` unless `limit` were made within `window`; bounded memory.
  bool allow(const std::string& key, int limit, std::chrono::steady_clock::duration window);
  Response intake(const Request& request, store::Store& store);
  std::optional<Response> read_remembered(
      const Request& request, store::Store& store, const std::string& rest,
      const std::vector<std::pair<std::string, std::string>>& query);
  ApiConfig config_;
  std::shared_ptr<const Pages> pages_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> attempts_;
  std::string openapi_text_;
  /// Entity collections without personal columns, as registered when the Api was made.
  std::set<std::string, std::less<>> plain_entities_;
};

}  // namespace houqin::http
