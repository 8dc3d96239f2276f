// BI's pages share their pieces: figures as text and the tiles of the service desk and the
// operation reports.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/html.hpp"

namespace houqin::bi::page {

inline std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// The value with its unit, or a dash when there is none.
inline std::string shown(const std::optional<double>& v, int decimals, std::string_view unit = "") {
  return v ? fixed(*v, decimals) + std::string(unit) : std::string("—");
}

/// A rate (0..1) as a percentage, or a dash.
inline std::string percent(const std::optional<double>& v, int decimals = 1) {
  return v ? fixed(*v * 100, decimals) + " %" : std::string("—");
}

struct Tile {
  std::string title;
  std::string value;
  bool attention = false;  // drawn red
};

inline std::string tiles(const std::vector<Tile>& tiles) {
  std::string out = "<div class=\"tiles\">";
  for (const auto& t : tiles)
    out += std::string("<div class=\"tile") + (t.attention ? " attention" : "") + "\"><div>" +
           html_escape(t.title) + "</div><b>" + html_escape(t.value) + "</b></div>";
  return out + "</div>\n";
}

/// A4 pages, charts scaled to the page, tiles; numbered pages and a table of contents with page
/// numbers when printed (weasyprint's target-counter), chapters on new pages.
inline constexpr std::string_view style =
    "<style>@page{size:A4;margin:1.5cm;@bottom-center{content:counter(page) \" / \" "
    "counter(pages);font-size:9pt}}svg{max-width:100%;height:auto}"
    ".tiles{display:flex;flex-wrap:wrap;gap:8px;margin:1em 0}"
    ".tile{border:1px solid #9bb;border-radius:6px;padding:6px 10px;min-width:9em}"
    ".tile b{font-size:1.5em;display:block}.tile.attention{border-color:#c33;background:#fee}"
    ".critical{color:#b00;font-weight:bold}"
    ".toc a{text-decoration:none;color:inherit}"
    ".toc a::after{content:leader('.') target-counter(attr(href),page)}"
    "h2.chapter{page-break-before:always}.cover{text-align:center;margin-top:8cm}</style>\n";

}  // namespace houqin::bi::page
