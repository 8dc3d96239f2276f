#include "houqin/site/his.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/core/validate.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::site {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool his_tables_registered = store::register_tables<ExternalRef>("site");

/// "staff[3] (E1002)": how errors name a pushed record.
std::string record_name(std::string_view list, std::size_t i, const std::string& code) {
  return std::string(list) + "[" + std::to_string(i) + "] (" + code + ")";
}

[[noreturn]] void refuse(const std::string& record, std::string_view field, const std::string& why,
                         ErrorCode code = ErrorCode::invalid_argument) {
  fail(code, record + "." + std::string(field) + ": " + why);
}

/// The entity's own rules, with the record named in front of the member at fault.
template <class T>
void check(const std::string& record, const T& entity) {
  try {
    entity.validate();
  } catch (const Error& e) {
    fail(e.code(), record + "." + e.what());
  }
}

/// The input's name for an entity member: references are pushed as codes.
std::string input_field(const std::string& member) {
  if (member == "parent_id") return "parent_code";
  if (member == "department_id") return "department_code";
  if (member == "floor_id") return "floor_code";
  return member;
}

/// The members that differ between two versions of a row, by their input names; `active` is
/// left out (reactivation and deactivation are reported as such).
template <class T>
std::vector<std::string> changed_fields(const T& before, const T& after) {
  const json::Json a = json::to_json(before), b = json::to_json(after);
  std::vector<std::string> out;
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (it.key() == "id" || it.key() == "version" || it.key() == "active") continue;
    if (!a.contains(it.key()) || a.at(it.key()) != it.value()) out.push_back(input_field(it.key()));
  }
  return out;
}

/// One push, applied kind by kind inside the caller's transaction.
class Push {
 public:
  Push(store::Store& s, const HisPush& in) : s_(s), in_(in) {}

  HisPushResult run() {
    require_code(in_.source, "source");
    HisPushResult out;
    out.source = in_.source;
    out.complete = in_.complete;
    departments(out.departments);
    staff(out.staff);
    rooms(out.rooms);
    if (in_.complete) {
      deactivate(ExternalKind::department, &Department::code, pushed_departments_, out.departments);
      deactivate(ExternalKind::staff, &Staff::employee_no, pushed_staff_, out.staff);
      deactivate(ExternalKind::room, &Room::code, pushed_rooms_, out.rooms);
    }
    for (auto* k : {&out.departments, &out.staff, &out.rooms}) {
      k->counts.created = static_cast<std::int64_t>(k->created.size());
      k->counts.updated = static_cast<std::int64_t>(k->updated.size());
      k->counts.reactivated = static_cast<std::int64_t>(k->reactivated.size());
      k->counts.deactivated = static_cast<std::int64_t>(k->deactivated.size());
      out.changes +=
          k->counts.created + k->counts.updated + k->counts.reactivated + k->counts.deactivated;
    }
    return out;
  }

 private:
  /// Codes must be unique within a list; returns the code -> index map.
  template <class P>
  static std::map<std::string, std::size_t> index(std::string_view list, const std::vector<P>& v,
                                                  std::string P::*key, std::string_view field) {
    std::map<std::string, std::size_t> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto& code = v[i].*key;
      auto [it, inserted] = out.emplace(code, i);
      if (!inserted)
        refuse(
            record_name(list, i, code), field,
            "duplicate code (also " + std::string(list) + "[" + std::to_string(it->second) + "])");
    }
    return out;
  }

  std::optional<ExternalRef> owner(ExternalKind kind, Id id) {
    return Repository<ExternalRef>(s_).find_one(Query<ExternalRef>()
                                                    .where(&ExternalRef::kind, Op::eq, kind)
                                                    .where(&ExternalRef::entity_id, Op::eq, id));
  }

  /// Records that the source owns the entity now (creating or adopting it); a mapping of the
  /// same code to a row that is gone or was renamed by hand is pointed at this one.
  void claim(ExternalKind kind, const std::string& code, Id id) {
    Repository<ExternalRef> refs(s_);
    auto ref = refs.find_one(Query<ExternalRef>()
                                 .where(&ExternalRef::source, Op::eq, in_.source)
                                 .where(&ExternalRef::kind, Op::eq, kind)
                                 .where(&ExternalRef::code, Op::eq, code));
    if (ref) {
      if (ref->entity_id == id) return;
      ref->entity_id = id;
      refs.update(*ref);
      return;
    }
    ExternalRef r{0, 0, in_.source, kind, code, id};
    refs.insert(r);
  }

  /// The stored row with this code, after checking that no other source owns it.
  template <class T, class K>
  std::optional<T> stored(ExternalKind kind, K T::*key, const std::string& code,
                          const std::string& record, std::string_view field) {
    auto row = Repository<T>(s_).find_one(Query<T>().where(key, Op::eq, code));
    if (!row) return row;
    if (auto ref = owner(kind, row->id); ref && ref->source != in_.source)
      refuse(record, field, "belongs to source \"" + ref->source + "\"",
             ErrorCode::failed_precondition);
    return row;
  }

  /// Inserts or updates `next` (built from `before` when there is one) and reports it.
  template <class T>
  Id upsert(ExternalKind kind, const std::string& code, const std::string& record,
            const std::optional<T>& before, T next, HisKindResult& out) {
    check(record, next);
    Repository<T> repo(s_);
    if (!before) {
      repo.insert(next);
      out.created.push_back(code);
    } else {
      auto fields = changed_fields(*before, next);
      if (!before->active && next.active) {
        repo.update(next);
        out.reactivated.push_back({code, std::move(fields)});
      } else if (before->active != next.active || !fields.empty()) {
        if (before->active != next.active) fields.push_back("active");
        repo.update(next);
        out.updated.push_back({code, std::move(fields)});
      } else {
        ++out.counts.unchanged;
      }
    }
    claim(kind, code, next.id);
    return next.id;
  }

  std::optional<Id> department_id(const std::string& code) {
    if (auto it = department_ids_.find(code); it != department_ids_.end()) return it->second;
    auto d = Repository<Department>(s_).find_one(
        Query<Department>().where(&Department::code, Op::eq, code));
    if (!d) return std::nullopt;
    department_ids_[code] = d->id;
    return d->id;
  }

  void departments(HisKindResult& out) {
    const auto& list = in_.departments;
    pushed_departments_ = index("departments", list, &PushedDepartment::code, "code");
    // Parents first, whatever their order in the list.
    std::vector<int> state(list.size(), 0);  // 0 new, 1 on the path, 2 done
    std::vector<std::size_t> order;
    auto visit = [&](auto& self, std::size_t i) -> void {
      if (state[i] == 2) return;
      if (state[i] == 1)
        refuse(record_name("departments", i, list[i].code), "parent_code",
               "departments form a cycle");
      state[i] = 1;
      if (list[i].parent_code)
        if (auto p = pushed_departments_.find(*list[i].parent_code); p != pushed_departments_.end())
          self(self, p->second);
      state[i] = 2;
      order.push_back(i);
    };
    for (std::size_t i = 0; i < list.size(); ++i) visit(visit, i);

    for (auto i : order) {
      const auto& p = list[i];
      const auto record = record_name("departments", i, p.code);
      require_code_at(record, p.code, "code");
      auto before =
          stored<Department>(ExternalKind::department, &Department::code, p.code, record, "code");
      Department d = before.value_or(Department{});
      d.code = p.code;
      d.name = p.name;
      d.kind = p.kind;
      d.phone = p.phone;
      d.active = p.active;
      d.parent_id.reset();
      if (p.parent_code) {
        auto parent = department_id(*p.parent_code);
        if (!parent)
          refuse(record, "parent_code", "no department with code \"" + *p.parent_code + "\"");
        d.parent_id = *parent;
      }
      department_ids_[p.code] =
          upsert(ExternalKind::department, p.code, record, before, std::move(d), out);
    }
  }

  void staff(HisKindResult& out) {
    const auto& list = in_.staff;
    pushed_staff_ = index("staff", list, &PushedStaff::employee_no, "employee_no");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& p = list[i];
      const auto record = record_name("staff", i, p.employee_no);
      require_code_at(record, p.employee_no, "employee_no");
      auto dept = department_id(p.department_code);
      if (!dept)
        refuse(record, "department_code", "no department with code \"" + p.department_code + "\"");
      auto before = stored<Staff>(ExternalKind::staff, &Staff::employee_no, p.employee_no, record,
                                  "employee_no");
      Staff m = before.value_or(Staff{});
      m.employee_no = p.employee_no;
      m.name = p.name;
      m.department_id = *dept;
      m.title = p.title;
      m.phone = p.phone;
      m.skills = p.skills;
      m.active = true;
      upsert(ExternalKind::staff, p.employee_no, record, before, std::move(m), out);
    }
  }

  void rooms(HisKindResult& out) {
    const auto& list = in_.rooms;
    pushed_rooms_ = index("rooms", list, &PushedRoom::code, "code");
    std::map<std::string, Id> floors;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& p = list[i];
      const auto record = record_name("rooms", i, p.code);
      require_code_at(record, p.code, "code");
      auto f = floors.find(p.floor_code);
      if (f == floors.end()) {
        auto floor = Repository<Floor>(s_).find_one(
            Query<Floor>().where(&Floor::code, Op::eq, p.floor_code));
        if (!floor) refuse(record, "floor_code", "no floor with code \"" + p.floor_code + "\"");
        f = floors.emplace(p.floor_code, floor->id).first;
      }
      std::optional<Id> dept;
      if (p.department_code) {
        dept = department_id(*p.department_code);
        if (!dept)
          refuse(record, "department_code",
                 "no department with code \"" + *p.department_code + "\"");
      }
      auto before = stored<Room>(ExternalKind::room, &Room::code, p.code, record, "code");
      Room r = before.value_or(Room{});
      r.floor_id = f->second;
      r.code = p.code;
      r.name = p.name;
      r.type = p.type;
      r.department_id = dept;
      r.beds = p.beds;
      r.area_m2 = p.area_m2;
      r.active = true;
      upsert(ExternalKind::room, p.code, record, before, std::move(r), out);
    }
  }

  /// The source's records of this kind that the push no longer lists are made inactive.
  template <class T>
  void deactivate(ExternalKind kind, std::string T::*key,
                  const std::map<std::string, std::size_t>& pushed, HisKindResult& out) {
    Repository<T> repo(s_);
    auto refs =
        Repository<ExternalRef>(s_).find(Query<ExternalRef>()
                                             .where(&ExternalRef::source, Op::eq, in_.source)
                                             .where(&ExternalRef::kind, Op::eq, kind)
                                             .order_by(&ExternalRef::code));
    for (const auto& ref : refs) {
      if (pushed.count(ref.code)) continue;
      auto row = repo.get(ref.entity_id);
      // Deleted or recoded by hand (no longer the record the source sent), or already inactive.
      if (!row || (*row).*key != ref.code || !row->active) continue;
      row->active = false;
      repo.update(*row);
      out.deactivated.push_back(ref.code);
    }
  }

  static void require_code_at(const std::string& record, const std::string& code,
                              const char* field) {
    try {
      require_code(code, field);
    } catch (const Error& e) {
      fail(e.code(), record + "." + e.what());
    }
  }

  store::Store& s_;
  const HisPush& in_;
  std::map<std::string, Id> department_ids_;  // code -> id, pushed or looked up
  std::map<std::string, std::size_t> pushed_departments_, pushed_staff_, pushed_rooms_;
};

}  // namespace

HisPushResult his_push(store::Store& store, const auth::Actor& actor, const HisPush& push) {
  return audit::audited(store, actor, "site.his_push", [&](audit::Call& call) {
    call.require("site.edit");
    auto result = Push(store, push).run();
    HisPushed event{push.source,         push.complete,
                    result.changes,      result.departments.counts,
                    result.staff.counts, result.rooms.counts};
    if (result.changes > 0) store.events().publish(event, actor.label());
    call.record(entity_traits<ExternalRef>::table, std::nullopt, std::nullopt, json::to_json(event),
                "push from " + push.source + ": " + std::to_string(result.changes) + " changes");
    return result;
  });
}

}  // namespace houqin::site
