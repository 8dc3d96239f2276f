// The generic entity API with an actor: reads and writes authorised by each type's access,
// changes audited with before and after, personal fields masked unless the actor may see them,
// and every read that returns personal data recorded. Every backend.
#include "houqin/protect/entities.hpp"

#include <gtest/gtest.h>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"

namespace houqin {
namespace {

using testing::expect_error;

class EntitiesTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  /// Audit records of `action`, newest last.
  std::vector<audit::Record> records(store::Store& s, const std::string& action) {
    audit::Filter f;
    f.action = action;
    return audit::query(s, pf.actor("auditor"), f);
  }
  json::Json staff(Id department) {
    return {{"employee_no", "E1"},
            {"name", "张三丰"},
            {"department_id", department},
            {"title", "electrician"},
            {"phone", "13812341234"}};
  }
};

TEST_P(EntitiesTest, WritesNeedTheTypesPermissionAndAreAudited) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  auto reader = pf.user_with("reader", "reader", {"bi.read"});
  json::Json dept = {{"code", "ENG"}, {"name", "Engineering"}, {"kind", "logistics"}};
  expect_error([&] { protect::put_entity(*s, reader, "departments", dept); },
               ErrorCode::permission_denied, "");
  EXPECT_EQ(protect::find_entities(*s, reader, "departments", nullptr)["total"], 0);
  auto denied = records(*s, "entity.insert");
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].outcome, audit::Outcome::denied);
  EXPECT_EQ(denied[0].entity, "site_department");

  auto stored = protect::put_entity(*s, editor, "departments", dept);
  Id id = stored["id"].get<Id>();
  stored["name"] = "Engineering Dept";
  auto updated = protect::put_entity(*s, editor, "departments", stored);
  EXPECT_EQ(updated["version"], 2);
  auto upd = records(*s, "entity.update");
  ASSERT_EQ(upd.size(), 1u);
  EXPECT_EQ(upd[0].entity_id, id);
  EXPECT_FALSE(upd[0].before_digest.empty());
  EXPECT_NE(upd[0].before_digest, upd[0].after_digest);

  // A stale version conflicts and changes nothing.
  expect_error([&] { protect::put_entity(*s, editor, "departments", stored); }, ErrorCode::conflict,
               "");
  expect_error([&] { protect::remove_entity(*s, reader, "departments", id, std::nullopt); },
               ErrorCode::permission_denied, "");
  EXPECT_TRUE(protect::remove_entity(*s, editor, "departments", id, 2));
  EXPECT_FALSE(protect::remove_entity(*s, editor, "departments", id, std::nullopt));
  auto removals = records(*s, "entity.remove");  // the denied one and the removal; the no-op
  ASSERT_EQ(removals.size(), 2u);                // removal records nothing
  EXPECT_EQ(removals[0].outcome, audit::Outcome::denied);
  EXPECT_EQ(removals[1].outcome, audit::Outcome::success);
  expect_error([&] { protect::get_entity(*s, editor, "departments", id); }, ErrorCode::not_found,
               "departments " + std::to_string(id) + ": not found");
  expect_error([&] { protect::get_entity(*s, editor, "users", 1); }, ErrorCode::not_found,
               "unknown entity 'users'");
}

TEST_P(EntitiesTest, PersonalFieldsAreMaskedUnlessAllowedAndEveryReadIsRecorded) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  auto hr = pf.user_with("hr", "hr", {"site.read_personal"});
  auto dept = protect::put_entity(*s, editor, "departments",
                                  {{"code", "ENG"}, {"name", "Eng"}, {"kind", "logistics"}});
  auto person = protect::put_entity(*s, editor, "staff", staff(dept["id"].get<Id>()));
  EXPECT_EQ(person["phone"], "138****1234");  // the editor may write but not see it
  Id id = person["id"].get<Id>();

  auto masked = protect::get_entity(*s, editor, "staff", id);
  EXPECT_EQ(masked["phone"], "138****1234");
  auto found = protect::find_entities(*s, editor, "staff", nullptr);
  EXPECT_EQ(found["items"][0]["phone"], "138****1234");
  auto shown = protect::get_entity(*s, hr, "staff", id);
  EXPECT_EQ(shown["phone"], "13812341234");

  auto reads = records(*s, "entity.read");
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[0].entity, "site_staff");
  EXPECT_NE(reads[0].detail.find("masked; ids " + std::to_string(id)), std::string::npos)
      << reads[0].detail;
  EXPECT_EQ(reads[2].actor, "user:hr");
  EXPECT_NE(reads[2].detail.find("unmasked"), std::string::npos);

  // Reads of types without personal fields record nothing; filtering on a sealed field fails.
  protect::find_entities(*s, editor, "departments", nullptr);
  EXPECT_EQ(records(*s, "entity.read").size(), 3u);
  expect_error(
      [&] {
        protect::find_entities(
            *s, hr, "staff",
            {{"where", {{{"column", "phone"}, {"op", "eq"}, {"value", "13812341234"}}}}});
      },
      ErrorCode::invalid_argument, "");
}

TEST_P(EntitiesTest, TypesWithAReadPermissionRefuseOthers) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto reader = pf.user_with("reader", "reader", {"bi.read"});
  auto operator_ = pf.user_with("op", "op", {"telemetry.read"});
  expect_error([&] { protect::find_entities(*s, reader, "devices", nullptr); },
               ErrorCode::permission_denied, "");
  EXPECT_EQ(protect::find_entities(*s, operator_, "devices", nullptr)["total"], 0);
  auto names = protect::entity_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "staff"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "users"), names.end());
}

TEST_P(EntitiesTest, TypesKeptByTheirServicesAreReadOnly) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto all = pf.user_with("all", "all", {"repair.report", "inventory.edit", "asset.edit"});
  for (auto name : {"work_orders", "stock", "assets"}) {
    expect_error([&] { protect::put_entity(*s, all, name, json::Json::object()); },
                 ErrorCode::failed_precondition,
                 std::string(name) + " cannot be changed through the entity API");
    EXPECT_EQ(protect::find_entities(*s, all, name, nullptr)["total"], 0) << name;
  }
  store::EntityRegistry twice;
  twice.add<site::Campus>();
  expect_error([&] { twice.add<site::Campus>(); }, ErrorCode::already_exists,
               "entity collection 'campuses' is registered twice");
}

INSTANTIATE_TEST_SUITE_P(Backends, EntitiesTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
