// Private to the telemetry layer: what both block formats share (codec.cpp, seal.cpp) -- the
// bit reader, zig-zag, and the integer grid of a point's resolution.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "houqin/telemetry/codec.hpp"

namespace houqin::telemetry::detail {

constexpr double max_exact_integer = 9007199254740992.0;  // 2^53

inline std::uint64_t zigzag(std::uint64_t v) noexcept {
  auto s = static_cast<std::int64_t>(v);
  return (v << 1) ^ static_cast<std::uint64_t>(s >> 63);
}
inline std::uint64_t unzigzag(std::uint64_t z) noexcept {
  return (z >> 1) ^ (0 - (z & 1));
}

inline std::uint64_t bits_of(double d) noexcept {
  return std::bit_cast<std::uint64_t>(d);
}

inline const std::uint64_t canonical_nan = bits_of(std::numeric_limits<double>::quiet_NaN());

/// value = q / scale or q * scale: the one formula both encoder and decoder use.
template <Encoding E>
inline double unscale(std::int64_t q, double scale) noexcept {
  if constexpr (E == Encoding::scaled_divide) return static_cast<double>(q) / scale;
  return static_cast<double>(q) * scale;
}

/// The integer q with unscale(q) == value bit for bit, or false (NaN, infinities, -0, values off
/// the resolution's grid, integers beyond 2^53).
inline bool on_grid(double value, const ValueScheme& s, std::int64_t& q) noexcept {
  double r = s.encoding == Encoding::scaled_divide ? value * s.scale : value / s.scale;
  if (!(std::fabs(r) < max_exact_integer)) return false;  // also NaN and infinities
  // Rounds half away from zero inline (std::nearbyint is a libm call on baseline x86-64); any
  // integer will do, because the check below decides.
  q = static_cast<std::int64_t>(r + (r < 0 ? -0.5 : 0.5));
  double back = s.encoding == Encoding::scaled_divide
                    ? unscale<Encoding::scaled_divide>(q, s.scale)
                    : unscale<Encoding::scaled_multiply>(q, s.scale);
  return bits_of(back) == bits_of(value);
}

/// Reads the stream most significant bit first. `buf` holds `n` valid bits at its top; refill()
/// tops it up to at least 56. Past the end it shifts in zeros and counts them (phantom), so a
/// damaged block is detected after the loop instead of by a check per read.
struct BitReader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint64_t buf = 0;
  unsigned n = 0;
  unsigned phantom = 0;

  inline void refill() noexcept {
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
      buf |= w >> n;
      p += (63 - n) >> 3;
      n |= 56;
    } else {
      while (n <= 56) {
        if (p < end) {
          buf |= static_cast<std::uint64_t>(*p++) << (56 - n);
        } else {
          phantom += 8;
          if (phantom > 1024) phantom = 1024;  // stays detectable, never overflows
        }
        n += 8;
      }
    }
  }
  inline bool top() const noexcept { return static_cast<std::int64_t>(buf) < 0; }
  inline void skip(unsigned k) noexcept {
    buf <<= k;
    n -= k;
  }
  /// k in 1..56, with at least k bits in buf.
  inline std::uint64_t take(unsigned k) noexcept {
    std::uint64_t v = buf >> (64 - k);
    skip(k);
    return v;
  }
  /// Any width 0..64; refills as needed.
  inline std::uint64_t take_wide(unsigned k) noexcept {
    if (k == 0) return 0;
    if (k <= 32) {
      refill();
      return take(k);
    }
    refill();
    std::uint64_t hi = take(k - 32);
    refill();
    return (hi << 32) | take(32);
  }
  /// Leading one bits of buf, at most `limit`.
  inline unsigned ones(unsigned limit) const noexcept {
    unsigned c = static_cast<unsigned>(std::countl_one(buf));
    return c < limit ? c : limit;
  }
};

}  // namespace houqin::telemetry::detail
