// Sealed blocks (format 2): exact round trips on every kind of input, sizes against the streamed
// format on the signals they are for, and damage that is data_loss rather than a crash.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "../../support/expect.hpp"
#include "houqin/telemetry/codec.hpp"

namespace houqin::telemetry {
namespace {

/// Columns of one point's samples.
struct Columns {
  std::vector<Micros> times;
  std::vector<double> values;
  std::vector<QualityCode> qualities;
  std::vector<Flag> flags;
  void add(Micros t, double v, QualityCode q = quality_good, Flag f = Flag::not_evaluated) {
    times.push_back(t);
    values.push_back(v);
    qualities.push_back(q);
    flags.push_back(f);
  }
  std::size_t size() const { return times.size(); }
  std::vector<Sample> samples() const {
    std::vector<Sample> out;
    for (std::size_t i = 0; i < size(); ++i)
      out.push_back({1, times[i], values[i], qualities[i], flags[i]});
    return out;
  }
};

std::vector<std::uint8_t> seal(const Columns& c, double resolution,
                               Sealing effort = Sealing::quick) {
  std::vector<std::uint8_t> blob;
  EXPECT_TRUE(seal_block(c.times, c.values, c.qualities, c.flags, resolution, blob, effort));
  return blob;
}

/// Seals (thorough: as compaction does), checks the header names format 2, decodes through
/// decode_block and compares every column bit for bit.
std::vector<std::uint8_t> expect_sealed_round_trip(const Columns& c, double resolution,
                                                   Sealing effort = Sealing::quick) {
  auto blob = seal(c, resolution, effort);
  EXPECT_FALSE(blob.empty());
  if (blob.empty()) return blob;
  BlockHeader h = read_header(blob);
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.count, c.size());
  Series out;
  out.resize(h.count);
  EXPECT_EQ(decode_block(blob, out.buffers()), c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(out.times[i], c.times[i]) << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(out.values[i]),
              std::bit_cast<std::uint64_t>(c.values[i]))
        << i << ": " << c.values[i] << " came back as " << out.values[i];
    EXPECT_EQ(out.qualities[i], c.qualities[i]) << i;
    EXPECT_EQ(out.flags[i], c.flags[i]) << i;
    if (::testing::Test::HasFailure()) break;
  }
  return blob;
}

constexpr Micros t0 = 1'780'000'000'000'000;  // 2026, in µs
constexpr Micros second = 1'000'000;

/// A 2-decimal gas pressure: a slow drift and Gaussian noise of `sigma` steps, polled every second
/// with uniform jitter of up to `jitter_ms` whole milliseconds.
Columns gas(std::size_t n, int jitter_ms, double sigma, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sigma);
  std::uniform_int_distribution<int> jitter(-jitter_ms, jitter_ms);
  Columns c;
  for (std::size_t i = 0; i < n; ++i) {
    double level = 40000 + 50 * std::sin(static_cast<double>(i) / 600.0);
    auto q = static_cast<std::int64_t>(std::llround(level + noise(rng)));
    c.add(t0 + static_cast<Micros>(i) * second + jitter(rng) * 1000, static_cast<double>(q) / 100);
  }
  return c;
}

class SealedBlockBothWays : public ::testing::TestWithParam<Sealing> {};

TEST_P(SealedBlockBothWays, SignalsRoundTripWhateverTheirTimingAndValues) {
  const Sealing effort = GetParam();
  expect_sealed_round_trip(gas(600, 0, 2.0, 1), 0.01, effort);
  expect_sealed_round_trip(gas(600, 20, 2.0, 2), 0.01, effort);
  expect_sealed_round_trip(gas(3600, 20, 0.3, 3), 0.01, effort);
  // Random times (µs, unaligned), random values on and off a 0.1 grid, random quality changes.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    Columns c;
    Micros t = static_cast<Micros>(rng() % (std::uint64_t{1} << 50));
    std::size_t n = 1 + rng() % 700;
    for (std::size_t i = 0; i < n; ++i) {
      t += static_cast<Micros>(rng() % 4 == 0 ? rng() % 5'000'000 : second);
      double v = static_cast<double>(static_cast<std::int64_t>(rng() % 200000) - 100000) / 10;
      if (rng() % 50 == 0) v = std::bit_cast<double>(rng());  // any 64 bits
      auto q = static_cast<QualityCode>(rng() % 40 == 0 ? rng() % 4 : 0);
      c.add(t, v, q, q ? Flag::suspect : Flag::not_evaluated);
    }
    expect_sealed_round_trip(c, round % 3 == 0 ? 0.1 : round % 3 == 1 ? 0.25 : 0.3, effort);
    if (HasFailure()) return;
  }
  // Quiet signals with rare large steps and pulses: small residuals, escapes past the adaptive
  // code's 24 bins and the tabled code's 15 symbols, a value off the grid now and then.
  for (int round = 0; round < 60; ++round) {
    Columns c;
    std::int64_t level = 5000;
    for (int i = 0; i < 3000; ++i) {
      if (rng() % 500 == 0) level += static_cast<std::int64_t>(rng() % 4000) - 2000;
      std::int64_t q = level + static_cast<std::int64_t>(rng() % 3) - 1;
      if (rng() % 700 == 0) q += 1'000'000'000;
      double v = static_cast<double>(q) / 10;
      if (rng() % 900 == 0) v += 0.01;
      c.add(t0 + i * second, v);
    }
    expect_sealed_round_trip(c, 0.1, effort);
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Sealing, SealedBlockBothWays,
                         ::testing::Values(Sealing::quick, Sealing::thorough,
                                           Sealing::thorough_adaptive),
                         [](const auto& test) {
                           return test.param == Sealing::quick      ? "quick"
                                  : test.param == Sealing::thorough ? "thorough"
                                                                    : "adaptive";
                         });

TEST(SealedBlock, ThoroughSealingCodesQuietSignalsSmallerThanRice) {
  // A temperature-like signal: a slow drift and noise of 0.3-0.6 steps. Rice spends a bit a
  // sample at least; the tabled code and the long level predictors come closer to the signal's
  // entropy.
  for (double sigma : {0.3, 0.6}) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(0, sigma);
    Columns c;
    for (int i = 0; i < 14400; ++i) {
      double level = 2000 + 30 * std::sin(i / 3000.0);
      c.add(t0 + i * second, std::llround(level + noise(rng)) / 10.0);
    }
    const auto quick = expect_sealed_round_trip(c, 0.1).size();
    const auto thorough = expect_sealed_round_trip(c, 0.1, Sealing::thorough).size();
    const auto adaptive = expect_sealed_round_trip(c, 0.1, Sealing::thorough_adaptive).size();
    SCOPED_TRACE("sigma " + std::to_string(sigma));
    EXPECT_LT(thorough * 100, quick * 92) << quick << " -> " << thorough << " bytes";
    // The tabled code is smaller than the adaptive one it replaced: its contexts know where the
    // level lies between two steps (without that hint it was within 3 % of it).
    EXPECT_LT(thorough * 100, adaptive * (sigma < 0.5 ? 90 : 97))
        << adaptive << " -> " << thorough << " bytes";
  }
}

TEST(SealedBlock, AdversarialValuesAndTimesRoundTripExactly) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Columns c;
  double odd[] = {0.0,
                  -0.0,
                  nan,
                  -nan,
                  inf,
                  -inf,
                  1e300,
                  -1e300,
                  5e-324,
                  0.005,
                  1.015,
                  90071992547409.92,
                  -90071992547409.92,
                  std::bit_cast<double>(std::uint64_t{0x7ff4000000000001})};  // a signalling NaN
  Micros t = t0;
  for (int rep = 0; rep < 3; ++rep)
    for (double v : odd) c.add(t += 1000, v);
  expect_sealed_round_trip(c, 0.01);

  // The extremes of int64 time, equal times, one sample.
  Columns e;
  e.add(std::numeric_limits<Micros>::min(), 1);
  e.add(std::numeric_limits<Micros>::min(), 2);
  e.add(0, 3);
  e.add(std::numeric_limits<Micros>::max() - 1, 4);
  e.add(std::numeric_limits<Micros>::max(), 5);
  e.add(std::numeric_limits<Micros>::max(), 5);
  expect_sealed_round_trip(e, 1);
  Columns one;
  one.add(t0, 12.34, 3, Flag::fail);
  expect_sealed_round_trip(one, 0.01);

  // A counter that wraps through 2^53 in steps, and a constant.
  Columns counter, constant;
  for (int i = 0; i < 500; ++i) {
    counter.add(t0 + i * second, 9007199254740000.0 + 2.0 * i);
    constant.add(t0 + i * second, 230.0);
  }
  expect_sealed_round_trip(counter, 1);
  auto blob = expect_sealed_round_trip(constant, 0.1);
  EXPECT_LT(blob.size(), 40u) << "500 equal values at exact seconds are a header";
}

TEST(SealedBlock, IsSmallerThanTheStreamedFormatOnHospitalSignals) {
  // Aligned: the streamed format spends a control bit per sample and delta classes of 6 and 11
  // bits; the sealed one no time bits and a Rice code fitted to the noise.
  for (auto [jitter, limit] : {std::pair{0, 0.75}, std::pair{20, 0.45}}) {
    Columns c = gas(550, jitter, 2.0, 11);
    auto sealed = expect_sealed_round_trip(c, 0.01);
    auto streamed = encode_block(c.samples(), 0.01);
    EXPECT_LT(static_cast<double>(sealed.size()), limit * static_cast<double>(streamed.size()))
        << "jitter " << jitter << " ms: sealed " << sealed.size() << " bytes, streamed "
        << streamed.size();
  }
  // A breaker that changes twice in an hour: a few bytes.
  Columns breaker;
  for (int i = 0; i < 3600; ++i) breaker.add(t0 + i * second, i < 1200 || i > 2400 ? 1 : 0);
  auto blob = expect_sealed_round_trip(breaker, 1);
  EXPECT_LT(blob.size(), 40u);
}

TEST(SealedBlock, GapsAndStepsCostOnlyWhereTheyAre) {
  Columns c = gas(2000, 20, 2.0, 5);
  auto base = expect_sealed_round_trip(c, 0.01).size();
  // Remove 300 samples in a communication gap and shift a valve step into the rest.
  Columns g;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i >= 800 && i < 1100) continue;
    g.add(c.times[i], c.values[i] + (i > 1500 ? 25.0 : 0.0));
  }
  auto gapped = expect_sealed_round_trip(g, 0.01).size();
  EXPECT_LT(gapped, base) << "fewer samples, a gap and one step";
}

TEST(SealedBlock, ResidualsJustPastTheRiceEscapeAreSealed) {
  // Quiet noise (a Rice parameter of 0 or 1) with pulses whose residuals have quotients of 24 to
  // 31: the writer once put those in unary where the reader expects the escape, the check caught
  // it and every such block stayed in the bigger streamed format.
  for (int pulse = 8; pulse <= 70; ++pulse) {
    Columns c;
    for (int i = 0; i < 600; ++i) {
      int q = 1000 + (i % 3 == 0) + (i % 100 >= 50 && i % 100 < 53 ? pulse : 0);
      c.add(t0 + i * second, q / 10.0);
    }
    SCOPED_TRACE("pulse of " + std::to_string(pulse) + " steps");
    expect_sealed_round_trip(c, 0.1);
  }
}

TEST(SealedBlock, DoesNotApplyToFloatPointsOrDisorderAndLeavesTheOutputAlone) {
  Columns c = gas(10, 0, 1, 1);
  std::vector<std::uint8_t> out{1, 2, 3};
  EXPECT_FALSE(seal_block(c.times, c.values, c.qualities, c.flags, 0, out));  // no resolution
  std::swap(c.times[3], c.times[4]);
  EXPECT_FALSE(seal_block(c.times, c.values, c.qualities, c.flags, 0.01, out));
  std::vector<Micros> none;
  std::vector<double> no_values;
  std::vector<QualityCode> no_q;
  std::vector<Flag> no_f;
  EXPECT_FALSE(seal_block(none, no_values, no_q, no_f, 0.01, out));
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST_P(SealedBlockBothWays, DamagedBlocksAreDataLossNeverACrash) {
  // thorough: a quiet signal, so that its values take the tabled (or adaptive) code
  Columns c = GetParam() != Sealing::quick ? gas(1200, 0, 0.3, 9) : gas(400, 20, 2.0, 9);
  c.values[17] = std::numeric_limits<double>::quiet_NaN();
  c.qualities[100] = 2;
  auto blob = seal(c, 0.01, GetParam());
  Series out;
  out.resize(c.size() + 8);
  // Every truncation is data_loss.
  for (std::size_t len = 0; len < blob.size(); ++len) {
    std::vector<std::uint8_t> cut(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(len));
    testing::expect_error([&] { decode_block(cut, out.buffers()); }, ErrorCode::data_loss,
                          "block: ");
  }
  // Flipped bits either fail as data_loss or decode to something; never crash or overrun (the
  // sanitizer build and block_fuzz check the memory side).
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    auto bad = blob;
    bad[rng() % bad.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    try {
      BlockHeader h = read_header(bad);
      if (h.count > out.size()) continue;
      decode_block(bad, out.buffers());
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::data_loss || e.code() == ErrorCode::invalid_argument)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace houqin::telemetry
