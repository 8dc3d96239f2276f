// Accounts, passwords, sessions and roles (系统与权限管理). Passwords are Argon2id hashes
// (libsodium crypto_pwhash); failed logins lock an account for a while; sessions are random
// opaque tokens of which only a BLAKE2b digest is stored, with idle and absolute expiry. Roles are
// sets of permissions; grants give a role to a user globally or for departments or a building.
// Every change is authorised and audited; logins, failed or not, are audited too.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::auth {

struct User {
  Id id = 0;
  std::int64_t version = 0;
  std::string login;  // unique, e.g. employee number or "zhangsan"
  std::string display_name;
  std::optional<Id> staff_id;
  std::optional<Id> department_id;
  std::string password_hash;  // Argon2id, encoded with salt and cost
  bool active = true;
  int failed_logins = 0;
  std::optional<Timestamp> locked_until;
  Timestamp password_changed_at;
  bool must_change_password = false;
  HOUQIN_EXPORT void validate() const;
};

struct Role {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;  // unique
  std::string description;
  std::vector<std::string> permissions;
};

struct RoleGrant {
  Id id = 0;
  std::int64_t version = 0;
  Id user_id = 0;
  Id role_id = 0;
  ScopeKind scope = ScopeKind::global;
  std::optional<Id> scope_id;  // a department (with its sub-departments) or a building
};

struct Session {
  Id id = 0;
  std::int64_t version = 0;
  std::string token_digest;  // BLAKE2b of the token; the token itself is never stored
  Id user_id = 0;
  Timestamp created_at;
  Timestamp last_seen_at;
  Timestamp expires_at;  // the absolute limit
  bool revoked = false;
};

BOOST_DESCRIBE_STRUCT(User, (),
                      (id, version, login, display_name, staff_id, department_id, password_hash,
                       active, failed_logins, locked_until, password_changed_at,
                       must_change_password))
BOOST_DESCRIBE_STRUCT(Role, (), (id, version, name, description, permissions))
BOOST_DESCRIBE_STRUCT(RoleGrant, (), (id, version, user_id, role_id, scope, scope_id))
BOOST_DESCRIBE_STRUCT(Session, (),
                      (id, version, token_digest, user_id, created_at, last_seen_at, expires_at,
                       revoked))

/// auth tables (domain "auth"); needs site and audit migrated first.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

struct Policy {
  // password rules
  int min_password_length = 8;
  int min_character_classes = 3;  // of lower, upper, digit, other
  std::chrono::days password_max_age{90};
  // lockout
  int max_failed_logins = 5;
  std::chrono::minutes lockout{30};
  // sessions
  std::chrono::minutes idle_timeout{30};
  std::chrono::hours absolute_timeout{12};
  // Argon2id cost: libsodium's "interactive" level (64 MiB) by default
  unsigned long long hash_ops = 2;
  std::size_t hash_memory = 64u << 20;
};
BOOST_DESCRIBE_STRUCT(Policy, (),
                      (min_password_length, min_character_classes, password_max_age,
                       max_failed_logins, lockout, idle_timeout, absolute_timeout, hash_ops,
                       hash_memory))

/// The cheapest Argon2id cost libsodium allows: for tests only.
HOUQIN_EXPORT Policy test_policy();

struct NewUser {
  std::string login;
  std::string display_name;
  std::string password;
  std::optional<Id> staff_id;
  std::optional<Id> department_id;
  static constexpr std::array<std::string_view, 3> required_fields{"login", "display_name",
                                                                   "password"};
};
BOOST_DESCRIBE_STRUCT(NewUser, (), (login, display_name, password, staff_id, department_id))

/// A user as others may see it: no password hash.
struct UserView {
  Id id = 0;
  std::string login;
  std::string display_name;
  std::optional<Id> staff_id;
  std::optional<Id> department_id;
  bool active = true;
  bool locked = false;
  std::optional<Timestamp> locked_until;
  std::vector<std::string> roles;
};
BOOST_DESCRIBE_STRUCT(UserView, (),
                      (id, login, display_name, staff_id, department_id, active, locked,
                       locked_until, roles))

struct Login {
  std::string token;  // hand back to resume(); shown once, never stored
  Id session_id = 0;
  bool must_change_password = false;
};

struct BootstrapAccount {
  std::string login;
  std::string display_name;
  std::string password;
};
BOOST_DESCRIBE_STRUCT(BootstrapAccount, (), (login, display_name, password))

class HOUQIN_EXPORT Auth {
 public:
  explicit Auth(store::Store& store, Policy policy = {});

  /// First start: creates the built-in roles system_admin, security_admin and auditor (each all
  /// permissions of its duty) and one account for each. Error(failed_precondition) once any
  /// user exists.
  void bootstrap(const BootstrapAccount& system_admin, const BootstrapAccount& security_admin,
                 const BootstrapAccount& auditor);

  /// Checks the password and opens a session. Error(unauthenticated) for an unknown login, a
  /// wrong password, a locked or disabled account; the Nth failure in a row locks the account
  /// for Policy::lockout. Every attempt is audited.
  Login login(std::string_view login, std::string_view password);
  /// The actor of a live session; refreshes its idle timer. Error(unauthenticated) when the
  /// token is unknown, revoked, idle too long or past its absolute limit.
  /// A connection remembers the sessions it resumed lately (bounded); while nothing that could
  /// change the answer has been committed since -- a user, role, grant or department changed, a
  /// session ended, a change counter kept by database triggers says -- and no write of the
  /// session is due, resuming one reads that counter, not the session, the user and the grants.
  Actor resume(std::string_view token);
  /// resume() when its answer is remembered and still true; nullopt when resume() must read (or
  /// write). Never writes, so it may run in a read transaction the caller opened and has not
  /// written in: one snapshot for the check and the read the caller makes with the actor.
  std::optional<Actor> resume_cached(std::string_view token);
  void logout(std::string_view token);

  // ---- accounts (auth.manage_users) ----
  Id create_user(const Actor& actor, const NewUser& user);
  /// Sets a new password that the user must change at next login.
  void reset_password(const Actor& actor, Id user_id, std::string_view password);
  void unlock(const Actor& actor, Id user_id);
  void set_active(const Actor& actor, Id user_id, bool active);
  /// The user's own change; checks the old password.
  void change_password(const Actor& actor, std::string_view old_password,
                       std::string_view new_password);
  std::vector<UserView> users(const Actor& actor);

  // ---- roles (auth.manage_roles) ----
  /// Defines or redefines a role. Error(invalid_argument) for an unknown permission or one that
  /// mixes administrator duties.
  Id define_role(const Actor& actor, std::string_view name, std::string_view description,
                 const std::vector<std::string>& permissions);
  /// Grants a role. Error(failed_precondition) when it would give one person two administrator
  /// duties, or when an actor grants to itself.
  Id grant(const Actor& actor, Id user_id, std::string_view role,
           ScopeKind scope = ScopeKind::global, std::optional<Id> scope_id = std::nullopt);
  void revoke(const Actor& actor, Id grant_id);

  /// Throws Error(invalid_argument) naming the first rule a password breaks.
  void check_password(std::string_view login, std::string_view password) const;
  const Policy& policy() const noexcept { return policy_; }

 private:
  store::Store& store_;
  Policy policy_;
};

}  // namespace houqin::auth

template <>
struct houqin::entity_traits<houqin::auth::User> {
  static constexpr std::string_view table = "auth_user";
  static constexpr std::string_view collection = "users";
  static constexpr std::array<std::string_view, 1> unique{"login"};
  static constexpr auto references = std::tuple{ref<site::Staff>(&auth::User::staff_id),
                                                ref<site::Department>(&auth::User::department_id)};
};
template <>
struct houqin::entity_traits<houqin::auth::Role> {
  static constexpr std::string_view table = "auth_role";
  static constexpr std::string_view collection = "roles";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};
template <>
struct houqin::entity_traits<houqin::auth::RoleGrant> {
  static constexpr std::string_view table = "auth_grant";
  static constexpr std::string_view collection = "grants";
  static constexpr std::array<std::string_view, 1> unique{"user_id,role_id,scope,scope_id"};
  static constexpr auto references = std::tuple{ref<auth::User>(&auth::RoleGrant::user_id),
                                                ref<auth::Role>(&auth::RoleGrant::role_id)};
};
template <>
struct houqin::entity_traits<houqin::auth::Session> {
  static constexpr std::string_view table = "auth_session";
  static constexpr std::string_view collection = "sessions";
  static constexpr std::array<std::string_view, 1> unique{"token_digest"};
  static constexpr auto references = std::tuple{ref<auth::User>(&auth::Session::user_id)};
};

// Instantiated once, in libhouqin (src/auth/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::auth::User)
HOUQIN_EXTERN_ENTITY(houqin::auth::Role)
HOUQIN_EXTERN_ENTITY(houqin::auth::RoleGrant)
HOUQIN_EXTERN_ENTITY(houqin::auth::Session)
