// A store with the whole platform migrated, a manual clock, the three bootstrap administrators
// and helpers to make more users: what tests of audited domain services start from.
#pragma once

#include <memory>

#include "backends.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/platform.hpp"

namespace houqin::testing {

inline const Timestamp test_start = parse_timestamp("2026-03-02T08:00:00Z");
inline const std::string test_password = "Hq-test-2026";

class PlatformFixture {
 public:
  /// Opens and migrates `backend`, bootstraps sysadmin / secadmin / auditor; null when the
  /// backend is not configured (use HQ_REQUIRE_STORE).
  std::unique_ptr<store::Store> open(const std::string& backend) {
    store::StoreOptions o;
    o.clock = &clock;
    auto s = fx.open_migrated(backend, houqin::migrations(), o);
    if (!s) return s;
    auth = std::make_unique<auth::Auth>(*s, auth::test_policy());
    auth->bootstrap({"sysadmin", "System Admin", test_password},
                    {"secadmin", "Security Admin", test_password},
                    {"auditor", "Auditor", test_password});
    return s;
  }
  auth::Actor actor(const std::string& login) {
    return auth->resume(auth->login(login, test_password).token);
  }
  /// A new user holding `role` (defined with `permissions` if it does not exist yet).
  auth::Actor user_with(const std::string& login, const std::string& role,
                        const std::vector<std::string>& permissions,
                        auth::ScopeKind scope = auth::ScopeKind::global,
                        std::optional<Id> scope_id = std::nullopt) {
    auto sys = actor("sysadmin");
    auto sec = actor("secadmin");
    Id id = auth->create_user(sys, {login, login, test_password, std::nullopt, std::nullopt});
    auth->define_role(sec, role, role, permissions);
    auth->grant(sec, id, role, scope, scope_id);
    return actor(login);
  }

  ManualClock clock{test_start};
  BackendFixture fx;
  std::unique_ptr<auth::Auth> auth;
};

}  // namespace houqin::testing
