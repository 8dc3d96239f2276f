// Accounts, sessions, lockout, password rules, separated administrator duties, scoped grants and
// the permission matrix, on every backend, with the manual clock.
#include "houqin/auth/auth.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using auth::Actor;
using auth::ScopeKind;
using std::chrono::hours;
using std::chrono::minutes;
using store::Repository;
using testing::expect_error;
using testing::test_password;

class AuthTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::vector<audit::Record> audit_log(store::Store& s) {
    return Repository<audit::Record>(s).find(
        store::Query<audit::Record>().order_by(&audit::Record::seq));
  }
  Id user_id(store::Store& s, const std::string& login) {
    return Repository<auth::User>(s)
        .find_one(store::Query<auth::User>().where(&auth::User::login, store::Op::eq, login))
        ->id;
  }
};

TEST_P(AuthTest, BootstrapMakesThreeSeparatedAdministratorsOnce) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  auto aud = pf.actor("auditor");
  EXPECT_TRUE(sys.can("auth.manage_users"));
  EXPECT_FALSE(sys.can("audit.read"));
  EXPECT_FALSE(sys.can("auth.manage_roles"));
  EXPECT_TRUE(sec.can("auth.manage_roles"));
  EXPECT_FALSE(sec.can("auth.manage_users"));
  EXPECT_TRUE(aud.can("audit.read"));
  EXPECT_FALSE(aud.can("auth.manage_users"));
  EXPECT_FALSE(aud.can("repair.dispatch"));
  expect_error(
      [&] {
        pf.auth->bootstrap({"x", "x", test_password}, {"y", "y", test_password},
                           {"z", "z", test_password});
      },
      ErrorCode::failed_precondition, "auth.bootstrap: users exist already");
  EXPECT_EQ(audit_log(*s).back().outcome, audit::Outcome::failed);
  EXPECT_EQ(audit_log(*s).back().action, "auth.bootstrap");
}

TEST_P(AuthTest, SessionTokensAreOpaqueAndOnlyTheirDigestIsStored) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto login = pf.auth->login("sysadmin", test_password);
  EXPECT_EQ(login.token.size(), 68u);
  EXPECT_TRUE(login.must_change_password) << "bootstrap passwords must be changed";
  for (const auto& session : Repository<auth::Session>(*s).find())
    EXPECT_EQ(login.token.find(session.token_digest), std::string::npos);
  auto actor = pf.auth->resume(login.token);
  EXPECT_EQ(actor.label(), "user:sysadmin");
  EXPECT_EQ(actor.session_id(), login.session_id);
  pf.auth->logout(login.token);
  expect_error([&] { pf.auth->resume(login.token); }, ErrorCode::unauthenticated,
               "session unknown or ended");
  expect_error([&] { pf.auth->resume("hqs_forged"); }, ErrorCode::unauthenticated,
               "session unknown or ended");
  auto log = audit_log(*s);
  EXPECT_EQ(log.back().action, "auth.logout");
}

TEST_P(AuthTest, WrongPasswordsLockTheAccountUntilTheLockoutEnds) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  for (int i = 1; i <= 4; ++i)
    expect_error([&] { pf.auth->login("auditor", "wrong"); }, ErrorCode::unauthenticated,
                 "login failed: unknown login or wrong password");
  auto u = Repository<auth::User>(*s).require(user_id(*s, "auditor"));
  EXPECT_EQ(u.failed_logins, 4) << "failures persist although login threw";
  expect_error([&] { pf.auth->login("auditor", "wrong"); }, ErrorCode::unauthenticated,
               "login failed: unknown login");
  // Now even the right password is refused, naming when the lock ends.
  expect_error([&] { pf.auth->login("auditor", test_password); }, ErrorCode::unauthenticated,
               "login failed: account locked until 2026-03-02T08:30:00");
  pf.clock.advance(minutes(29));
  expect_error([&] { pf.auth->login("auditor", test_password); }, ErrorCode::unauthenticated,
               "login failed: account locked");
  pf.clock.advance(minutes(2));
  EXPECT_NO_THROW(pf.auth->login("auditor", test_password)) << "released after 30 min";

  // Unknown logins fail the same way and are audited with what really happened.
  expect_error([&] { pf.auth->login("nobody", "x"); }, ErrorCode::unauthenticated,
               "login failed: unknown login or wrong password");
  auto log = audit_log(*s);
  EXPECT_EQ(log.back().detail, "login 'nobody': unknown login");
  EXPECT_EQ(log.back().actor, "anonymous");

  // An administrator can unlock early.
  for (int i = 0; i < 5; ++i) EXPECT_THROW(pf.auth->login("secadmin", "wrong"), Error);
  pf.auth->unlock(pf.actor("sysadmin"), user_id(*s, "secadmin"));
  EXPECT_NO_THROW(pf.auth->login("secadmin", test_password));
}

TEST_P(AuthTest, SessionsExpireWhenIdleAndAtTheirAbsoluteLimit) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto idle = pf.auth->login("sysadmin", test_password).token;
  pf.clock.advance(minutes(29));
  EXPECT_NO_THROW(pf.auth->resume(idle));
  pf.clock.advance(minutes(31));
  expect_error([&] { pf.auth->resume(idle); }, ErrorCode::unauthenticated,
               "session expired after 30 min idle");
  expect_error([&] { pf.auth->resume(idle); }, ErrorCode::unauthenticated,
               "session unknown or ended");

  auto busy = pf.auth->login("sysadmin", test_password).token;
  for (int i = 0; i < 35; ++i) {  // 35 x 20 min = 11 h 40 min of steady use
    pf.clock.advance(minutes(20));
    ASSERT_NO_THROW(pf.auth->resume(busy)) << i;
  }
  pf.clock.advance(minutes(20));
  expect_error([&] { pf.auth->resume(busy); }, ErrorCode::unauthenticated,
               "session expired: the absolute limit of 12 h is reached");
}

TEST_P(AuthTest, TheIdleTimerMovesInStepsAndConcurrentResumesNeverConflict) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto token = pf.auth->login("sysadmin", test_password).token;
  auto version = [&] {
    return Repository<auth::Session>(*s).find(store::Query<auth::Session>()).back().version;
  };
  pf.auth->resume(token);
  auto v0 = version();
  pf.clock.advance(std::chrono::seconds(30));
  pf.auth->resume(token);
  EXPECT_EQ(version(), v0) << "within a step (a minute for a 30 min limit) nothing is written";
  pf.clock.advance(std::chrono::seconds(31));
  pf.auth->resume(token);
  EXPECT_EQ(version(), v0 + 1) << "a step later the idle timer moves";

  if (GetParam() == "sqlite_memory") return;  // one connection: nothing runs side by side
  // Two connections resume the same session at the same moments, each step due: whichever
  // writes second finds the version moved. That is not an error (the timer moved either way).
  store::StoreOptions o;
  o.clock = &pf.clock;
  o.keys = testing::test_keyring();
  auto other = store::Store::open(pf.fx.url(), o);
  auth::Auth a1(*s, auth::test_policy()), a2(*other, auth::test_policy());
  std::atomic<int> failures{0};
  std::string failure;
  std::mutex m;
  for (int round = 0; round < 40; ++round) {
    pf.clock.advance(std::chrono::seconds(61));
    auto resume = [&](auth::Auth& a) {
      try {
        a.resume(token);
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        ++failures;
        failure = e.what();
      }
    };
    std::thread t1([&] { resume(a1); });
    std::thread t2([&] { resume(a2); });
    t1.join();
    t2.join();
  }
  EXPECT_EQ(failures.load(), 0) << failure;
}

TEST_P(AuthTest, ARememberedSessionSeesEveryChangeCommittedElsewhereAtOnce) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  pf.user_with("tech", "techs", {"repair.report"});
  auto token = pf.auth->login("tech", test_password).token;
  // Changes come from another connection (one for the in-memory database), by whatever path.
  std::unique_ptr<store::Store> other;
  if (GetParam() != "sqlite_memory") {
    store::StoreOptions o;
    o.clock = &pf.clock;
    o.keys = testing::test_keyring();
    other = store::Store::open(pf.fx.url(), o);
  }
  store::Store& w = other ? *other : *s;
  auth::Auth a(*s, auth::test_policy());
  EXPECT_FALSE(a.resume_cached(token)) << "not resumed on this connection yet";
  EXPECT_TRUE(a.resume(token).can("repair.report"));
  ASSERT_TRUE(a.resume_cached(token));
  EXPECT_TRUE(a.resume_cached(token)->can("repair.report"));

  Repository<auth::Role> roles(w);
  auto role =
      roles.find_one(store::Query<auth::Role>().where(&auth::Role::name, store::Op::eq, "techs"));
  ASSERT_TRUE(role);
  role->permissions = {"repair.dispatch"};
  roles.update(*role);
  EXPECT_FALSE(a.resume_cached(token)) << "a role changed";
  EXPECT_TRUE(a.resume(token).can("repair.dispatch"));
  EXPECT_FALSE(a.resume(token).can("repair.report"));

  // A write inside a transaction that is rolled back never reaches the remembered answer,
  // even when the counter later reaches the value it had inside.
  {
    store::Transaction tx(*s);
    Repository<auth::Role> mine(*s);
    auto r = mine.get(role->id);
    r->permissions = {};
    mine.update(*r);
    EXPECT_FALSE(a.resume(token).can("repair.dispatch")) << "inside: its own change";
  }
  EXPECT_TRUE(a.resume_cached(token)) << "the rollback changed nothing";
  site::Department ward;
  ward.code = "W1";
  ward.name = "Ward 1";
  Repository<site::Department>(w).insert(ward);
  EXPECT_FALSE(a.resume_cached(token)) << "a department was added";
  EXPECT_TRUE(a.resume(token).can("repair.dispatch"));
  EXPECT_TRUE(a.resume_cached(token));
  w.execute("UPDATE site_department SET name = 'Ward one'");  // plain SQL counts too
  EXPECT_FALSE(a.resume_cached(token)) << "a department changed";
  EXPECT_TRUE(a.resume(token).can("repair.dispatch"));

  // The idle timer's write does not make the answer stale; time alone does.
  pf.clock.advance(std::chrono::seconds(61));
  EXPECT_FALSE(a.resume_cached(token)) << "a write of the session is due";
  a.resume(token);
  EXPECT_TRUE(a.resume_cached(token)) << "the session's own idle timer changed nothing";

  auto tech = user_id(w, "tech");
  w.execute("UPDATE auth_user SET active = 0 WHERE id = " + std::to_string(tech));
  EXPECT_FALSE(a.resume_cached(token)) << "the account was disabled";
  expect_error([&] { a.resume(token); }, ErrorCode::unauthenticated,
               "session ended: account disabled");

  auto sys_token = pf.auth->login("sysadmin", test_password).token;
  a.resume(sys_token);
  ASSERT_TRUE(a.resume_cached(sys_token));
  auth::Auth(w, auth::test_policy()).logout(sys_token);
  EXPECT_FALSE(a.resume_cached(sys_token)) << "the session ended elsewhere";
  expect_error([&] { a.resume(sys_token); }, ErrorCode::unauthenticated,
               "session unknown or ended");
}

TEST_P(AuthTest, ADatabaseWithoutTheChangeCounterResumesByReadingAsBefore) {
  store::StoreOptions o;
  o.clock = &pf.clock;
  auto s = pf.fx.open(GetParam(), o);
  HQ_REQUIRE_STORE(s);
  auto all = houqin::migrations();
  std::erase_if(all, [](const store::Migration& m) { return m.domain == "auth" && m.version > 1; });
  store::migrate(*s, all);
  ASSERT_FALSE(s->table_exists("auth_epoch"));
  auth::Auth a(*s, auth::test_policy());
  a.bootstrap({"sysadmin", "S", test_password}, {"secadmin", "S", test_password},
              {"auditor", "A", test_password});
  auto token = a.login("sysadmin", test_password).token;
  EXPECT_EQ(a.resume(token).label(), "user:sysadmin");
  EXPECT_EQ(a.resume(token).label(), "user:sysadmin");
  EXPECT_FALSE(a.resume_cached(token)) << "nothing is remembered without the counter";
  a.logout(token);
  expect_error([&] { a.resume(token); }, ErrorCode::unauthenticated, "session unknown or ended");
}

TEST_P(AuthTest, PasswordRulesNameTheRuleBroken) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto sys = pf.actor("sysadmin");
  auto make = [&](const std::string& login, const std::string& pw) {
    return pf.auth->create_user(sys, {login, "Someone", pw, std::nullopt, std::nullopt});
  };
  auto users_before = Repository<auth::User>(*s).count();
  expect_error([&] { make("wangwu", "Ab1!"); }, ErrorCode::invalid_argument,
               "password: shorter than 8 characters");
  expect_error([&] { make("wangwu", "abcdefgh1"); }, ErrorCode::invalid_argument,
               "password: needs 3 of lower case, upper case, digits and other characters");
  expect_error([&] { make("wangwu", "Wangwu-2026"); }, ErrorCode::invalid_argument,
               "password: must not contain the login");
  expect_error([&] { make("bad login", "Good-pass-1"); }, ErrorCode::invalid_argument,
               "login: 'bad login' may hold only");
  EXPECT_EQ(Repository<auth::User>(*s).count(), users_before);
  make("wangwu", "Good-pass-1");
  expect_error([&] { make("wangwu", "Good-pass-1"); }, ErrorCode::already_exists, "auth_user");
  // The user changes the password an administrator set.
  auto w = pf.auth->resume(pf.auth->login("wangwu", "Good-pass-1").token);
  expect_error([&] { pf.auth->change_password(w, "wrong", "Better-pass-2"); },
               ErrorCode::unauthenticated, "change password: the old password is wrong");
  pf.auth->change_password(w, "Good-pass-1", "Better-pass-2");
  EXPECT_FALSE(pf.auth->login("wangwu", "Better-pass-2").must_change_password);
  // ... and after 90 days must change it again.
  pf.clock.advance(hours(24 * 91));
  EXPECT_TRUE(pf.auth->login("wangwu", "Better-pass-2").must_change_password);
}

TEST_P(AuthTest, AdministratorDutiesStaySeparated) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  Id id = pf.auth->create_user(sys, {"zhaoliu", "Zhao", test_password, std::nullopt, std::nullopt});
  pf.auth->grant(sec, id, "system_admin");
  expect_error([&] { pf.auth->grant(sec, id, "auditor"); }, ErrorCode::failed_precondition,
               "granting 'auditor' would give zhaoliu two administrator duties: system_admin and "
               "audit_admin");
  expect_error(
      [&] {
        pf.auth->define_role(sec, "superuser", "", {"auth.manage_users", "audit.read"});
      },
      ErrorCode::invalid_argument,
      "role 'superuser' mixes administrator duties: system_admin and audit_admin");
  expect_error([&] { pf.auth->define_role(sec, "x", "", {"repair.fly"}); },
               ErrorCode::invalid_argument, "unknown permission 'repair.fly'");
  // Widening a held role into a second duty is refused too.
  pf.auth->define_role(sec, "helpdesk", "", {"repair.report"});
  pf.auth->grant(sec, id, "helpdesk");
  expect_error(
      [&] {
        pf.auth->define_role(sec, "helpdesk", "", {"repair.report", "audit.read"});
      },
      ErrorCode::failed_precondition, "role 'helpdesk': user");
  expect_error([&] { pf.auth->grant(sec, *sec.user_id(), "helpdesk"); },
               ErrorCode::failed_precondition, "user:secadmin cannot grant roles to itself");
  expect_error([&] { pf.auth->grant(sec, id, "helpdesk"); }, ErrorCode::already_exists,
               "zhaoliu holds role 'helpdesk'");
  expect_error([&] { pf.auth->grant(sec, id, "nosuchrole"); }, ErrorCode::not_found,
               "role 'nosuchrole': not found");
}

TEST_P(AuthTest, DepartmentGrantsCoverSubDepartmentsAndBuildingGrantsTheirBuilding) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  using site::Department;
  Repository<Department> deps(*s);
  Department surgery{
      0, 0, "SURG", "Surgery", site::DepartmentKind::clinical, std::nullopt, std::nullopt, true};
  deps.insert(surgery);
  Department ortho{
      0, 0, "ORTH", "Orthopaedics", site::DepartmentKind::clinical, surgery.id, std::nullopt, true};
  deps.insert(ortho);
  Department icu{0,   0, "ICU", "ICU", site::DepartmentKind::clinical, std::nullopt, std::nullopt,
                 true};
  deps.insert(icu);
  site::Campus c{0, 0, "C", "Campus", ""};
  Repository<site::Campus>(*s).insert(c);
  site::Building a{0, 0, c.id, "A", "A", 10, 1}, b{0, 0, c.id, "B", "B", 5, 0};
  Repository<site::Building>(*s).insert(a);
  Repository<site::Building>(*s).insert(b);

  auto head = pf.user_with("head", "ward_editor", {"site.edit"}, ScopeKind::department, surgery.id);
  EXPECT_TRUE(head.can("site.edit", {surgery.id, std::nullopt}));
  EXPECT_TRUE(head.can("site.edit", {ortho.id, std::nullopt})) << "sub-department";
  EXPECT_FALSE(head.can("site.edit", {icu.id, std::nullopt}));
  EXPECT_FALSE(head.can("site.edit")) << "no target: only global grants cover it";
  auto tech = pf.user_with("tech", "building_a_tech", {"repair.work"}, ScopeKind::building, a.id);
  EXPECT_TRUE(tech.can("repair.work", {std::nullopt, a.id}));
  EXPECT_FALSE(tech.can("repair.work", {std::nullopt, b.id}));
  expect_error(
      [&] {
        tech.require("repair.work", {icu.id, b.id});
      },
      ErrorCode::permission_denied,
      "user:tech lacks repair.work for department " + std::to_string(icu.id) + " or building " +
          std::to_string(b.id));
  expect_error(
      [&] {
        pf.auth->grant(pf.actor("secadmin"), *tech.user_id(), "ward_editor", ScopeKind::department,
                       999);
      },
      ErrorCode::not_found, "site_department 999: not found");
}

// Every administrative action against every role: allowed exactly where the duty says, and
// every denied attempt leaves the data as it was and an audit record behind.
TEST_P(AuthTest, PermissionMatrix) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto op = pf.user_with("operator", "dispatcher", {"repair.dispatch", "repair.report"});
  std::map<std::string, Actor> actors{{"sysadmin", pf.actor("sysadmin")},
                                      {"secadmin", pf.actor("secadmin")},
                                      {"auditor", pf.actor("auditor")},
                                      {"operator", op}};
  Id target = user_id(*s, "operator");
  int n = 0;
  std::map<std::string, std::function<void(const Actor&)>> actions{
      {"create_user",
       [&](const Actor& a) {
         pf.auth->create_user(
             a, {"u" + std::to_string(n++), "U", test_password, std::nullopt, std::nullopt});
       }},
      {"reset_password",
       [&](const Actor& a) { pf.auth->reset_password(a, target, test_password); }},
      {"unlock", [&](const Actor& a) { pf.auth->unlock(a, target); }},
      {"list_users", [&](const Actor& a) { pf.auth->users(a); }},
      {"define_role",
       [&](const Actor& a) {
         pf.auth->define_role(a, "r" + std::to_string(n++), "", {"bi.read"});
       }},
      {"grant",
       [&](const Actor& a) {
         auto r = "g" + std::to_string(n++);
         pf.auth->define_role(actors.at("secadmin"), r, "", {"bi.read"});
         pf.auth->grant(a, target, r);
       }},
      {"audit_query", [&](const Actor& a) { audit::query(*s, a, {}); }},
      {"audit_verify", [&](const Actor& a) { audit::verify(*s, a); }},
      {"audit_export",
       [&](const Actor& a) {
         std::ostringstream out;
         audit::export_jsonl(*s, a, {}, out);
       }},
  };
  std::map<std::string, std::set<std::string>> allowed{
      {"sysadmin", {"create_user", "reset_password", "unlock", "list_users"}},
      {"secadmin", {"define_role", "grant", "list_users"}},
      {"auditor", {"audit_query", "audit_verify", "audit_export"}},
      {"operator", {}}};
  for (const auto& [who, actor] : actors) {
    for (const auto& [what, run] : actions) {
      bool expect = allowed[who].count(what) > 0;
      auto users = Repository<auth::User>(*s).count();
      auto roles_grants =
          Repository<auth::Role>(*s).count() * 1000 + Repository<auth::RoleGrant>(*s).count();
      try {
        run(actor);
        EXPECT_TRUE(expect) << who << " was allowed to " << what;
      } catch (const Error& e) {
        EXPECT_FALSE(expect) << who << " was refused " << what << ": " << e.what();
        EXPECT_EQ(e.code(), ErrorCode::permission_denied) << e.what();
        EXPECT_EQ(Repository<auth::User>(*s).count(), users);
        auto last = audit_log(*s).back();
        EXPECT_EQ(last.outcome, audit::Outcome::denied) << who << " " << what;
        EXPECT_EQ(last.actor, actor.label());
        EXPECT_EQ(std::string(e.what()).rfind(actor.label() + " lacks ", 0), 0u) << e.what();
        if (what != "grant") {
          EXPECT_EQ(
              Repository<auth::Role>(*s).count() * 1000 + Repository<auth::RoleGrant>(*s).count(),
              roles_grants);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
