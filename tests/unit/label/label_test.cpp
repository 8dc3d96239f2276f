// Labels, read back as a scanner would: every symbology at two module sizes, as PNG and as SVG
// (rasterised with rsvg-convert), decoded with zbar (Data Matrix with libdmtx's dmtxread, which
// zbar does not read) and compared with the input, Chinese included; a whole label's SVG still
// scans; ZPL for thermal printers; sheets for office printers; bad input named; the operations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/label/label.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

namespace fs = std::filesystem;
using label::ImageFormat;
using label::Symbology;

/// A scratch folder for the files the decoders read.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("houqin-label-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& bytes) const {
    auto p = dir / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

std::string run(const std::string& command) {
  std::string out;
  if (FILE* f = ::popen(command.c_str(), "r")) {
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// What a scanner reads from a PNG file.
std::string decode_png(const fs::path& png, Symbology s) {
  if (s == Symbology::datamatrix) return run("dmtxread -n '" + png.string() + "' 2>/dev/null");
  return run("zbarimg --raw -q '" + png.string() + "' 2>/dev/null");
}

std::string decode(const Scratch& scratch, const std::string& bytes, ImageFormat format,
                   Symbology s, const std::string& name) {
  if (format == ImageFormat::png) return decode_png(scratch.write(name + ".png", bytes), s);
  auto svg = scratch.write(name + ".svg", bytes);
  auto png = scratch.dir / (name + ".from-svg.png");
  run("rsvg-convert -b white -w 600 -o '" + png.string() + "' '" + svg.string() + "'");
  return decode_png(png, s);
}

/// GS1-128 reads back as its element strings without the brackets (a GS separator would follow
/// only a variable-length field that is not the last; the cases here have none).
std::string gs1_read(const std::string& bracketed) {
  std::string out;
  for (char c : bracketed)
    if (c != '[' && c != ']') out += c;
  return out;
}

/// dmtxread does not interpret ECIs: it prints the ECI number (26, UTF-8) as a byte before the
/// data it introduces.
std::string without_eci26(std::string read) {
  if (!read.empty() && read[0] == '\x1a') read.erase(0, 1);
  return read;
}

struct Case {
  Symbology symbology;
  std::string data;
};

TEST(LabelTest, EverySymbologyAndSizeScansBackToItsInput) {
  Scratch scratch;
  const std::vector<Case> cases{
      {Symbology::code128, "WB-20260302-000123"},
      {Symbology::gs1_128, "[01]06901234567892[10]LOT42"},
      {Symbology::qr, "WB-20260302-000123"},
      {Symbology::qr, "医疗废物|感染性废物|ICU 重症监护室|2.35 kg"},
      {Symbology::datamatrix, "SB-ICU-000045"},
      {Symbology::datamatrix, "锐器盒 损伤性废物 SB-000045"},
  };
  int n = 0;
  for (const auto& c : cases)
    for (int module_px : {2, 4})
      for (auto format : {ImageFormat::png, ImageFormat::svg}) {
        label::SymbolOptions o;
        o.symbology = c.symbology;
        o.module_px = module_px;
        auto bytes = label::render(c.data, o, format);
        ASSERT_FALSE(bytes.empty());
        if (format == ImageFormat::png) {
          EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
        } else {
          EXPECT_EQ(bytes.rfind("<svg", 0), 0u);
        }
        auto read = decode(scratch, bytes, format, c.symbology, "s" + std::to_string(n++));
        if (c.symbology == Symbology::datamatrix) read = without_eci26(read);
        auto expected = c.symbology == Symbology::gs1_128 ? gs1_read(c.data) : c.data;
        EXPECT_EQ(read, expected) << enum_name(c.symbology) << " " << module_px << " px "
                                  << enum_name(format);
      }
}

TEST(LabelTest, DataASymbologyCannotCarryIsRefusedNamingIt) {
  label::SymbolOptions o;
  o.symbology = Symbology::code128;
  testing::expect_error([&] { label::render("感染性", o, ImageFormat::png); },
                        ErrorCode::invalid_argument, "code128: ");
  o.symbology = Symbology::gs1_128;
  testing::expect_error([&] { label::render("[01]06901234567891", o, ImageFormat::svg); },
                        ErrorCode::invalid_argument, "gs1_128: ");  // wrong check digit
  o.symbology = Symbology::qr;
  o.module_px = 0;
  testing::expect_error([&] { label::render("x", o, ImageFormat::svg); },
                        ErrorCode::invalid_argument, "module_px: 0 is outside 1..40");
  o.module_px = 4;
  testing::expect_error([&] { label::render("", o, ImageFormat::svg); },
                        ErrorCode::invalid_argument, "data: empty");
}

label::Label waste_bag() {
  label::Label l;
  l.title = "医疗废物 感染性废物";
  l.code = "WB-20260302-000123";
  l.fields = {{"产生单位", "市人民医院"},
              {"科室", "ICU 重症监护室"},
              {"时间", "2026-03-02 09:15"},
              {"重量", "2.35 kg"},
              {"备注", "隔离 <双层>"}};
  return l;
}

TEST(LabelTest, AWasteBagLabelCarriesItsFieldsAndItsSymbolStillScans) {
  Scratch scratch;
  auto svg = label::label_svg(waste_bag());
  EXPECT_NE(svg.find("width=\"60.00mm\""), std::string::npos);
  EXPECT_NE(svg.find("医疗废物 感染性废物"), std::string::npos);
  EXPECT_NE(svg.find("产生单位：市人民医院"), std::string::npos);
  EXPECT_NE(svg.find("隔离 &lt;双层&gt;"), std::string::npos);  // escaped, never markup
  EXPECT_EQ(svg.find("<双层>"), std::string::npos);
  EXPECT_EQ(decode(scratch, svg, ImageFormat::svg, Symbology::qr, "bag"), "WB-20260302-000123");
  auto linear = waste_bag();
  linear.symbology = Symbology::code128;
  linear.width_mm = 80;
  EXPECT_EQ(decode(scratch, label::label_svg(linear), ImageFormat::svg, Symbology::code128, "lin"),
            "WB-20260302-000123");
  auto tiny = waste_bag();
  tiny.width_mm = 5;
  testing::expect_error([&] { label::label_svg(tiny); }, ErrorCode::invalid_argument,
                        "label size 5.00 x 40.00 mm is outside");
}

TEST(LabelTest, ZplForThermalPrinters) {
  auto l = waste_bag();
  l.fields.push_back({"注意", "a^b~c_d"});
  auto z = label::label_zpl(l);
  EXPECT_EQ(z.rfind("^XA^CI28^PW480^LL320", 0), 0u) << z;  // 60 x 40 mm at 203 dpi
  EXPECT_NE(z.find("^BQN,2,4^FH^FDMA,WB-20260302-000123^FS"), std::string::npos) << z;
  EXPECT_NE(z.find("^A@N,"), std::string::npos);
  EXPECT_NE(z.find("E:SIMSUN.TTF^FH^FD产生单位：市人民医院^FS"), std::string::npos) << z;
  EXPECT_EQ(z.substr(z.size() - 4), "^XZ\n");
  auto at300 = label::label_zpl(l, 300);
  EXPECT_EQ(at300.rfind("^XA^CI28^PW709^LL472", 0), 0u) << at300;
  l.symbology = Symbology::gs1_128;
  l.code = "[01]06901234567892[10]LOT42";
  l.fields.clear();
  EXPECT_NE(label::label_zpl(l).find(",N,N,N,D^FD(01)06901234567892(10)LOT42^FS"),
            std::string::npos);
  testing::expect_error([&] { label::label_zpl(l, 100); }, ErrorCode::invalid_argument,
                        "dpi: 100 is not 203, 300 or 600");
  l.code = "[01]0690";  // too short for AI 01: refused before it reaches a printer
  testing::expect_error([&] { label::label_zpl(l); }, ErrorCode::invalid_argument, "gs1_128: ");
  // Field data cannot end the field or start a command: ^ ~ _ travel as hex under ^FH.
  auto plain = waste_bag();
  plain.fields = {{"注意", "a^b~c_d"}};
  EXPECT_NE(label::label_zpl(plain).find("a_5Eb_7Ec_5Fd"), std::string::npos);
}

TEST(LabelTest, SheetsFillA4PagesForOfficePrinters) {
  std::vector<label::Label> labels(30, waste_bag());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i].code = "WB-" + std::to_string(i);
  auto pages = label::sheet_svg(labels);
  ASSERT_EQ(pages.size(), 2u);  // 3 across and 6 down fit on A4 with 10 mm margins
  auto count = [](const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(pages[0], "viewBox=\"0 0 60.00 40.00\""), 18u);
  EXPECT_EQ(count(pages[1], "viewBox=\"0 0 60.00 40.00\""), 12u);
  auto html = label::sheet_html(labels);
  EXPECT_EQ(count(html, "<div class=\"page\">"), 2u);
  EXPECT_NE(html.find("size: 210.00mm 297.00mm"), std::string::npos);
  EXPECT_TRUE(label::sheet_svg({}).empty());
  auto big = waste_bag();
  big.width_mm = 250;
  testing::expect_error([&] { label::sheet_svg(std::vector<label::Label>{big}); },
                        ErrorCode::invalid_argument, "label WB-20260302-000123 (250.00 x 40.00");
}

class LabelOperationsTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
};

TEST_P(LabelOperationsTest, RoomAndAssetLabelsAndRenderingThroughTheRegistry) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  Scratch scratch;
  using store::Repository;
  site::Campus c{0, 0, "C", "Campus", ""};
  Repository<site::Campus>(*s).insert(c);
  site::Building b{0, 0, c.id, "A", "A", 1, 0};
  Repository<site::Building>(*s).insert(b);
  site::Floor f{0, 0, b.id, 3, "A-3", "A 3F"};
  Repository<site::Floor>(*s).insert(f);
  site::Room r{0, 0,           f.id, "A-3-0312", "ICU 3床", site::RoomType::icu, std::nullopt,
               0, std::nullopt};
  Repository<site::Room>(*s).insert(r);
  auto nurse = pf.user_with("nurse", "nurse", {"repair.report"});
  auto room = service::call(*s, nurse, "label.room",
                            {{"room_id", r.id}, {"intake_url", "https://hq.example/report"}});
  EXPECT_EQ(room["code"], "https://hq.example/report?room=A-3-0312");
  EXPECT_EQ(room["symbology"], "qr");
  auto svg = service::call(*s, nurse, "label.label", {{"label", room}});
  EXPECT_EQ(svg["content_type"], "image/svg+xml");
  EXPECT_EQ(
      decode(scratch, svg["data"].get<std::string>(), ImageFormat::svg, Symbology::qr, "room"),
      "https://hq.example/report?room=A-3-0312");
  testing::expect_error(
      [&] {
        service::call(*s, nurse, "label.room", {{"room_id", r.id}, {"intake_url", "ftp://x"}});
      },
      ErrorCode::invalid_argument, "intake_url: ftp://x is not an http(s) URL");
  auto png = service::call(
      *s, nurse, "label.render",
      {{"data", "SB-000045"}, {"format", "png"}, {"options", {{"symbology", "datamatrix"}}}});
  EXPECT_EQ(png["encoding"], "base64");
  EXPECT_EQ(png["content_type"], "image/png");
  testing::expect_error(
      [&] {
        service::call(*s, nurse, "label.render", {{"data", "x"}, {"format", "gif"}});
      },
      ErrorCode::invalid_argument, "label.render");
  auto zpl = service::call(*s, nurse, "label.label", {{"label", room}, {"format", "zpl"}});
  EXPECT_EQ(zpl["data"].get<std::string>().rfind("^XA", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, LabelOperationsTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
