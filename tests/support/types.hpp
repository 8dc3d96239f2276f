// Every described type, listed once: the typed JSON and SQL round-trip tests run over these, so a
// new entity is covered by adding it here.
#pragma once

#include <boost/mp11.hpp>
#include <map>

#include "houqin/site/hospital.hpp"
#include "houqin/site/model.hpp"

namespace houqin::testing {

/// Every member type the mappings support, in one entity: JSON and SQL must carry each of them.
struct Nested {
  int a = 0;
  std::string b;
  std::optional<Timestamp> when;
};
BOOST_DESCRIBE_STRUCT(Nested, (), (a, b, when))

struct AllTypes {
  Id id = 0;
  std::int64_t version = 0;
  bool flag = false;
  std::int16_t i16 = 0;
  int i32 = 0;
  std::uint32_t u32 = 0;
  std::int64_t i64 = 0;
  float f32 = 0;
  double f64 = 0;
  std::string text;
  site::RoomType kind = site::RoomType::ward;
  Timestamp at{};
  Date day{};
  std::optional<int> opt_int;
  std::optional<std::string> opt_text;
  std::optional<site::RoomType> opt_kind;
  std::optional<Timestamp> opt_at;
  std::optional<double> opt_f64;
  std::optional<bool> opt_flag;
  std::vector<std::string> texts;
  std::vector<std::int64_t> numbers;
  std::vector<Timestamp> times;
  std::map<std::string, int> counts;
  Nested nested;
  std::optional<Nested> opt_nested;
  std::vector<Nested> nested_list;
};
BOOST_DESCRIBE_STRUCT(AllTypes, (),
                      (id, version, flag, i16, i32, u32, i64, f32, f64, text, kind, at, day,
                       opt_int, opt_text, opt_kind, opt_at, opt_f64, opt_flag, texts, numbers,
                       times, counts, nested, opt_nested, nested_list))

}  // namespace houqin::testing

template <>
struct houqin::entity_traits<houqin::testing::AllTypes> {
  static constexpr std::string_view table = "test_all_types";
  static constexpr std::string_view collection = "all_types";
};

namespace houqin::testing {

using EntityTypes =
    boost::mp11::mp_list<AllTypes, site::Campus, site::Building, site::Floor, site::Department,
                         site::Room, site::Shift, site::Staff, site::ShiftAssignment,
                         site::DictionaryEntry, site::KnowledgeArticle>;

/// Described types that are not stored (reports, summaries): JSON only.
using ValueTypes = boost::mp11::mp_list<site::Summary>;

}  // namespace houqin::testing
