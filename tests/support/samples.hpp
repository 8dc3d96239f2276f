// Non-default sample values for any described type, generated from the description: the typed
// round-trip tests fill every member with something other than its default, so a member that a
// mapping forgets or mangles is caught.
#pragma once

#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/time.hpp"

namespace houqin::testing {

template <class T>
void fill_sample(T& v, int seed, std::string_view name);

template <class T>
T sample(int seed) {
  T v{};
  fill_sample(v, seed, "value");
  return v;
}

template <class T>
void fill_sample(T& v, int seed, std::string_view name) {
  if constexpr (std::is_same_v<T, bool>) {
    v = !v;
  } else if constexpr (std::is_integral_v<T>) {
    v = static_cast<T>(1000 + seed * 7 + static_cast<int>(name.size()));
  } else if constexpr (std::is_floating_point_v<T>) {
    v = 0.25 + seed * 1.5;
  } else if constexpr (std::is_same_v<T, std::string>) {
    // Quotes, SQL metacharacters and Chinese text: all must survive every mapping untouched.
    v = std::string(name) + "-" + std::to_string(seed) + " 'O''Brien'; DROP TABLE x; -- 氧气 %_\\";
  } else if constexpr (std::is_same_v<T, Timestamp>) {
    v = Timestamp{std::chrono::microseconds{1'764'000'000'123'456LL + seed * 1'000'001LL}};
  } else if constexpr (std::is_same_v<T, Date>) {
    v = Date{std::chrono::days{20'000 + seed}};
  } else if constexpr (DescribedEnum<T>) {
    auto names = enum_names<T>();
    v = *enum_from_name<T>(names[static_cast<std::size_t>(seed) % names.size()]);
    if (names.size() > 1 && v == T{}) v = *enum_from_name<T>(names.back());
  } else if constexpr (is_optional<T>::value) {
    typename T::value_type inner{};
    fill_sample(inner, seed, name);
    v = inner;
  } else if constexpr (is_vector<T>::value) {
    v.resize(2);
    fill_sample(v[0], seed, name);
    fill_sample(v[1], seed + 1, name);
  } else if constexpr (is_string_map<T>::value) {
    typename T::mapped_type a{}, b{};
    fill_sample(a, seed, name);
    fill_sample(b, seed + 1, name);
    v.emplace("k" + std::to_string(seed), a);
    v.emplace("中文键", b);
  } else if constexpr (DescribedStruct<T>) {
    for_each_member<T>([&](const char* member, auto p) { fill_sample(v.*p, seed, member); });
  } else {
    static_assert(sizeof(T) == 0, "add this member type to the sample generator");
  }
}

}  // namespace houqin::testing
