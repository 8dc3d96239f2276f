// Report documents: XLSX workbooks through libxlsxwriter and PDF through weasyprint.
#include "houqin/service/document.hpp"

#include "houqin/core/html.hpp"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "crypto/sodium.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/process.hpp"

namespace houqin::service {

std::string document_bytes(const Document& document) {
  if (document.encoding == "base64") return crypto::from_base64(document.data, "data");
  return document.data;
}

namespace {

/// A private directory under $TMPDIR for one document, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "houqin-doc-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      fail(ErrorCode::unavailable, "document: cannot create a temporary directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::unavailable, "document: cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Display width of a cell's text in Excel's character widths: a CJK character takes two.
double cell_width(std::string_view s) {
  return text_width(s, 2.0, 1.0);
}

/// Excel's sheet names: at most 31 characters, none of []:*?/\, unique in the workbook.
std::string sheet_name(std::string name, std::map<std::string, int>& used) {
  for (char& c : name)
    if (std::string_view("[]:*?/\\").find(c) != std::string_view::npos) c = '_';
  // Cut at a character boundary: 31 UTF-16 units, so at most 31 code points.
  std::size_t points = 0, cut = name.size();
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80 && ++points > 28) {
      cut = i;
      break;
    }
  name.resize(cut);
  if (name.empty()) name = "sheet";
  if (int n = used[name]++; n > 0) name += " " + std::to_string(n + 1);
  return name;
}

lxw_datetime excel_time(Timestamp t, std::int32_t offset_minutes) {
  const auto local = t + std::chrono::minutes(offset_minutes);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(local - day)};
  return lxw_datetime{static_cast<int>(ymd.year()),
                      static_cast<int>(static_cast<unsigned>(ymd.month())),
                      static_cast<int>(static_cast<unsigned>(ymd.day())),
                      static_cast<int>(hms.hours().count()),
                      static_cast<int>(hms.minutes().count()),
                      static_cast<double>(hms.seconds().count())};
}

void check(lxw_error e, std::string_view what) {
  if (e != LXW_NO_ERROR)
    fail(ErrorCode::unavailable, "xlsx: " + std::string(what) + ": " + lxw_strerror(e));
}

}  // namespace

namespace detail {

std::vector<Cell> cells(const json::Json& row, const std::vector<Column>& columns) {
  std::vector<Cell> out;
  out.reserve(columns.size());
  for (const auto& c : columns) {
    const json::Json* at = &row;
    std::string_view path = c.name;
    while (at && !path.empty()) {
      const auto dot = path.find('.');
      const std::string key(path.substr(0, dot));
      auto it = at->is_object() ? at->find(key) : at->end();
      at = at->is_object() && it != at->end() ? &*it : nullptr;
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    out.push_back({at ? *at : json::Json(), c.kind});
  }
  return out;
}

}  // namespace detail

std::string to_xlsx(const Workbook& book) {
  ScratchDir dir;
  const std::string file = (dir / "report.xlsx").string();
  lxw_workbook_options options{};
  options.constant_memory = LXW_FALSE;
  const std::string tmp = (dir / "").string();
  options.tmpdir = const_cast<char*>(tmp.c_str());
  lxw_workbook* wb = workbook_new_opt(file.c_str(), &options);
  if (wb == nullptr) fail(ErrorCode::unavailable, "xlsx: cannot create " + file);
  lxw_doc_properties properties{};
  properties.title = const_cast<char*>(book.title.c_str());
  properties.company = const_cast<char*>("houqin");
  workbook_set_properties(wb, &properties);

  lxw_format* header = workbook_add_format(wb);
  format_set_bold(header);
  format_set_bg_color(header, 0xDDEBF7);
  format_set_border(header, LXW_BORDER_THIN);
  format_set_text_wrap(header);
  lxw_format* integer = workbook_add_format(wb);
  format_set_num_format(integer, "#,##0");
  lxw_format* number = workbook_add_format(wb);
  format_set_num_format(number, "#,##0.00");
  lxw_format* percent = workbook_add_format(wb);
  format_set_num_format(percent, "0.0%");
  lxw_format* time = workbook_add_format(wb);
  format_set_num_format(time, "yyyy-mm-dd hh:mm");
  lxw_format* date = workbook_add_format(wb);
  format_set_num_format(date, "yyyy-mm-dd");

  std::map<std::string, int> used;
  for (const auto& sheet : book.sheets) {
    const std::string name = sheet_name(sheet.name, used);
    lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
    if (ws == nullptr) fail(ErrorCode::unavailable, "xlsx: cannot add sheet '" + name + "'");
    std::vector<double> widths(sheet.columns.size(), 8);
    for (std::size_t c = 0; c < sheet.columns.size(); ++c) {
      check(worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), sheet.columns[c].title.c_str(),
                                   header),
            "header");
      widths[c] = std::max(widths[c], cell_width(sheet.columns[c].title) + 2);
    }
    for (std::size_t r = 0; r < sheet.rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (std::size_t c = 0; c < sheet.rows[r].size() && c < 16384; ++c) {
        const Cell& cell = sheet.rows[r][c];
        const auto col = static_cast<lxw_col_t>(c);
        const json::Json& v = cell.value;
        if (v.is_null()) continue;
        std::string shown;
        if (v.is_number() && (cell.kind == CellKind::integer || cell.kind == CellKind::number ||
                              cell.kind == CellKind::percent)) {
          lxw_format* f = cell.kind == CellKind::integer  ? integer
                          : cell.kind == CellKind::number ? number
                                                          : percent;
          check(worksheet_write_number(ws, row, col, v.get<double>(), f), "number");
          shown = csv::value_field(v) + "   ";
        } else if (v.is_string() && cell.kind == CellKind::time) {
          lxw_datetime dt =
              excel_time(parse_timestamp(v.get<std::string>()), book.utc_offset_minutes);
          check(worksheet_write_datetime(ws, row, col, &dt, time), "time");
          shown = "2026-01-01 00:00";
        } else if (v.is_string() && cell.kind == CellKind::date) {
          const std::chrono::year_month_day ymd{parse_date(v.get<std::string>())};
          lxw_datetime dt{static_cast<int>(ymd.year()),
                          static_cast<int>(static_cast<unsigned>(ymd.month())),
                          static_cast<int>(static_cast<unsigned>(ymd.day())),
                          0,
                          0,
                          0};
          check(worksheet_write_datetime(ws, row, col, &dt, date), "date");
          shown = "2026-01-01";
        } else if (v.is_boolean()) {
          shown = v.get<bool>() ? "是" : "否";
          check(worksheet_write_string(ws, row, col, shown.c_str(), nullptr), "text");
        } else {
          shown = csv::value_field(v);
          if (shown.size() > 32767) shown.resize(32767);  // Excel's limit per cell
          check(worksheet_write_string(ws, row, col, shown.c_str(), nullptr), "text");
        }
        widths[c] = std::max(widths[c], std::min(60.0, cell_width(shown) + 2));
      }
    }
    // The column's format too, so a figure typed into an empty cell reads like its neighbours.
    for (std::size_t c = 0; c < widths.size(); ++c) {
      const CellKind kind = sheet.columns[c].kind;
      lxw_format* f = kind == CellKind::integer   ? integer
                      : kind == CellKind::number  ? number
                      : kind == CellKind::percent ? percent
                      : kind == CellKind::time    ? time
                      : kind == CellKind::date    ? date
                                                  : nullptr;
      worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), widths[c], f);
    }
    worksheet_freeze_panes(ws, 1, 0);
    if (!sheet.columns.empty() && !sheet.rows.empty())
      worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(sheet.rows.size()),
                           static_cast<lxw_col_t>(sheet.columns.size() - 1));
  }
  if (book.sheets.empty()) workbook_add_worksheet(wb, nullptr);
  check(workbook_close(wb), "close");
  return read_file(file);
}

std::string html_to_pdf(std::string_view html, std::chrono::seconds timeout) {
  ScratchDir dir;
  const auto in = dir / "report.html", out = dir / "report.pdf";
  {
    std::ofstream f(in, std::ios::binary);
    f.write(html.data(), static_cast<std::streamsize>(html.size()));
    if (!f) fail(ErrorCode::unavailable, "pdf: cannot write " + in.string());
  }
  // -q: no warnings on the output; the base URL is the scratch directory, so a page cannot reach
  // files elsewhere through relative links.
  process::Outcome result;
  try {
    result = process::run({"weasyprint", "-q", "-e", "utf-8", in.string(), out.string()}, timeout);
  } catch (const Error& e) {
    if (std::string_view(e.what()).find("cannot run") == std::string_view::npos) throw;
    fail(ErrorCode::unavailable,
         "pdf: weasyprint is not installed (Debian package weasyprint): " + std::string(e.what()));
  }
  if (result.status != 0)
    fail(ErrorCode::unavailable, "pdf: weasyprint failed (exit " + std::to_string(result.status) +
                                     "): " + result.output.substr(0, 400));
  return read_file(out);
}

Document render_workbook(DocumentFormat format, const std::function<Workbook()>& book,
                         const std::function<std::string()>& csv,
                         const std::function<std::string()>& html,
                         std::chrono::seconds pdf_timeout) {
  switch (format) {
    case DocumentFormat::csv:
      if (!csv)
        fail(ErrorCode::invalid_argument,
             "format: csv is not offered for a report of several tables; use xlsx, html or pdf");
      return {"text/csv", "utf-8", csv()};
    case DocumentFormat::html:
      return {"text/html", "utf-8", html()};
    case DocumentFormat::xlsx:
      return {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "base64",
              crypto::to_base64(to_xlsx(book()))};
    case DocumentFormat::pdf:
      return {"application/pdf", "base64", crypto::to_base64(html_to_pdf(html(), pdf_timeout))};
  }
  fail(ErrorCode::invalid_argument, "format: unknown document format");
}

}  // namespace houqin::service
