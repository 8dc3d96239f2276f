// The SVG charts of houqin's HTML pages: bars scale to the largest value, labels are escaped,
// gaps split a line, limits and category labels are drawn, and degenerate input (nothing, one
// point, all equal, NaN) still gives finite coordinates.
#include "houqin/core/chart.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

namespace houqin {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

/// Every number in an attribute is finite (no nan or inf leaked into the SVG).
void expect_finite_attributes(const std::string& svg) {
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(Chart, BarsScaleToTheLargestValueAndEscapeLabels) {
  std::vector<chart::Bar> bars{{"ICU <3F>", 10}, {"ward & co", 5}, {"none", 0}};
  auto svg = chart::bars(bars, {.width = 260, .label_width = 100});
  expect_finite_attributes(svg);
  EXPECT_EQ(count(svg, "<rect class=\"bar\""), 3u);
  EXPECT_NE(svg.find("ICU &lt;3F&gt;"), std::string::npos);
  EXPECT_NE(svg.find("ward &amp; co"), std::string::npos);
  // Room for bars: 260 - 100 - 60 = 100 px; the largest is full, half of it is half.
  EXPECT_NE(svg.find("width=\"100\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("width=\"50\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("width=\"0\""), std::string::npos) << svg;
  expect_finite_attributes(chart::bars({}));
}

TEST(Chart, LinesSplitAtGapsAndDrawLimitsAndLegend) {
  chart::Series a{
      .label = "O2", .color = "#2b7bb9", .x = {0, 1, 2, 3, 4}, .y = {400, 401, NAN, 399, 398}};
  chart::Series b{.label = "air <bar>", .x = {0, 4}, .y = {350, 351}};
  std::vector<chart::Limit> limits{{"lo", 320}};
  auto svg = chart::lines(std::vector{a, b}, limits, {.y_title = "kPa", .x_unit = "s"});
  expect_finite_attributes(svg);
  EXPECT_EQ(count(svg, "<polyline"), 3u) << "the NaN splits O2 into two lines";
  EXPECT_EQ(count(svg, "stroke-dasharray"), 1u);
  EXPECT_NE(svg.find(">lo</text>"), std::string::npos);
  EXPECT_NE(svg.find(">air &lt;bar&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">kPa</text>"), std::string::npos);
  EXPECT_NE(svg.find(" s</text>"), std::string::npos);
  // The limit is inside the y range: its line lies within the plot (y between 20 and 220).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("y1=\"([0-9.]+)\"[^>]*stroke-dasharray")));
  double y = std::stod(m[1]);
  EXPECT_GT(y, 20);
  EXPECT_LT(y, 220);
}

TEST(Chart, CategoryLabelsAndDegenerateInput) {
  chart::Series one{.label = "orders", .x = {0}, .y = {7}};
  auto svg = chart::lines(std::span(&one, 1), {}, {.x_labels = {"2026-03"}});
  expect_finite_attributes(svg);
  EXPECT_NE(svg.find(">2026-03</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 1u);
  chart::Series flat{.label = "flat", .x = {0, 1, 2}, .y = {5, 5, 5}};
  expect_finite_attributes(chart::lines(std::span(&flat, 1)));
  chart::Series empty{.label = "empty"};
  svg = chart::lines(std::span(&empty, 1));
  expect_finite_attributes(svg);
  EXPECT_EQ(count(svg, "<polyline"), 0u);
  EXPECT_EQ(chart::figure("a < b", "<svg/>"),
            "<figure><figcaption>a &lt; b</figcaption><svg/></figure>");
}

}  // namespace
}  // namespace houqin
