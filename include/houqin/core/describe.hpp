// Describe once: every entity is a plain aggregate with BOOST_DESCRIBE_STRUCT and every enum a
// BOOST_DEFINE_ENUM_CLASS. This header holds the concepts and helpers that the generic JSON, SQL,
// Python and C ABI mappings are built on, and entity_traits: the per-entity facts (table name,
// unique keys, references) that sit beside the type instead of inside it.
#pragma once

#include <array>
#include <boost/describe.hpp>
#include <boost/mp11.hpp>
#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "houqin/core/error.hpp"
#include "houqin/core/id.hpp"

namespace houqin {

template <class T>
concept DescribedStruct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

template <class E>
concept DescribedEnum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class V, class C, class A>
struct is_string_map<std::map<std::string, V, C, A>> : std::true_type {};

/// Calls f(name, member_pointer) for each public member of T in declaration order.
template <DescribedStruct T, class F>
constexpr void for_each_member(F&& f) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  boost::mp11::mp_for_each<Members>([&](auto d) { f(d.name, d.pointer); });
}

/// Number of public described members.
template <DescribedStruct T>
constexpr std::size_t member_count() {
  return boost::mp11::mp_size<
      boost::describe::describe_members<T, boost::describe::mod_public>>::value;
}

/// The name of an enumerator, e.g. "ward". Throws Error(invalid_argument) for a value that is not
/// one of the described enumerators (a cast integer, say).
template <DescribedEnum E>
std::string_view enum_name(E value) {
  std::string_view out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (out.empty() && d.value == value) out = d.name;
  });
  if (out.empty()) {
    fail(ErrorCode::invalid_argument,
         "enum value " + std::to_string(static_cast<long long>(value)) + " has no name");
  }
  return out;
}

/// The enumerator named `name`, or nullopt.
template <DescribedEnum E>
std::optional<E> enum_from_name(std::string_view name) {
  std::optional<E> out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!out && name == d.name) out = d.value;
  });
  return out;
}

/// All enumerator names in declaration order.
template <DescribedEnum E>
std::vector<std::string_view> enum_names() {
  std::vector<std::string_view> out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>(
      [&](auto d) { out.push_back(d.name); });
  return out;
}

/// "a, b, c": for error messages that list what would have been accepted.
template <DescribedEnum E>
std::string enum_names_joined() {
  std::string out;
  for (auto n : enum_names<E>()) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

/// Facts about a stored entity, specialised beside each entity type:
///
///   template <> struct houqin::entity_traits<site::Room> {
///     static constexpr std::string_view table = "site_room";       // SQL table
///     static constexpr std::string_view collection = "rooms";      // key in JSON documents
///     static constexpr std::array<std::string_view, 1> unique{"code"};  // "a,b" for composite
///     keys static constexpr auto references =
///     std::tuple{houqin::ref<site::Floor>(&site::Room::floor_id)};
///   };
///
/// `unique`, `references`, `personal` and `ids_never_reused` (ids are never given out again, even
/// after the newest rows are deleted: `static constexpr bool ids_never_reused = true;`) are
/// optional. A stored entity has members `Id id` and
/// `std::int64_t version` (the optimistic-locking counter).
///
///     static constexpr std::array personal{houqin::Personal{"phone", houqin::Mask::phone}};
///
/// marks members that hold personal data (PIPL): the store seals them at rest with the keyring's
/// active key, exports mask them unless the actor may unmask, and reads of them are audited.
template <class T>
struct entity_traits;

/// How a personal value is shown to someone without the unmask permission.
enum class Mask {
  name,       ///< 张三丰 -> 张*丰, 张三 -> 张*
  phone,      ///< 13812341234 -> 138****1234
  id_number,  ///< 110101199003071234 -> 110***********1234
  text,       ///< the first character, then * for the rest
  full,       ///< every character *
};

/// A personal member of an entity (a string or optional string, or a JSON column).
struct Personal {
  std::string_view member;
  Mask mask = Mask::full;
};

/// A reference from a member of T (an Id or optional<Id>) to the id of entity Target.
template <class Target, class T, class M>
struct Reference {
  using target = Target;
  M T::*member;
};

template <class Target, class T, class M>
constexpr Reference<Target, T, M> ref(M T::*member) {
  static_assert(std::is_same_v<M, Id> || std::is_same_v<M, std::optional<Id>>,
                "a reference member must be Id or std::optional<Id>");
  return {member};
}

template <class T>
concept Entity = DescribedStruct<T> && requires(T t) {
  { entity_traits<T>::table } -> std::convertible_to<std::string_view>;
  { entity_traits<T>::collection } -> std::convertible_to<std::string_view>;
  requires std::is_same_v<decltype(t.id), Id>;
  requires std::is_same_v<decltype(t.version), std::int64_t>;
};

/// The name of the member that `pointer` points to (found through the description).
template <DescribedStruct T, class M>
std::string_view member_name(M T::*pointer) {
  std::string_view out;
  for_each_member<T>([&](std::string_view name, auto p) {
    if constexpr (std::is_same_v<decltype(p), M T::*>) {
      if (p == pointer) out = name;
    }
  });
  return out;
}

/// Calls f(reference) for each reference declared in entity_traits<T>.
template <Entity T, class F>
void for_each_reference(F&& f) {
  if constexpr (requires { entity_traits<T>::references; }) {
    std::apply([&](const auto&... r) { (f(r), ...); }, entity_traits<T>::references);
  }
}

/// Member-by-member equality from the description (nested described structs compared the same way),
/// so entities need no hand-written operator==.
template <class T>
bool members_equal(const T& a, const T& b) {
  if constexpr (DescribedStruct<T>) {
    bool same = true;
    for_each_member<T>([&](const char*, auto p) { same = same && members_equal(a.*p, b.*p); });
    return same;
  } else if constexpr (is_vector<T>::value) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!members_equal(a[i], b[i])) return false;
    return true;
  } else if constexpr (is_optional<T>::value) {
    if (a.has_value() != b.has_value()) return false;
    return !a || members_equal(*a, *b);
  } else {
    return a == b;
  }
}

/// Runs t.validate() when the entity defines one: invariants beyond what the types say.
template <class T>
void validate_if_defined(const T& t) {
  if constexpr (requires { t.validate(); }) t.validate();
}

}  // namespace houqin
