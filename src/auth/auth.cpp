#include "houqin/auth/auth.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "crypto/sodium.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::auth::detail {

/// One row that counts every committed change that can change whom a session acts as or
/// whether it still may: users, roles, grants, departments (scopes), and a session ended or
/// shortened. Database triggers keep it (auth migration 2), so no write path can forget it --
/// not the entity API, a restore, or plain SQL. Internal: not in the catalog, not backed up (a
/// restored database gets its own from the migration).
struct AuthEpoch {
  Id id = 0;
  std::int64_t version = 0;
  std::int64_t value = 0;
};
BOOST_DESCRIBE_STRUCT(AuthEpoch, (), (id, version, value))

}  // namespace houqin::auth::detail

template <>
struct houqin::entity_traits<houqin::auth::detail::AuthEpoch> {
  static constexpr std::string_view table = "auth_epoch";
  static constexpr std::string_view collection = "auth_epochs";
};

namespace houqin::auth {
namespace {

using detail::AuthEpoch;

[[maybe_unused]] const bool registered =
    store::register_tables<User, Role, RoleGrant, Session>("auth");

/// SQL that bumps the epoch whenever `table` changes (`when`: a condition on OLD and NEW rows
/// for updates, or empty).
std::vector<std::string> epoch_triggers(store::Dialect dialect, std::string_view table,
                                        bool inserts, std::string_view update_when) {
  std::vector<std::string> sql;
  const std::string t(table);
  if (dialect == store::Dialect::sqlite) {
    auto trigger = [&](std::string_view event, std::string_view when) {
      sql.push_back("CREATE TRIGGER IF NOT EXISTS " + t + "_epoch_" + std::string(event) +
                    " AFTER " + std::string(event) + " ON " + t +
                    (when.empty() ? "" : " WHEN " + std::string(when)) +
                    " BEGIN UPDATE auth_epoch SET value = value + 1 WHERE id = 1; END");
    };
    if (inserts) trigger("INSERT", "");
    trigger("UPDATE", update_when);
    trigger("DELETE", "");
    return sql;
  }
  auto trigger = [&](std::string_view name, std::string_view events, std::string_view level,
                     std::string_view when) {
    sql.push_back("DROP TRIGGER IF EXISTS " + t + "_epoch_" + std::string(name) + " ON " + t);
    sql.push_back("CREATE TRIGGER " + t + "_epoch_" + std::string(name) + " AFTER " +
                  std::string(events) + " ON " + t + " FOR EACH " + std::string(level) +
                  (when.empty() ? "" : " WHEN (" + std::string(when) + ")") +
                  " EXECUTE FUNCTION auth_epoch_bump()");
  };
  if (update_when.empty()) {
    trigger("change", inserts ? "INSERT OR UPDATE OR DELETE" : "UPDATE OR DELETE", "STATEMENT", "");
  } else {
    if (inserts) trigger("insert", "INSERT", "STATEMENT", "");
    trigger("update", "UPDATE", "ROW", update_when);
    trigger("delete", "DELETE", "STATEMENT", "");
  }
  return sql;
}

void create_epoch(store::Store& s) {
  store::create_table<AuthEpoch>(s);
  if (!store::Repository<AuthEpoch>(s).get(1))
    s.execute("INSERT INTO auth_epoch (id, version, value) VALUES (1, 1, 0)");
  const auto d = s.dialect();
  if (d == store::Dialect::postgresql)
    s.execute(
        "CREATE OR REPLACE FUNCTION auth_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE auth_epoch SET value = value + 1 WHERE id = 1; RETURN NULL; END $$");
  std::vector<std::string> sql;
  for (auto table : {"auth_user", "auth_role", "auth_grant", "site_department"})
    for (auto& q : epoch_triggers(d, table, true, "")) sql.push_back(std::move(q));
  // A session: only ending it (or moving its limit) matters; its idle clock moves every minute
  // and a new one is in no cache yet.
  for (auto& q : epoch_triggers(d, "auth_session", false,
                                "OLD.revoked <> NEW.revoked OR OLD.expires_at <> NEW.expires_at"))
    sql.push_back(std::move(q));
  for (const auto& q : sql) s.execute(q);
}

using audit::audited;
using audit::Call;
using store::Op;
using store::Query;
using store::Repository;

std::string token_digest(std::string_view token) {
  return crypto::to_hex(crypto::blake2b(token));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string minutes_text(std::chrono::minutes m) {
  return std::to_string(m.count()) + " min";
}

/// The administrator duties among permissions (operations is not one).
std::set<Duty> admin_duties(const std::vector<std::string>& perms) {
  std::set<Duty> out;
  for (const auto& p : perms) {
    auto d = permission(p).duty;
    if (d != Duty::operations) out.insert(d);
  }
  return out;
}

/// A session is last seen and expires after it was created.
void session_times(store::Store& s, std::vector<protect::Finding>& out) {
  for (const auto& x : store::Repository<Session>(s).find())
    if (x.last_seen_at < x.created_at || x.expires_at < x.created_at)
      out.push_back(
          {"time_order",
           "auth_session",
           {x.id},
           "auth_session " + std::to_string(x.id) + ": last seen or expiry before its creation"});
}

[[maybe_unused]] const bool checks_registered =
    (protect::register_check("auth.session_times", session_times), true);

std::string duties_text(const std::set<Duty>& duties) {
  std::string out;
  for (auto d : duties) out += (out.empty() ? "" : " and ") + std::string(enum_name(d));
  return out;
}

}  // namespace

void User::validate() const {
  if (login.empty() || login.size() > 64)
    fail(ErrorCode::invalid_argument, "login: 1 to 64 characters");
  for (char c : login)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-' || c == '@'))
      fail(ErrorCode::invalid_argument,
           "login: '" + login + "' may hold only letters, digits, '.', '_', '-' and '@'");
  if (display_name.empty()) fail(ErrorCode::invalid_argument, "display_name: must not be empty");
  if (failed_logins < 0) fail(ErrorCode::invalid_argument, "failed_logins: must not be negative");
}

std::vector<store::Migration> migrations() {
  return {{"auth", 1, "users, roles, grants and sessions",
           [](store::Store& s) {
             store::create_table<User>(s);
             store::create_table<Role>(s);
             store::create_table<RoleGrant>(s);
             store::create_table<Session>(s);
           }},
          {"auth", 2, "a change counter that tells cached sessions they are stale", create_epoch}};
}

Policy test_policy() {
  Policy p;
  p.hash_ops = 1;
  p.hash_memory = 8192;
  return p;
}

Auth::Auth(store::Store& store, Policy policy) : store_(store), policy_(policy) {
  if (policy_.min_password_length < 8)
    fail(ErrorCode::invalid_argument, "policy: passwords of fewer than 8 characters are too weak");
  if (policy_.max_failed_logins < 1 || policy_.lockout.count() < 1)
    fail(ErrorCode::invalid_argument, "policy: lockout needs max_failed_logins and a duration");
}

void Auth::check_password(std::string_view login, std::string_view password) const {
  if (code_points(password) < static_cast<std::size_t>(policy_.min_password_length))
    fail(ErrorCode::invalid_argument,
         "password: shorter than " + std::to_string(policy_.min_password_length) + " characters");
  bool lo = false, up = false, digit = false, other = false;
  for (char c : password) {
    if (c >= 'a' && c <= 'z')
      lo = true;
    else if (c >= 'A' && c <= 'Z')
      up = true;
    else if (c >= '0' && c <= '9')
      digit = true;
    else
      other = true;
  }
  if (lo + up + digit + other < policy_.min_character_classes)
    fail(ErrorCode::invalid_argument,
         "password: needs " + std::to_string(policy_.min_character_classes) +
             " of lower case, upper case, digits and other characters");
  if (login.size() >= 3 && lower(password).find(lower(login)) != std::string::npos)
    fail(ErrorCode::invalid_argument, "password: must not contain the login");
}

// ---- bootstrap
// -----------------------------------------------------------------------------------

void Auth::bootstrap(const BootstrapAccount& system_admin, const BootstrapAccount& security_admin,
                     const BootstrapAccount& auditor) {
  auto boot = Actor::service("bootstrap", {});
  audited(store_, boot, "auth.bootstrap", [&](Call& call) {
    if (Repository<User>(store_).count() > 0)
      fail(ErrorCode::failed_precondition, "auth.bootstrap: users exist already");
    auto now = store_.clock().now();
    const std::pair<const BootstrapAccount*, Duty> accounts[] = {
        {&system_admin, Duty::system_admin},
        {&security_admin, Duty::security_admin},
        {&auditor, Duty::audit_admin}};
    const char* role_names[] = {"system_admin", "security_admin", "auditor"};
    int i = 0;
    for (const auto& [account, duty] : accounts) {
      Role role{0,
                0,
                role_names[i++],
                "built-in: every " + std::string(enum_name(duty)) + " permission",
                {}};
      for (const auto& p : permissions())
        if (p.duty == duty) role.permissions.push_back(p.name);
      Repository<Role>(store_).insert(role);
      check_password(account->login, account->password);
      User u{0,
             0,
             account->login,
             account->display_name,
             std::nullopt,
             std::nullopt,
             crypto::password_hash(account->password, policy_.hash_ops, policy_.hash_memory),
             true,
             0,
             std::nullopt,
             now,
             true};
      Repository<User>(store_).insert(u);
      RoleGrant g{0, 0, u.id, role.id, ScopeKind::global, std::nullopt};
      Repository<RoleGrant>(store_).insert(g);
      call.record("auth_user", u.id, std::nullopt, std::nullopt,
                  "created " + u.login + " with role " + role.name);
    }
  });
}

// ---- sessions
// ------------------------------------------------------------------------------------

Login Auth::login(std::string_view login_name, std::string_view password) {
  const auto now = store_.clock().now();
  Repository<User> users(store_);
  auto fail_login = [&](std::optional<Id> user_id, const std::string& detail,
                        const std::string& message) {
    audit::append(store_, "anonymous", user_id,
                  {"auth.login",
                   "auth_user",
                   user_id,
                   audit::Outcome::failed,
                   "login '" + std::string(login_name) + "': " + detail,
                   {},
                   {}});
    fail(ErrorCode::unauthenticated, message);
  };
  auto user = users.find_one(Query<User>().where(&User::login, Op::eq, std::string(login_name)));
  if (!user) {
    // Spend the same time as a real check, so timing does not tell which logins exist.
    static const std::string dummy =
        crypto::password_hash("houqin-dummy-password", policy_.hash_ops, policy_.hash_memory);
    crypto::password_verify(dummy, password);
    fail_login(std::nullopt, "unknown login", "login failed: unknown login or wrong password");
  }
  if (!user->active) fail_login(user->id, "account disabled", "login failed: account disabled");
  if (user->locked_until && now < *user->locked_until)
    fail_login(user->id, "account locked",
               "login failed: account locked until " + format_timestamp(*user->locked_until) +
                   " after " + std::to_string(policy_.max_failed_logins) + " failed logins");

  if (!crypto::password_verify(user->password_hash, password)) {
    std::string detail;
    {
      store::Transaction tx(store_);
      user->failed_logins += 1;
      if (user->failed_logins >= policy_.max_failed_logins) {
        user->locked_until =
            now + std::chrono::duration_cast<std::chrono::microseconds>(policy_.lockout);
        user->failed_logins = 0;
        detail = "wrong password; locked until " + format_timestamp(*user->locked_until);
      } else {
        user->locked_until.reset();
        detail = "wrong password (" + std::to_string(user->failed_logins) + " of " +
                 std::to_string(policy_.max_failed_logins) + ")";
      }
      users.update(*user);
      audit::append(store_, "anonymous", user->id,
                    {"auth.login",
                     "auth_user",
                     user->id,
                     audit::Outcome::failed,
                     "login '" + user->login + "': " + detail,
                     {},
                     {}});
      tx.commit();
    }
    fail(ErrorCode::unauthenticated, "login failed: unknown login or wrong password");
  }

  store::Transaction tx(store_);
  user->failed_logins = 0;
  user->locked_until.reset();
  if (crypto::password_needs_rehash(user->password_hash, policy_.hash_ops, policy_.hash_memory))
    user->password_hash = crypto::password_hash(password, policy_.hash_ops, policy_.hash_memory);
  users.update(*user);
  Login out;
  out.token = "hqs_" + crypto::to_hex(crypto::random_bytes(32));
  Session s{0,
            0,
            token_digest(out.token),
            user->id,
            now,
            now,
            now + std::chrono::duration_cast<std::chrono::microseconds>(policy_.absolute_timeout),
            false};
  out.session_id = Repository<Session>(store_).insert(s);
  out.must_change_password =
      user->must_change_password ||
      now - user->password_changed_at >
          std::chrono::duration_cast<std::chrono::microseconds>(policy_.password_max_age);
  audit::append(store_, "user:" + user->login, user->id,
                {"auth.login", "auth_session", s.id, audit::Outcome::success, {}, {}, {}});
  tx.commit();
  return out;
}

namespace {

/// The actor a user acts as: the permissions of every role granted, with their scopes.
Actor actor_of(store::Store& store, const User& user, std::optional<Id> session_id) {
  auto grants = Repository<RoleGrant>(store).find(
      Query<RoleGrant>().where(&RoleGrant::user_id, Op::eq, user.id));
  std::multimap<Id, Id> children;  // department tree, for department scopes
  bool tree_loaded = false;
  std::vector<Actor::Holding> holdings;
  Repository<Role> roles(store);
  for (const auto& g : grants) {
    auto role = roles.get(g.role_id);
    if (!role) continue;
    std::vector<Id> ids;
    if (g.scope == ScopeKind::department && g.scope_id) {
      if (!tree_loaded) {
        for (const auto& d : Repository<site::Department>(store).find())
          if (d.parent_id) children.emplace(*d.parent_id, d.id);
        tree_loaded = true;
      }
      std::vector<Id> todo{*g.scope_id};
      std::set<Id> seen;
      while (!todo.empty()) {
        Id d = todo.back();
        todo.pop_back();
        if (!seen.insert(d).second) continue;
        ids.push_back(d);
        auto [b, e] = children.equal_range(d);
        for (auto it = b; it != e; ++it) todo.push_back(it->second);
      }
    } else if (g.scope == ScopeKind::building && g.scope_id) {
      ids.push_back(*g.scope_id);
    }
    for (const auto& p : role->permissions) holdings.push_back({p, g.scope, ids});
  }
  return Actor::user(user.id, user.login, session_id, std::move(holdings));
}

/// Sessions this connection resumed lately, by token digest, with the epoch they were read at:
/// the next request of the session reads the epoch (one row) instead of the session, the user,
/// the grants and the roles, as long as nothing that could change the answer has been committed
/// since and no write of the session is due. Per store (a connection is used by one thread at a
/// time), bounded.
struct ResumeCache {
  struct Entry {
    std::int64_t epoch = 0;
    Timestamp last_seen_at;
    Timestamp expires_at;
    Actor actor;
  };
  static constexpr std::size_t limit = 4096;
  std::unordered_map<std::string, Entry> entries;
  bool usable = false;  // the database has the counter (auth migration 2 ran)
};

/// The connection's cache; null on a database that has not been migrated to the counter yet
/// (then every resume reads, as before it existed).
ResumeCache* resume_cache(store::Store& store) {
  static const char key = 0;
  auto& slot = store.attachment(&key);
  if (!slot) {
    auto cache = std::make_shared<ResumeCache>();
    cache->usable = store.table_exists(entity_traits<AuthEpoch>::table);
    slot = cache;
  }
  auto* cache = static_cast<ResumeCache*>(slot.get());
  return cache->usable ? cache : nullptr;
}

std::int64_t auth_epoch(store::Store& store) {
  auto row = Repository<AuthEpoch>(store).get(1);
  if (!row) fail(ErrorCode::failed_precondition, "auth: the auth_epoch row is missing (migrate)");
  return row->value;
}

/// The idle timer moves in steps of a 30th of the idle limit (at most a minute): a session is
/// written once a minute at most, not on every request, and ends at most one step late.
std::chrono::microseconds idle_step(const Policy& policy) {
  return std::min<std::chrono::microseconds>(
      std::chrono::duration_cast<std::chrono::microseconds>(policy.idle_timeout) / 30,
      std::chrono::minutes(1));
}

/// The remembered actor when it is still the answer (a stale entry is dropped).
std::optional<Actor> cached(store::Store& store, ResumeCache& cache, const std::string& digest,
                            Timestamp now, std::chrono::microseconds step) {
  auto it = cache.entries.find(digest);
  if (it == cache.entries.end()) return std::nullopt;
  const auto& e = it->second;
  if (now < e.expires_at && now >= e.last_seen_at && now - e.last_seen_at < step &&
      e.epoch == auth_epoch(store))
    return e.actor;
  cache.entries.erase(it);
  return std::nullopt;
}

}  // namespace

std::optional<Actor> Auth::resume_cached(std::string_view token) {
  auto* cache = resume_cache(store_);
  if (!cache) return std::nullopt;
  return cached(store_, *cache, token_digest(token), store_.clock().now(), idle_step(policy_));
}

Actor Auth::resume(std::string_view token) {
  const auto now = store_.clock().now();
  const auto digest = token_digest(token);
  const auto step = idle_step(policy_);
  // Only outside a transaction: inside one, the epoch could count a change that is rolled back.
  auto* cache = store_.transaction_depth() == 0 ? resume_cache(store_) : nullptr;
  if (cache)
    if (auto actor = cached(store_, *cache, digest, now, step)) return std::move(*actor);
  Repository<Session> sessions(store_);
  // Every request resumes its session: the reads (session, user, grants, roles) share one read
  // transaction, one snapshot and one lock, not one each; a write, when one is due, comes after.
  store::Transaction reading(store_, store::Transaction::read_only);
  const std::int64_t epoch = cache ? auth_epoch(store_) : 0;
  auto s = sessions.find_one(Query<Session>().where(&Session::token_digest, Op::eq, digest));
  if (!s || s->revoked) fail(ErrorCode::unauthenticated, "session unknown or ended");
  std::string expired;
  if (now >= s->expires_at)
    expired = "session expired: the absolute limit of " +
              std::to_string(policy_.absolute_timeout.count()) + " h is reached";
  else if (now - s->last_seen_at >
           std::chrono::duration_cast<std::chrono::microseconds>(policy_.idle_timeout))
    expired = "session expired after " + minutes_text(policy_.idle_timeout) + " idle";
  auto user = Repository<User>(store_).get(s->user_id);
  if (expired.empty() && (!user || !user->active)) expired = "session ended: account disabled";
  std::optional<Actor> actor;
  if (expired.empty()) actor = actor_of(store_, *user, s->id);
  reading.commit();
  // Requests of one session run side by side (a page's parallel fetches, a system's pool of
  // connections): when two of them write the session at once, the second one's version check
  // fails, and its change is the one the first already made, so the conflict is not an error.
  auto write = [&](auto&& change) {
    try {
      store::Transaction tx(store_);
      change();
      tx.commit();
      return true;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict) throw;
      return false;
    }
  };
  if (!expired.empty()) {
    write([&] {
      s->revoked = true;
      sessions.update(*s);
      audit::append(
          store_, user ? "user:" + user->login : "anonymous", s->user_id,
          {"auth.session_end", "auth_session", s->id, audit::Outcome::success, expired, {}, {}});
    });
    fail(ErrorCode::unauthenticated, expired);
  }
  bool seen_now = now - s->last_seen_at < step;
  if (!seen_now)  // false when another request of the session wrote it first: not cached then
    seen_now = write([&] {
      s->last_seen_at = now;
      sessions.update(*s);
    });
  if (cache && seen_now) {
    if (cache->entries.size() >= ResumeCache::limit) cache->entries.clear();
    cache->entries.insert_or_assign(
        digest, ResumeCache::Entry{epoch, s->last_seen_at, s->expires_at, *actor});
  }
  return std::move(*actor);
}

void Auth::logout(std::string_view token) {
  Repository<Session> sessions(store_);
  auto s = sessions.find_one(
      Query<Session>().where(&Session::token_digest, Op::eq, token_digest(token)));
  if (!s || s->revoked) return;
  store::Transaction tx(store_);
  s->revoked = true;
  sessions.update(*s);
  auto user = Repository<User>(store_).get(s->user_id);
  audit::append(store_, user ? "user:" + user->login : "anonymous", s->user_id,
                {"auth.logout", "auth_session", s->id, audit::Outcome::success, {}, {}, {}});
  tx.commit();
}

// ---- accounts
// ------------------------------------------------------------------------------------

namespace {

json::Json view_json(const User& u) {
  return json::Json{
      {"id", u.id},
      {"login", u.login},
      {"display_name", u.display_name},
      {"active", u.active},
      {"department_id", u.department_id ? json::Json(*u.department_id) : json::Json()},
      {"locked", u.locked_until.has_value()},
      {"must_change_password", u.must_change_password}};
}

auth::Scope user_scope(const User& u) {
  return Scope{u.department_id, std::nullopt};
}

}  // namespace

Id Auth::create_user(const Actor& actor, const NewUser& nu) {
  return audited(store_, actor, "auth.create_user", [&](Call& call) {
    call.target("auth_user", std::nullopt);
    call.require("auth.manage_users", Scope{nu.department_id, std::nullopt});
    User u{0,  0,    nu.login, nu.display_name, nu.staff_id,          nu.department_id,
           {}, true, 0,        std::nullopt,    store_.clock().now(), true};
    u.validate();
    check_password(nu.login, nu.password);
    u.password_hash = crypto::password_hash(nu.password, policy_.hash_ops, policy_.hash_memory);
    Repository<User>(store_).insert(u);
    call.record("auth_user", u.id, std::nullopt, view_json(u));
    return u.id;
  });
}

void Auth::reset_password(const Actor& actor, Id user_id, std::string_view password) {
  audited(store_, actor, "auth.reset_password", [&](Call& call) {
    call.target("auth_user", user_id);
    Repository<User> users(store_);
    auto u = users.require(user_id);
    call.require("auth.manage_users", user_scope(u));
    check_password(u.login, password);
    u.password_hash = crypto::password_hash(password, policy_.hash_ops, policy_.hash_memory);
    u.password_changed_at = store_.clock().now();
    u.must_change_password = true;
    users.update(u);
    call.record("auth_user", u.id, std::nullopt, view_json(u));
  });
}

void Auth::unlock(const Actor& actor, Id user_id) {
  audited(store_, actor, "auth.unlock", [&](Call& call) {
    call.target("auth_user", user_id);
    Repository<User> users(store_);
    auto u = users.require(user_id);
    call.require("auth.manage_users", user_scope(u));
    auto before = view_json(u);
    u.locked_until.reset();
    u.failed_logins = 0;
    users.update(u);
    call.record("auth_user", u.id, before, view_json(u));
  });
}

void Auth::set_active(const Actor& actor, Id user_id, bool active) {
  audited(store_, actor, active ? "auth.activate" : "auth.deactivate", [&](Call& call) {
    call.target("auth_user", user_id);
    Repository<User> users(store_);
    auto u = users.require(user_id);
    call.require("auth.manage_users", user_scope(u));
    auto before = view_json(u);
    u.active = active;
    users.update(u);
    if (!active) {  // end the sessions of a disabled account now, not at their expiry
      Repository<Session> sessions(store_);
      for (auto& s : sessions.find(Query<Session>()
                                       .where(&Session::user_id, Op::eq, user_id)
                                       .where(&Session::revoked, Op::eq, false))) {
        s.revoked = true;
        sessions.update(s);
      }
    }
    call.record("auth_user", u.id, before, view_json(u));
  });
}

void Auth::change_password(const Actor& actor, std::string_view old_password,
                           std::string_view new_password) {
  audited(store_, actor, "auth.change_password", [&](Call& call) {
    if (!actor.user_id())
      fail(ErrorCode::failed_precondition, actor.label() + " is not a user account");
    call.target("auth_user", actor.user_id());
    Repository<User> users(store_);
    auto u = users.require(*actor.user_id());
    if (!crypto::password_verify(u.password_hash, old_password))
      fail(ErrorCode::unauthenticated, "change password: the old password is wrong");
    if (old_password == new_password)
      fail(ErrorCode::invalid_argument, "password: must differ from the old one");
    check_password(u.login, new_password);
    u.password_hash = crypto::password_hash(new_password, policy_.hash_ops, policy_.hash_memory);
    u.password_changed_at = store_.clock().now();
    u.must_change_password = false;
    users.update(u);
    call.record("auth_user", u.id);
  });
}

std::vector<UserView> Auth::users(const Actor& actor) {
  return audited(store_, actor, "auth.list_users", [&](Call& call) {
    call.quiet();
    if (!actor.can("auth.manage_users") && !actor.can("auth.manage_roles"))
      actor.require("auth.manage_users");
    std::map<Id, std::string> role_names;
    for (const auto& r : Repository<Role>(store_).find()) role_names[r.id] = r.name;
    std::multimap<Id, std::string> roles_of;
    for (const auto& g : Repository<RoleGrant>(store_).find())
      roles_of.emplace(g.user_id, role_names[g.role_id]);
    const auto now = store_.clock().now();
    std::vector<UserView> out;
    for (const auto& u : Repository<User>(store_).find(Query<User>().order_by(&User::login))) {
      UserView v{u.id,
                 u.login,
                 u.display_name,
                 u.staff_id,
                 u.department_id,
                 u.active,
                 u.locked_until && now < *u.locked_until,
                 u.locked_until,
                 {}};
      auto [b, e] = roles_of.equal_range(u.id);
      for (auto it = b; it != e; ++it) v.roles.push_back(it->second);
      std::sort(v.roles.begin(), v.roles.end());
      out.push_back(std::move(v));
    }
    return out;
  });
}

// ---- roles
// ---------------------------------------------------------------------------------------

Id Auth::define_role(const Actor& actor, std::string_view name, std::string_view description,
                     const std::vector<std::string>& perms) {
  return audited(store_, actor, "auth.define_role", [&](Call& call) {
    call.target("auth_role", std::nullopt);
    call.require("auth.manage_roles");
    if (name.empty()) fail(ErrorCode::invalid_argument, "role name: must not be empty");
    std::vector<std::string> sorted(perms);
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    auto duties = admin_duties(sorted);  // throws naming an unknown permission
    if (duties.size() > 1)
      fail(ErrorCode::invalid_argument,
           "role '" + std::string(name) + "' mixes administrator duties: " + duties_text(duties));
    Repository<Role> roles(store_);
    auto role = roles.find_one(Query<Role>().where(&Role::name, Op::eq, std::string(name)));
    std::optional<json::Json> before;
    if (role) {
      before = json::to_json(*role);
      role->description = std::string(description);
      role->permissions = sorted;
      // Redefining must not give anyone holding the role a second duty.
      for (const auto& g : Repository<RoleGrant>(store_).find(
               Query<RoleGrant>().where(&RoleGrant::role_id, Op::eq, role->id))) {
        std::vector<std::string> all(sorted);
        for (const auto& other : Repository<RoleGrant>(store_).find(
                 Query<RoleGrant>().where(&RoleGrant::user_id, Op::eq, g.user_id)))
          if (other.role_id != role->id)
            for (const auto& p : roles.require(other.role_id).permissions) all.push_back(p);
        auto d = admin_duties(all);
        if (d.size() > 1)
          fail(ErrorCode::failed_precondition,
               "role '" + std::string(name) + "': user " + std::to_string(g.user_id) +
                   " would hold administrator duties " + duties_text(d));
      }
      roles.update(*role);
    } else {
      role = Role{0, 0, std::string(name), std::string(description), sorted};
      roles.insert(*role);
    }
    call.record("auth_role", role->id, before, json::to_json(*role));
    return role->id;
  });
}

Id Auth::grant(const Actor& actor, Id user_id, std::string_view role_name, ScopeKind scope,
               std::optional<Id> scope_id) {
  return audited(store_, actor, "auth.grant", [&](Call& call) {
    call.target("auth_user", user_id);
    Scope target;
    if (scope == ScopeKind::department) target.department_id = scope_id;
    if (scope == ScopeKind::building) target.building_id = scope_id;
    call.require("auth.manage_roles", target);
    auto user = Repository<User>(store_).require(user_id);
    if (actor.user_id() == user_id)
      fail(ErrorCode::failed_precondition, actor.label() + " cannot grant roles to itself");
    Repository<Role> roles(store_);
    auto role = roles.find_one(Query<Role>().where(&Role::name, Op::eq, std::string(role_name)));
    if (!role) fail(ErrorCode::not_found, "role '" + std::string(role_name) + "': not found");
    if ((scope == ScopeKind::global) != !scope_id)
      fail(ErrorCode::invalid_argument,
           scope == ScopeKind::global
               ? "scope_id: a global grant has no scope id"
               : "scope_id: a " + std::string(enum_name(scope)) + " grant needs one");
    if (scope == ScopeKind::department) Repository<site::Department>(store_).require(*scope_id);
    if (scope == ScopeKind::building) Repository<site::Building>(store_).require(*scope_id);
    Repository<RoleGrant> grants(store_);
    std::vector<std::string> all(role->permissions);
    for (const auto& g :
         grants.find(Query<RoleGrant>().where(&RoleGrant::user_id, Op::eq, user_id))) {
      if (g.role_id == role->id && g.scope == scope && g.scope_id == scope_id)
        fail(ErrorCode::already_exists,
             user.login + " holds role '" + role->name + "' in this scope already");
      for (const auto& p : roles.require(g.role_id).permissions) all.push_back(p);
    }
    auto duties = admin_duties(all);
    if (duties.size() > 1)
      fail(ErrorCode::failed_precondition, "granting '" + role->name + "' would give " +
                                               user.login +
                                               " two administrator duties: " + duties_text(duties));
    RoleGrant g{0, 0, user_id, role->id, scope, scope_id};
    grants.insert(g);
    call.record("auth_grant", g.id, std::nullopt, json::to_json(g));
    return g.id;
  });
}

void Auth::revoke(const Actor& actor, Id grant_id) {
  audited(store_, actor, "auth.revoke", [&](Call& call) {
    call.target("auth_grant", grant_id);
    Repository<RoleGrant> grants(store_);
    auto g = grants.require(grant_id);
    Scope target;
    if (g.scope == ScopeKind::department) target.department_id = g.scope_id;
    if (g.scope == ScopeKind::building) target.building_id = g.scope_id;
    call.require("auth.manage_roles", target);
    grants.remove(grant_id);
    call.record("auth_grant", grant_id, json::to_json(g), std::nullopt);
  });
}

}  // namespace houqin::auth
