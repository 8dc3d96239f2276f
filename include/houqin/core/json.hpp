// JSON for every described type, derived from its description alone: structs as objects, enums
// as their names, std::optional as null/absent, Timestamp as ISO-8601 UTC, Date as YYYY-MM-DD.
// Decoding is strict: unknown fields, wrong types, out-of-range numbers and unknown enum names
// are rejected with an Error(invalid_argument) whose message starts with the field path
// (e.g. "rooms[3].type: unknown value 'lab' (expected one of: ward, ...)"). Missing fields keep
// the member's default; validate() then checks what is required.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "houqin/core/describe.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"

namespace houqin::json {

using Json = nlohmann::json;

/// Where in a document a value sits. Built on the stack while decoding and turned into text only
/// when something is wrong, so the happy path allocates nothing for it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;                              // object member, or
  std::size_t index = static_cast<std::size_t>(-1);  // array element
  std::string_view root;                             // prefix of the outermost frame

  Path field(std::string_view k) const { return Path{this, k, static_cast<std::size_t>(-1), {}}; }
  Path element(std::size_t i) const { return Path{this, {}, i, {}}; }
  HOUQIN_EXPORT std::string str() const;
};

/// Throws Error(invalid_argument, "<path>: <what>").
[[noreturn]] HOUQIN_EXPORT void fail_at(const Path& path, const std::string& what);
/// "expected <expected>, got <kind of j>" at path.
[[noreturn]] HOUQIN_EXPORT void fail_type(const Path& path, std::string_view expected,
                                          const Json& j);

template <class T>
struct codec;  // specialised below for every supported member type

template <class T>
concept Encodable = requires(const T& v, const Json& j, T& out, const Path& p) {
  { codec<T>::encode(v) } -> std::same_as<Json>;
  codec<T>::decode(j, out, p);
};

/// Encodes any supported value to JSON.
template <class T>
Json to_json(const T& value) {
  return codec<T>::encode(value);
}

/// Decodes `j` into a T; `where` prefixes error messages (e.g. "rooms[3]").
template <class T>
T from_json(const Json& j, std::string_view where = {}) {
  T out{};
  Path root{nullptr, {}, static_cast<std::size_t>(-1), where};
  codec<T>::decode(j, out, root);
  return out;
}

/// Parses text then decodes; malformed text is an Error(invalid_argument) with the byte offset.
HOUQIN_EXPORT Json parse(std::string_view text, std::string_view where = {});

template <class T>
T from_string(std::string_view text, std::string_view where = {}) {
  return from_json<T>(parse(text, where), where);
}

// ---- codecs ------------------------------------------------------------------------------------

template <>
struct codec<bool> {
  static Json encode(bool v) { return v; }
  static void decode(const Json& j, bool& out, const Path& p) {
    if (!j.is_boolean()) fail_type(p, "boolean", j);
    out = j.get<bool>();
  }
};

template <std::integral I>
requires(!std::is_same_v<I, bool>) struct codec<I> {
  static Json encode(I v) { return v; }
  static void decode(const Json& j, I& out, const Path& p) {
    if (j.is_number_unsigned()) {
      auto v = j.get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<I>::max()))
        fail_at(p, "value " + std::to_string(v) + " is out of range");
      out = static_cast<I>(v);
    } else if (j.is_number_integer()) {
      auto v = j.get<std::int64_t>();
      if constexpr (std::is_signed_v<I>) {
        if (v < std::numeric_limits<I>::min() || v > std::numeric_limits<I>::max())
          fail_at(p, "value " + std::to_string(v) + " is out of range");
      } else {
        if (v < 0) fail_at(p, "value " + std::to_string(v) + " is out of range");
      }
      out = static_cast<I>(v);
    } else {
      fail_type(p, "integer", j);
    }
  }
};

template <std::floating_point F>
struct codec<F> {
  static Json encode(F v) { return v; }
  static void decode(const Json& j, F& out, const Path& p) {
    if (!j.is_number()) fail_type(p, "number", j);
    out = j.get<F>();
  }
};

template <>
struct codec<std::string> {
  static Json encode(const std::string& v) { return v; }
  static void decode(const Json& j, std::string& out, const Path& p) {
    if (!j.is_string()) fail_type(p, "string", j);
    out = j.get_ref<const std::string&>();
  }
};

template <>
struct HOUQIN_EXPORT codec<Timestamp> {
  static Json encode(Timestamp v);
  static void decode(const Json& j, Timestamp& out, const Path& p);
};

template <>
struct HOUQIN_EXPORT codec<Date> {
  static Json encode(Date v);
  static void decode(const Json& j, Date& out, const Path& p);
};

/// Raw JSON members pass through untouched (a filter value whose type depends on its column).
template <>
struct codec<Json> {
  static Json encode(const Json& v) { return v; }
  static void decode(const Json& j, Json& out, const Path&) { out = j; }
};

template <DescribedEnum E>
struct codec<E> {
  static Json encode(E v) { return std::string(enum_name(v)); }
  static void decode(const Json& j, E& out, const Path& p) {
    if (!j.is_string()) fail_type(p, "string", j);
    const auto& s = j.get_ref<const std::string&>();
    auto v = enum_from_name<E>(s);
    if (!v)
      fail_at(p, "unknown value '" + s + "' (expected one of: " + enum_names_joined<E>() + ")");
    out = *v;
  }
};

template <class T>
struct codec<std::optional<T>> {
  static Json encode(const std::optional<T>& v) { return v ? codec<T>::encode(*v) : Json(nullptr); }
  static void decode(const Json& j, std::optional<T>& out, const Path& p) {
    if (j.is_null()) {
      out.reset();
      return;
    }
    T value{};
    codec<T>::decode(j, value, p);
    out = std::move(value);
  }
};

template <class T, class A>
struct codec<std::vector<T, A>> {
  static Json encode(const std::vector<T, A>& v) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(codec<T>::encode(e));
    return out;
  }
  static void decode(const Json& j, std::vector<T, A>& out, const Path& p) {
    if (!j.is_array()) fail_type(p, "array", j);
    out.clear();
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      T value{};
      codec<T>::decode(j[i], value, p.element(i));
      out.push_back(std::move(value));
    }
  }
};

template <class V, class C, class A>
struct codec<std::map<std::string, V, C, A>> {
  static Json encode(const std::map<std::string, V, C, A>& m) {
    Json out = Json::object();
    for (const auto& [k, v] : m) out[k] = codec<V>::encode(v);
    return out;
  }
  static void decode(const Json& j, std::map<std::string, V, C, A>& out, const Path& p) {
    if (!j.is_object()) fail_type(p, "object", j);
    out.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
      V value{};
      codec<V>::decode(*it, value, p.field(it.key()));
      out.emplace(it.key(), std::move(value));
    }
  }
};

template <DescribedStruct S>
struct codec<S> {
  static Json encode(const S& v) {
    Json out = Json::object();
    for_each_member<S>([&](const char* name, auto pointer) {
      out[name] = codec_of(v.*pointer).encode(v.*pointer);
    });
    return out;
  }
  static void decode(const Json& j, S& out, const Path& p) {
    if (!j.is_object()) fail_type(p, "object", j);
    std::size_t matched = 0;
    for_each_member<S>([&](const char* name, auto pointer) {
      auto it = j.find(name);
      if (it == j.end()) return;
      ++matched;
      codec_of(out.*pointer).decode(*it, out.*pointer, p.field(name));
    });
    if (matched != j.size()) {  // some key named no member: report the first one
      for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for_each_member<S>([&](const char* name, auto) { known = known || it.key() == name; });
        if (!known) fail_at(p.field(it.key()), "unknown field");
      }
    }
  }

 private:
  template <class M>
  static codec<M> codec_of(const M&) {
    return {};
  }
};

}  // namespace houqin::json

namespace nlohmann {
// Lets nlohmann::json work with described types directly (j = room; room = j.get<Room>()), through
// the same strict codecs.
template <class T>
requires houqin::DescribedStruct<T> || houqin::DescribedEnum<T>
struct adl_serializer<T, void> {
  static void to_json(json& j, const T& v) { j = houqin::json::codec<T>::encode(v); }
  static void from_json(const json& j, T& v) {
    houqin::json::codec<T>::decode(j, v, houqin::json::Path{});
  }
};
}  // namespace nlohmann
