// The label domain's operations in the service registry: symbols, labels and sheets for any
// caller (C ABI, Python, HTTP), and the labels of the things a hospital sticks them on -- assets
// (their tag) and rooms (the QR code a ward scans to report a repair there).
#include <cctype>

#include "crypto/sodium.hpp"
#include "houqin/asset/model.hpp"
#include "houqin/label/label.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::label {
namespace {

using service::Context;
using service::define;

/// What a render returns: SVG or ZPL as text, PNG as base64.
using Rendered = service::Document;

struct RenderInput {
  static constexpr std::array<std::string_view, 1> required_fields{"data"};
  std::string data;
  SymbolOptions options;
  ImageFormat format = ImageFormat::svg;
};
BOOST_DESCRIBE_STRUCT(RenderInput, (), (data, options, format))

BOOST_DEFINE_ENUM_CLASS(LabelFormat, svg, zpl)

struct LabelInput {
  static constexpr std::array<std::string_view, 1> required_fields{"label"};
  Label label;
  LabelFormat format = LabelFormat::svg;
  std::int32_t dpi = 203;  // zpl
};
BOOST_DESCRIBE_STRUCT(LabelInput, (), (label, format, dpi))

struct SheetInput {
  static constexpr std::array<std::string_view, 1> required_fields{"labels"};
  std::vector<Label> labels;
  SheetOptions sheet;
};
BOOST_DESCRIBE_STRUCT(SheetInput, (), (labels, sheet))

struct AssetLabelInput {
  static constexpr std::array<std::string_view, 1> required_fields{"asset_id"};
  Id asset_id = 0;
  Symbology symbology = Symbology::qr;
};
BOOST_DESCRIBE_STRUCT(AssetLabelInput, (), (asset_id, symbology))

struct RoomLabelInput {
  static constexpr std::array<std::string_view, 2> required_fields{"room_id", "intake_url"};
  Id room_id = 0;
  /// The repair-intake page; the room's code is appended as ?room=<code>.
  std::string intake_url;
};
BOOST_DESCRIBE_STRUCT(RoomLabelInput, (), (room_id, intake_url))

/// `s` percent-encoded for a URL's query (RFC 3986 unreserved characters pass).
std::string url_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Rendered text(std::string type, std::string data) {
  return Rendered{std::move(type), "utf-8", std::move(data)};
}

std::string room_place(store::Store& s, std::optional<Id> room_id) {
  if (!room_id) return "-";
  auto room = store::Repository<site::Room>(s).get(*room_id);
  return room ? room->code + " " + room->name : "-";
}

[[maybe_unused]] const bool operations_registered[] = {
    define<RenderInput>("label.render", "",
                        "A barcode or QR symbol for data: SVG text, or PNG as base64",
                        [](Context&, const RenderInput& in) {
                          auto bytes = render(in.data, in.options, in.format);
                          if (in.format == ImageFormat::svg)
                            return text("image/svg+xml", std::move(bytes));
                          return Rendered{"image/png", "base64", crypto::to_base64(bytes)};
                        }),
    define<LabelInput>("label.label", "",
                       "One label (title, symbol, code, fields) as SVG or as ZPL for a thermal "
                       "printer",
                       [](Context&, const LabelInput& in) {
                         if (in.format == LabelFormat::zpl)
                           return text("application/zpl", label_zpl(in.label, in.dpi));
                         return text("image/svg+xml", label_svg(in.label));
                       }),
    define<SheetInput>("label.sheet", "",
                       "Labels laid out on A4 pages as one printable HTML document",
                       [](Context&, const SheetInput& in) {
                         return text("text/html", sheet_html(in.labels, in.sheet));
                       }),
    define<AssetLabelInput>(
        "label.asset", "", "The label of an asset: its tag as the symbol, name, model and place",
        [](Context& ctx, const AssetLabelInput& in) {
          auto a = store::Repository<asset::Asset>(ctx.store).require(in.asset_id);
          Label l;
          l.title = "设备 " + a.name;
          l.code = a.code;
          l.symbology = in.symbology;
          l.fields = {{"型号", a.model.empty() ? "-" : a.model},
                      {"类别", a.category},
                      {"位置", room_place(ctx.store, a.room_id)}};
          return l;
        }),
    define<RoomLabelInput>(
        "label.room", "",
        "The repair-intake QR label of a room: scanning it opens the intake page for the room",
        [](Context& ctx, const RoomLabelInput& in) {
          if (in.intake_url.rfind("http://", 0) != 0 && in.intake_url.rfind("https://", 0) != 0)
            fail(ErrorCode::invalid_argument,
                 "intake_url: " + in.intake_url + " is not an http(s) URL");
          auto r = store::Repository<site::Room>(ctx.store).require(in.room_id);
          Label l;
          l.title = "报修 扫码";
          l.code = in.intake_url + (in.intake_url.find('?') == std::string::npos ? "?" : "&") +
                   "room=" + url_component(r.code);
          l.symbology = Symbology::qr;
          l.fields = {{"房间", r.code}, {"名称", r.name}};
          return l;
        }),
};

}  // namespace
}  // namespace houqin::label
