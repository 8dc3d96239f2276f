// hq_auth_*, hq_actor_*: signing in, sessions, service actors.
#include "houqin/auth/auth.hpp"
#include "capi.hpp"

using namespace houqin;
using capi::guard;
using capi::require;

namespace {

struct Accounts {
  auth::BootstrapAccount system_admin, security_admin, auditor;
};
BOOST_DESCRIBE_STRUCT(Accounts, (), (system_admin, security_admin, auditor))

/// What hq_actor_describe returns: who is acting, for logs and for showing who is signed in.
struct ActorInfo {
  std::string label;
  std::optional<Id> user_id;  // null for a service actor
  std::vector<std::string> permissions;
};
BOOST_DESCRIBE_STRUCT(ActorInfo, (), (label, user_id, permissions))

hq_actor* hand_out(auth::Actor actor) {
  return capi::to_c(new capi::ActorHandle{std::move(actor)});
}

}  // namespace

extern "C" {

hq_status hq_auth_bootstrap(hq_store* store, const char* accounts_json) {
  return guard([&] {
    auto& h = capi::handle(store, "hq_auth_bootstrap");
    require(accounts_json, "hq_auth_bootstrap", "accounts_json");
    auto accounts = json::from_string<Accounts>(accounts_json, "accounts");
    std::lock_guard lock(h.mutex);
    auth::Auth(*h.store).bootstrap(accounts.system_admin, accounts.security_admin,
                                   accounts.auditor);
  });
}

hq_status hq_auth_login(hq_actor** out, char** out_token, hq_store* store, const char* login,
                        const char* password) {
  if (out) *out = nullptr;
  if (out_token) *out_token = nullptr;
  return guard([&] {
    require(out, "hq_auth_login", "out");
    auto& h = capi::handle(store, "hq_auth_login");
    require(login, "hq_auth_login", "login");
    require(password, "hq_auth_login", "password");
    std::lock_guard lock(h.mutex);
    auth::Auth accounts(*h.store);
    auto session = accounts.login(login, password);
    auto actor = accounts.resume(session.token);
    char* token = out_token ? capi::copy_out(session.token) : nullptr;
    *out = hand_out(std::move(actor));
    if (out_token) *out_token = token;
  });
}

hq_status hq_auth_resume(hq_actor** out, hq_store* store, const char* token) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_auth_resume", "out");
    auto& h = capi::handle(store, "hq_auth_resume");
    require(token, "hq_auth_resume", "token");
    std::lock_guard lock(h.mutex);
    *out = hand_out(auth::Auth(*h.store).resume(token));
  });
}

hq_status hq_auth_logout(hq_store* store, const char* token) {
  return guard([&] {
    auto& h = capi::handle(store, "hq_auth_logout");
    require(token, "hq_auth_logout", "token");
    std::lock_guard lock(h.mutex);
    auth::Auth(*h.store).logout(token);
  });
}

hq_status hq_actor_service(hq_actor** out, const char* name, const char* permissions_json) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_actor_service", "out");
    require(name, "hq_actor_service", "name");
    require(permissions_json, "hq_actor_service", "permissions_json");
    if (!*name) fail(ErrorCode::invalid_argument, "hq_actor_service: name is empty");
    auto permissions = json::from_string<std::vector<std::string>>(permissions_json, "permissions");
    for (const auto& p : permissions) auth::permission(p);  // names an unknown one
    *out = hand_out(auth::Actor::service(name, std::move(permissions)));
  });
}

hq_status hq_actor_describe(char** out_json, const hq_actor* actor) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_actor_describe", "out_json");
    const auto& who = capi::actor(actor, "hq_actor_describe");
    ActorInfo info{who.label(), who.user_id(), who.permissions()};
    *out_json = capi::copy_out(capi::dump(json::to_json(info)));
  });
}

void hq_actor_free(hq_actor* actor) {
  delete reinterpret_cast<capi::ActorHandle*>(actor);
}

}  // extern "C"
