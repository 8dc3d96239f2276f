// JSON Schema from descriptions, the checker that holds documents to it, and the strict parser.
#include <gtest/gtest.h>

#include <random>

#include "../../support/samples.hpp"
#include "../../support/types.hpp"
#include "houqin/core/json.hpp"

// A type whose schema name ("clash.Item") is also that of houqin::(anonymous)::clash::Item below.
namespace clash {
struct Item {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (n))
}  // namespace clash

namespace houqin {
namespace {

using json::Direction;
using json::Json;
using namespace std::chrono_literals;

struct Timed {
  std::string label;
  std::chrono::milliseconds wait{1500};
  std::optional<std::chrono::microseconds> grace;
  site::RoomType kind = site::RoomType::ward;
  std::uint8_t level = 3;
  static constexpr std::array<std::string_view, 1> required_fields{"label"};
};
BOOST_DESCRIBE_STRUCT(Timed, (), (label, wait, grace, kind, level))

struct Tree {
  std::string name;
  std::vector<Tree> children;
};
BOOST_DESCRIBE_STRUCT(Tree, (), (name, children))

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    return e.what();
  }
  return "accepted";
}

namespace clash {
struct Item {
  std::string s;
};
BOOST_DESCRIBE_STRUCT(Item, (), (s))
}  // namespace clash

struct Clashing {
  clash::Item mine;
  ::clash::Item theirs;
};
BOOST_DESCRIBE_STRUCT(Clashing, (), (mine, theirs))

// site::Room's codec is compiled once, in libhouqin (HOUQIN_EXTERN_ENTITY); the enum codec of its
// `type` member there and the one compiled here for `kind` are two copies of one type's codec.
struct RoomAndType {
  site::RoomType kind = site::RoomType::ward;
  site::Room room;
};
BOOST_DESCRIBE_STRUCT(RoomAndType, (), (kind, room))

// ---- schema<T>() ------------------------------------------------------------------------------

TEST(Schema, StructIsAClosedObjectWithTypedMembersAndDefaults) {
  Json s = json::schema<Timed>(Direction::input);
  EXPECT_EQ(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(s["title"], "Timed");
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"], Json::array({"label"}));
  const Json& p = s["properties"];
  EXPECT_EQ(p["label"], Json({{"type", "string"}}));
  EXPECT_EQ(p["wait"], Json({{"type", "string"}, {"format", "duration"}, {"default", "PT1.5S"}}));
  EXPECT_EQ(p["grace"]["anyOf"][1], Json({{"type", "null"}}));
  EXPECT_EQ(p["grace"]["default"], nullptr);
  EXPECT_EQ(p["level"]["minimum"], 0);
  EXPECT_EQ(p["level"]["maximum"], 255);
  EXPECT_EQ(p["kind"]["$ref"], "#/$defs/site.RoomType");
  EXPECT_EQ(p["kind"]["default"], "ward");
  const Json& kinds = s["$defs"]["site.RoomType"]["enum"];
  EXPECT_EQ(kinds.size(), enum_names<site::RoomType>().size());
  EXPECT_EQ(kinds[0], std::string(enum_names<site::RoomType>()[0]));
}

TEST(Schema, OutputRequiresEveryMemberBecauseTheEncoderWritesThemAll) {
  Json s = json::schema<Timed>(Direction::output);
  EXPECT_EQ(s["required"], Json::array({"label", "wait", "grace", "kind", "level"}));
  EXPECT_FALSE(s["properties"]["wait"].contains("default"));
}

TEST(Schema, EveryMemberTypeMapsToItsKeyword) {
  Json s = json::schema<testing::AllTypes>(Direction::output);
  const Json& p = s["properties"];
  EXPECT_EQ(p["flag"]["type"], "boolean");
  EXPECT_EQ(p["i16"]["minimum"], -32768);
  EXPECT_EQ(p["u32"]["maximum"], 4294967295LL);
  EXPECT_EQ(p["f64"]["type"], "number");
  EXPECT_EQ(p["at"]["format"], "date-time");
  EXPECT_EQ(p["day"]["format"], "date");
  EXPECT_EQ(p["texts"]["items"]["type"], "string");
  EXPECT_EQ(p["counts"]["additionalProperties"]["type"], "integer");
  EXPECT_EQ(p["nested"]["$ref"], "#/$defs/testing.Nested");
  EXPECT_EQ(p["nested_list"]["items"]["$ref"], "#/$defs/testing.Nested");
  EXPECT_EQ(s["$defs"]["testing.Nested"]["properties"]["when"]["anyOf"][0]["format"], "date-time");
}

TEST(Schema, RecursiveTypeKeepsItsDefinition) {
  Json s = json::schema<Tree>(Direction::output);
  EXPECT_EQ(s["properties"]["children"]["items"]["$ref"], "#/$defs/Tree");
  ASSERT_TRUE(s["$defs"].contains("Tree"));
  Json doc = json::to_json(Tree{"a", {Tree{"b", {Tree{"c", {}}}}}});
  EXPECT_EQ(json::conforms(s, doc), "");
  doc["children"][0]["children"][0]["oops"] = 1;
  EXPECT_EQ(json::conforms(s, doc), "children[0].children[0].oops: unknown field");
}

TEST(Schema, TwoTypesWithOneSchemaNameAreRefused) {
  try {
    json::schema<Clashing>(Direction::output);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_STREQ(e.what(), "two types share the schema name 'clash.Item'");
  }
}

TEST(Schema, OneTypeReachedThroughCodecsOfTwoLibrariesIsOneDefinition) {
  Json s = json::schema<RoomAndType>(Direction::output);
  EXPECT_EQ(s["properties"]["kind"]["$ref"], "#/$defs/site.RoomType");
  EXPECT_EQ(s["$defs"]["site.Room"]["properties"]["type"]["$ref"], "#/$defs/site.RoomType");
  EXPECT_EQ(json::conforms(s, json::to_json(RoomAndType{})), "");
}

TEST(Schema, SchemaNamesDropTheLibraryNamespaceAndAnonymousScopes) {
  EXPECT_EQ(json::schema_name("houqin::repair::WorkOrder"), "repair.WorkOrder");
  EXPECT_EQ(json::schema_name("houqin::repair::(anonymous namespace)::Orders"), "repair.Orders");
  EXPECT_EQ(json::schema_name<site::Room>(), "site.Room");
}

// ---- conforms() agrees with the decoder --------------------------------------------------------

TEST(Schema, RequiredFieldIsRefusedByDecoderAndSchemaAlike) {
  Json s = json::schema<Timed>(Direction::input);
  EXPECT_EQ(refusal([] { json::from_json<Timed>(Json::object(), "in"); }),
            "in.label: required field is missing");
  EXPECT_EQ(json::conforms(s, Json::object()), "label: required field is missing");
  EXPECT_EQ(json::from_json<Timed>(Json{{"label", "x"}}).wait, 1500ms);
}

TEST(Schema, DurationsAreIsoTextAtTheMembersResolution) {
  Timed t;
  t.label = "x";
  t.grace = 250us;
  Json j = json::to_json(t);
  EXPECT_EQ(j["wait"], "PT1.5S");
  EXPECT_EQ(j["grace"], "PT0.00025S");
  EXPECT_EQ(json::from_json<Timed>(j).grace, 250us);
  EXPECT_EQ(refusal([] {
              json::from_json<Timed>(Json{{"label", "x"}, {"wait", "PT0.0001S"}});
            }),
            "wait: 'PT0.0001S' is finer than this field's resolution");
  EXPECT_NE(refusal([] {
              json::from_json<Timed>(Json{{"label", "x"}, {"wait", 100}});
            }).find("wait: expected ISO-8601 duration string, got number"),
            std::string::npos);
  EXPECT_NE(json::conforms(json::schema<Timed>(), Json{{"label", "x"}, {"wait", "P1M"}})
                .find("wait: 'P1M' is not a valid duration (years and months"),
            std::string::npos);
}

// Documents near a valid one: each is decoded and checked, and the two must agree on whether it
// is acceptable, so the published schema says exactly what the decoder takes.
template <class T>
void expect_agreement(const Json& valid, std::uint32_t seed, int rounds) {
  Json schema = json::schema<T>(Direction::input);
  std::mt19937 rng(seed);
  const std::vector<Json> replacements = {nullptr,
                                          true,
                                          0,
                                          -1,
                                          70000,
                                          3000000000LL,
                                          18446744073709551615ULL,
                                          1.5,
                                          "",
                                          "ward",
                                          "PT1S",
                                          "2026-01-01",
                                          "2026-01-01T00:00:00Z",
                                          "P1M",
                                          Json::array(),
                                          Json::object(),
                                          Json::array({1, 2}),
                                          Json::array({"a"}),
                                          Json{{"a", 1}}};
  for (int round = 0; round < rounds; ++round) {
    Json doc = valid;
    // Change one member (or one element inside it), or add an unknown one, or drop one.
    auto keys = std::vector<std::string>{};
    for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
    auto& key = keys[rng() % keys.size()];
    switch (rng() % 4) {
      case 0:
        doc.erase(key);
        break;
      case 1:
        doc["zz_unknown"] = 1;
        break;
      default: {
        Json& target = doc[key];
        Json value = replacements[rng() % replacements.size()];
        if (target.is_array() && !target.empty())
          target[rng() % target.size()] = value;
        else
          target = value;
      }
    }
    std::string decoder;
    try {
      json::from_json<T>(doc);
    } catch (const Error& e) {
      decoder = e.what();
    }
    std::string checker = json::conforms(schema, doc);
    EXPECT_EQ(decoder.empty(), checker.empty())
        << doc.dump() << "\n decoder: " << decoder << "\n schema: " << checker;
  }
}

TEST(Schema, CheckerAndDecoderAgreeOnDocumentsNearAValidOne) {
  Timed t;
  t.label = "a";
  t.grace = 5us;
  expect_agreement<Timed>(json::to_json(t), 1, 400);
  auto all = testing::sample<testing::AllTypes>(3);
  expect_agreement<testing::AllTypes>(json::to_json(all), 2, 1500);
  auto room = testing::sample<site::Room>(4);
  expect_agreement<site::Room>(json::to_json(room), 3, 400);
}

TEST(Schema, EncodedValuesConformToTheOutputSchema) {
  for (int seed = 0; seed < 20; ++seed) {
    auto v = testing::sample<testing::AllTypes>(seed);
    EXPECT_EQ(json::conforms(json::schema<testing::AllTypes>(Direction::output), json::to_json(v)),
              "");
  }
  Json doc = json::to_json(testing::sample<testing::AllTypes>(1));
  doc.erase("opt_text");  // absent is fine for input, not in what the encoder writes
  EXPECT_EQ(json::conforms(json::schema<testing::AllTypes>(Direction::output), doc),
            "opt_text: required field is missing");
  EXPECT_EQ(json::conforms(json::schema<testing::AllTypes>(Direction::input), doc), "");
}

TEST(Schema, CheckerRefusesKeywordsItDoesNotKnow) {
  EXPECT_NE(refusal([] {
              json::conforms(Json{{"pattern", "^a"}}, "a");
            }).find("'pattern'"),
            std::string::npos);
  EXPECT_NE(refusal([] {
              json::conforms(Json{{"$ref", "#/$defs/Nope"}}, 1);
            }).find("Nope"),
            std::string::npos);
}

// ---- the strict parser -------------------------------------------------------------------------

TEST(StrictParse, DuplicateKeyIsRefusedWithTheKeyAndItsPath) {
  EXPECT_EQ(refusal([] { json::parse(R"({"a": 1, "a": 2})", "in"); }),
            "in: duplicate key 'a' at (document)");
  EXPECT_EQ(
      refusal([] { json::parse(R"({"rooms": [{"code": "x"}, {"code": "y", "code": "z"}]})"); }),
      "JSON: duplicate key 'code' at rooms[1]");
  EXPECT_EQ(json::parse(R"([{"a": 1}, {"a": 2}])").size(), 2u);  // same key, different objects
}

TEST(StrictParse, NulIsRefusedWithItsByteOffset) {
  EXPECT_EQ(refusal([] { json::parse(R"({"code": "A\u0000B"})"); }),
            "JSON: NUL character in a string at byte 11");
  EXPECT_EQ(refusal([] { json::parse(R"({"x\u0000": 1})"); }),
            "JSON: NUL character in a key at byte 3");
  // An escaped backslash before "u0000" is no NUL.
  EXPECT_EQ(json::parse(R"(["\\u0000"])")[0], "\\u0000");
  std::string raw = "{\"a\": \"b";
  raw += '\0';
  raw += "\"}";
  EXPECT_NE(refusal([&] { json::parse(raw); }).find("malformed JSON at byte 9"), std::string::npos);
}

TEST(StrictParse, InvalidUtf8AndLoneSurrogatesAreRefusedWithTheOffset) {
  EXPECT_NE(refusal([] { json::parse("[\"ab\xff\"]"); }).find("malformed JSON at byte 5"),
            std::string::npos);
  EXPECT_NE(refusal([] { json::parse("[\"\xc3\"]"); }).find("malformed JSON at byte"),
            std::string::npos);
  EXPECT_NE(refusal([] { json::parse(R"(["\ud800"])"); }).find("surrogate"), std::string::npos);
  EXPECT_EQ(json::parse("[\"病房\"]")[0], "病房");
}

TEST(StrictParse, NestingAndSizeHaveDocumentedLimits) {
  std::string deep(json::max_depth, '[');
  deep += std::string(json::max_depth, ']');
  EXPECT_TRUE(json::parse(deep).is_array());
  std::string deeper = '[' + deep + ']';
  EXPECT_NE(refusal([&] { json::parse(deeper); }).find("nesting deeper than 64 levels"),
            std::string::npos);
  std::string big(json::max_bytes + 1, ' ');
  EXPECT_NE(refusal([&] { json::parse(big); }).find("larger than the limit"), std::string::npos);
  EXPECT_NE(refusal([] { json::parse(""); }).find("malformed JSON at byte"), std::string::npos);
}

TEST(StrictParse, ProducesTheSameDocumentAsNlohmann) {
  const char* text =
      R"({"a": [1, -2, 3.5, 18446744073709551615, true, null, "x"], "b": {"c": {}}, "d": []})";
  EXPECT_EQ(json::parse(text), Json::parse(text));
}

}  // namespace
}  // namespace houqin
