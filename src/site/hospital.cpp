#include "houqin/site/hospital.hpp"

#include "houqin/audit/call.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/site/his.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace houqin::site {

namespace {
template <class... Ts>
void register_all(store::EntityRegistry& registry, store::Document<Ts...>*) {
  (registry.add<Ts>(), ...);
}
}  // namespace

void register_entities(store::EntityRegistry& registry) {
  register_all(registry, static_cast<HospitalDocument*>(nullptr));
}

std::vector<store::Migration> migrations() {
  using store::create_table;
  return {
      {"site", 1, "hospital model, staff, rosters, dictionaries, knowledge base",
       [](store::Store& s) {
         create_table<Campus>(s);
         create_table<Building>(s);
         create_table<Floor>(s);
         create_table<Department>(s);
         create_table<Room>(s);
         create_table<Shift>(s);
         create_table<Staff>(s);
         create_table<ShiftAssignment>(s);
         create_table<DictionaryEntry>(s);
         create_table<KnowledgeArticle>(s);
       }},
      {"site", 2, "rooms can be inactive; which other system owns a record (HIS push)",
       [](store::Store& s) {
         // Rooms stored before this migration are in use: active, not the column's zero value.
         const bool had_active = s.column_exists(entity_traits<Room>::table, "active");
         store::add_column(s, &Room::active);
         if (!had_active) s.execute("UPDATE site_room SET active = 1");
         create_table<ExternalRef>(s);
       }},
  };
}

store::ImportReport import_hospital(store::Store& store, const json::Json& document) {
  if (!document.is_object()) json::fail_type(json::Path{}, "object", document);
  auto format = document.find("format");
  if (format == document.end() || *format != hospital_format)
    fail(ErrorCode::invalid_argument, "format: expected \"" + std::string(hospital_format) + "\"");
  auto version = document.find("format_version");
  if (version != document.end() && *version != hospital_format_version)
    fail(ErrorCode::invalid_argument, "format_version: this library reads version " +
                                          std::to_string(hospital_format_version) + ", got " +
                                          version->dump());
  return HospitalDocument::import_json(store, document, {"format", "format_version"});
}

store::ImportReport import_hospital_file(store::Store& store, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::not_found, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return import_hospital(store, json::parse(text.str(), path));
}

store::ImportReport import_hospital(store::Store& store, const auth::Actor& actor,
                                    const json::Json& document) {
  return audit::audited(store, actor, "site.import", [&](audit::Call& call) {
    call.require("site.edit");
    auto report = import_hospital(store, document);
    call.record("", std::nullopt, std::nullopt, std::nullopt,
                "hospital imported: " + std::to_string(report.total) + " entities");
    return report;
  });
}

json::Json export_hospital(store::Store& store) {
  json::Json header = {{"format", hospital_format}, {"format_version", hospital_format_version}};
  return HospitalDocument::export_json(store, std::move(header));
}

json::Json export_hospital(store::Store& store, const auth::Actor& actor) {
  return audit::audited(store, actor, "site.export", [&](audit::Call& call) {
    auto doc = export_hospital(store);
    const bool unmasked = actor.can("protect.unmask");
    HospitalDocument::for_each_table([&](const store::TableInfo& t) {
      if (t.has_personal && !unmasked && doc.contains(t.collection))
        protect::mask_rows(t, doc[t.collection]);
    });
    call.record("", std::nullopt, std::nullopt, std::nullopt,
                unmasked ? "hospital exported with personal data unmasked"
                         : "hospital exported with personal data masked");
    return doc;
  });
}

Summary summarize(store::Store& store) {
  using store::Repository;
  Summary s;
  s.campuses = Repository<Campus>(store).count();
  s.buildings = Repository<Building>(store).count();
  s.floors = Repository<Floor>(store).count();
  s.shifts = Repository<Shift>(store).count();
  s.dictionary_entries = Repository<DictionaryEntry>(store).count();
  s.articles = Repository<KnowledgeArticle>(store).count();
  for (const auto& r : Repository<Room>(store).find()) {
    ++s.rooms;
    s.beds += r.beds;
    ++s.rooms_by_type[std::string(enum_name(r.type))];
  }
  for (const auto& d : Repository<Department>(store).find()) {
    ++s.departments;
    ++s.departments_by_kind[std::string(enum_name(d.kind))];
  }
  for (const auto& p : Repository<Staff>(store).find()) {
    ++s.staff;
    if (!p.active) continue;
    ++s.active_staff;
    for (const auto& skill : p.skills) ++s.staff_by_skill[skill];
  }
  return s;
}

std::vector<KnowledgeArticle> search_knowledge(store::Store& store, std::string_view text,
                                               std::size_t limit) {
  using store::Op;
  using store::Query;
  store::Repository<KnowledgeArticle> repo(store);
  std::vector<KnowledgeArticle> out;
  std::vector<Id> seen;
  // Title matches rank first; then body or tag matches not already found.
  for (auto member : {&KnowledgeArticle::title, &KnowledgeArticle::body}) {
    for (auto& a :
         repo.find(Query<KnowledgeArticle>().where(member, Op::contains, std::string(text)))) {
      if (std::find(seen.begin(), seen.end(), a.id) != seen.end()) continue;
      seen.push_back(a.id);
      out.push_back(std::move(a));
    }
  }
  for (auto& a :
       repo.find(Query<KnowledgeArticle>().where("tags", Op::contains, json::Json(text)))) {
    if (std::find(seen.begin(), seen.end(), a.id) != seen.end()) continue;
    seen.push_back(a.id);
    out.push_back(std::move(a));
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace houqin::site
