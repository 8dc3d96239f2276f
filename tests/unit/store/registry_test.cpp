// Entities by name with JSON in and out (the form the C ABI and Python use), on every backend.
#include "houqin/store/registry.hpp"

#include <gtest/gtest.h>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "houqin/site/hospital.hpp"

namespace houqin {
namespace {

using namespace houqin::store;
using json::Json;

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Store> open() {
    site::register_entities(registry);
    return fx.open_migrated(GetParam(), site::migrations());
  }
  testing::BackendFixture fx;
  EntityRegistry registry;
};

TEST_P(RegistryTest, CrudByNameWithJson) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  EXPECT_EQ(registry.names().size(), 10u);
  auto campus = registry.at("campuses").insert(*s, Json{{"code", "MAIN"}, {"name", "本部"}});
  EXPECT_GT(campus["id"].get<Id>(), 0);
  EXPECT_EQ(campus["version"], 1);
  auto building = registry.at("buildings")
                      .insert(*s, Json{{"campus_id", campus["id"]},
                                       {"code", "A"},
                                       {"name", "门诊楼"},
                                       {"floors_above", 5}});
  auto& floors = registry.at("floors");
  for (int level : {1, 2, 3})
    floors.insert(*s, Json{{"building_id", building["id"]},
                           {"level", level},
                           {"code", "A-" + std::to_string(level)},
                           {"name", std::to_string(level) + "F"}});

  auto page = floors.find(*s, Json{{"where", {{{"column", "level"}, {"op", "ge"}, {"value", 2}}}},
                                   {"order_by", {{{"column", "level"}, {"descending", true}}}},
                                   {"limit", 1}});
  EXPECT_EQ(page["total"], 2);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["code"], "A-3");

  auto got = *registry.at("buildings").get(*s, building["id"]);
  got["name"] = "门诊医技综合楼";
  auto updated = registry.at("buildings").update(*s, got);
  EXPECT_EQ(updated["version"], 2);
  try {
    registry.at("buildings").update(*s, got);  // still version 1: someone else's stale copy
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
  }
  EXPECT_FALSE(registry.at("campuses").get(*s, 999).has_value());
  Id first_floor = floors.find(*s, Json::object())["items"][0]["id"];
  EXPECT_TRUE(floors.remove(*s, first_floor, std::nullopt));
  EXPECT_EQ(floors.find(*s, Json::object())["total"], 2);
}

TEST_P(RegistryTest, BadRequestsNameTheProblemAndChangeNothing) {
  auto s = open();
  HQ_REQUIRE_STORE(s);
  auto expect = [](auto&& f, ErrorCode code, const std::string& start) {
    testing::expect_error(f, code, start);
  };
  expect([&] { registry.at("lifts"); }, ErrorCode::not_found,
         "unknown entity 'lifts' (known: buildings,");
  auto& campuses = registry.at("campuses");
  expect(
      [&] {
        campuses.insert(*s, Json{{"code", "X"}, {"name", "x"}, {"owner", "me"}});
      },
      ErrorCode::invalid_argument, "campuses.owner: unknown field");
  expect(
      [&] {
        campuses.insert(*s, Json{{"code", "X"}});
      },
      ErrorCode::invalid_argument, "name: must not be empty");
  expect(
      [&] {
        campuses.find(*s, Json{{"where", {{{"column", "code"}, {"op", "like"}, {"value", "X"}}}}});
      },
      ErrorCode::invalid_argument, "query.where[0].op: unknown value 'like'");
  expect(
      [&] {
        campuses.find(*s, Json{{"where", {{{"column", "colour"}, {"op", "eq"}, {"value", 1}}}}});
      },
      ErrorCode::invalid_argument, "site_campus: no column 'colour'");
  expect(
      [&] {
        campuses.find(*s, Json{{"limit", "ten"}});
      },
      ErrorCode::invalid_argument, "query.limit: expected integer, got string");
  expect(
      [&] {
        campuses.find(*s, Json{{"where", {{{"column", "code"}, {"op", "eq"}, {"value", 1}}}}});
      },
      ErrorCode::invalid_argument, "code: expected string, got number");
  EXPECT_EQ(campuses.find(*s, Json::object())["total"], 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
