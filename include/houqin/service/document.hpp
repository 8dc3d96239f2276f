// Shapes the domains' operations share, described once so every binding sees one: a document a
// report operation returns (CSV or an HTML page), and a request naming a thing by its code (a
// bag, a task -- what a scanner reads).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "houqin/core/describe.hpp"

namespace houqin::service {

BOOST_DEFINE_ENUM_CLASS(DocumentFormat, csv, html)

/// A report as a file: "text/csv" or "text/html", and its text.
struct Document {
  std::string content_type;
  std::string data;
};
BOOST_DESCRIBE_STRUCT(Document, (), (content_type, data))

struct CodeInput {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string code;
};
BOOST_DESCRIBE_STRUCT(CodeInput, (), (code))

}  // namespace houqin::service
