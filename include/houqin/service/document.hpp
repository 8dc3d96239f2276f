// Shapes the domains' operations share, described once so every binding sees one: a document a
// report operation returns (CSV, an HTML page, an XLSX workbook or a PDF), and a request naming a
// thing by its code (a bag, a task -- what a scanner reads).
//
// Every module's report is a described struct. Its XLSX workbook is derived from that
// description, never written by hand: each list of rows becomes a sheet, every other member a line
// of the summary sheet, column headers come from the glossary (Chinese, with the member's name
// where the glossary has none), and cells keep their type -- integers and numbers with thousands
// separators, rates as percentages, times as Excel date-times in local time. The PDF is the
// module's HTML page rendered by weasyprint (docs/bi.md, "Reports").
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"

namespace houqin::service {

BOOST_DEFINE_ENUM_CLASS(DocumentFormat, csv, html, xlsx, pdf)

/// A report as a file: its media type, "utf-8" (text) or "base64" (XLSX, PDF, PNG), and the
/// content in that encoding.
struct Document {
  std::string content_type;
  std::string encoding = "utf-8";
  std::string data;
};
BOOST_DESCRIBE_STRUCT(Document, (), (content_type, encoding, data))

struct CodeInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
};
BOOST_DESCRIBE_STRUCT(CodeInput, (), (code))

/// The bytes of a document: the data, decoded when it is base64.
HOUQIN_EXPORT std::string document_bytes(const Document& document);

// ---- the glossary: a member's name as a hospital reads it ----

/// How a column's numbers read: as they are, or as a percentage (a rate stored as 0..1).
BOOST_DEFINE_ENUM_CLASS(Reading, plain, percent)

struct Term {
  std::string_view name;
  std::string_view title;  // 中文
  Reading reading = Reading::plain;
};

/// The glossary, sorted by name.
HOUQIN_EXPORT std::span<const Term> terms();
/// The glossary entry of a member's name, or nullptr. The glossary is one sorted table in
/// src/service/glossary.cpp; a test checks that every column of every module's report has a title.
HOUQIN_EXPORT const Term* term(std::string_view name);
/// The Chinese title of `name`, or the name itself where the glossary has none.
HOUQIN_EXPORT std::string title(std::string_view name);

// ---- workbooks ----

enum class CellKind { text, integer, number, percent, time, date, boolean };

struct Column {
  std::string name;   // the member
  std::string title;  // the header
  CellKind kind = CellKind::text;
};

/// A value as the report's JSON writes it, and how to write it in a cell.
struct Cell {
  json::Json value;
  CellKind kind = CellKind::text;
};

/// One sheet: columns and rows of cells.
struct Sheet {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

struct Workbook {
  std::string title;
  std::int32_t utc_offset_minutes = 480;  // times are written in local time
  std::vector<Sheet> sheets;
};

namespace detail {

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

template <class T>
CellKind cell_kind(std::string_view name) {
  using V = typename unwrap_optional<T>::type;
  if constexpr (std::is_same_v<V, bool>)
    return CellKind::boolean;
  else if constexpr (std::is_same_v<V, Timestamp>)
    return CellKind::time;
  else if constexpr (std::is_same_v<V, Date>)
    return CellKind::date;
  else if constexpr (std::is_enum_v<V>)
    return CellKind::text;
  else if constexpr (std::is_integral_v<V>)
    return CellKind::integer;
  else if constexpr (std::is_floating_point_v<V>) {
    const Term* t = term(name);
    return t && t->reading == Reading::percent ? CellKind::percent : CellKind::number;
  } else
    return CellKind::text;
}

template <class T>
constexpr bool is_table() {
  if constexpr (is_vector<T>::value)
    return DescribedStruct<typename T::value_type>;
  else
    return false;
}

/// The columns of a row type: its scalar members, nested structs flattened as "a.b" (titled
/// "A · B").
template <DescribedStruct Row>
void columns(std::vector<Column>& out, const std::string& prefix, const std::string& heading) {
  for_each_member<Row>([&](std::string_view name, auto pointer) {
    using M = std::remove_cvref_t<decltype(std::declval<Row&>().*pointer)>;
    const std::string full = prefix + std::string(name);
    const std::string label = heading + title(name);
    if constexpr (DescribedStruct<M>)
      columns<M>(out, full + ".", label + " · ");
    else
      out.push_back({full, label, cell_kind<M>(name)});
  });
}

/// A row's cells: the columns' values found in its JSON by their dotted names.
HOUQIN_EXPORT std::vector<Cell> cells(const json::Json& row, const std::vector<Column>& columns);

/// Adds `value`'s scalar members (nested structs flattened) as lines of the summary sheet.
template <DescribedStruct T>
void summary_lines(Sheet& summary, const T& value, const std::string& heading) {
  const json::Json j = json::to_json(value);
  for_each_member<T>([&](std::string_view name, auto pointer) {
    using M = std::remove_cvref_t<decltype(value.*pointer)>;
    if constexpr (DescribedStruct<M>) {
      summary_lines(summary, value.*pointer, heading + title(name) + " · ");
    } else if constexpr (!is_table<M>()) {
      auto it = j.find(std::string(name));
      summary.rows.push_back({Cell{heading + title(name)},
                              Cell{it == j.end() ? json::Json() : *it, cell_kind<M>(name)}});
    }
  });
}

}  // namespace detail

/// The workbook of a report: a summary sheet ("摘要") of its scalar members, then one sheet per
/// member that is a list of rows, named by the glossary.
template <DescribedStruct Report>
Workbook workbook(const Report& report, std::string title, std::int32_t utc_offset_minutes = 480) {
  Workbook book{std::move(title), utc_offset_minutes, {}};
  Sheet summary{"摘要", {{"item", "项目", CellKind::text}, {"value", "值", CellKind::text}}, {}};
  detail::summary_lines(summary, report, "");
  if (!summary.rows.empty()) book.sheets.push_back(std::move(summary));
  const json::Json j = json::to_json(report);
  for_each_member<Report>([&](std::string_view name, auto pointer) {
    using M = std::remove_cvref_t<decltype(report.*pointer)>;
    if constexpr (detail::is_table<M>()) {
      Sheet sheet{service::title(name), {}, {}};
      detail::columns<typename M::value_type>(sheet.columns, "", "");
      for (const auto& row : j.at(std::string(name)))
        sheet.rows.push_back(detail::cells(row, sheet.columns));
      book.sheets.push_back(std::move(sheet));
    }
  });
  return book;
}

/// The .xlsx file of a workbook (libxlsxwriter): a bold frozen header row with filters, columns
/// sized to their text, number formats by kind. Throws Error(unavailable) when it cannot be
/// written.
HOUQIN_EXPORT std::string to_xlsx(const Workbook& book);

/// A PDF of an HTML page, rendered by weasyprint (Debian `weasyprint`, with fonts-noto-cjk for
/// Chinese) within `timeout`. Throws Error(unavailable) naming the cause when weasyprint is
/// missing, fails or takes too long.
HOUQIN_EXPORT std::string html_to_pdf(std::string_view html,
                                      std::chrono::seconds timeout = std::chrono::seconds(60));

/// A report in the asked format: CSV and HTML from the module's own writers, XLSX from the
/// report's description, PDF from the HTML.
template <DescribedStruct Report>
Document render(DocumentFormat format, const Report& report, std::string_view title,
                const std::function<std::string()>& csv, const std::function<std::string()>& html,
                std::int32_t utc_offset_minutes = 480,
                std::chrono::seconds pdf_timeout = std::chrono::seconds(60));

/// The same from a workbook's maker; an empty `csv` refuses CSV (a report of several tables
/// offers XLSX instead). `pdf_timeout` bounds weasyprint (a year's record book needs longer).
HOUQIN_EXPORT Document render_workbook(DocumentFormat format, const std::function<Workbook()>& book,
                                       const std::function<std::string()>& csv,
                                       const std::function<std::string()>& html,
                                       std::chrono::seconds pdf_timeout = std::chrono::seconds(60));

template <DescribedStruct Report>
Document render(DocumentFormat format, const Report& report, std::string_view title,
                const std::function<std::string()>& csv, const std::function<std::string()>& html,
                std::int32_t utc_offset_minutes, std::chrono::seconds pdf_timeout) {
  return render_workbook(
      format, [&] { return workbook(report, std::string(title), utc_offset_minutes); }, csv, html,
      pdf_timeout);
}

}  // namespace houqin::service
