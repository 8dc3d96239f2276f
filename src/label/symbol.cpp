// Symbols with zint: PNG from its bitmap (our own small PNG writer over zlib, so nothing touches
// the filesystem), SVG from its vector description. zint 2.11 writes files only, and a label
// wants the symbol's rectangles inside its own SVG anyway.
#include <zint.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>

#include "houqin/core/error.hpp"
#include "houqin/core/html.hpp"
#include "houqin/label/label.hpp"
#include "symbol.hpp"

namespace houqin::label {
namespace {

struct SymbolDeleter {
  void operator()(zint_symbol* s) const noexcept { ZBarcode_Delete(s); }
};
using SymbolPtr = std::unique_ptr<zint_symbol, SymbolDeleter>;

int zint_code(Symbology s) {
  switch (s) {
    case Symbology::code128:
      return BARCODE_CODE128;
    case Symbology::gs1_128:
      return BARCODE_GS1_128;
    case Symbology::qr:
      return BARCODE_QRCODE;
    case Symbology::datamatrix:
      return BARCODE_DATAMATRIX;
  }
  return BARCODE_QRCODE;
}

bool ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return false;
  return true;
}

void check_options(const SymbolOptions& o) {
  if (o.module_px < 1 || o.module_px > 40)
    fail(ErrorCode::invalid_argument,
         "module_px: " + std::to_string(o.module_px) + " is outside 1..40");
  if (is_linear(o.symbology) && (o.height < 10 || o.height > 500))
    fail(ErrorCode::invalid_argument,
         "height: " + std::to_string(o.height) + " is outside 10..500");
  if (o.quiet_zone < -1 || o.quiet_zone > 100)
    fail(ErrorCode::invalid_argument,
         "quiet_zone: " + std::to_string(o.quiet_zone) + " is outside -1..100");
}

// ---- PNG (8-bit greyscale: a symbol is black and white) -----------------------------------

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void chunk(std::string& out, const char type[4], std::string_view data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.append(type, 4);
  out.append(data);
  auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start),
                     static_cast<uInt>(out.size() - start));
  put32(out, static_cast<std::uint32_t>(crc));
}

std::string png(const zint_symbol& s) {
  const auto w = static_cast<std::size_t>(s.bitmap_width);
  const auto h = static_cast<std::size_t>(s.bitmap_height);
  std::string raw;
  raw.reserve((w + 1) * h);
  for (std::size_t y = 0; y < h; ++y) {
    raw.push_back('\0');  // filter: none
    for (std::size_t x = 0; x < w; ++x) {
      const unsigned char* rgb = s.bitmap + 3 * (y * w + x);
      raw.push_back(static_cast<char>((rgb[0] * 30 + rgb[1] * 59 + rgb[2] * 11) / 100));
    }
  }
  uLongf packed_size = ::compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (::compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                  reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                  Z_BEST_COMPRESSION) != Z_OK)
    fail(ErrorCode::internal, "png: compression failed");
  packed.resize(packed_size);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put32(ihdr, static_cast<std::uint32_t>(w));
  put32(ihdr, static_cast<std::uint32_t>(h));
  ihdr += std::string("\x08\x00\x00\x00\x00",
                      5);  // 8 bits, greyscale, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", packed);
  chunk(out, "IEND", {});
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string Drawing::svg_body() const {
  std::string out = "<path fill=\"#000\" d=\"";
  for (const auto& r : bars)
    out += "M" + number(r.x) + " " + number(r.y) + "h" + number(r.w) + "v" + number(r.h) + "h-" +
           number(r.w) + "z";
  out += "\"/>";
  for (const auto& t : texts)
    out += "<text x=\"" + number(t.x) + "\" y=\"" + number(t.y) + "\" font-size=\"" +
           number(t.size) + "\" text-anchor=\"" +
           (t.halign == 1   ? "start"
            : t.halign == 2 ? "end"
                            : "middle") +
           "\" font-family=\"'Noto Sans CJK SC', 'Noto Sans', sans-serif\">" + html_escape(t.text) +
           "</text>";
  return out;
}

Drawing draw(std::string_view data, const SymbolOptions& options, bool raster) {
  check_options(options);
  if (data.empty()) fail(ErrorCode::invalid_argument, "data: empty");
  SymbolPtr s(ZBarcode_Create());
  if (!s) throw std::bad_alloc();
  s->symbology = zint_code(options.symbology);
  s->input_mode = options.symbology == Symbology::gs1_128 ? GS1_MODE : UNICODE_MODE;
  // Non-ASCII text in 2-D symbols as UTF-8 under ECI 26, so readers (and zbar) know the charset.
  if (!is_linear(options.symbology) && !ascii(data)) s->eci = 26;
  s->scale = static_cast<float>(options.module_px) / 2.0f;  // zint: scale 1 is 2 px a module
  if (is_linear(options.symbology)) s->height = static_cast<float>(options.height);
  s->show_hrt = options.human_readable ? 1 : 0;
  if (options.quiet_zone >= 0) {
    s->output_options |= BARCODE_NO_QUIET_ZONES;
    s->whitespace_width = options.quiet_zone;
    s->whitespace_height = is_linear(options.symbology) ? 0 : options.quiet_zone;
  } else {
    s->output_options |= BARCODE_QUIET_ZONES;
  }
  s->warn_level = WARN_FAIL_ALL;  // a non-compliant symbol is an error, not a warning
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const int length = static_cast<int>(data.size());
  int rc = raster ? ZBarcode_Encode_and_Buffer(s.get(), bytes, length, 0)
                  : ZBarcode_Encode_and_Buffer_Vector(s.get(), bytes, length, 0);
  if (rc >= ZINT_ERROR)
    fail(rc == ZINT_ERROR_MEMORY ? ErrorCode::resource_exhausted : ErrorCode::invalid_argument,
         std::string(enum_name(options.symbology)) + ": " + s->errtxt);
  Drawing d;
  if (raster) {
    d.png = png(*s);
    d.width = s->bitmap_width;
    d.height = s->bitmap_height;
    return d;
  }
  d.width = s->vector->width;
  d.height = s->vector->height;
  for (auto* r = s->vector->rectangles; r; r = r->next)
    if (r->colour <= 0 || r->colour == 7) d.bars.push_back({r->x, r->y, r->width, r->height});
  for (auto* t = s->vector->strings; t; t = t->next)
    d.texts.push_back(
        {t->x, t->y, t->fsize, std::string(reinterpret_cast<const char*>(t->text)), t->halign});
  return d;
}

std::string render(std::string_view data, const SymbolOptions& options, ImageFormat format) {
  if (format == ImageFormat::png) return draw(data, options, true).png;
  auto d = draw(data, options, false);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(d.width) + "\" height=\"" +
         number(d.height) + "\" viewBox=\"0 0 " + number(d.width) + " " + number(d.height) +
         "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>" + d.svg_body() + "</svg>";
}

}  // namespace houqin::label
