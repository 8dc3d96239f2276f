// Who is acting. Every state-changing service call and every read of personal data takes an Actor;
// permissions are named "<domain>.<action>" (repair.dispatch, audit.read) and granted through
// roles, each grant global or scoped to departments (with their sub-departments) or a building.
// Nothing is allowed unless a grant allows it. The Actor and the permission catalog sit in core
// because every layer takes them (audit, protect and site below the accounts service that makes
// actors, auth/auth.hpp); the namespace stays houqin::auth.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"

namespace houqin::auth {

BOOST_DEFINE_ENUM_CLASS(ScopeKind, global, department, building)

/// Where an action lands: a grant scoped to a department covers targets in it and its
/// sub-departments, a building grant targets in that building; a target with neither is covered
/// only by global grants.
struct Scope {
  std::optional<Id> department_id;
  std::optional<Id> building_id;
};

class HOUQIN_EXPORT Actor {
 public:
  /// One permission held in one scope. `ids` are the covered departments (already expanded to
  /// the sub-tree) or buildings; empty for global.
  struct Holding {
    std::string permission;
    ScopeKind scope = ScopeKind::global;
    std::vector<Id> ids;
  };

  /// A signed-in user (made by auth::Auth from the user's grants).
  static Actor user(Id user_id, std::string login, std::optional<Id> session_id,
                    std::vector<Holding> holdings);
  /// A process acting on its own (the telemetry daemon, an import job): holds exactly the
  /// listed permissions, globally. Audited as "service:<name>".
  static Actor service(std::string name, std::vector<std::string> permissions);

  bool can(std::string_view permission, const Scope& target = {}) const;
  /// Holds the permission in at least one scope (for listing what someone may see).
  bool holds(std::string_view permission) const;
  /// Error(permission_denied) naming actor, permission and target unless can().
  void require(std::string_view permission, const Scope& target = {}) const;

  /// "user:alice" or "service:telemetry": how audit records name the actor.
  const std::string& label() const noexcept { return label_; }
  std::optional<Id> user_id() const noexcept { return user_id_; }
  std::optional<Id> session_id() const noexcept { return session_id_; }
  /// Every permission held, sorted, each once.
  std::vector<std::string> permissions() const;

 private:
  Actor() = default;
  std::string label_;
  std::optional<Id> user_id_;
  std::optional<Id> session_id_;
  std::map<std::string, std::vector<Holding>, std::less<>> holdings_;
};

/// The separated duties of 等保 level 3: one person may hold at most one administrator duty, so
/// the user administrator cannot read the audit log and the auditor cannot change users.
BOOST_DEFINE_ENUM_CLASS(Duty, operations, system_admin, security_admin, audit_admin)

struct PermissionInfo {
  std::string name;  // "<domain>.<action>"
  Duty duty = Duty::operations;
  std::string description;
};
BOOST_DESCRIBE_STRUCT(PermissionInfo, (), (name, duty, description))

/// Every permission houqin knows, sorted by name. Granting an unknown permission is an error.
HOUQIN_EXPORT std::vector<PermissionInfo> permissions();
/// The permission's description, or Error(invalid_argument) naming an unknown permission.
HOUQIN_EXPORT const PermissionInfo& permission(std::string_view name);
/// Adds a permission for a host application's own operations ("<domain>.<action>").
HOUQIN_EXPORT void define_permission(PermissionInfo info);

}  // namespace houqin::auth
