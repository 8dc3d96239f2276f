// Private to the telemetry layer: the bit reader both block formats decode with (codec.cpp,
// seal.cpp).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace houqin::telemetry::detail {

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
