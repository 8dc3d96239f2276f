// CSV from described structs (RFC 4180): a header of the members' names in their declared order
// and one line per row, each value as its JSON form writes it -- numbers, true/false, enum names,
// ISO-8601 times and durations, nested structs and lists as compact JSON -- so a report's CSV
// and its JSON never disagree and no report writes its columns by hand. Empty optionals are empty
// fields. Opens in spreadsheets (UTF-8; write_excel adds the BOM Excel wants for Chinese text).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/json.hpp"

namespace houqin::csv {

/// One field, quoted when it holds a comma, a quote, a line break or leading/trailing space.
HOUQIN_EXPORT std::string field(std::string_view text);
/// A JSON value as a field: strings as they are, null empty, anything else as compact JSON.
HOUQIN_EXPORT std::string value_field(const json::Json& value);

/// The header line of T.
template <DescribedStruct T>
std::string header() {
  std::string out;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto m) {
        if (!out.empty()) out += ',';
        out += field(std::string_view(m.name));
      });
  return out + "\r\n";
}

/// One line of a row.
template <DescribedStruct T>
std::string line(const T& row) {
  const json::Json j = json::to_json(row);
  std::string out;
  bool first = true;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto m) {
        if (!first) out += ',';
        first = false;
        auto it = j.find(m.name);
        out += it == j.end() ? std::string() : value_field(*it);
      });
  return out + "\r\n";
}

/// A header and every row.
template <DescribedStruct T>
std::string write(std::span<const T> rows) {
  std::string out = header<T>();
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace houqin::csv
