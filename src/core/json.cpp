#include "houqin/core/json.hpp"

#include <vector>

namespace houqin::json {

std::string Path::str() const {
  std::vector<const Path*> frames;
  for (const Path* p = this; p != nullptr; p = p->parent) frames.push_back(p);
  std::string out;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    const Path& f = **it;
    if (!f.root.empty()) out += f.root;
    if (!f.key.empty()) {
      if (!out.empty()) out += '.';
      out += f.key;
    } else if (f.index != static_cast<std::size_t>(-1)) {
      out += '[' + std::to_string(f.index) + ']';
    }
  }
  return out.empty() ? std::string("(document)") : out;
}

void fail_at(const Path& path, const std::string& what) {
  fail(ErrorCode::invalid_argument, path.str() + ": " + what);
}

void fail_type(const Path& path, std::string_view expected, const Json& j) {
  fail_at(path, "expected " + std::string(expected) + ", got " + std::string(j.type_name()));
}

Json parse(std::string_view text, std::string_view where) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string prefix = where.empty() ? std::string("JSON") : std::string(where);
    std::string detail = e.what();  // drop nlohmann's "[json.exception.parse_error.101] " tag
    if (auto close = detail.find("] ");
        detail.rfind("[json.exception", 0) == 0 && close != std::string::npos)
      detail.erase(0, close + 2);
    fail(ErrorCode::invalid_argument,
         prefix + ": malformed JSON at byte " + std::to_string(e.byte) + ": " + detail);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond double's range (1e400): bad input, not a bug (found by fuzzing the C ABI).
    std::string detail = e.what();
    if (auto close = detail.find("] ");
        detail.rfind("[json.exception", 0) == 0 && close != std::string::npos)
      detail.erase(0, close + 2);
    fail(ErrorCode::invalid_argument,
         (where.empty() ? std::string("JSON") : std::string(where)) + ": " + detail);
  }
}

Json codec<Timestamp>::encode(Timestamp v) {
  return format_timestamp(v);
}

void codec<Timestamp>::decode(const Json& j, Timestamp& out, const Path& p) {
  if (!j.is_string()) fail_type(p, "ISO-8601 timestamp string", j);
  try {
    out = parse_timestamp(j.get_ref<const std::string&>());
  } catch (const Error& e) {
    fail_at(p, e.what());
  }
}

Json codec<Date>::encode(Date v) {
  return format_date(v);
}

void codec<Date>::decode(const Json& j, Date& out, const Path& p) {
  if (!j.is_string()) fail_type(p, "date string YYYY-MM-DD", j);
  try {
    out = parse_date(j.get_ref<const std::string&>());
  } catch (const Error& e) {
    fail_at(p, e.what());
  }
}

}  // namespace houqin::json
