// The site domain's services: its migrations, import and export of a whole hospital as one JSON
// document ("houqin.hospital" format), a summary for people, and knowledge-base search.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/document.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/registry.hpp"

namespace houqin::site {

/// Every site entity, in the order a hospital document lists and imports them.
using HospitalDocument = store::Document<Campus, Building, Floor, Department, Room, Shift, Staff,
                                         ShiftAssignment, DictionaryEntry, KnowledgeArticle>;

inline constexpr std::string_view hospital_format = "houqin.hospital";
inline constexpr int hospital_format_version = 1;

/// Adds every site entity to `registry` (campuses, buildings, floors, ... by collection name).
HOUQIN_EXPORT void register_entities(store::EntityRegistry& registry);

/// The site domain's schema migrations.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// Imports a hospital document (see docs/site.md). All or nothing: any error names the entry and
/// field at fault and leaves the store unchanged.
HOUQIN_EXPORT store::ImportReport import_hospital(store::Store& store, const json::Json& document);
/// The same for a person: needs site.edit; audited ("site.import") with the counts imported.
HOUQIN_EXPORT store::ImportReport import_hospital(store::Store& store, const auth::Actor& actor,
                                                  const json::Json& document);
/// Reads the file and imports it; a file that cannot be read is Error(not_found).
HOUQIN_EXPORT store::ImportReport import_hospital_file(store::Store& store,
                                                       const std::string& path);
/// Exports the whole site model as a hospital document that import_hospital accepts. Personal
/// fields come out in plaintext: for trusted host code only (C ABI and Python use the next one).
HOUQIN_EXPORT json::Json export_hospital(store::Store& store);
/// The same for a person: personal fields (staff phones) masked unless the actor holds
/// protect.unmask; every export is audited ("site.export"), saying whether it was unmasked.
HOUQIN_EXPORT json::Json export_hospital(store::Store& store, const auth::Actor& actor);

/// The shape of a hospital document, for schemas (site.export's output, docs/site.md): the
/// format header, then one array per collection.
struct HospitalExport {
  static json::Json json_schema(json::SchemaBuilder& b) {
    return HospitalDocument::schema(
        b, {{"format", {{"type", "string"}, {"enum", {std::string(hospital_format)}}}},
            {"format_version",
             {{"type", "integer"},
              {"minimum", hospital_format_version},
              {"maximum", hospital_format_version}}}});
  }
};

/// Counts for a readable overview.
struct Summary {
  std::int64_t campuses = 0, buildings = 0, floors = 0, rooms = 0, beds = 0, departments = 0,
               staff = 0, active_staff = 0, shifts = 0, dictionary_entries = 0, articles = 0;
  std::map<std::string, std::int64_t> rooms_by_type;
  std::map<std::string, std::int64_t> departments_by_kind;
  std::map<std::string, std::int64_t> staff_by_skill;
};
BOOST_DESCRIBE_STRUCT(Summary, (),
                      (campuses, buildings, floors, rooms, beds, departments, staff, active_staff,
                       shifts, dictionary_entries, articles, rooms_by_type, departments_by_kind,
                       staff_by_skill))
HOUQIN_EXPORT Summary summarize(store::Store& store);

/// Articles whose title, body or tags contain `text` (case-insensitive), best matches first
/// (title hits before body-only hits), at most `limit`.
HOUQIN_EXPORT std::vector<KnowledgeArticle> search_knowledge(store::Store& store,
                                                             std::string_view text,
                                                             std::size_t limit = 20);

}  // namespace houqin::site
