// Barcode and QR labels (条码插件): symbols encoded with zint (Code 128, GS1-128, QR Code, Data
// Matrix) as PNG or SVG, and labels -- a symbol with a title and the fields a person reads --
// for the thermal printers wards use (ZPL), for office printers (SVG, and a sheet of labels as
// HTML or SVG), and for the screen. Waste bags and sharps boxes, assets, rooms (the repair-intake
// QR code) and inspection points are labelled through the same Label. Text is UTF-8 throughout;
// QR Code and Data Matrix carry non-ASCII text (Chinese) under ECI 26 (UTF-8).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"

namespace houqin::label {

/// The symbologies houqin prints. gs1_128 takes GS1 element strings in the bracketed form
/// "[01]06901234567892[10]LOT42" (the check digit and the data of each AI are checked).
BOOST_DEFINE_ENUM_CLASS(Symbology, code128, gs1_128, qr, datamatrix)
BOOST_DEFINE_ENUM_CLASS(ImageFormat, png, svg)

/// How a symbol is drawn.
struct SymbolOptions {
  Symbology symbology = Symbology::qr;
  /// Pixels per module (X-dimension) in PNG; SVG is drawn in modules scaled to the same size.
  std::int32_t module_px = 4;
  /// Linear symbols: bar height in modules (default 50, at least 10).
  std::int32_t height = 50;
  /// Linear symbols: the encoded text under the bars.
  bool human_readable = true;
  /// Quiet zone around the symbol, in modules (default: what the symbology requires).
  std::int32_t quiet_zone = -1;
};
BOOST_DESCRIBE_STRUCT(SymbolOptions, (), (symbology, module_px, height, human_readable, quiet_zone))

/// The symbol for `data` as PNG bytes or SVG text. Error(invalid_argument) naming the symbology
/// and zint's reason when the data cannot be encoded (too long, a character Code 128 cannot
/// carry, a malformed GS1 string) or an option is out of range.
HOUQIN_EXPORT std::string render(std::string_view data, const SymbolOptions& options,
                                 ImageFormat format);

/// One line of a label: "产生单位" and "市人民医院".
struct Field {
  std::string name;
  std::string value;
};
BOOST_DESCRIBE_STRUCT(Field, (), (name, value))

/// A label: a title band, the symbol encoding `code`, the code in text, and fields.
struct Label {
  static constexpr std::array<std::string_view, 1> required_fields{"code"};
  std::string title;  // "医疗废物 感染性废物"
  std::string code;   // what the symbol encodes (a bag code, a URL, a GS1 string)
  Symbology symbology = Symbology::qr;
  std::vector<Field> fields;
  double width_mm = 60;  // the label stock
  double height_mm = 40;
};
BOOST_DESCRIBE_STRUCT(Label, (), (title, code, symbology, fields, width_mm, height_mm))

/// The label as SVG (millimetre units; the symbol as vector rectangles, text in a CJK-capable
/// sans-serif font family), for screens and office printers.
HOUQIN_EXPORT std::string label_svg(const Label& label);

/// The label as ZPL II for Zebra-compatible thermal printers at `dpi` (203, 300 or 600): UTF-8
/// text (^CI28) in the printer's scalable font (^A@ with E:SIMSUN.TTF for Chinese, replaceable),
/// the symbol as ^BC (Code 128), ^BC with FNC1 (GS1-128), ^BQ (QR) or ^BX (Data Matrix).
HOUQIN_EXPORT std::string label_zpl(const Label& label, std::int32_t dpi = 203,
                                    std::string_view font = "E:SIMSUN.TTF");

/// Labels laid out on A4 sheets for office printers.
struct SheetOptions {
  double page_width_mm = 210;
  double page_height_mm = 297;
  double margin_mm = 10;
  double gap_mm = 4;
};
BOOST_DESCRIBE_STRUCT(SheetOptions, (), (page_width_mm, page_height_mm, margin_mm, gap_mm))

/// Every label on as many pages as needed: one SVG per page.
HOUQIN_EXPORT std::vector<std::string> sheet_svg(std::span<const Label> labels,
                                                 const SheetOptions& options = {});
/// The same pages in one printable HTML document (a page break between pages).
HOUQIN_EXPORT std::string sheet_html(std::span<const Label> labels,
                                     const SheetOptions& options = {});

}  // namespace houqin::label
