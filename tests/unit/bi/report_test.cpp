// Report documents: every module's report has a Chinese title for each column and summary line;
// a workbook derived from a report keeps its figures, types and nested rows; XLSX and PDF come
// out as real files (their content is checked with openpyxl and pdftotext in
// tests/python/test_reports.py); a PDF without weasyprint is refused with the cause named.
#include <gtest/gtest.h>

#include <cstdlib>

#include "../../support/expect.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/bi/operation_report.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/patrol/patrol.hpp"
#include "houqin/repair/report.hpp"
#include "houqin/service/document.hpp"
#include "houqin/survey/surveys.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin {
namespace {

using service::CellKind;

bool has_cjk(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0xE0) return true;
  return false;
}

/// Every header and summary line of R's workbook has a Chinese title.
template <class R>
void expect_titled(std::string_view module) {
  const auto book = service::workbook(R{}, std::string(module));
  for (const auto& sheet : book.sheets) {
    EXPECT_TRUE(has_cjk(sheet.name)) << module << ": sheet " << sheet.name;
    if (sheet.name != "摘要")
      for (const auto& c : sheet.columns)
        EXPECT_TRUE(has_cjk(c.title)) << module << " / " << sheet.name << ": column " << c.name;
    else
      for (const auto& row : sheet.rows)
        EXPECT_TRUE(has_cjk(row[0].value.template get<std::string>()))
            << module << ": summary line " << row[0].value;
  }
}

TEST(Reports, EveryModulesReportHasAChineseTitleForEveryColumn) {
  const auto terms = service::terms();
  for (std::size_t i = 1; i < terms.size(); ++i)
    EXPECT_LT(terms[i - 1].name, terms[i].name) << "the glossary is sorted and has no duplicates";
  expect_titled<repair::Report>("repair");
  expect_titled<waste::Report>("waste");
  expect_titled<inspection::Compliance>("inspection");
  expect_titled<hazard::Report>("hazard");
  expect_titled<emergency::DrillReport>("emergency");
  expect_titled<patrol::Compliance>("patrol");
  expect_titled<survey::Scores>("survey");
  expect_titled<bi::Desk>("bi desk");
  expect_titled<bi::Series>("bi series");
  expect_titled<bi::OperationReport>("operation report");
  expect_titled<bi::RecordBook>("record book");
}

TEST(Reports, AWorkbookKeepsTheReportsFiguresAndTypes) {
  repair::Report r;
  r.query.from = parse_timestamp("2026-10-01T00:00:00Z");
  auto make_row = [](std::string key, std::string label, std::int64_t reported) {
    repair::ReportRow out;
    out.key = std::move(key);
    out.label = std::move(label);
    out.reported = reported;
    return out;
  };
  r.rows.push_back(make_row("electrical", "电工", 12));
  r.rows.back().response_compliance = 0.75;
  r.rows.push_back(make_row("plumbing", "水工", 3));
  r.total.reported = 15;
  const auto book = service::workbook(r, "维修报告");
  ASSERT_EQ(book.sheets.size(), 2u);
  const auto& summary = book.sheets[0];
  EXPECT_EQ(summary.name, "摘要");
  bool found_total = false, found_from = false;
  for (const auto& row : summary.rows) {
    if (row[0].value == "合计 · 上报数") {
      found_total = true;
      EXPECT_EQ(row[1].value, 15);
      EXPECT_EQ(row[1].kind, CellKind::integer);
    }
    if (row[0].value == "查询条件 · 起始时间") {
      found_from = true;
      EXPECT_EQ(row[1].kind, CellKind::time);
      EXPECT_EQ(row[1].value, "2026-10-01T00:00:00Z");
    }
  }
  EXPECT_TRUE(found_total);
  EXPECT_TRUE(found_from);
  const auto& rows = book.sheets[1];
  EXPECT_EQ(rows.name, "明细");
  ASSERT_EQ(rows.rows.size(), 2u);
  auto column = [&](std::string_view name) {
    for (std::size_t i = 0; i < rows.columns.size(); ++i)
      if (rows.columns[i].name == name) return i;
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  EXPECT_EQ(rows.columns[column("reported")].title, "上报数");
  EXPECT_EQ(rows.rows[0][column("reported")].value, 12);
  EXPECT_EQ(rows.rows[0][column("label")].value, "电工");
  EXPECT_EQ(rows.rows[0][column("response_compliance")].kind, CellKind::percent);
  EXPECT_EQ(rows.rows[0][column("response_compliance")].value, 0.75);
  EXPECT_TRUE(rows.rows[1][column("response_compliance")].value.is_null());
}

TEST(Reports, XlsxAndPdfAreRealFiles) {
  repair::Report r;
  r.rows.emplace_back();
  r.rows.back().label = "电工";
  const auto xlsx = service::render(
      service::DocumentFormat::xlsx, r, "维修报告", [] { return std::string(); },
      [] { return std::string(); });
  EXPECT_EQ(xlsx.encoding, "base64");
  EXPECT_EQ(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  const std::string zip = service::document_bytes(xlsx);
  EXPECT_EQ(zip.substr(0, 2), "PK");  // an OOXML package is a zip file
  EXPECT_NE(zip.find("xl/worksheets/sheet2.xml"), std::string::npos);

  const auto csv = service::render(
      service::DocumentFormat::csv, r, "维修报告", [] { return std::string("a,b\r\n"); },
      [] { return std::string(); });
  EXPECT_EQ(csv.encoding, "utf-8");
  EXPECT_EQ(service::document_bytes(csv), "a,b\r\n");

  const auto pdf = service::render(
      service::DocumentFormat::pdf, r, "维修报告", [] { return std::string(); },
      [] { return std::string("<html><body><h1>维修报告</h1><p>12</p></body></html>"); });
  EXPECT_EQ(pdf.content_type, "application/pdf");
  EXPECT_EQ(service::document_bytes(pdf).substr(0, 5), "%PDF-");
}

TEST(Reports, APdfWithoutWeasyprintIsRefusedWithTheCauseNamed) {
  const char* path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  ::setenv("PATH", "/nonexistent", 1);
  try {
    testing::expect_error([] { service::html_to_pdf("<p>x</p>"); }, ErrorCode::unavailable,
                          "pdf: weasyprint is not installed");
  } catch (...) {
    ::setenv("PATH", saved.c_str(), 1);
    throw;
  }
  ::setenv("PATH", saved.c_str(), 1);
}

}  // namespace
}  // namespace houqin
