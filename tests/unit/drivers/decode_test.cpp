// Decoding every data type in every byte order against register words written out by hand.
#include "houqin/drivers/decode.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace houqin {
namespace {

using namespace houqin::drivers;
using R = std::vector<std::uint16_t>;

Point point(DataType t, ByteOrder o, double scale = 1, double bias = 0, int length = 0) {
  Point p;
  p.data_type = t;
  p.byte_order = o;
  p.scale = scale;
  p.bias = bias;
  p.length = length;
  return p;
}

Reading decoded(const Point& p, const R& regs) {
  Reading r;
  decode(p, regs.data(), r);
  return r;
}

R encoded(const Point& p, double v) {
  R regs(static_cast<std::size_t>(point_width(p)), 0xdead);
  encode(p, v, regs.data());
  return regs;
}

// Bytes A B C D (A most significant) = 01 02 03 04 as they appear on the wire in each order.
TEST(DecodeTest, ThirtyTwoBitWordsInEveryOrder) {
  EXPECT_EQ(assemble(R{0x0102, 0x0304}, ByteOrder::abcd), 0x01020304u);
  EXPECT_EQ(assemble(R{0x0304, 0x0102}, ByteOrder::cdab), 0x01020304u);
  EXPECT_EQ(assemble(R{0x0201, 0x0403}, ByteOrder::badc), 0x01020304u);
  EXPECT_EQ(assemble(R{0x0403, 0x0201}, ByteOrder::dcba), 0x01020304u);
}

TEST(DecodeTest, SixtyFourBitWordsInEveryOrder) {
  const std::uint64_t v = 0x0102030405060708u;
  EXPECT_EQ(assemble(R{0x0102, 0x0304, 0x0506, 0x0708}, ByteOrder::abcd), v);
  EXPECT_EQ(assemble(R{0x0708, 0x0506, 0x0304, 0x0102}, ByteOrder::cdab), v);
  EXPECT_EQ(assemble(R{0x0201, 0x0403, 0x0605, 0x0807}, ByteOrder::badc), v);
  EXPECT_EQ(assemble(R{0x0807, 0x0605, 0x0403, 0x0201}, ByteOrder::dcba), v);
}

TEST(DecodeTest, SixteenBitOrdersOnlySwapBytes) {
  EXPECT_EQ(assemble(R{0x1234}, ByteOrder::abcd), 0x1234u);
  EXPECT_EQ(assemble(R{0x1234}, ByteOrder::cdab), 0x1234u);
  EXPECT_EQ(assemble(R{0x1234}, ByteOrder::badc), 0x3412u);
  EXPECT_EQ(assemble(R{0x1234}, ByteOrder::dcba), 0x3412u);
}

TEST(DecodeTest, DisassembleIsTheInverseInEveryOrder) {
  for (auto o : {ByteOrder::abcd, ByteOrder::cdab, ByteOrder::badc, ByteOrder::dcba}) {
    for (std::size_t n : {1u, 2u, 4u}) {
      R regs(n);
      std::uint64_t v = 0x8877665544332211u >> (64 - 16 * n);
      disassemble(v, o, regs);
      EXPECT_EQ(assemble(regs, o), v) << enum_name(o) << " " << n;
    }
  }
}

TEST(DecodeTest, KnownValuesOfEveryType) {
  using D = DataType;
  using O = ByteOrder;
  EXPECT_EQ(decoded(point(D::int16, O::abcd), {0xfffe}).value, -2);
  EXPECT_EQ(decoded(point(D::int16, O::badc), {0xfeff}).value, -2);
  EXPECT_EQ(decoded(point(D::uint16, O::abcd), {0xfffe}).value, 65534);
  EXPECT_EQ(decoded(point(D::int32, O::abcd), {0xffff, 0xfffe}).value, -2);
  EXPECT_EQ(decoded(point(D::int32, O::cdab), {0xfffe, 0xffff}).value, -2);
  EXPECT_EQ(decoded(point(D::uint32, O::abcd), {0xffff, 0xfffe}).value, 4294967294.0);
  EXPECT_EQ(decoded(point(D::uint32, O::dcba), {0x0403, 0x0201}).value, 0x01020304);
  EXPECT_EQ(decoded(point(D::int64, O::abcd), {0xffff, 0xffff, 0xffff, 0xfffe}).value, -2);
  EXPECT_EQ(decoded(point(D::int64, O::dcba), {0xfeff, 0xffff, 0xffff, 0xffff}).value, -2);
  EXPECT_EQ(decoded(point(D::uint64, O::abcd), {0x0010, 0, 0, 0}).value, std::ldexp(1.0, 52));
  EXPECT_EQ(decoded(point(D::uint64, O::cdab), {0xffff, 0xffff, 0xffff, 0xffff}).value,
            18446744073709551615.0);
  // 123.456f is 0x42F6E979; -1.5 is 0xBFF8000000000000.
  EXPECT_EQ(decoded(point(D::float32, O::abcd), {0x42f6, 0xe979}).value, 123.456f);
  EXPECT_EQ(decoded(point(D::float32, O::cdab), {0xe979, 0x42f6}).value, 123.456f);
  EXPECT_EQ(decoded(point(D::float32, O::badc), {0xf642, 0x79e9}).value, 123.456f);
  EXPECT_EQ(decoded(point(D::float32, O::dcba), {0x79e9, 0xf642}).value, 123.456f);
  EXPECT_EQ(decoded(point(D::float64, O::abcd), {0xbff8, 0, 0, 0}).value, -1.5);
  EXPECT_EQ(decoded(point(D::float64, O::cdab), {0, 0, 0, 0xbff8}).value, -1.5);
  EXPECT_EQ(decoded(point(D::float64, O::badc), {0xf8bf, 0, 0, 0}).value, -1.5);
  EXPECT_EQ(decoded(point(D::float64, O::dcba), {0, 0, 0, 0xf8bf}).value, -1.5);
  EXPECT_EQ(decoded(point(D::boolean, O::abcd), {0x0100}).value, 1);
  EXPECT_EQ(decoded(point(D::boolean, O::abcd), {0}).value, 0);
}

TEST(DecodeTest, EveryTypeRoundTripsInEveryOrder) {
  struct Case {
    DataType type;
    std::vector<double> values;
  };
  const std::vector<Case> cases = {
      {DataType::boolean, {0, 1}},
      {DataType::int16, {-32768, -1, 0, 1, 32767}},
      {DataType::uint16, {0, 1, 40000, 65535}},
      {DataType::int32, {-2147483648.0, -70000, 0, 2147483647.0}},
      {DataType::uint32, {0, 70000, 4294967295.0}},
      {DataType::int64, {-9007199254740992.0, -5, 0, 9007199254740992.0}},
      {DataType::uint64, {0, 5, 9007199254740992.0, 18446744073709549568.0}},
      {DataType::float32, {0, -0.5, 3.25f, 1e30f, -1e-30f}},
      {DataType::float64, {0, -0.1, 3.141592653589793, 1e300}},
  };
  for (auto o : {ByteOrder::abcd, ByteOrder::cdab, ByteOrder::badc, ByteOrder::dcba})
    for (const auto& c : cases)
      for (double v : c.values) {
        auto p = point(c.type, o);
        auto r = decoded(p, encoded(p, v));
        EXPECT_EQ(r.quality, Quality::good);
        EXPECT_EQ(r.value, v) << enum_name(c.type) << " " << enum_name(o);
      }
}

TEST(DecodeTest, ScaleAndBiasApplyBothWays) {
  auto p = point(DataType::int16, ByteOrder::abcd, 0.1, -40);
  EXPECT_DOUBLE_EQ(decoded(p, {250}).value, -15.0);  // 250 * 0.1 - 40
  EXPECT_EQ(encoded(p, -15.0), R{250});
  auto f = point(DataType::float32, ByteOrder::cdab, 1000, 0);  // MPa on the wire, kPa here
  EXPECT_EQ(decoded(f, encoded(f, 250)).value, 250);            // 0.25 is exact in a float
  // Booleans are never scaled.
  EXPECT_EQ(decoded(point(DataType::boolean, ByteOrder::abcd, 10, 5), {1}).value, 1);
}

TEST(DecodeTest, EncodingIntegersRoundsAndSaturates) {
  EXPECT_EQ(encoded(point(DataType::int16, ByteOrder::abcd), 1e9), R{0x7fff});
  EXPECT_EQ(encoded(point(DataType::int16, ByteOrder::abcd), -1e9), R{0x8000});
  EXPECT_EQ(encoded(point(DataType::uint16, ByteOrder::abcd), -3), R{0});
  EXPECT_EQ(encoded(point(DataType::uint16, ByteOrder::abcd), 2.6), R{3});
  EXPECT_EQ(encoded(point(DataType::uint64, ByteOrder::abcd), 1e30), R(4, 0xffff));
  EXPECT_EQ(encoded(point(DataType::int64, ByteOrder::abcd), -1e30), (R{0x8000, 0, 0, 0}));
}

TEST(DecodeTest, NanAndInfinityAreInvalidValuesNotNumbers) {
  const double inf = std::numeric_limits<double>::infinity();
  for (auto o : {ByteOrder::abcd, ByteOrder::cdab, ByteOrder::badc, ByteOrder::dcba}) {
    for (auto t : {DataType::float32, DataType::float64}) {
      auto p = point(t, o, 2, 1);
      auto r = decoded(p, encoded(p, std::nan("")));
      EXPECT_EQ(r.quality, Quality::invalid_value);
      EXPECT_TRUE(std::isnan(r.value));
      r = decoded(p, encoded(p, inf));  // (inf - 1) / 2 is still inf on the wire
      EXPECT_EQ(r.quality, Quality::invalid_value);
      EXPECT_EQ(r.value, inf);  // the raw value, unscaled
      r = decoded(p, encoded(p, -inf));
      EXPECT_EQ(r.quality, Quality::invalid_value);
      EXPECT_EQ(r.value, -inf);
    }
  }
  // The largest finite float32 and a denormal are values, not failures.
  auto p = point(DataType::float32, ByteOrder::abcd);
  EXPECT_EQ(decoded(p, {0x7f7f, 0xffff}).quality, Quality::good);
  EXPECT_EQ(decoded(p, {0x0000, 0x0001}).quality, Quality::good);
  EXPECT_EQ(decoded(p, {0x7fc0, 0x0000}).quality, Quality::invalid_value);  // quiet NaN
  EXPECT_EQ(decoded(p, {0xff80, 0x0000}).quality, Quality::invalid_value);  // -inf
}

TEST(DecodeTest, Strings) {
  // "O2-PANEL" high byte first.
  auto p = point(DataType::string, ByteOrder::abcd, 1, 0, 8);
  R regs = {0x4f32, 0x2d50, 0x414e, 0x454c};
  auto r = decoded(p, regs);
  EXPECT_EQ(r.text, "O2-PANEL");
  EXPECT_EQ(r.quality, Quality::good);
  EXPECT_TRUE(std::isnan(r.value));
  // Byte-swapped devices put the first character in the low byte; word order does not matter.
  for (auto o : {ByteOrder::badc, ByteOrder::dcba})
    EXPECT_EQ(decoded(point(DataType::string, o, 1, 0, 8), {0x324f, 0x502d, 0x4e41, 0x4c45}).text,
              "O2-PANEL");
  EXPECT_EQ(decoded(point(DataType::string, ByteOrder::cdab, 1, 0, 8), regs).text, "O2-PANEL");
  // Stops at the first NUL, drops trailing spaces, honours an odd length.
  EXPECT_EQ(decoded(point(DataType::string, ByteOrder::abcd, 1, 0, 8), {0x4142, 0x0043, 0, 0}).text,
            "AB");
  EXPECT_EQ(
      decoded(point(DataType::string, ByteOrder::abcd, 1, 0, 6), {0x4142, 0x2020, 0x2020}).text,
      "AB");
  EXPECT_EQ(decoded(point(DataType::string, ByteOrder::abcd, 1, 0, 3), {0x4142, 0x4344}).text,
            "ABC");
  // Encoding is the inverse and pads with NUL.
  for (auto o : {ByteOrder::abcd, ByteOrder::badc}) {
    auto q = point(DataType::string, o, 1, 0, 7);
    R out(4, 0xffff);
    encode_string(q, "医A", out.data());  // UTF-8 bytes pass through
    EXPECT_EQ(decoded(q, out).text, "医A");
    encode_string(q, "TOO-LONG-NAME", out.data());
    EXPECT_EQ(decoded(q, out).text, "TOO-LON");
  }
}

TEST(DecodeTest, Bits) {
  Reading r;
  decode_bit(1, r);
  EXPECT_EQ(r.value, 1);
  EXPECT_EQ(r.quality, Quality::good);
  decode_bit(0, r);
  EXPECT_EQ(r.value, 0);
}

}  // namespace
}  // namespace houqin
