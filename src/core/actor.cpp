#include "houqin/core/actor.hpp"

#include <algorithm>
#include <mutex>

namespace houqin::auth {

Actor Actor::user(Id user_id, std::string login, std::optional<Id> session_id,
                  std::vector<Holding> holdings) {
  Actor a;
  a.label_ = "user:" + login;
  a.user_id_ = user_id;
  a.session_id_ = session_id;
  for (auto& h : holdings) {
    std::sort(h.ids.begin(), h.ids.end());
    a.holdings_[h.permission].push_back(std::move(h));
  }
  return a;
}

Actor Actor::service(std::string name, std::vector<std::string> perms) {
  Actor a;
  a.label_ = "service:" + name;
  for (auto& p : perms) {
    permission(p);  // must be known
    a.holdings_[p].push_back(Holding{p, ScopeKind::global, {}});
  }
  return a;
}

bool Actor::can(std::string_view perm, const Scope& target) const {
  auto it = holdings_.find(perm);
  if (it == holdings_.end()) return false;
  for (const auto& h : it->second) {
    switch (h.scope) {
      case ScopeKind::global:
        return true;
      case ScopeKind::department:
        if (target.department_id &&
            std::binary_search(h.ids.begin(), h.ids.end(), *target.department_id))
          return true;
        break;
      case ScopeKind::building:
        if (target.building_id &&
            std::binary_search(h.ids.begin(), h.ids.end(), *target.building_id))
          return true;
        break;
    }
  }
  return false;
}

bool Actor::holds(std::string_view perm) const {
  return holdings_.find(perm) != holdings_.end();
}

void Actor::require(std::string_view perm, const Scope& target) const {
  if (can(perm, target)) return;
  std::string where;
  if (target.department_id) where += " for department " + std::to_string(*target.department_id);
  if (target.building_id)
    where += std::string(where.empty() ? " for" : " or") + " building " +
             std::to_string(*target.building_id);
  fail(ErrorCode::permission_denied, label_ + " lacks " + std::string(perm) + where);
}

std::vector<std::string> Actor::permissions() const {
  std::vector<std::string> out;
  for (const auto& [p, h] : holdings_) out.push_back(p);
  return out;
}

// ---- the permission catalog
// ----------------------------------------------------------------------

namespace {

struct Catalog {
  std::mutex mutex;
  std::map<std::string, PermissionInfo, std::less<>> entries;
};

Catalog& catalog() {
  static Catalog c;
  static const bool loaded = [] {
    const PermissionInfo builtin[] = {
        {"auth.manage_users", Duty::system_admin,
         "create, change, unlock and deactivate accounts; reset passwords"},
        {"auth.manage_roles", Duty::security_admin, "define roles; grant and revoke them"},
        {"audit.read", Duty::audit_admin, "query the audit log"},
        {"audit.export", Duty::audit_admin, "export the audit log as JSON lines"},
        {"audit.verify", Duty::audit_admin, "verify the audit hash chain"},
        {"protect.backup", Duty::system_admin, "make backups"},
        {"protect.restore", Duty::system_admin, "restore a backup over the store"},
        {"protect.retention", Duty::system_admin, "apply retention rules (delete, anonymise)"},
        {"protect.integrity", Duty::system_admin, "run the business data checks"},
        {"protect.rotate_keys", Duty::security_admin, "re-seal personal data under the active key"},
        {"protect.unmask", Duty::operations, "see personal data unmasked in exports"},
        {"site.edit", Duty::operations, "change the hospital model (buildings, rooms, staff)"},
        {"site.read_personal", Duty::operations, "read staff personal data"},
        {"repair.report", Duty::operations, "report a repair"},
        {"repair.dispatch", Duty::operations, "dispatch and reassign work orders"},
        {"repair.work", Duty::operations, "accept, work on and complete assigned work orders"},
        {"repair.close", Duty::operations, "verify, rate and close work orders"},
        {"repair.configure", Duty::operations, "SLA rules, repair items, dispatch settings"},
        {"asset.edit", Duty::operations, "change the equipment ledger"},
        {"inventory.issue", Duty::operations, "reserve and issue spare parts"},
        {"inventory.edit", Duty::operations, "receive, move, adjust and count stock"},
        {"waste.collect", Duty::operations, "record medical waste at the ward"},
        {"waste.handover", Duty::operations, "hand medical waste over (ward, store, company)"},
        {"waste.read", Duty::operations, "trace medical waste and read its reports"},
        {"waste.configure", Duty::operations, "set the medical waste rules (tolerance, limits)"},
        {"inspection.read", Duty::operations, "read inspection plans, tasks, scans and compliance"},
        {"inspection.configure", Duty::operations,
         "checklist templates, routes, plans, NFC tags; run the task generator"},
        {"inspection.record", Duty::operations, "record meter and condition readings"},
        {"inspection.perform", Duty::operations, "scan points and complete inspection tasks"},
        {"inspection.supervise", Duty::operations, "exempt inspection tasks with a reason"},
        {"hazard.report", Duty::operations, "report a safety hazard (隐患) or a fix on the spot"},
        {"hazard.rectify", Duty::operations,
         "start, extend and submit the rectification of hazards assigned to the unit"},
        {"hazard.review", Duty::operations, "review rectified hazards: close (销号) or send back"},
        {"hazard.manage", Duty::operations,
         "assign hazards, set 五落实 plans, decide extensions, cancel; hazard rules"},
        {"hazard.read", Duty::operations, "read hazards, their records and reports"},
        {"emergency.manage", Duty::operations,
         "emergency plans, drills and trainings; run the emergency checks"},
        {"emergency.activate", Duty::operations,
         "activate an emergency plan, log and close the incident"},
        {"emergency.read", Duty::operations, "read emergency plans, drills, trainings, incidents"},
        {"patrol.execute", Duty::operations, "carry out patrol tasks and report hazards"},
        {"patrol.plan", Duty::operations,
         "plan patrol areas and their frequencies; countersign completed patrols"},
        {"patrol.read", Duty::operations, "read patrol areas, countersignatures and compliance"},
        {"survey.manage", Duty::operations,
         "design, send, remind and close satisfaction surveys; survey rules"},
        {"survey.read", Duty::operations,
         "read questionnaires, surveys and their scores (small groups always withheld)"},
        {"telemetry.read", Duty::operations, "read telemetry and alarms"},
        {"telemetry.ack", Duty::operations, "acknowledge alarms"},
        {"telemetry.shelve", Duty::operations, "shelve and suppress alarms"},
        {"telemetry.configure", Duty::operations, "change points, limits and devices"},
        {"bi.read", Duty::operations, "read the service desk and reports"},
        {"bi.manage", Duty::operations, "rebuild the KPI counters from the tables"},
        {"notify.send", Duty::operations, "send SMS and phone notifications"},
        {"host.read", Duty::system_admin,
         "see the event consumers, their lag and dead letters, and the timed jobs"},
        {"host.operate", Duty::system_admin, "replay dead-lettered events"},
        {"monitor.read", Duty::system_admin,
         "read the library's own metrics: latencies, errors, queues, lag, device health"},
        {"bi.operation_report", Duty::system_admin,
         "generate and read the quarterly operation reports and the annual maintenance record "
         "book"},
    };
    for (const auto& p : builtin) c.entries.emplace(p.name, p);
    return true;
  }();
  (void)loaded;
  return c;
}

}  // namespace

std::vector<PermissionInfo> permissions() {
  auto& c = catalog();
  std::lock_guard lock(c.mutex);
  std::vector<PermissionInfo> out;
  for (const auto& [n, p] : c.entries) out.push_back(p);
  return out;
}

const PermissionInfo& permission(std::string_view name) {
  auto& c = catalog();
  std::lock_guard lock(c.mutex);
  auto it = c.entries.find(name);
  if (it == c.entries.end())
    fail(ErrorCode::invalid_argument, "unknown permission '" + std::string(name) + "'");
  return it->second;  // map nodes never move; entries are never removed
}

void define_permission(PermissionInfo info) {
  auto dot = info.name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == info.name.size())
    fail(ErrorCode::invalid_argument,
         "permission '" + info.name + "': expected '<domain>.<action>'");
  auto& c = catalog();
  std::lock_guard lock(c.mutex);
  if (auto it = c.entries.find(info.name); it != c.entries.end()) {
    if (it->second.duty != info.duty)
      fail(ErrorCode::already_exists, "permission '" + info.name + "' exists with another duty");
    return;
  }
  c.entries.emplace(info.name, std::move(info));
}

}  // namespace houqin::auth
