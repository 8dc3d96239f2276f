// JSON Schema for described types: the builder's bookkeeping, schema names and the checker that
// holds a document against a schema (the docs' examples, the operations' outputs, the fuzzer's
// differential check of decoder against schema).
#include <cctype>
#include <string>
#include <vector>

#include "houqin/core/json.hpp"

namespace houqin::json {

bool SchemaBuilder::claim(const std::string& name, std::string_view type, const void* tag) {
  auto [it, inserted] = tags_.emplace(name, std::pair(std::string(type), tag));
  if (!inserted) {
    const auto& [seen_type, seen_tag] = it->second;
    const bool anonymous = type.find("anonymous") != std::string_view::npos;
    if (seen_type != type || (anonymous && seen_tag != tag))
      fail(ErrorCode::internal, "two types share the schema name '" + name + "'");
    return false;
  }
  defs_[name] = Json::object();  // placeholder: a recursive reference finds the name taken
  return true;
}

std::string schema_name(std::string_view cpp) {
  std::string s(cpp);
  auto erase_all = [&s](std::string_view what) {
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what))
      s.erase(at, what.size());
  };
  erase_all("(anonymous namespace)::");
  erase_all("{anonymous}::");
  erase_all("struct ");
  erase_all("enum ");
  erase_all("class ");
  if (s.rfind("houqin::", 0) == 0) s.erase(0, 8);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "::") == 0) {
      out += '.';
      ++i;
    } else if (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.') {
      out += s[i];
    } else {
      out += '_';  // template arguments and the like: still a valid $defs key
    }
  }
  return out;
}

namespace {

// -1, 0 or 1 comparing two JSON numbers of any representation.
int compare(const Json& a, const Json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  bool a_neg = a.is_number_integer() && !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
  bool b_neg = b.is_number_integer() && !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
  if (a_neg != b_neg) return a_neg ? -1 : 1;
  if (a_neg) {
    auto x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  auto x = a.get<std::uint64_t>(), y = b.get<std::uint64_t>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool has_type(const Json& d, std::string_view type) {
  if (type == "object") return d.is_object();
  if (type == "array") return d.is_array();
  if (type == "string") return d.is_string();
  if (type == "integer") return d.is_number_integer();
  if (type == "number") return d.is_number();
  if (type == "boolean") return d.is_boolean();
  if (type == "null") return d.is_null();
  fail(ErrorCode::invalid_argument, "schema: unknown type '" + std::string(type) + "'");
}

class Checker {
 public:
  explicit Checker(const Json& root) : root_(root) {}

  std::string check(const Json& s, const Json& d, const std::string& at, int depth = 0) {
    if (depth > 200) fail(ErrorCode::invalid_argument, "schema: $ref cycle at " + where(at));
    if (s.is_boolean()) return s.get<bool>() ? "" : where(at) + ": no value is allowed";
    if (!s.is_object())
      fail(ErrorCode::invalid_argument, "schema at " + where(at) + " is not an object");
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      const Json& v = it.value();
      std::string e;
      if (k == "$schema" || k == "$defs" || k == "title" || k == "default" || k == "description" ||
          k == "examples") {
        continue;  // annotations
      } else if (k == "$ref") {
        e = check(resolve(v.get<std::string>()), d, at, depth + 1);
      } else if (k == "type") {
        bool ok = false;
        if (v.is_string()) {
          ok = has_type(d, v.get<std::string>());
        } else {
          for (const auto& t : v) ok = ok || has_type(d, t.get<std::string>());
        }
        if (!ok)
          e = where(at) + ": expected " + (v.is_string() ? v.get<std::string>() : v.dump()) +
              ", got " + d.type_name();
      } else if (k == "enum") {
        bool ok = false;
        for (const auto& x : v) ok = ok || x == d;
        if (!ok) e = where(at) + ": " + d.dump() + " is not one of " + v.dump();
      } else if (k == "properties") {
        if (d.is_object())
          for (auto p = v.begin(); p != v.end(); ++p)
            if (auto m = d.find(p.key()); m != d.end())
              if (e = check(p.value(), *m, member(at, p.key()), depth); !e.empty()) break;
      } else if (k == "required") {
        if (d.is_object())
          for (const auto& name : v)
            if (!d.contains(name.get<std::string>())) {
              e = member(at, name.get<std::string>()) + ": required field is missing";
              break;
            }
      } else if (k == "additionalProperties") {
        if (d.is_object()) {
          const Json* props = s.contains("properties") ? &s["properties"] : nullptr;
          for (auto m = d.begin(); m != d.end() && e.empty(); ++m) {
            if (props && props->contains(m.key())) continue;
            if (v.is_boolean() && !v.get<bool>())
              e = member(at, m.key()) + ": unknown field";
            else
              e = check(v, m.value(), member(at, m.key()), depth);
          }
        }
      } else if (k == "items") {
        if (d.is_array())
          for (std::size_t i = 0; i < d.size() && e.empty(); ++i)
            e = check(v, d[i], at + '[' + std::to_string(i) + ']', depth);
      } else if (k == "anyOf") {
        std::string all;
        bool ok = false;
        for (const auto& alt : v) {
          auto r = check(alt, d, at, depth);
          if (r.empty()) {
            ok = true;
            break;
          }
          // The alternative that is not null says more than "expected null".
          if (!(alt.contains("type") && alt["type"] == "null"))
            all += (all.empty() ? "" : "; ") + r;
        }
        if (!ok) e = all.empty() ? where(at) + ": matches no alternative" : all;
      } else if (k == "minimum") {
        if (d.is_number() && compare(d, v) < 0)
          e = where(at) + ": value " + d.dump() + " is below the minimum " + v.dump();
      } else if (k == "maximum") {
        if (d.is_number() && compare(d, v) > 0)
          e = where(at) + ": value " + d.dump() + " is above the maximum " + v.dump();
      } else if (k == "format") {
        if (d.is_string()) e = format(v.get<std::string>(), d.get<std::string>(), at);
      } else {
        fail(ErrorCode::invalid_argument,
             "schema keyword '" + k + "' at " + where(at) + " is not supported by conforms()");
      }
      if (!e.empty()) return e;
    }
    return "";
  }

 private:
  static std::string where(const std::string& at) { return at.empty() ? "(document)" : at; }
  static std::string member(const std::string& at, const std::string& key) {
    return at.empty() ? key : at + '.' + key;
  }

  const Json& resolve(const std::string& ref) const {
    if (ref == "#") return root_;
    static constexpr std::string_view prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) == 0) {
      auto name = ref.substr(prefix.size());
      if (auto defs = root_.find("$defs"); defs != root_.end())
        if (auto it = defs->find(name); it != defs->end()) return *it;
    }
    fail(ErrorCode::invalid_argument, "schema: unresolved $ref '" + ref + "'");
  }

  static std::string format(const std::string& f, const std::string& v, const std::string& at) {
    try {
      if (f == "date-time")
        parse_timestamp(v);
      else if (f == "date")
        parse_date(v);
      else if (f == "duration")
        parse_duration(v);
      else
        fail(ErrorCode::invalid_argument, "schema: format '" + f + "' is not supported");
    } catch (const Error& e) {
      if (f != "date-time" && f != "date" && f != "duration") throw;
      return where(at) + ": " + e.what();
    }
    return "";
  }

  const Json& root_;
};

}  // namespace

std::string conforms(const Json& schema, const Json& document) {
  return Checker(schema).check(schema, document, "");
}

}  // namespace houqin::json
