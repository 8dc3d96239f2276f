// The auth domain's operations in the service registry: accounts, roles and grants by name.
#include <array>
#include <string_view>
#include "houqin/auth/auth.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::auth {
namespace {

using service::Context;
using service::define;

struct UserId {
  static constexpr std::array<std::string_view, 1> required_fields{"user_id"};
  Id user_id = 0;
};
BOOST_DESCRIBE_STRUCT(UserId, (), (user_id))
struct SetPassword {
  static constexpr std::array<std::string_view, 2> required_fields{"user_id", "password"};
  Id user_id = 0;
  std::string password;
};
BOOST_DESCRIBE_STRUCT(SetPassword, (), (user_id, password))
struct SetActive {
  static constexpr std::array<std::string_view, 2> required_fields{"user_id", "active"};
  Id user_id = 0;
  bool active = true;
};
BOOST_DESCRIBE_STRUCT(SetActive, (), (user_id, active))
struct ChangePassword {
  static constexpr std::array<std::string_view, 2> required_fields{"old_password", "new_password"};
  std::string old_password;
  std::string new_password;
};
BOOST_DESCRIBE_STRUCT(ChangePassword, (), (old_password, new_password))
struct Users {
  std::vector<UserView> users;
};
BOOST_DESCRIBE_STRUCT(Users, (), (users))
struct DefineRole {
  static constexpr std::array<std::string_view, 1> required_fields{"name"};
  std::string name;
  std::string description;
  std::vector<std::string> permissions;
};
BOOST_DESCRIBE_STRUCT(DefineRole, (), (name, description, permissions))
struct GrantInput {
  static constexpr std::array<std::string_view, 2> required_fields{"user_id", "role"};
  Id user_id = 0;
  std::string role;
  ScopeKind scope = ScopeKind::global;
  std::optional<Id> scope_id;
};
BOOST_DESCRIBE_STRUCT(GrantInput, (), (user_id, role, scope, scope_id))
struct GrantId {
  static constexpr std::array<std::string_view, 1> required_fields{"grant_id"};
  Id grant_id = 0;
};
BOOST_DESCRIBE_STRUCT(GrantId, (), (grant_id))
struct NewId {
  Id id = 0;
};
BOOST_DESCRIBE_STRUCT(NewId, (), (id))

// Accounts made through the registry get the production password cost (auth::Policy{}).
Auth accounts(Context& ctx) {
  return Auth(ctx.store);
}

[[maybe_unused]] const bool operations_registered[] = {
    define<NewUser>("auth.create_user", "auth.manage_users",
                    "Create an account (login, display_name, password, staff_id, "
                    "department_id); returns its id",
                    [](Context& ctx, const NewUser& in) {
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
    define<service::NoInput>("auth.users", "auth.manage_users",
                             "Every account, without password hashes",
                             [](Context& ctx, const service::NoInput&) {
                               return Users{accounts(ctx).users(ctx.actor)};
                             }),
    define<DefineRole>("auth.define_role", "auth.manage_roles",
                       "Define or redefine a role as a set of permissions; returns its id",
                       [](Context& ctx, const DefineRole& in) {
                         return NewId{accounts(ctx).define_role(ctx.actor, in.name, in.description,
                                                                in.permissions)};
                       }),
    define<GrantInput>("auth.grant", "auth.manage_roles",
                       "Grant a role to a user, globally or for a department or building",
                       [](Context& ctx, const GrantInput& in) {
                         return NewId{accounts(ctx).grant(ctx.actor, in.user_id, in.role, in.scope,
                                                          in.scope_id)};
                       }),
    define<GrantId>(
        "auth.revoke", "auth.manage_roles", "Revoke one grant",
        [](Context& ctx, const GrantId& in) { accounts(ctx).revoke(ctx.actor, in.grant_id); }),
};

}  // namespace
}  // namespace houqin::auth
