// Labels: the layout of a title, a symbol, its code and the fields on a label of given size, as
// SVG (screens, office printers, sheets) and as ZPL (thermal printers).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "houqin/core/error.hpp"
#include "houqin/core/html.hpp"
#include "houqin/label/label.hpp"
#include "symbol.hpp"

namespace houqin::label {
namespace {

constexpr const char* font_family = "'Noto Sans CJK SC', 'Noto Sans', sans-serif";

std::string mm(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void check_label(const Label& l) {
  if (l.code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
  if (!(l.width_mm >= 20 && l.width_mm <= 300) || !(l.height_mm >= 15 && l.height_mm <= 300))
    fail(ErrorCode::invalid_argument, "label size " + mm(l.width_mm) + " x " + mm(l.height_mm) +
                                          " mm is outside 20..300 x 15..300 mm");
}

/// Where things go on a label, in millimetres.
struct Box {
  double x, y, w, h;
};
struct Plan {
  double title_h;  // the title band, 0 without a title
  Box symbol;
  Box text;  // the code and the fields
};

Plan plan(const Label& l) {
  const double pad = 2;
  Plan p{};
  p.title_h = l.title.empty() ? 0 : std::min(7.0, l.height_mm * 0.18);
  const double top = pad + p.title_h;
  const double avail_h = l.height_mm - top - pad;
  if (is_linear(l.symbology)) {  // bars across the top, the fields below
    const double bars_h = avail_h * 0.45;
    p.symbol = {pad, top, l.width_mm - 2 * pad, bars_h};
    p.text = {pad, top + bars_h + 1, l.width_mm - 2 * pad, avail_h - bars_h - 1};
  } else {  // a square on the left, the fields on the right
    const double side = std::min(avail_h, l.width_mm * 0.45);
    p.symbol = {pad, top, side, side};
    p.text = {pad + side + 2, top, l.width_mm - side - 3 * pad, avail_h};
  }
  return p;
}

/// The width of `s` in ems, roughly: CJK characters are square, the rest about 0.62 em (bold
/// Latin in Noto Sans; a little generous so that text stays inside the label).
double ems(std::string_view s) {
  return text_width(s, 1.0, 0.62);
}

std::string line_of(const Field& f) {
  return f.name.empty() ? f.value : f.name + "：" + f.value;
}

/// The text size (mm) for the code and the fields: as large as the height allows (2.2..3.5 mm),
/// and small enough (down to 1.4 mm) that the longest line fits the width.
double text_size(const Label& l, const Plan& p) {
  const double lines = 1.0 + static_cast<double>(l.fields.size());
  double size = std::clamp(p.text.h / (lines * 1.3), 2.2, 3.5);
  double widest = ems(l.code);
  for (const auto& f : l.fields) widest = std::max(widest, ems(line_of(f)));
  if (widest > 0) size = std::min(size, p.text.w / widest);
  return std::max(size, 1.4);
}

/// The title's size: 0.72 of its band, smaller when the title would not fit the width.
double title_size(const Label& l, const Plan& p) {
  return std::min(p.title_h * 0.72, (l.width_mm - 4) / std::max(ems(l.title), 1.0));
}

std::string text(double x, double y, double size, std::string_view s, bool bold = false,
                 std::string_view fill = "#000") {
  return "<text x=\"" + mm(x) + "\" y=\"" + mm(y) + "\" font-size=\"" + mm(size) +
         "\" font-family=\"" + font_family + "\"" + (bold ? " font-weight=\"bold\"" : "") +
         " fill=\"" + std::string(fill) + "\">" + html_escape(s) + "</text>";
}

/// The label's elements in millimetres, at the origin.
std::string body(const Label& l) {
  check_label(l);
  const Plan p = plan(l);
  std::string out = "<rect width=\"" + mm(l.width_mm) + "\" height=\"" + mm(l.height_mm) +
                    "\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"0.3\"/>";
  if (p.title_h > 0) {
    out += "<rect width=\"" + mm(l.width_mm) + "\" height=\"" + mm(p.title_h + 1) +
           "\" fill=\"#000\"/>";
    out += text(2, p.title_h * 0.78 + 0.5, title_size(l, p), l.title, true, "#fff");
  }
  SymbolOptions so;
  so.symbology = l.symbology;
  so.module_px = 1;
  so.human_readable = false;
  auto d = draw(l.code, so, false);
  const double k = std::min(p.symbol.w / d.width, p.symbol.h / d.height);
  out += "<g transform=\"translate(" + mm(p.symbol.x) + " " + mm(p.symbol.y) + ") scale(" +
         std::to_string(k) + ")\">" + d.svg_body() + "</g>";
  // The code in text, then one line per field.
  const double size = text_size(l, p);
  double y = p.text.y + size;
  out += text(p.text.x, y, size, l.code, true);
  for (const auto& f : l.fields) {
    y += size * 1.3;
    if (y > l.height_mm - 1) break;  // what does not fit is left out, never drawn off the label
    out += text(p.text.x, y, size, line_of(f));
  }
  return out;
}

std::string svg_open(double w, double h) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + mm(w) + "mm\" height=\"" + mm(h) +
         "mm\" viewBox=\"0 0 " + mm(w) + " " + mm(h) + "\">";
}

/// Text for a ZPL field: ^FH lets _XX stand for a byte, so ^ ~ and _ cannot end or start
/// commands.
std::string zpl_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '^')
      out += "_5E";
    else if (c == '~')
      out += "_7E";
    else if (c == '_')
      out += "_5F";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

/// GS1 element strings for ^BC mode D: "[01]0690...[10]LOT" becomes "(01)0690...(10)LOT".
std::string gs1_parens(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '[', '(');
  std::replace(out.begin(), out.end(), ']', ')');
  return out;
}

}  // namespace

std::string label_svg(const Label& label) {
  return svg_open(label.width_mm, label.height_mm) + body(label) + "</svg>";
}

std::string label_zpl(const Label& l, std::int32_t dpi, std::string_view font) {
  check_label(l);
  if (dpi != 203 && dpi != 300 && dpi != 600)
    fail(ErrorCode::invalid_argument, "dpi: " + std::to_string(dpi) + " is not 203, 300 or 600");
  // Validates the data as render() would, so a printer never gets what cannot be encoded.
  draw(l.code, SymbolOptions{l.symbology, 1, 50, false, -1}, false);
  const double dots = dpi / 25.4;
  auto d = [&](double v) { return std::to_string(static_cast<int>(std::lround(v * dots))); };
  const Plan p = plan(l);
  std::string z = "^XA^CI28^PW" + d(l.width_mm) + "^LL" + d(l.height_mm) + "^LH0,0";
  const std::string f = std::string(font);
  if (p.title_h > 0)
    z += "^FO" + d(0) + "," + d(0) + "^GB" + d(l.width_mm) + "," + d(p.title_h + 1) + "," +
         d(p.title_h + 1) + "^FS^FO" + d(2) + "," + d(0.5) + "^FR^A@N," + d(title_size(l, p)) +
         "," + d(title_size(l, p)) + "," + f + "^FH^FD" + zpl_text(l.title) + "^FS";
  z += "^FO" + d(p.symbol.x) + "," + d(p.symbol.y);
  switch (l.symbology) {
    case Symbology::code128:
      z += "^BY2^BCN," + d(p.symbol.h) + ",N,N,N^FH^FD" + zpl_text(l.code) + "^FS";
      break;
    case Symbology::gs1_128:
      z += "^BY2^BCN," + d(p.symbol.h) + ",N,N,N,D^FD" + gs1_parens(l.code) + "^FS";
      break;
    case Symbology::qr: {
      // Magnification: modules of about 0.5 mm, from 1 to 10 as the printer allows.
      const int mag = std::clamp(static_cast<int>(std::lround(0.5 * dots)), 1, 10);
      z += "^BQN,2," + std::to_string(mag) + "^FH^FDMA," + zpl_text(l.code) + "^FS";
      break;
    }
    case Symbology::datamatrix:
      z += "^BXN," + d(0.5) + ",200^FH^FD" + zpl_text(l.code) + "^FS";
      break;
  }
  const double size = text_size(l, p);
  double y = p.text.y;
  z += "^FO" + d(p.text.x) + "," + d(y) + "^A@N," + d(size) + "," + d(size) + "," + f + "^FH^FD" +
       zpl_text(l.code) + "^FS";
  for (const auto& fld : l.fields) {
    y += size * 1.3;
    if (y + size > l.height_mm - 1) break;
    z += "^FO" + d(p.text.x) + "," + d(y) + "^A@N," + d(size) + "," + d(size) + "," + f + "^FH^FD" +
         zpl_text(fld.name.empty() ? fld.value : fld.name + "：" + fld.value) + "^FS";
  }
  return z + "^XZ\n";
}

std::vector<std::string> sheet_svg(std::span<const Label> labels, const SheetOptions& o) {
  std::vector<std::string> pages;
  if (labels.empty()) return pages;
  const double usable_w = o.page_width_mm - 2 * o.margin_mm;
  const double usable_h = o.page_height_mm - 2 * o.margin_mm;
  std::string page;
  double x = 0, y = 0, row_h = 0;
  auto flush = [&] {
    pages.push_back(svg_open(o.page_width_mm, o.page_height_mm) + page + "</svg>");
    page.clear();
    x = y = row_h = 0;
  };
  for (const auto& l : labels) {
    if (l.width_mm > usable_w || l.height_mm > usable_h)
      fail(ErrorCode::invalid_argument, "label " + l.code + " (" + mm(l.width_mm) + " x " +
                                            mm(l.height_mm) + " mm) does not fit on the page");
    if (x > 0 && x + l.width_mm > usable_w) {  // next row
      x = 0;
      y += row_h + o.gap_mm;
      row_h = 0;
    }
    if (y > 0 && y + l.height_mm > usable_h) flush();  // next page
    page += "<svg x=\"" + mm(o.margin_mm + x) + "\" y=\"" + mm(o.margin_mm + y) + "\" width=\"" +
            mm(l.width_mm) + "\" height=\"" + mm(l.height_mm) + "\" viewBox=\"0 0 " +
            mm(l.width_mm) + " " + mm(l.height_mm) + "\">" + body(l) + "</svg>";
    x += l.width_mm + o.gap_mm;
    row_h = std::max(row_h, l.height_mm);
  }
  flush();
  return pages;
}

std::string sheet_html(std::span<const Label> labels, const SheetOptions& o) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>labels</title><style>@page { "
      "size: " +
      mm(o.page_width_mm) + "mm " + mm(o.page_height_mm) +
      "mm; margin: 0 } body { margin: 0 } .page { page-break-after: always; width: " +
      mm(o.page_width_mm) + "mm; height: " + mm(o.page_height_mm) + "mm }</style></head><body>\n";
  for (const auto& page : sheet_svg(labels, o)) out += "<div class=\"page\">" + page + "</div>\n";
  return out + "</body></html>\n";
}

}  // namespace houqin::label
