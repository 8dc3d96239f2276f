// JSON for every described type, derived from its description alone: structs as objects, enums
// as their names, std::optional as null/absent, Timestamp as ISO-8601 UTC, Date as YYYY-MM-DD,
// std::chrono durations as ISO-8601 durations ("PT1H30M", one codec for every resolution).
// Decoding is strict: unknown fields, wrong types, out-of-range numbers and unknown enum names
// are rejected with an Error(invalid_argument) whose message starts with the field path
// (e.g. "rooms[3].type: unknown value 'lab' (expected one of: ward, ...)"). Missing fields keep
// the member's default, except the members a struct lists as required (see HasRequiredFields).
//
// Every codec also describes itself as JSON Schema (draft 2020-12): schema<T>() is what the
// decoder accepts (Direction::input) or what the encoder writes (Direction::output), from the
// same description, and conforms() checks a document against such a schema. parse() is the one
// strict text parser every entry point uses (C ABI, Python, HTTP): duplicate keys, NUL in a
// string, invalid UTF-8, nesting deeper than max_depth and documents larger than max_bytes are
// refused with the byte offset or the path named.
#pragma once

#include <array>
#include <boost/core/type_name.hpp>
#include <chrono>
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

/// Which side of a value a schema describes: what decoding accepts (absent members take their
/// default, only required members must be present) or what encoding writes (every member, always).
enum class Direction { input, output };

/// Collects the $defs of a schema while codecs describe themselves.
class HOUQIN_EXPORT SchemaBuilder {
 public:
  explicit SchemaBuilder(Direction d) : direction(d) {}
  const Direction direction;

  /// {"$ref": "#/$defs/<name>"}; make() builds the definition the first time `name` is seen (a
  /// placeholder is set first, so recursive types end). `type` is the C++ name of the type, `tag`
  /// the address of a static of its codec. Two types with one name are a bug and throw
  /// Error(internal): their C++ names differ, or, for types in anonymous namespaces (whose C++
  /// names can repeat across files), their tags do. A type's codec may be compiled in more than one
  /// library (libhouqin, the Python module), so tags alone do not tell types apart.
  template <class F>
  Json ref(const std::string& name, std::string_view type, const void* tag, F&& make) {
    if (claim(name, type, tag)) defs_[name] = make();
    return Json{{"$ref", "#/$defs/" + name}};
  }
  /// The definitions collected so far.
  const Json& defs() const { return defs_; }

 private:
  bool claim(const std::string& name, std::string_view type, const void* tag);  // true when new
  Json defs_ = Json::object();
  std::map<std::string, std::pair<std::string, const void*>, std::less<>> tags_;
};

/// The name a type has in schemas and generated docs: its C++ name without "houqin::" and
/// anonymous namespaces, with '.' between scopes ("repair.WorkOrder").
HOUQIN_EXPORT std::string schema_name(std::string_view cpp_name);
template <class T>
std::string schema_name() {
  return schema_name(boost::core::type_name<T>());
}

template <class T>
struct codec;  // defined below: described structs by the primary template, the rest specialised

template <class T>
concept Encodable = requires(const T& v, const Json& j, T& out, const Path& p, SchemaBuilder& b) {
  { codec<T>::encode(v) } -> std::same_as<Json>;
  codec<T>::decode(j, out, p);
  { codec<T>::schema(b) } -> std::same_as<Json>;
};

/// A struct whose members must be present in input lists them beside its description:
///
///   struct DispatchInput { Id work_order_id = 0; Id technician_id = 0; std::string note; };
///   static constexpr std::array<std::string_view, 2> required_fields{"work_order_id", ...};
///
/// (a static member, so it is not marshalled). Decoding refuses a document without one of them
/// ("work_order_id: required field is missing"); the input schema lists them under "required".
template <class T>
concept HasRequiredFields = requires {
  { T::required_fields.size() } -> std::convertible_to<std::size_t>;
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

/// The limits of parse(): deeper nesting or a longer text is refused before it costs memory.
inline constexpr std::size_t max_depth = 64;
inline constexpr std::size_t max_bytes = 64u << 20;  // 64 MiB

/// The one strict parser of JSON text. Error(invalid_argument), prefixed with `where`, for:
/// malformed text or invalid UTF-8 ("malformed JSON at byte N: ..."), a NUL character in a string
/// or key, escaped or not ("NUL character in a string at byte N"), a key repeated in one object
/// ("duplicate key 'k' at rooms[2]"), nesting deeper than max_depth and text longer than
/// max_bytes. An empty text is malformed.
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
  static Json schema(SchemaBuilder&) { return {{"type", "boolean"}}; }
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
      } else {  // a signed JSON number into an unsigned member: both ends count (found by the
                // differential test of decoder against schema)
        if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<I>::max())
          fail_at(p, "value " + std::to_string(v) + " is out of range");
      }
      out = static_cast<I>(v);
    } else {
      fail_type(p, "integer", j);
    }
  }
  static Json schema(SchemaBuilder&) {
    return {{"type", "integer"},
            {"minimum", std::numeric_limits<I>::min()},
            {"maximum", std::numeric_limits<I>::max()}};
  }
};

template <std::floating_point F>
struct codec<F> {
  static Json encode(F v) { return v; }
  static void decode(const Json& j, F& out, const Path& p) {
    if (!j.is_number()) fail_type(p, "number", j);
    out = j.get<F>();
  }
  static Json schema(SchemaBuilder&) { return {{"type", "number"}}; }
};

template <>
struct codec<std::string> {
  static Json encode(const std::string& v) { return v; }
  static void decode(const Json& j, std::string& out, const Path& p) {
    if (!j.is_string()) fail_type(p, "string", j);
    out = j.get_ref<const std::string&>();
  }
  static Json schema(SchemaBuilder&) { return {{"type", "string"}}; }
};

template <>
struct HOUQIN_EXPORT codec<Timestamp> {
  static Json encode(Timestamp v);
  static void decode(const Json& j, Timestamp& out, const Path& p);
  static Json schema(SchemaBuilder&) { return {{"type", "string"}, {"format", "date-time"}}; }
};

template <>
struct HOUQIN_EXPORT codec<Date> {
  static Json encode(Date v);
  static void decode(const Json& j, Date& out, const Path& p);
  static Json schema(SchemaBuilder&) { return {{"type", "string"}, {"format", "date"}}; }
};

/// Durations as ISO-8601 text ("PT15M", "PT0.25S"), whatever their C++ resolution; a value finer
/// than the member's resolution (a microsecond member given "PT0.0000001S") is refused.
template <class Rep, class Period>
struct codec<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  static Json encode(D v) {
    return format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(v));
  }
  static void decode(const Json& j, D& out, const Path& p) {
    if (!j.is_string()) fail_type(p, "ISO-8601 duration string", j);
    std::chrono::nanoseconds ns;
    try {
      ns = parse_duration(j.get_ref<const std::string&>());
    } catch (const Error& e) {
      fail_at(p, e.what());
    }
    auto v = std::chrono::duration_cast<D>(ns);
    if (std::chrono::duration_cast<std::chrono::nanoseconds>(v) != ns)
      fail_at(p, "'" + j.get_ref<const std::string&>() + "' is finer than this field's resolution");
    out = v;
  }
  static Json schema(SchemaBuilder&) { return {{"type", "string"}, {"format", "duration"}}; }
};

/// Raw JSON members pass through untouched (a filter value whose type depends on its column).
template <>
struct codec<Json> {
  static Json encode(const Json& v) { return v; }
  static void decode(const Json& j, Json& out, const Path&) { out = j; }
  static Json schema(SchemaBuilder&) { return Json::object(); }  // any value
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
  static Json schema(SchemaBuilder& b) {
    static const char tag = 0;
    const auto type = boost::core::type_name<E>();
    return b.ref(schema_name(type), type, &tag, [] {
      Json names = Json::array();
      for (auto n : enum_names<E>()) names.push_back(std::string(n));
      return Json{{"type", "string"}, {"enum", std::move(names)}};
    });
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
  static Json schema(SchemaBuilder& b) {
    return {{"anyOf", Json::array({codec<T>::schema(b), Json{{"type", "null"}}})}};
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
  static Json schema(SchemaBuilder& b) {
    return {{"type", "array"}, {"items", codec<T>::schema(b)}};
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
  static Json schema(SchemaBuilder& b) {
    return {{"type", "object"}, {"additionalProperties", codec<V>::schema(b)}};
  }
};

// Described structs take the primary template rather than a constrained partial specialization:
// g++ 12 gives a partial specialization chosen after another constrained one was rejected
// internal linkage (and drops its ABI tag), so every translation unit kept a private copy of each
// struct's codec that the linker could not fold, and libhouqin could not export one
// (HOUQIN_EXTERN_ENTITY in store/repository.hpp). Clang does not do this.
template <class S>
struct codec {
  static_assert(
      DescribedStruct<S>,
      "no JSON codec for this type: describe it (BOOST_DESCRIBE_STRUCT/ENUM) or specialise "
      "houqin::json::codec");
  static Json encode(const S& v);
  static void decode(const Json& j, S& out, const Path& p);
  static Json schema(SchemaBuilder& b);

 private:
  template <class M>
  static codec<M> codec_of(const M&) {
    return {};
  }
  static constexpr bool is_required(std::string_view name) {
    if constexpr (HasRequiredFields<S>) {
      for (std::string_view r : S::required_fields)
        if (r == name) return true;
    }
    (void)name;
    return false;
  }
  static constexpr bool names_members() {
    if constexpr (HasRequiredFields<S>) {
      for (std::string_view r : S::required_fields) {
        bool found = false;
        for_each_member<S>([&](const char* name, auto) { found = found || r == name; });
        if (!found) return false;
      }
    }
    return true;
  }
};

// Defined out of the class, so not inline: where HOUQIN_EXTERN_ENTITY declares a struct's codec
// extern, a program compiles none of it, even at -O2 (an inline member would still be
// instantiated there, for inlining).
template <class S>
Json codec<S>::encode(const S& v) {
  Json out = Json::object();
  for_each_member<S>(
      [&](const char* name, auto pointer) { out[name] = codec_of(v.*pointer).encode(v.*pointer); });
  return out;
}

template <class S>
void codec<S>::decode(const Json& j, S& out, const Path& p) {
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
  if constexpr (HasRequiredFields<S>) {
    static_assert(names_members(), "required_fields names a field the struct does not describe");
    for (std::string_view name : S::required_fields)
      if (!j.contains(name)) fail_at(p.field(name), "required field is missing");
  }
}

template <class S>
Json codec<S>::schema(SchemaBuilder& b) {
  static const char tag = 0;
  const auto type = boost::core::type_name<S>();
  return b.ref(schema_name(type), type, &tag, [&b] {
    Json properties = Json::object();
    Json required = Json::array();
    const S defaults{};
    for_each_member<S>([&](const char* name, auto pointer) {
      Json member = codec_of(defaults.*pointer).schema(b);
      if (b.direction == Direction::output || is_required(name)) {
        required.push_back(name);
      } else {
        try {  // absent in input means the default, which the schema shows
          member["default"] = codec_of(defaults.*pointer).encode(defaults.*pointer);
        } catch (const Error&) {  // a default an enum cannot name: none shown
        }
      }
      properties[name] = std::move(member);
    });
    Json out{{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) out["required"] = std::move(required);
    out["additionalProperties"] = false;
    return out;
  });
}

/// The JSON Schema (draft 2020-12) of T: what from_json<T> accepts (input) or what to_json writes
/// (output). Structs and enums are $defs named by schema_name(); a struct at the root is its
/// definition inlined, with "title" naming it.
/// A type whose JSON is made by other means than one codec (a whole-dataset document) gives its
/// schema as a static json_schema(SchemaBuilder&); schema<T>() and the registry take it from there.
template <class T>
concept HasOwnSchema = requires(SchemaBuilder& b) {
  { T::json_schema(b) } -> std::same_as<Json>;
};

template <class T>
Json schema_of(SchemaBuilder& b) {
  if constexpr (HasOwnSchema<T>)
    return T::json_schema(b);
  else
    return codec<T>::schema(b);
}

template <class T>
Json schema(Direction direction = Direction::input) {
  SchemaBuilder b(direction);
  Json root = schema_of<T>(b);
  Json out{{"$schema", "https://json-schema.org/draft/2020-12/schema"}};
  Json defs = b.defs();
  if (auto ref = root.find("$ref"); ref != root.end() && root.size() == 1) {
    auto name = ref->get<std::string>().substr(std::string_view("#/$defs/").size());
    out["title"] = name;
    for (auto& [k, v] : defs[name].items()) out[k] = v;
    // Keep the definition only if something else refers to it (a recursive type).
    if (defs.dump().find("\"#/$defs/" + name + "\"") == std::string::npos) defs.erase(name);
  } else {
    for (auto& [k, v] : root.items()) out[k] = v;
  }
  if (!defs.empty()) out["$defs"] = std::move(defs);
  return out;
}

/// Checks `document` against `schema` (one made by schema<T>(), or any schema using the same
/// keywords: $ref to #/$defs, type, enum, properties, required, additionalProperties, items,
/// anyOf, minimum, maximum, format date-time/date/duration). Returns "" when it conforms, or
/// "<path>: <what>" for the first violation. Integers follow the decoder: 1.0 is not an integer.
/// Error(invalid_argument) for a keyword it does not know, so nothing passes unchecked.
HOUQIN_EXPORT std::string conforms(const Json& schema, const Json& document);

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
