#include "houqin/telemetry/codec.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "../../support/expect.hpp"

namespace houqin::telemetry {
namespace {

using testing::expect_error;

Series decode(const std::vector<std::uint8_t>& blob) {
  Series s;
  s.resize(read_header(blob).count);
  decode_block(blob, s.buffers());
  return s;
}

/// Encodes, decodes and compares every column bit for bit.
void expect_round_trip(const std::vector<Sample>& in, double resolution) {
  auto blob = encode_block(in, resolution);
  auto out = decode(blob);
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(out.times[i], in[i].time) << i;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(out.values[i]),
              std::bit_cast<std::uint64_t>(in[i].value))
        << i << ": " << in[i].value << " came back as " << out.values[i];
    ASSERT_EQ(out.qualities[i], in[i].quality) << i;
    ASSERT_EQ(out.flags[i], in[i].flag) << i;
  }
}

std::vector<Sample> meter(std::size_t n, std::uint32_t seed, double base = 230.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.03);
  std::vector<Sample> out;
  for (std::size_t i = 0; i < n; ++i) {
    double v =
        std::round((base + 2 * std::sin(static_cast<double>(i) / 600) + noise(rng)) * 100) / 100;
    out.push_back(
        {7, 1'700'000'000'000'000 + static_cast<Micros>(i) * 1'000'000, v, 0, Flag::pass});
  }
  return out;
}

TEST(Codec, ValueSchemeFollowsResolution) {
  EXPECT_EQ(value_scheme(0.01).encoding, Encoding::scaled_divide);
  EXPECT_EQ(value_scheme(0.01).scale, 100);
  EXPECT_EQ(value_scheme(1).encoding, Encoding::scaled_divide);
  EXPECT_EQ(value_scheme(0.25).encoding, Encoding::scaled_divide);  // 1/0.25 = 4
  EXPECT_EQ(value_scheme(0.3).encoding, Encoding::scaled_multiply);
  EXPECT_EQ(value_scheme(5).encoding, Encoding::scaled_multiply);
  EXPECT_EQ(value_scheme(0).encoding, Encoding::xor_float);
  EXPECT_EQ(value_scheme(-1).encoding, Encoding::xor_float);
  EXPECT_EQ(value_scheme(std::numeric_limits<double>::quiet_NaN()).encoding, Encoding::xor_float);
}

TEST(Codec, MeterValuesRoundTripCompactly) {
  auto in = meter(3600, 1);
  expect_round_trip(in, 0.01);
  auto blob = encode_block(in, 0.01);
  double per_sample = static_cast<double>(blob.size()) / static_cast<double>(in.size());
  EXPECT_LT(per_sample, 1.5);
  EXPECT_EQ(read_header(blob).encoding, Encoding::scaled_divide);
  EXPECT_EQ(read_header(blob).count, 3600u);
  EXPECT_EQ(read_header(blob).start, in.front().time);
  // The same values as plain floats cost more: the reason for integer deltas.
  auto floats = encode_block(in, 0);
  expect_round_trip(in, 0);
  EXPECT_GT(floats.size(), blob.size() * 2);
}

TEST(Codec, RandomInputsRoundTripForEveryResolution) {
  std::mt19937_64 rng(42);
  for (double resolution : {0.0, 0.01, 0.1, 0.5, 1.0, 0.001, 0.3, 7.0}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<Sample> in;
      Micros t = static_cast<Micros>(rng() % 1'000'000'000'000) - 500'000'000'000;
      std::size_t n = 1 + rng() % 600;
      std::int64_t q = static_cast<std::int64_t>(rng() % 20000) - 10000;
      for (std::size_t i = 0; i < n; ++i) {
        switch (rng() % 4) {  // steady, jitter, equal, jump
          case 0:
            t += 1'000'000;
            break;
          case 1:
            t += 1'000'000 + static_cast<Micros>(rng() % 20000) - 10000;
            break;
          case 2:
            break;
          default:
            t += static_cast<Micros>(rng() % 100'000'000'000);
            break;
        }
        q += static_cast<std::int64_t>(rng() % 2001) - 1000;
        if (rng() % 50 == 0) q += static_cast<std::int64_t>(rng() % 1'000'000'000) - 500'000'000;
        double v;
        if (resolution == 0)
          v = std::bit_cast<double>(rng());  // any bit pattern at all: NaNs, infinities, subnormals
        else if (value_scheme(resolution).encoding == Encoding::scaled_divide)
          v = static_cast<double>(q) / value_scheme(resolution).scale;
        else
          v = static_cast<double>(q) * resolution;
        if (rng() % 40 == 0) v = static_cast<double>(rng() % 1000) / 7.0;  // off the grid
        QualityCode quality = rng() % 30 == 0 ? static_cast<QualityCode>(rng() % 256) : 0;
        if (quality) v = std::numeric_limits<double>::quiet_NaN();
        Flag flag = static_cast<Flag>(rng() % 50 == 0 ? rng() % 4 : 1);
        in.push_back({9, t, v, quality, flag});
      }
      SCOPED_TRACE("resolution " + std::to_string(resolution));
      expect_round_trip(in, resolution);
    }
  }
}

TEST(Codec, AdversarialValuesRoundTripExactly) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double payload_nan = std::bit_cast<double>(0x7ff8'0000'dead'beefull);
  const double specials[] = {0.0,
                             -0.0,
                             nan,
                             -nan,
                             payload_nan,
                             inf,
                             -inf,
                             1e300,
                             -1e300,
                             5e-324,
                             -12.34,
                             0.005,
                             12.345,
                             9.1e15,
                             -9.1e15,
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest()};
  for (double resolution : {0.0, 0.01, 1.0, 0.3}) {
    std::vector<Sample> in;
    Micros t = 0;
    for (int i = 0; i < 3; ++i)
      for (double v : specials)
        in.push_back({1, t += 1000, v, v == v ? quality_good : QualityCode{3}, Flag::fail});
    SCOPED_TRACE("resolution " + std::to_string(resolution));
    expect_round_trip(in, resolution);
  }
}

TEST(Codec, ExtremeTimesAndEqualTimesRoundTrip) {
  const Micros lo = std::numeric_limits<Micros>::min(), hi = std::numeric_limits<Micros>::max();
  std::vector<Sample> in = {
      {1, lo, 1, 0, Flag::pass},     {1, lo, 2, 0, Flag::pass}, {1, lo + 1, 3, 0, Flag::pass},
      {1, -1, 4, 0, Flag::pass},     {1, 0, 5, 0, Flag::pass},  {1, 0, 6, 0, Flag::pass},
      {1, hi - 1, 7, 0, Flag::pass}, {1, hi, 8, 0, Flag::pass}, {1, hi, 9, 0, Flag::pass}};
  expect_round_trip(in, 1);
  expect_round_trip(in, 0);
  expect_round_trip({in.begin(), in.begin() + 1}, 0.01);
}

TEST(Codec, QualityAndFlagRunsCostAlmostNothing) {
  auto steady = meter(2000, 3);
  auto changing = steady;
  for (std::size_t i = 0; i < changing.size(); i += 100) changing[i].flag = Flag::suspect;
  expect_round_trip(changing, 0.01);
  // 20 changes and 20 returns, each 2 bytes or so: constant columns are one bit per sample at most.
  EXPECT_LT(encode_block(changing, 0.01).size(), encode_block(steady, 0.01).size() + 100);
}

TEST(Codec, OutOfOrderTimeIsRefusedAndLeavesTheBlockUnchanged) {
  auto in = meter(10, 4);
  std::swap(in[4], in[5]);
  expect_error([&] { encode_block(in, 0.01); }, ErrorCode::invalid_argument, "time ");

  BlockEncoder enc(0.01);
  for (int i = 0; i < 4; ++i) enc.append(in[static_cast<std::size_t>(i)]);
  auto before = enc.encoded_size();
  expect_error([&] { enc.append(in[0]); }, ErrorCode::invalid_argument,
               "time " + std::to_string(in[0].time) + " is before the previous sample's");
  EXPECT_EQ(enc.count(), 4u);
  EXPECT_EQ(enc.encoded_size(), before);
  enc.append(in[5]);  // the encoder goes on as if nothing happened
  std::vector<std::uint8_t> blob;
  enc.finish(blob);
  auto out = decode(blob);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out.times[4], in[5].time);
  EXPECT_EQ(out.values[4], in[5].value);
}

TEST(Codec, BadInputsAreNamed) {
  expect_error([] { encode_block({}, 1); }, ErrorCode::invalid_argument, "samples:");
  std::vector<Sample> mixed = {{1, 0, 0, 0, Flag::pass}, {2, 1, 0, 0, Flag::pass}};
  expect_error([&] { encode_block(mixed, 1); }, ErrorCode::invalid_argument, "point_id 2");
  auto blob = encode_block(meter(100, 5), 0.01);
  Series small;
  small.resize(99);
  expect_error([&] { decode_block(blob, small.buffers()); }, ErrorCode::invalid_argument,
               "columns: room for 99");
}

TEST(Codec, DamagedBlocksAreDataLossNotCrashes) {
  auto blob = encode_block(meter(500, 6), 0.01);
  Series s;
  s.resize(500);
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{12},
                          blob.size() / 2, blob.size() - 2}) {
    std::vector<std::uint8_t> torn(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(cut));
    expect_error([&] { decode_block(torn, s.buffers()); }, ErrorCode::data_loss, "block: ");
  }
  auto wrong = blob;
  wrong[0] = 9;
  expect_error([&] { decode_block(wrong, s.buffers()); }, ErrorCode::data_loss,
               "block: unknown format version 9");
  wrong = blob;
  wrong[1] = 77;
  expect_error([&] { decode_block(wrong, s.buffers()); }, ErrorCode::data_loss,
               "block: unknown encoding 77");
  // Random damage anywhere may decode to other values, but never reads outside the blob.
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    auto bad = blob;
    bad[rng() % bad.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    try {
      decode_block(bad, s.buffers());
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::data_loss || e.code() == ErrorCode::invalid_argument)
          << e.what();
    }
  }
}

TEST(Codec, EncoderReuseKeepsItsBuffer) {
  BlockEncoder enc(0.01);
  enc.reserve(1024);
  auto cap = enc.heap_bytes();
  for (const auto& s : meter(500, 8)) enc.append(s);
  EXPECT_EQ(enc.heap_bytes(), cap);  // no growth within the reservation
  enc.reset(0);
  EXPECT_TRUE(enc.empty());
  EXPECT_EQ(enc.heap_bytes(), cap);
  EXPECT_EQ(enc.encoding(), Encoding::xor_float);
}

}  // namespace
}  // namespace houqin::telemetry
