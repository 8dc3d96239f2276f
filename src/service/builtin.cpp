// The operations of the platform domains that exist before any business domain: audit, protect
// and site. Business domains (repair, telemetry, ...) register theirs beside their services.
#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/hospital.hpp"

namespace houqin::service {
namespace {

struct NoInput {};
BOOST_DESCRIBE_STRUCT(NoInput, (), ())

struct Records {
  std::vector<audit::Record> records;
};
BOOST_DESCRIBE_STRUCT(Records, (), (records))

struct Findings {
  std::vector<protect::Finding> findings;
};
BOOST_DESCRIBE_STRUCT(Findings, (), (findings))

struct UserId {
  Id user_id = 0;
};
BOOST_DESCRIBE_STRUCT(UserId, (), (user_id))
struct SetPassword {
  Id user_id = 0;
  std::string password;
};
BOOST_DESCRIBE_STRUCT(SetPassword, (), (user_id, password))
struct SetActive {
  Id user_id = 0;
  bool active = true;
};
BOOST_DESCRIBE_STRUCT(SetActive, (), (user_id, active))
struct ChangePassword {
  std::string old_password;
  std::string new_password;
};
BOOST_DESCRIBE_STRUCT(ChangePassword, (), (old_password, new_password))
struct Users {
  std::vector<auth::UserView> users;
};
BOOST_DESCRIBE_STRUCT(Users, (), (users))
struct DefineRole {
  std::string name;
  std::string description;
  std::vector<std::string> permissions;
};
BOOST_DESCRIBE_STRUCT(DefineRole, (), (name, description, permissions))
struct Grant {
  Id user_id = 0;
  std::string role;
  auth::ScopeKind scope = auth::ScopeKind::global;
  std::optional<Id> scope_id;
};
BOOST_DESCRIBE_STRUCT(Grant, (), (user_id, role, scope, scope_id))
struct GrantId {
  Id grant_id = 0;
};
BOOST_DESCRIBE_STRUCT(GrantId, (), (grant_id))
struct NewId {
  Id id = 0;
};
BOOST_DESCRIBE_STRUCT(NewId, (), (id))

// Accounts made through the registry get the production password cost (auth::Policy{}).
auth::Auth accounts(Context& ctx) {
  return auth::Auth(ctx.store);
}

[[maybe_unused]] const bool auth_ops[] = {
    define<auth::NewUser>("auth.create_user", "auth.manage_users",
                          "Create an account (login, display_name, password, staff_id, "
                          "department_id); returns its id",
                          [](Context& ctx, const auth::NewUser& in) {
                            return NewId{accounts(ctx).create_user(ctx.actor, in)};
                          }),
    define<SetPassword>("auth.reset_password", "auth.manage_users",
                        "Set a new password the user must change at next login",
                        [](Context& ctx, const SetPassword& in) {
                          accounts(ctx).reset_password(ctx.actor, in.user_id, in.password);
                        }),
    define<UserId>(
        "auth.unlock", "auth.manage_users", "Unlock an account locked by failed logins",
        [](Context& ctx, const UserId& in) { accounts(ctx).unlock(ctx.actor, in.user_id); }),
    define<SetActive>("auth.set_active", "auth.manage_users", "Enable or disable an account",
                      [](Context& ctx, const SetActive& in) {
                        accounts(ctx).set_active(ctx.actor, in.user_id, in.active);
                      }),
    define<ChangePassword>(
        "auth.change_password", "", "The calling user's own password change (checks the old one)",
        [](Context& ctx, const ChangePassword& in) {
          accounts(ctx).change_password(ctx.actor, in.old_password, in.new_password);
        }),
    define<NoInput>(
        "auth.users", "auth.manage_users", "Every account, without password hashes",
        [](Context& ctx, const NoInput&) { return Users{accounts(ctx).users(ctx.actor)}; }),
    define<DefineRole>("auth.define_role", "auth.manage_roles",
                       "Define or redefine a role as a set of permissions; returns its id",
                       [](Context& ctx, const DefineRole& in) {
                         return NewId{accounts(ctx).define_role(ctx.actor, in.name, in.description,
                                                                in.permissions)};
                       }),
    define<Grant>("auth.grant", "auth.manage_roles",
                  "Grant a role to a user, globally or for a department or building",
                  [](Context& ctx, const Grant& in) {
                    return NewId{
                        accounts(ctx).grant(ctx.actor, in.user_id, in.role, in.scope, in.scope_id)};
                  }),
    define<GrantId>(
        "auth.revoke", "auth.manage_roles", "Revoke one grant",
        [](Context& ctx, const GrantId& in) { accounts(ctx).revoke(ctx.actor, in.grant_id); }),
};

[[maybe_unused]] const bool registered[] = {
    define<NoInput>(
        "audit.verify", "audit.verify",
        "Walk the audit hash chain; returns where it first breaks, if it does",
        [](Context& ctx, const NoInput&) { return audit::verify(ctx.store, ctx.actor); }),
    define<audit::Filter>("audit.query", "audit.read",
                          "Audit records matching a filter (actor, action, entity, outcome, time)",
                          [](Context& ctx, const audit::Filter& f) {
                            return Records{audit::query(ctx.store, ctx.actor, f)};
                          }),
    define<NoInput>("protect.check_integrity", "protect.integrity",
                    "Run every integrity check; returns the findings with the ids involved",
                    [](Context& ctx, const NoInput&) {
                      return Findings{protect::check_integrity(ctx.store, ctx.actor)};
                    }),
    define<NoInput>(
        "site.export", "",
        "The hospital's digital model as one document; personal fields masked "
        "unless the actor holds protect.unmask",
        [](Context& ctx, const NoInput&) { return site::export_hospital(ctx.store, ctx.actor); }),
};

}  // namespace
}  // namespace houqin::service
