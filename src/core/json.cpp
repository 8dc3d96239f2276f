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

namespace {

std::string strip_tag(std::string detail) {  // drop nlohmann's "[json.exception.parse_error.101] "
  if (auto close = detail.find("] ");
      detail.rfind("[json.exception", 0) == 0 && close != std::string::npos)
    detail.erase(0, close + 2);
  return detail;
}

/// Offset of the first NUL in the text: a raw byte, or a \u0000 escape whose backslash is not
/// itself escaped.
std::size_t first_nul(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') return i;
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text.compare(i + 1, 5, "u0000") == 0) return i;
      ++i;  // skip the escaped character (\\ included)
    }
  }
  return text.size();
}

/// Builds the document like nlohmann's own DOM parser, refusing what that one lets through.
class StrictSax {
 public:
  explicit StrictSax(std::string_view text) : text_(text) {}

  Json root;
  std::string error;  // set when parsing stopped

  bool null() { return value(Json(nullptr)); }
  bool boolean(bool v) { return value(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return value(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return value(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string&) { return value(Json(v)); }
  bool string(std::string& v) {
    if (v.find('\0') != std::string::npos) return nul("string");
    return value(Json(std::move(v)));
  }
  bool binary(Json::binary_t&) { return refuse("binary values are not JSON"); }
  bool start_object(std::size_t) { return open(Json::object()); }
  bool key(std::string& k) {
    if (k.find('\0') != std::string::npos) return nul("key");
    Json& object = *frames_.back().container;
    if (object.contains(k)) return refuse("duplicate key '" + k + "' at " + path());
    frames_.back().key = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t byte, const std::string&, const nlohmann::detail::exception& e) {
    if (error.empty()) {
      error = "malformed JSON at byte " + std::to_string(byte) + ": " + strip_tag(e.what());
      if (e.id == 406)  // out_of_range: a number beyond double (1e400), found by fuzzing
        error = strip_tag(e.what());
    }
    return false;
  }

 private:
  struct Frame {
    Json* container;
    std::string key;  // the pending member of an object
  };

  bool refuse(std::string what) {
    error = std::move(what);
    return false;
  }
  bool nul(const char* where) {
    return refuse(std::string("NUL character in a ") + where + " at byte " +
                  std::to_string(first_nul(text_)));
  }
  // Where the next value goes: the root, the pending member or the end of the array.
  Json* place(Json v) {
    if (frames_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& f = frames_.back();
    if (f.container->is_array()) {
      f.container->push_back(std::move(v));
      return &f.container->back();
    }
    return &((*f.container)[f.key] = std::move(v));
  }
  bool value(Json v) {
    place(std::move(v));
    return true;
  }
  bool open(Json container) {
    if (frames_.size() >= max_depth)
      return refuse("nesting deeper than " + std::to_string(max_depth) + " levels at " + path());
    frames_.push_back({place(std::move(container)), {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  std::string path() const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      bool last = i + 1 == frames_.size();
      if (f.container->is_array()) {
        if (!last) out += '[' + std::to_string(f.container->size() - 1) + ']';
      } else if (!last) {
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out.empty() ? std::string("(document)") : out;
  }

  std::string_view text_;
  std::vector<Frame> frames_;
};

}  // namespace

Json parse(std::string_view text, std::string_view where) {
  std::string prefix = where.empty() ? std::string("JSON") : std::string(where);
  if (text.size() > max_bytes)
    fail(ErrorCode::invalid_argument, prefix + ": document of " + std::to_string(text.size()) +
                                          " bytes is larger than the limit of " +
                                          std::to_string(max_bytes));
  StrictSax sax(text);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const nlohmann::json::exception& e) {  // not expected: the handler returns false
    sax.error = strip_tag(e.what());
  }
  if (!ok || !sax.error.empty())
    fail(ErrorCode::invalid_argument,
         prefix + ": " + (sax.error.empty() ? std::string("malformed JSON") : sax.error));
  return std::move(sax.root);
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
