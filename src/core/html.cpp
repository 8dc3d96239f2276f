#include "houqin/core/html.hpp"

namespace houqin {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace html {

std::string page_start(std::string_view title, std::string_view heading) {
  return "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\"><title>" +
         html_escape(title) + "</title><style>body{font-family:" + std::string(fonts) +
         ";margin:2em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px "
         "8px;text-align:right}</style></head><body>\n<h1>" +
         html_escape(heading) + "</h1>\n";
}

std::string page_end() {
  return "</body></html>\n";
}

}  // namespace html
}  // namespace houqin
