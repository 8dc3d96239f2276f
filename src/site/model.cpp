#include "houqin/site/model.hpp"

#include <algorithm>
#include <map>

#include "houqin/core/validate.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::site {
namespace {

[[maybe_unused]] const bool registered =
    store::register_tables<Campus, Building, Floor, Department, Room, Shift, Staff, ShiftAssignment,
                           DictionaryEntry, KnowledgeArticle>("site");
[[maybe_unused]] const bool exposed =
    store::expose<Campus, Building, Floor, Department, Room, Shift, Staff, ShiftAssignment,
                  DictionaryEntry, KnowledgeArticle>(
        {.read = "", .write = "site.edit", .read_personal = "site.read_personal"});

/// A floor's level lies within its building's floors above and below ground.
void floor_levels(store::Store& s, std::vector<protect::Finding>& out) {
  std::map<Id, Building> buildings;
  for (auto& b : store::Repository<Building>(s).find()) buildings[b.id] = b;
  for (const auto& f : store::Repository<Floor>(s).find()) {
    auto it = buildings.find(f.building_id);
    if (it == buildings.end()) continue;  // a dangling reference, reported as such
    const auto& b = it->second;
    if (f.level > b.floors_above || f.level < -b.floors_below)
      out.push_back({"impossible_state",
                     "site_floor",
                     {f.id},
                     "site_floor " + std::to_string(f.id) + " (" + f.code + "): level " +
                         std::to_string(f.level) + " is outside building " + b.code + " (" +
                         std::to_string(b.floors_above) + " above, " +
                         std::to_string(b.floors_below) + " below)"});
  }
}

[[maybe_unused]] const bool checks_registered =
    (protect::register_check("site.floor_levels", floor_levels), true);

void require_ref(Id id, const char* field) {
  if (id <= 0)
    fail(ErrorCode::invalid_argument, std::string(field) + ": must name a stored entity");
}

}  // namespace

void Campus::validate() const {
  require_code(code, "code");
  require_text(name, "name");
}

void Building::validate() const {
  require_ref(campus_id, "campus_id");
  require_code(code, "code");
  require_text(name, "name");
  require_range(floors_above, 1, 200, "floors_above");
  require_range(floors_below, 0, 20, "floors_below");
}

void Floor::validate() const {
  require_ref(building_id, "building_id");
  if (level == 0)
    fail(ErrorCode::invalid_argument,
         "level: there is no level 0 (1 is ground, -1 the first basement)");
  require_range(level, -20, 200, "level");
  require_code(code, "code");
  require_text(name, "name");
}

void Department::validate() const {
  require_code(code, "code");
  require_text(name, "name");
  if (parent_id && *parent_id == id && id != 0)
    fail(ErrorCode::invalid_argument, "parent_id: a department cannot be its own parent");
}

void Room::validate() const {
  require_ref(floor_id, "floor_id");
  require_code(code, "code");
  require_text(name, "name");
  require_range(beds, 0, 500, "beds");
  if (area_m2 && !(*area_m2 > 0)) fail(ErrorCode::invalid_argument, "area_m2: must be positive");
}

void Shift::validate() const {
  require_code(code, "code");
  require_text(name, "name");
  require_range(start_minute, 0, 1439, "start_minute");
  require_range(duration_minutes, 1, 1440, "duration_minutes");
}

void Staff::validate() const {
  require_code(employee_no, "employee_no");
  require_text(name, "name");
  require_ref(department_id, "department_id");
  for (const auto& s : skills) require_code(s, "skills");
  if (phone) {
    const auto& p = *phone;
    if (p.empty() || !std::all_of(p.begin(), p.end(), [](char c) {
          return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
        }))
      fail(ErrorCode::invalid_argument, "phone: '" + p + "' is not a phone number");
  }
}

void ShiftAssignment::validate() const {
  require_ref(staff_id, "staff_id");
  require_ref(shift_id, "shift_id");
}

void DictionaryEntry::validate() const {
  require_code(dictionary, "dictionary");
  require_code(code, "code");
  require_text(name, "name");
}

void KnowledgeArticle::validate() const {
  require_code(code, "code");
  require_text(title, "title");
  require_text(body, "body");
}

}  // namespace houqin::site
