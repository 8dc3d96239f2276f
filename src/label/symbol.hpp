// A symbol drawn by zint, as the label layouts need it: a PNG, or bars and texts in pixels.
// Private to the label layer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "houqin/label/label.hpp"

namespace houqin::label {

struct Drawing {
  struct Bar {
    float x, y, w, h;
  };
  struct Text {
    float x, y, size;
    std::string text;
    int halign;  // zint: 0 centre, 1 left, 2 right
  };
  double width = 0, height = 0;  // pixels (raster) or drawing units (vector; module_px a module)
  std::string png;               // raster only
  std::vector<Bar> bars;         // vector only
  std::vector<Text> texts;       // vector only: the human-readable text of linear symbols
  /// The bars (one path) and texts as SVG elements in the drawing's units.
  std::string svg_body() const;
};

inline bool is_linear(Symbology s) {
  return s == Symbology::code128 || s == Symbology::gs1_128;
}

/// Encodes `data`: a raster (the PNG) or a vector drawing. Errors as render().
Drawing draw(std::string_view data, const SymbolOptions& options, bool raster);

}  // namespace houqin::label
