// Importing, exporting and searching a whole hospital, on every backend.
#include "houqin/site/hospital.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../../support/backends.hpp"

namespace houqin {
namespace {

using namespace houqin::store;
using json::Json;

Json sample_hospital() {
  std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
  return Json::parse(in);
}

class HospitalTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Store> open() { return fx.open_migrated(GetParam(), site::migrations()); }
  /// Row counts of every site table: "unchanged" means these are equal.
  static std::map<std::string, std::int64_t> counts(Store& s) {
    auto doc = site::export_hospital(s);
    std::map<std::string, std::int64_t> out;
    for (auto it = doc.begin(); it != doc.end(); ++it)
      if (it->is_array()) out[it.key()] = static_cast<std::int64_t>(it->size());
    return out;
  }
  /// Imports `doc` expecting an error whose message starts with `start`; checks the store is
  /// unchanged.
  void expect_rejected(Store& s, const Json& doc, ErrorCode code, const std::string& start) {
    auto before = site::export_hospital(s);
    try {
      site::import_hospital(s, doc);
      ADD_FAILURE() << "accepted; expected " << start;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
    }
    EXPECT_EQ(site::export_hospital(s), before) << "the store changed";
  }
  testing::BackendFixture fx;
};

TEST_P(HospitalTest, ImportsTheSampleHospital) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  auto report = site::import_hospital(*s, doc);
  EXPECT_EQ(report.inserted.at("rooms"), doc["rooms"].size());
  auto sum = site::summarize(*s);
  EXPECT_EQ(sum.rooms, static_cast<std::int64_t>(doc["rooms"].size()));
  EXPECT_GE(sum.buildings, 3);
  EXPECT_GE(sum.departments, 30);
  EXPECT_GE(sum.rooms, 100);
  EXPECT_GE(sum.staff, 50);
  std::int64_t beds = 0;
  for (const auto& r : doc["rooms"]) beds += r["beds"].get<std::int64_t>();
  EXPECT_EQ(sum.beds, beds);
  EXPECT_GT(sum.staff_by_skill["electrical"], 0);
  EXPECT_GT(sum.rooms_by_type["plant_room"], 0);
}

TEST_P(HospitalTest, ReferencesAreRewrittenToStoreIds) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  // Occupy low ids first so document ids and store ids differ.
  Json pre = {{"format", "houqin.hospital"},
              {"campuses", {{{"id", 1}, {"code", "OLD"}, {"name", "旧院区"}, {"address", ""}}}},
              {"buildings", {{{"id", 1}, {"campus_id", 1}, {"code", "Z"}, {"name", "旧楼"}}}}};
  site::import_hospital(*s, pre);
  auto doc = sample_hospital();
  site::import_hospital(*s, doc);
  // Every stored room sits on the floor its document entry named, found by codes.
  std::map<Id, std::string> floor_code_by_doc_id;
  for (const auto& f : doc["floors"]) floor_code_by_doc_id[f["id"]] = f["code"];
  Repository<site::Room> rooms(*s);
  Repository<site::Floor> floors(*s);
  for (const auto& r : doc["rooms"]) {
    auto stored = rooms.find_one(
        Query<site::Room>().where(&site::Room::code, Op::eq, r["code"].get<std::string>()));
    ASSERT_TRUE(stored) << r["code"];
    EXPECT_EQ(floors.require(stored->floor_id).code, floor_code_by_doc_id.at(r["floor_id"]));
  }
}

TEST_P(HospitalTest, ChildrenMayComeBeforeTheirParents) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  Json reversed = Json::array();
  for (auto it = doc["departments"].rbegin(); it != doc["departments"].rend(); ++it)
    reversed.push_back(*it);
  doc["departments"] = reversed;
  site::import_hospital(*s, doc);
  std::map<Id, std::string> code_by_doc_id;
  for (const auto& d : doc["departments"]) code_by_doc_id[d["id"]] = d["code"];
  Repository<site::Department> deps(*s);
  int with_parent = 0;
  for (const auto& d : doc["departments"]) {
    auto stored = deps.find_one(Query<site::Department>().where(&site::Department::code, Op::eq,
                                                                d["code"].get<std::string>()));
    ASSERT_TRUE(stored);
    if (d["parent_id"].is_null()) {
      EXPECT_FALSE(stored->parent_id);
    } else {
      ++with_parent;
      EXPECT_EQ(deps.require(*stored->parent_id).code, code_by_doc_id.at(d["parent_id"]));
    }
  }
  EXPECT_GT(with_parent, 5);
  // A cycle cannot be inserted in any order.
  auto cyc = sample_hospital();
  Id a = cyc["departments"][0]["id"], b = cyc["departments"][1]["id"];
  cyc["departments"][0]["parent_id"] = b;
  cyc["departments"][1]["parent_id"] = a;
  testing::BackendFixture fx2;
  auto other = fx2.open_migrated("sqlite_memory", site::migrations());
  expect_rejected(*other, cyc, ErrorCode::invalid_argument, "departments[");
}

TEST_P(HospitalTest, ExportImportsBackToTheSameHospital) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  site::import_hospital(*s, sample_hospital());
  auto exported = site::export_hospital(*s);
  EXPECT_EQ(exported["format"], "houqin.hospital");

  testing::BackendFixture fx2;
  auto copy = fx2.open_migrated("sqlite_memory", site::migrations());
  site::import_hospital(*copy, exported);
  auto again = site::export_hospital(*copy);
  // Ids may differ between stores; everything else must be identical: compare without ids,
  // with references resolved to the referenced entry's position.
  EXPECT_EQ(counts(*s), counts(*copy));
  auto strip = [](Json doc) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!it->is_array()) continue;
      for (auto& row : *it) {
        row.erase("id");
        row.erase("version");
      }
    }
    return doc;
  };
  // Both stores were filled in the same order from a fresh start, so ids agree too.
  EXPECT_EQ(strip(exported), strip(again));
  EXPECT_TRUE(members_equal(site::summarize(*s), site::summarize(*copy)));
}

TEST_P(HospitalTest, DanglingReferenceIsNamedAndNothingIsStored) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  doc["rooms"][12]["floor_id"] = 9999;
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "rooms[12].floor_id: no floors entry with id 9999");
  doc = sample_hospital();
  doc["staff"][3]["department_id"] = 777;
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "staff[3].department_id: no departments entry with id 777");
  doc = sample_hospital();
  doc["departments"][5]["parent_id"] = 31337;
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "departments[5].parent_id: no departments entry with id 31337");
}

TEST_P(HospitalTest, MalformedEntriesAreNamed) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  doc["rooms"][4]["colour"] = "blue";
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "rooms[4].colour: unknown field");
  doc = sample_hospital();
  doc["rooms"][4]["type"] = "sauna";
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "rooms[4].type: unknown value 'sauna'");
  doc = sample_hospital();
  doc["buildings"][1]["floors_above"] = "16";
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "buildings[1].floors_above: expected integer, got string");
  doc = sample_hospital();
  doc["shifts"][0]["start_minute"] = 1440;
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "shifts[0].start_minute: 1440 is outside 0..1439");
  doc = sample_hospital();
  doc["shift_assignments"][0]["day"] = "2026-13-01";
  expect_rejected(*s, doc, ErrorCode::invalid_argument,
                  "shift_assignments[0].day: '2026-13-01' is not a valid date");
  doc = sample_hospital();
  doc["lifts"] = Json::array();
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "lifts: unknown collection");
  doc = sample_hospital();
  doc["format"] = "something.else";
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "format: expected \"houqin.hospital\"");
  doc = sample_hospital();
  doc["rooms"] = Json::object();
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "rooms: expected array, got object");
}

TEST_P(HospitalTest, DuplicatesAreNamedWithBothEntries) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  doc["rooms"][7]["code"] = doc["rooms"][2]["code"];
  expect_rejected(*s, doc, ErrorCode::already_exists,
                  "rooms[7].code: duplicate value '" + doc["rooms"][2]["code"].get<std::string>() +
                      "' (also rooms[2])");
  doc = sample_hospital();
  doc["floors"][3]["id"] = doc["floors"][1]["id"];
  expect_rejected(*s, doc, ErrorCode::invalid_argument, "floors[3].id: duplicate id");
}

TEST_P(HospitalTest, ClashWithStoredDataRollsBackEverything) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  Json pre = {{"format", "houqin.hospital"},
              {"campuses", {{{"id", 1}, {"code", "X"}, {"name", "x"}, {"address", ""}}}},
              {"buildings", {{{"id", 1}, {"campus_id", 1}, {"code", "E"}, {"name", "既有楼"}}}}};
  site::import_hospital(*s, pre);
  // The sample's building E clashes with the stored one: late in the import, after campuses went
  // in.
  auto doc = sample_hospital();
  std::size_t e_index = 0;
  for (std::size_t i = 0; i < doc["buildings"].size(); ++i)
    if (doc["buildings"][i]["code"] == "E") e_index = i;
  expect_rejected(*s, doc, ErrorCode::already_exists,
                  "buildings[" + std::to_string(e_index) + "]: site_building: ");
  EXPECT_EQ(counts(*s).at("campuses"), 1);
}

TEST_P(HospitalTest, KnowledgeSearchRanksTitleHitsFirst) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto doc = sample_hospital();
  site::import_hospital(*s, doc);
  auto hits = site::search_knowledge(*s, "氧");
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits.front().title.find("氧"), std::string::npos);
  bool body_only_seen = false;
  for (const auto& a : hits) {
    bool in_title = a.title.find("氧") != std::string::npos;
    if (!in_title) body_only_seen = true;
    EXPECT_FALSE(in_title && body_only_seen) << "title hit after a body-only hit";
  }
  EXPECT_TRUE(site::search_knowledge(*s, "no such thing 不存在的").empty());
  EXPECT_LE(site::search_knowledge(*s, "", 3).size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, HospitalTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
