// Text for the HTML and SVG reports houqin writes (repair reports, the demos' pages), and HTML
// tables of described structs: a report's table, its CSV (csv.hpp) and its JSON come from the one
// description, so no report writes its columns by hand.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "houqin/core/csv.hpp"
#include "houqin/core/export.hpp"

namespace houqin {

/// `text` safe inside HTML/SVG text and double-quoted attributes: < > & " become entities.
HOUQIN_EXPORT std::string html_escape(std::string_view text);

/// The width of UTF-8 `text` when characters of three or more bytes (CJK, full-width) count
/// `wide` and the others `narrow`: how labels fit text to a width and spreadsheets size columns.
inline double text_width(std::string_view text, double wide, double narrow) {
  double w = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += n >= 3 ? wide : narrow;
    i += n;
  }
  return w;
}

namespace html {

/// The fonts of report pages, their charts and the PDFs printed from them: WenQuanYi Micro Hei
/// (Debian fonts-wqy-microhei) first, because its outlines are TrueType -- weasyprint 57 (Debian
/// 12) subsets a TrueType CJK font in about 0.1 s, Noto Sans CJK's CFF outlines in about 4 s a
/// document, and embeds 10 KB instead of 180 KB -- then Noto Sans CJK SC, then any sans-serif.
inline constexpr std::string_view fonts = "'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif";

/// The start of a report page: the doctype, UTF-8, `title`, the reports' shared style (a CJK
/// font, bordered tables with figures to the right), <body> and `heading` as its <h1>; both
/// escaped. End it with page_end().
HOUQIN_EXPORT std::string page_start(std::string_view title, std::string_view heading);
/// "</body></html>\n".
HOUQIN_EXPORT std::string page_end();

/// A <table> of `rows`: a header of the members' names, then one row each, every value as
/// csv::value_field writes it (numbers, enum names, ISO-8601 times), escaped. `columns` picks and
/// orders the members shown; empty shows them all in their declared order.
template <DescribedStruct T>
std::string table(std::span<const T> rows, std::span<const std::string_view> columns = {}) {
  std::vector<std::string_view> names(columns.begin(), columns.end());
  if (names.empty())
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto m) { names.push_back(m.name); });
  std::string out = "<table><tr>";
  for (auto n : names) out += "<th>" + html_escape(n) + "</th>";
  out += "</tr>\n";
  for (const auto& row : rows) {
    const json::Json j = json::to_json(row);
    out += "<tr>";
    for (auto n : names) {
      auto it = j.find(std::string(n));
      out +=
          "<td>" + (it == j.end() ? std::string() : html_escape(csv::value_field(*it))) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace html
}  // namespace houqin
