// houqin.auth: accounts, roles, sessions and the Actor passed to every service call.
#include "houqin/auth/auth.hpp"

#include <pybind11/chrono.h>
#include <pybind11/stl.h>

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

namespace {

struct PyAuth {
  StorePtr h;
  auth::Policy policy;

  template <class F>
  auto run(F&& f) {
    return with_store(*h, [&](store::Store& s) {
      auth::Auth a(s, policy);
      return f(a);
    });
  }
};

auth::Scope make_scope(std::optional<Id> department_id, std::optional<Id> building_id) {
  return auth::Scope{department_id, building_id};
}

auth::BootstrapAccount account(py::handle h, const char* which) {
  json::Path p{nullptr, {}, static_cast<std::size_t>(-1), which};
  auth::BootstrapAccount a;
  if (PyTuple_Check(h.ptr())) {
    auto t = py::reinterpret_borrow<py::tuple>(h);
    if (t.size() != 3) json::fail_at(p, "expected (login, display_name, password)");
    py_codec<std::string>::from(t[0], a.login, p.field("login"));
    py_codec<std::string>::from(t[1], a.display_name, p.field("display_name"));
    py_codec<std::string>::from(t[2], a.password, p.field("password"));
    return a;
  }
  if (!PyDict_Check(h.ptr())) fail_expected(p, "(login, display_name, password) or dict", h);
  assign_members(a, h, p);
  return a;
}

}  // namespace

const auth::Actor& actor_arg(py::handle actor) {
  return actor.cast<const PyActor&>().actor;
}

void init_auth(py::module_& m) {
  auto mod = m.def_submodule("auth", "Accounts, roles, sessions and actors (系统与权限管理).");
  bind_entities<auth::User, auth::Role, auth::RoleGrant, auth::Session>(mod);
  bind_struct<auth::UserView>(mod, "UserView", "A user as others may see it (no password hash).");
  bind_enum<auth::Duty>(mod, "Duty", "The separated administrator duties of 等保 level 3.");

  py::class_<PyActor>(mod, "Actor", R"doc(Who is acting: a signed-in user (from Auth.login or
Auth.resume) or a service process (Actor.service). Every state-changing call takes one.)doc")
      .def_static(
          "service",
          [](const std::string& name, std::vector<std::string> permissions) {
            return PyActor{auth::Actor::service(name, std::move(permissions)), std::nullopt, false};
          },
          py::arg("name"), py::arg("permissions"),
          "A process acting on its own: holds exactly these permissions, globally; audited as "
          "\"service:<name>\".")
      .def_property_readonly(
          "label", [](const PyActor& a) { return a.actor.label(); },
          "\"user:alice\" or \"service:telemetry\", as audit records name it.")
      .def_property_readonly(
          "user_id", [](const PyActor& a) { return a.actor.user_id(); }, "The user's id, or None.")
      .def_property_readonly(
          "session_id", [](const PyActor& a) { return a.actor.session_id(); },
          "The session's id, or None.")
      .def_property_readonly(
          "token", [](const PyActor& a) { return a.token; },
          "The session token from a login (give it to Auth.resume later), or None.")
      .def_property_readonly(
          "must_change_password", [](const PyActor& a) { return a.must_change_password; },
          "True when the login's password was set by an administrator and must be changed.")
      .def_property_readonly(
          "permissions", [](const PyActor& a) { return a.actor.permissions(); },
          "Every permission held, sorted.")
      .def(
          "can",
          [](const PyActor& a, const std::string& permission, std::optional<Id> department_id,
             std::optional<Id> building_id) {
            return a.actor.can(permission, make_scope(department_id, building_id));
          },
          py::arg("permission"), py::kw_only(), py::arg("department_id") = py::none(),
          py::arg("building_id") = py::none(),
          "Whether the actor holds the permission for a target in that department/building.")
      .def(
          "require",
          [](const PyActor& a, const std::string& permission, std::optional<Id> department_id,
             std::optional<Id> building_id) {
            a.actor.require(permission, make_scope(department_id, building_id));
          },
          py::arg("permission"), py::kw_only(), py::arg("department_id") = py::none(),
          py::arg("building_id") = py::none(), "Raises PermissionDenied unless can().")
      .def("__repr__",
           [](const PyActor& a) { return "houqin.auth.Actor(" + a.actor.label() + ")"; });

  bind_struct<auth::Policy>(mod, "Policy",
                            "Password, lockout, session and hashing rules; the defaults are 等保 "
                            "level 3 minded. Durations are timedeltas; Auth checks the policy.")
      .def_static("for_tests", &auth::test_policy,
                  "The cheapest Argon2id cost libsodium allows: for tests only.");

  py::class_<PyAuth>(mod, "Auth", "Logins, sessions, accounts and roles on one Store.")
      .def(py::init([](py::handle store, py::handle policy) {
             PyAuth a{store.cast<StorePtr>(), auth::Policy{}};
             if (!policy.is_none())
               py_codec<auth::Policy>::from(policy, a.policy, arg_path("policy"));
             auth::Auth check(a.h->get(), a.policy);  // validates the policy now
             return a;
           }),
           py::arg("store"), py::arg("policy") = py::none())
      .def(
          "bootstrap",
          [](PyAuth& a, py::handle system_admin, py::handle security_admin, py::handle auditor) {
            auto s = account(system_admin, "system_admin");
            auto sec = account(security_admin, "security_admin");
            auto au = account(auditor, "auditor");
            a.run([&](auth::Auth& x) { x.bootstrap(s, sec, au); });
          },
          py::arg("system_admin"), py::arg("security_admin"), py::arg("auditor"),
          "First start: the three separated administrator roles and one account each, given as "
          "(login, display_name, password). FailedPrecondition once any user exists.")
      .def(
          "login",
          [](PyAuth& a, const std::string& login, const std::string& password) {
            return a.run([&](auth::Auth& x) {
              auto l = x.login(login, password);
              return PyActor{x.resume(l.token), l.token, l.must_change_password};
            });
          },
          py::arg("login"), py::arg("password"),
          "Checks the password, opens a session and returns its Actor (with .token). "
          "Unauthenticated for a wrong login or password or a locked account; audited.")
      .def(
          "resume",
          [](PyAuth& a, const std::string& token) {
            return a.run([&](auth::Auth& x) { return PyActor{x.resume(token), token, false}; });
          },
          py::arg("token"), "The Actor of a live session; Unauthenticated when it expired.")
      .def(
          "logout",
          [](PyAuth& a, py::handle who) {
            std::string token = PyUnicode_Check(who.ptr())
                                    ? who.cast<std::string>()
                                    : who.cast<const PyActor&>().token.value_or("");
            a.run([&](auth::Auth& x) { x.logout(token); });
          },
          py::arg("actor_or_token"), "Ends the session.")
      .def(
          "create_user",
          [](PyAuth& a, const PyActor& actor, const std::string& login,
             const std::string& display_name, const std::string& password,
             std::optional<Id> staff_id, std::optional<Id> department_id) {
            return a.run([&](auth::Auth& x) {
              return x.create_user(actor.actor,
                                   {login, display_name, password, staff_id, department_id});
            });
          },
          py::arg("actor"), py::arg("login"), py::arg("display_name"), py::arg("password"),
          py::kw_only(), py::arg("staff_id") = py::none(), py::arg("department_id") = py::none(),
          "Creates an account (auth.manage_users); returns its id.")
      .def(
          "reset_password",
          [](PyAuth& a, const PyActor& actor, Id user_id, const std::string& password) {
            a.run([&](auth::Auth& x) { x.reset_password(actor.actor, user_id, password); });
          },
          py::arg("actor"), py::arg("user_id"), py::arg("password"))
      .def(
          "unlock",
          [](PyAuth& a, const PyActor& actor, Id user_id) {
            a.run([&](auth::Auth& x) { x.unlock(actor.actor, user_id); });
          },
          py::arg("actor"), py::arg("user_id"))
      .def(
          "set_active",
          [](PyAuth& a, const PyActor& actor, Id user_id, bool active) {
            a.run([&](auth::Auth& x) { x.set_active(actor.actor, user_id, active); });
          },
          py::arg("actor"), py::arg("user_id"), py::arg("active"))
      .def(
          "change_password",
          [](PyAuth& a, const PyActor& actor, const std::string& old_password,
             const std::string& new_password) {
            a.run(
                [&](auth::Auth& x) { x.change_password(actor.actor, old_password, new_password); });
          },
          py::arg("actor"), py::arg("old_password"), py::arg("new_password"))
      .def(
          "users",
          [](PyAuth& a, const PyActor& actor) {
            return a.run([&](auth::Auth& x) { return x.users(actor.actor); });
          },
          py::arg("actor"), "Every account as UserView (auth.manage_users).")
      .def(
          "define_role",
          [](PyAuth& a, const PyActor& actor, const std::string& name,
             const std::string& description, const std::vector<std::string>& permissions) {
            return a.run([&](auth::Auth& x) {
              return x.define_role(actor.actor, name, description, permissions);
            });
          },
          py::arg("actor"), py::arg("name"), py::arg("description"), py::arg("permissions"),
          "Defines or redefines a role (auth.manage_roles); returns its id.")
      .def(
          "grant",
          [](PyAuth& a, const PyActor& actor, Id user_id, const std::string& role, py::handle scope,
             std::optional<Id> scope_id) {
            auth::ScopeKind kind{};
            py_codec<auth::ScopeKind>::from(
                scope, kind, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "scope"});
            return a.run(
                [&](auth::Auth& x) { return x.grant(actor.actor, user_id, role, kind, scope_id); });
          },
          py::arg("actor"), py::arg("user_id"), py::arg("role"), py::kw_only(),
          py::arg("scope") = "global", py::arg("scope_id") = py::none(),
          "Grants a role, globally or for a department (with sub-departments) or a building.")
      .def(
          "revoke",
          [](PyAuth& a, const PyActor& actor, Id grant_id) {
            a.run([&](auth::Auth& x) { x.revoke(actor.actor, grant_id); });
          },
          py::arg("actor"), py::arg("grant_id"))
      .def(
          "check_password",
          [](PyAuth& a, const std::string& login, const std::string& password) {
            auth::Auth(a.h->get(), a.policy).check_password(login, password);
          },
          py::arg("login"), py::arg("password"),
          "Raises InvalidArgument naming the first password rule broken.");

  mod.def(
      "permissions",
      [] { return py_codec<std::vector<auth::PermissionInfo>>::to(auth::permissions()); },
      "Every permission houqin knows (name, duty, description), sorted by name.");
}

}  // namespace houqin::python
