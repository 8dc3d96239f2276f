#include "houqin/core/json.hpp"

#include <gtest/gtest.h>

#include "../../support/samples.hpp"
#include "../../support/types.hpp"

namespace houqin {
namespace {

using json::Json;

template <class List>
struct ToGtest;
template <class... Ts>
struct ToGtest<boost::mp11::mp_list<Ts...>> {
  using type = ::testing::Types<Ts...>;
};
using AllDescribed =
    ToGtest<boost::mp11::mp_append<testing::EntityTypes, testing::ValueTypes>>::type;

template <class T>
class JsonRoundTrip : public ::testing::Test {};
TYPED_TEST_SUITE(JsonRoundTrip, AllDescribed);

TYPED_TEST(JsonRoundTrip, EveryMemberSurvivesTextRoundTrip) {
  for (int seed = 0; seed < 3; ++seed) {
    auto original = testing::sample<TypeParam>(seed);
    auto text = json::to_json(original).dump();
    auto back = json::from_string<TypeParam>(text);
    EXPECT_TRUE(members_equal(original, back)) << text;
    EXPECT_FALSE(members_equal(original, TypeParam{})) << "the sample must differ from the default";
  }
}

TYPED_TEST(JsonRoundTrip, EveryMemberIsAKeyNamedAfterIt) {
  auto j = json::to_json(testing::sample<TypeParam>(1));
  std::size_t n = 0;
  for_each_member<TypeParam>([&](const char* name, auto) {
    EXPECT_TRUE(j.contains(name)) << name;
    ++n;
  });
  EXPECT_EQ(j.size(), n);
}

TYPED_TEST(JsonRoundTrip, UnknownFieldIsRejectedByName) {
  auto j = json::to_json(testing::sample<TypeParam>(1));
  j["no_such_field"] = 1;
  try {
    json::from_json<TypeParam>(j, "doc");
    FAIL() << "accepted an unknown field";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_STREQ(e.what(), "doc.no_such_field: unknown field");
  }
}

TYPED_TEST(JsonRoundTrip, WrongTypeOfEveryMemberIsRejectedByName) {
  for_each_member<TypeParam>([&](const char* name, auto) {
    auto j = json::to_json(testing::sample<TypeParam>(1));
    // An array of objects is the wrong type for every member we have.
    j[name] = Json::array({Json::object({{"x", 1}})});
    try {
      json::from_json<TypeParam>(j);
      ADD_FAILURE() << name << " accepted a wrong type";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(std::string(e.what()).rfind(name, 0), 0u) << e.what();
    }
  });
}

// ---- specific rules -----------------------------------------------------------------------------

TEST(Json, EnumsAreNamesAndUnknownNamesListTheChoices) {
  site::Room room;
  room.type = site::RoomType::icu;
  EXPECT_EQ(json::to_json(room)["type"], "icu");
  Json j = json::to_json(room);
  j["type"] = "lab";
  try {
    json::from_json<site::Room>(j, "rooms[3]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "rooms[3].type: unknown value 'lab' (expected one of: ward,", 0),
              0u)
        << e.what();
  }
  j["type"] = 3;
  EXPECT_THROW(json::from_json<site::Room>(j), Error);
}

TEST(Json, OptionalIsNullWhenEmptyAndAbsentMeansDefault) {
  site::Room room;
  Json j = json::to_json(room);
  EXPECT_TRUE(j["department_id"].is_null());
  EXPECT_TRUE(j["area_m2"].is_null());
  auto back = json::from_json<site::Room>(Json{{"code", "A-1-0001"}, {"beds", 4}});
  EXPECT_EQ(back.code, "A-1-0001");
  EXPECT_EQ(back.beds, 4);
  EXPECT_FALSE(back.department_id.has_value());
  EXPECT_EQ(back.type, site::RoomType::other);
  back = json::from_json<site::Room>(Json{{"department_id", 7}});
  EXPECT_EQ(back.department_id, std::optional<Id>(7));
}

TEST(Json, TimestampsAreIsoUtc) {
  site::KnowledgeArticle a;
  a.updated_at = parse_timestamp("2026-11-25T18:29:09.5+08:00");
  EXPECT_EQ(json::to_json(a)["updated_at"], "2026-11-25T10:29:09.500000Z");
  Json j = json::to_json(a);
  j["updated_at"] = "2026-11-25 10:29";
  try {
    json::from_json<site::KnowledgeArticle>(j);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("updated_at: '2026-11-25 10:29' is not a valid ISO-8601", 0),
        0u)
        << e.what();
  }
}

TEST(Json, NestedPathsNameTheElement) {
  Json j = {{"skills", {"electrical", 5}}};
  try {
    json::from_json<site::Staff>(j, "staff[2]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "staff[2].skills[1]: expected string, got number");
  }
}

TEST(Json, IntegersAreRangeCheckedAndFractionsRejected) {
  EXPECT_THROW(json::from_json<site::Room>(Json{{"beds", 3000000000LL}}), Error);
  EXPECT_THROW(json::from_json<site::Room>(Json{{"beds", 2.5}}), Error);
  EXPECT_THROW(json::from_json<site::Room>(Json{{"beds", true}}), Error);
  EXPECT_EQ(json::from_json<site::Room>(Json{{"beds", 12}}).beds, 12);
}

TEST(Json, MalformedTextNamesTheOffset) {
  try {
    json::from_string<site::Room>("{\"code\": \"A-1\",, }", "upload");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(std::string(e.what()).rfind(
                  "upload: malformed JSON at byte 16: parse error at line 1, column 16", 0),
              0u)
        << e.what();
  }
}

TEST(Json, NlohmannInteroperatesThroughTheSameCodecs) {
  site::Room room;
  room.code = "B-5-0501";
  room.type = site::RoomType::ward;
  Json j = room;
  EXPECT_EQ(j["type"], "ward");
  auto back = j.get<site::Room>();
  EXPECT_TRUE(members_equal(room, back));
  j["bogus"] = 1;
  EXPECT_THROW(j.get<site::Room>(), Error);
}

}  // namespace
}  // namespace houqin
