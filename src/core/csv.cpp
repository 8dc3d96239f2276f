// CSV fields (see csv.hpp).
#include "houqin/core/csv.hpp"

namespace houqin::csv {

std::string field(std::string_view text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string value_field(const json::Json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return field(std::string_view(value.get_ref<const std::string&>()));
  return field(std::string_view(value.dump()));
}

}  // namespace houqin::csv
