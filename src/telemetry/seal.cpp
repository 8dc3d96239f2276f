// The sealed block format (format 2, docs/telemetry-storage.md "Sealed blocks"): a closed block
// re-encoded in two passes, with what the whole block shows -- the time unit, the poll period
// and phase, the best value predictor and each stream's best code -- chosen before writing.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "houqin/core/error.hpp"
#include "houqin/telemetry/codec.hpp"
#include "telemetry/bits.hpp"
#include "telemetry/seal.hpp"

namespace houqin::telemetry {
namespace {

constexpr unsigned rice_escape = 24;  // unary prefix that escapes a Rice code

using detail::bits_of;
using detail::canonical_nan;
using detail::on_grid;
using detail::unscale;

std::uint64_t zz(std::int64_t v) noexcept {
  return detail::zigzag(static_cast<std::uint64_t>(v));
}
std::int64_t unzz(std::uint64_t z) noexcept {
  return static_cast<std::int64_t>(detail::unzigzag(z));
}

/// MSB-first bit writer appending to a byte vector. It writes through a pointer into room it
/// makes 1 KiB ahead, and finish() trims the vector to what was written: no push_back per byte.
/// (The vector may be the store's arena of many blocks: never grown in proportion to its size.)
class BitWriter {
 public:
  explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out), at_(out.size()) {}
  /// width <= 32; whole 32-bit words go out at once (fewer than 32 bits wait in acc_).
  void put(std::uint64_t bits, unsigned width) {
    acc_ = (acc_ << width) | bits;
    n_ += width;
    if (n_ >= 32) {
      n_ -= 32;
      if (at_ + 4 > out_.size()) out_.resize(at_ + 1024);  // the vector's capacity doubles
      auto word = static_cast<std::uint32_t>(acc_ >> n_);
      std::uint8_t* p = out_.data() + at_;
      p[0] = static_cast<std::uint8_t>(word >> 24);
      p[1] = static_cast<std::uint8_t>(word >> 16);
      p[2] = static_cast<std::uint8_t>(word >> 8);
      p[3] = static_cast<std::uint8_t>(word);
      at_ += 4;
    }
  }
  void put_wide(std::uint64_t bits, unsigned width) {
    if (width > 32) {
      put(bits >> 32, width - 32);
      put(bits & 0xffffffffu, 32);
    } else {
      put(bits, width);
    }
  }
  /// An unsigned integer of any size: its bit width (7 bits), then its bits.
  void put_sized(std::uint64_t v) {
    auto w = static_cast<unsigned>(std::bit_width(v));
    put(w, 7);
    put_wide(v, w);
  }
  /// Zero bits up to the next whole byte of the block.
  void align() { put(0, (8 - n_ % 8) % 8); }
  /// Elias gamma of v >= 1: (width - 1) ones, a zero, then the bits below the top one.
  void put_gamma(std::uint64_t v) {
    auto w = static_cast<unsigned>(std::bit_width(v));
    put_wide(((std::uint64_t{1} << (w - 1)) - 1) << 1, w);
    put_wide(v & ((std::uint64_t{1} << (w - 1)) - 1), w - 1);
  }
  void finish() {
    out_.resize(at_);
    while (n_ >= 8) {
      n_ -= 8;
      out_.push_back(static_cast<std::uint8_t>(acc_ >> n_));
    }
    if (n_) out_.push_back(static_cast<std::uint8_t>(acc_ << (8 - n_)));
    n_ = 0;
    at_ = out_.size();
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::size_t at_;  // the next byte to write; the vector may be longer (room made ahead)
  std::uint64_t acc_ = 0;
  unsigned n_ = 0;
};

// ---- integer streams ---------------------------------------------------------------------------
// A sequence of unsigned integers (zig-zag residuals, slot advances, jitter) written with the code
// that makes it smallest, named by one byte: mode (2 bits) and parameter (6 bits).
//   zero        every element is 0: nothing follows
//   rice k      per element: quotient z >> k in unary (ones, then a zero), then k bits; a quotient
//               of 24 or more escapes: 24 ones, the width of z (7 bits), z
//   sparse k    zero runs: per nonzero element, gamma(zeros before it + 1), then rice k of z - 1;
//               zeros at the end: gamma(their count + 1)
//   bounded     the largest element M (sized), then every element in truncated binary for M + 1
//               values: k or k + 1 bits, k = floor(log2(M + 1)) (M + 1 a power of two: k bits
//               each); only for M < 2^62
//   adaptive    (mode bounded with a parameter of 32 or more: 32 | shift - 4 << 3 | k) the
//               quotients z >> k in unary, each unary bit range-coded with an adaptive
//               probability per position (0..23) and context (the previous quotient, capped at
//               2), 24 ones escaping to a sized value in raw bits; then the k low bits raw. The
//               range coder's bytes follow their count (sized). Only sealing with `thorough`
//               (compaction) chose it until the tabled code below replaced it; still read.
//   tabled      (mode bounded, parameter 56: 32 | 3 << 3, k = 0) a static rANS code over the
//               symbols min(z, 15), 15 escaping, in 3 contexts (the previous element, capped at
//               2): per context 5 bits (the symbols used, 0..16), then gamma(frequency + 1) of
//               each, in 1/1024 (summing to 1024); the coder's bytes (sized, then byte-aligned:
//               16-bit words, the final state first, then the renormalization words in decoding
//               order); then each escape's z - 15 (sized), in order. Sealing with `thorough`
//               (compaction) chooses it: quiet signals cost under a bit a sample, and a table
//               lookup decodes a symbol.
enum class StreamMode : std::uint8_t { zero = 0, rice = 1, sparse = 2, bounded = 3 };

constexpr unsigned adaptive_flag = 32;  // a bounded stream's parameter at or above: adaptive
constexpr unsigned adaptive_bins = 24;
constexpr unsigned adaptive_contexts = 3;
constexpr unsigned prob_bits = 11;  // probabilities of a 0 in 1/2048

/// The adaptive code's probabilities, all starting at one half.
struct AdaptiveModel {
  std::uint16_t p[adaptive_contexts][adaptive_bins];
  AdaptiveModel() noexcept {
    for (auto& row : p)
      for (auto& v : row) v = 1u << (prob_bits - 1);
  }
};

/// Binary range coder (a carry-propagating encoder over 32-bit ranges, as LZMA's): bits with an
/// adaptive probability, or raw.
class RangeEncoder {
 public:
  explicit RangeEncoder(std::vector<std::uint8_t>& out) : out_(out) {}
  void bit(std::uint16_t& p, unsigned b, unsigned shift) {
    const std::uint32_t bound = (range_ >> prob_bits) * p;
    if (!b) {
      range_ = bound;
      p = static_cast<std::uint16_t>(p + (((1u << prob_bits) - p) >> shift));
    } else {
      low_ += bound;
      range_ -= bound;
      p = static_cast<std::uint16_t>(p - (p >> shift));
    }
    normalize();
  }
  void raw(std::uint64_t v, unsigned width) {
    for (unsigned i = width; i-- > 0;) {
      range_ >>= 1;
      if ((v >> i) & 1) low_ += range_;
      normalize();
    }
  }
  void finish() {
    for (int i = 0; i < 5; ++i) shift_low();
  }

 private:
  void normalize() {
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      shift_low();
    }
  }
  void shift_low() {
    if (static_cast<std::uint32_t>(low_) < 0xff000000u || (low_ >> 32) != 0) {
      const auto carry = static_cast<std::uint8_t>(low_ >> 32);
      std::uint8_t byte = cache_;
      do {
        out_.push_back(static_cast<std::uint8_t>(byte + carry));
        byte = 0xff;
      } while (--pending_ != 0);
      cache_ = static_cast<std::uint8_t>(low_ >> 24);
    }
    ++pending_;
    low_ = (low_ & 0x00ffffffu) << 8;
  }
  std::vector<std::uint8_t>& out_;
  std::uint64_t low_ = 0;
  std::uint32_t range_ = 0xffffffffu;
  std::uint8_t cache_ = 0;
  std::uint64_t pending_ = 1;
};

/// Size in 1/16 bit of coding a 0 with probability p (of a 0, in 1/2048): -16 log2(p / 2048),
/// by p / 16.
const std::uint16_t* cost_table() {
  static const auto table = [] {
    std::array<std::uint16_t, 128> t{};
    for (unsigned i = 0; i < 128; ++i)
      t[i] = static_cast<std::uint16_t>(std::lround(-16.0 * std::log2((i * 16.0 + 8.0) / 2048.0)));
    return t;
  }();
  return table.data();
}

/// The adaptive code of `z` with parameters k and shift, through `coder`: a RangeEncoder, or
/// the CostCounter below (one binarization for both, so the cost is that of what is written).
template <class Coder>
void code_adaptive(std::span<const std::uint64_t> z, unsigned k, unsigned shift, Coder& coder) {
  AdaptiveModel m;
  unsigned ctx = 0;
  for (auto v : z) {
    const std::uint64_t q = v >> k;
    auto* p = m.p[ctx];
    unsigned b = 0;
    for (; b < adaptive_bins; ++b) {
      const unsigned one = q > b;
      coder.bit(p[b], one, shift);
      if (!one) break;
    }
    if (b == adaptive_bins) {
      const std::uint64_t rest = q - adaptive_bins;
      const auto width = static_cast<unsigned>(std::bit_width(rest));
      coder.raw(width, 7);
      if (width > 32) {
        coder.raw(rest >> 32, width - 32);
        coder.raw(rest & 0xffffffffu, 32);
      } else {
        coder.raw(rest, width);
      }
    }
    coder.raw(v & ((std::uint64_t{1} << k) - 1), k);
    ctx = q < adaptive_contexts - 1 ? static_cast<unsigned>(q) : adaptive_contexts - 1;
  }
}

/// What a RangeEncoder would write, in 1/16 bit, with the probabilities updated alike.
struct CostCounter {
  const std::uint16_t* cost = cost_table();
  std::uint64_t sixteenths = 0;
  void bit(std::uint16_t& p, unsigned b, unsigned shift) {
    sixteenths += b ? cost[((1u << prob_bits) - p) >> 4] : cost[p >> 4];
    p = b ? static_cast<std::uint16_t>(p - (p >> shift))
          : static_cast<std::uint16_t>(p + (((1u << prob_bits) - p) >> shift));
  }
  void raw(std::uint64_t, unsigned width) { sixteenths += 16 * width; }
};

/// The adaptive code's size in bits, the range coder's bytes and their count included.
std::uint64_t adaptive_bits(std::span<const std::uint64_t> z, unsigned k, unsigned shift) {
  CostCounter c;
  code_adaptive(z, k, shift, c);
  const std::uint64_t bytes = c.sixteenths / 128 + 6;                       // and the flush
  return 8 * bytes + 7 + 7 + static_cast<unsigned>(std::bit_width(bytes));  // count, alignment
}

// ---- the tabled code (static rANS) ----

constexpr unsigned tabled_param = adaptive_flag | (3u << 3);  // shift code 3: never adaptive
constexpr unsigned tab_bits = 10;
constexpr std::uint32_t tab_total = 1u << tab_bits;
constexpr unsigned tab_symbols = 16;         // 0..14 the element itself, 15 an escape
constexpr std::uint32_t tab_low = 1u << 16;  // the coder's state is in [2^16, 2^32)

/// The contexts of a tabled code (the parameter's low bits): the previous element (capped at
/// 2); the hint (0..3: where the level predictors' mean lies between two integers, from just
/// below the prediction by a half to just above it); or both.
enum class TabLayout : unsigned { previous = 0, hint_previous = 1, hint = 2 };
constexpr unsigned tab_layouts = 3;
constexpr unsigned tab_hints = 4;
constexpr unsigned tab_most_contexts = 12;
constexpr unsigned tab_contexts(TabLayout l) noexcept {
  return l == TabLayout::previous ? 3 : l == TabLayout::hint ? tab_hints : 3 * tab_hints;
}
/// The context of an element: `prev` the previous element's symbol (0 for the first), `hint`
/// what the predictor says of this one.
unsigned tab_context(TabLayout l, unsigned prev, unsigned hint) noexcept {
  const unsigned p = prev < 2 ? prev : 2;
  return l == TabLayout::previous ? p : l == TabLayout::hint ? hint : hint * 3 + p;
}

unsigned tab_symbol(std::uint64_t z) noexcept {
  return z < tab_symbols - 1 ? static_cast<unsigned>(z) : tab_symbols - 1;
}

/// The frequencies of a tabled code, from the symbols' counts per context.
struct TabledModel {
  TabLayout layout;
  unsigned contexts;
  std::uint32_t count[tab_most_contexts][tab_symbols] = {};
  std::uint32_t freq[tab_most_contexts][tab_symbols] = {};
  std::uint32_t start[tab_most_contexts][tab_symbols] = {};
  unsigned used[tab_most_contexts] = {};  // symbols 0..used-1 are written

  /// `hints`: one per element (empty: all 0).
  TabledModel(std::span<const std::uint64_t> z, std::span<const std::uint8_t> hints, TabLayout l)
      : layout(l), contexts(tab_contexts(l)) {
    unsigned prev = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
      const unsigned sym = tab_symbol(z[i]);
      ++count[tab_context(l, prev, hints.empty() ? 0 : hints[i])][sym];
      prev = sym;
    }
    for (unsigned c = 0; c < contexts; ++c) {
      std::uint64_t total = 0;
      for (unsigned x = 0; x < tab_symbols; ++x) {
        total += count[c][x];
        if (count[c][x]) used[c] = x + 1;
      }
      if (!total) continue;
      // Scaled to 1024, each symbol seen at least 1, the rounding taken from the largest.
      std::uint32_t sum = 0;
      for (unsigned x = 0; x < tab_symbols; ++x) {
        if (!count[c][x]) continue;
        freq[c][x] = std::max<std::uint32_t>(
            1, static_cast<std::uint32_t>((count[c][x] * std::uint64_t{tab_total} + total / 2) /
                                          total));
        sum += freq[c][x];
      }
      while (sum != tab_total) {
        unsigned largest = 0;
        for (unsigned x = 1; x < tab_symbols; ++x)
          if (freq[c][x] > freq[c][largest]) largest = x;
        if (sum > tab_total) {
          const std::uint32_t cut = std::min(sum - tab_total, freq[c][largest] - 1);
          freq[c][largest] -= cut;
          sum -= cut;
          if (cut == 0) break;  // cannot happen: at most 16 symbols of at least 1 in 1024
        } else {
          freq[c][largest] += tab_total - sum;
          sum = tab_total;
        }
      }
      for (unsigned x = 0, at = 0; x < tab_symbols; at += freq[c][x], ++x) start[c][x] = at;
    }
  }

  /// The code's size in bits: tables, the coder's words (estimated from the frequencies), the
  /// escapes, the byte count and alignment.
  std::uint64_t bits(std::span<const std::uint64_t> z) const {
    double coded = 0;
    std::uint64_t table = 0;
    for (unsigned c = 0; c < contexts; ++c) {
      table += 5;
      for (unsigned x = 0; x < used[c]; ++x) {
        table += 2 * static_cast<std::uint64_t>(std::bit_width(freq[c][x] + 1u)) - 1;
        if (count[c][x])
          coded += count[c][x] * std::log2(static_cast<double>(tab_total) / freq[c][x]);
      }
    }
    std::uint64_t escapes = 0;
    for (auto v : z)
      if (v >= tab_symbols - 1)
        escapes += 7 + static_cast<std::uint64_t>(std::bit_width(v - (tab_symbols - 1)));
    const auto bytes = 2 * (static_cast<std::uint64_t>(coded) / 16 + 1) + 4;
    return table + 8 * bytes + 7 + static_cast<unsigned>(std::bit_width(bytes)) + 7 + escapes;
  }
};

void put_tabled(BitWriter& w, std::span<const std::uint64_t> z, std::span<const std::uint8_t> hints,
                TabLayout layout) {
  const TabledModel m(z, hints, layout);
  for (unsigned c = 0; c < m.contexts; ++c) {
    w.put(m.used[c], 5);
    for (unsigned x = 0; x < m.used[c]; ++x) w.put_gamma(m.freq[c][x] + 1);
  }
  // rANS codes backwards: the words come out in the reverse of the order they are read.
  std::vector<std::uint16_t> words;
  words.reserve(z.size() / 8 + 4);
  std::uint32_t x = tab_low;
  for (std::size_t i = z.size(); i-- > 0;) {
    const unsigned c =
        tab_context(layout, i ? tab_symbol(z[i - 1]) : 0, hints.empty() ? 0 : hints[i]);
    const unsigned sym = tab_symbol(z[i]);
    const std::uint32_t f = m.freq[c][sym];
    if (x >= (std::uint64_t{f} << (32 - tab_bits))) {
      words.push_back(static_cast<std::uint16_t>(x));
      x >>= 16;
    }
    x = ((x / f) << tab_bits) + (x % f) + m.start[c][sym];
  }
  words.push_back(static_cast<std::uint16_t>(x));
  words.push_back(static_cast<std::uint16_t>(x >> 16));
  w.put_sized(2 * words.size());
  w.align();  // the decoder reads the words straight from the blob
  for (std::size_t i = words.size(); i-- > 0;) {
    w.put(words[i] & 0xffu, 8);  // little-endian
    w.put(words[i] >> 8, 8);
  }
  for (auto v : z)
    if (v >= tab_symbols - 1) w.put_sized(v - (tab_symbols - 1));
}

std::uint64_t rice_bits(std::uint64_t z, unsigned k) noexcept {
  std::uint64_t q = z >> k;
  return q < rice_escape ? q + 1 + k : rice_escape + 7 + static_cast<unsigned>(std::bit_width(z));
}
std::uint64_t gamma_bits(std::uint64_t v) noexcept {
  return 2 * static_cast<std::uint64_t>(std::bit_width(v)) - 1;
}

struct StreamCode {
  StreamMode mode = StreamMode::zero;
  unsigned param = 0;
  std::uint64_t bits = 0;   // the stream's size, header byte excluded
  std::uint64_t bound = 0;  // bounded: the largest element
};

/// Truncated binary for the values 0..bound (bound < 2^62): values below `t` take k bits, the
/// others k + 1.
struct Truncated {
  unsigned k;
  std::uint64_t t;
  explicit Truncated(std::uint64_t bound) noexcept {
    std::uint64_t u = bound + 1;
    k = static_cast<unsigned>(std::bit_width(u)) - 1;
    t = (std::uint64_t{1} << (k + 1)) - u;
  }
};

/// The Rice parameter whose code length is about the smallest for elements of this mean.
unsigned rice_k_for(std::uint64_t sum, std::uint64_t count) noexcept {
  if (count == 0) return 0;
  std::uint64_t mean = sum / count;
  return mean < 2 ? 0 : static_cast<unsigned>(std::bit_width(mean)) - 1;
}

/// The sizes of `z` in Rice codes of parameters k0, k0 + 1 and k0 + 2 (at most 63).
void rice_costs(std::span<const std::uint64_t> z, unsigned k0, std::uint64_t max,
                std::uint64_t (&bits)[3]) {
  if (k0 + 2 <= 63 && (max >> k0) < rice_escape) {
    // No element escapes any of the three: sums of shifted elements (vectorized).
    std::uint64_t s0 = 0, s1 = 0, s2 = 0;
    for (auto v : z) {
      s0 += v >> k0;
      s1 += v >> (k0 + 1);
      s2 += v >> (k0 + 2);
    }
    bits[0] = (1 + k0) * z.size() + s0;
    bits[1] = (2 + k0) * z.size() + s1;
    bits[2] = (3 + k0) * z.size() + s2;
    return;
  }
  bits[0] = bits[1] = bits[2] = 0;
  for (auto v : z)
    for (unsigned j = 0; j < 3; ++j) bits[j] += rice_bits(v, std::min(k0 + j, 63u));
}

/// The sizes of `z` in zero runs with Rice parameters k0, k0 + 1 and k0 + 2 (at most 63).
void sparse_costs(std::span<const std::uint64_t> z, unsigned k0, std::uint64_t (&bits)[3]) {
  bits[0] = bits[1] = bits[2] = 0;
  std::uint64_t run = 0;
  for (auto v : z) {
    if (v == 0) {
      ++run;
      continue;
    }
    std::uint64_t g = gamma_bits(run + 1);
    for (unsigned j = 0; j < 3; ++j) bits[j] += g + rice_bits(v - 1, std::min(k0 + j, 63u));
    run = 0;
  }
  if (run)
    for (auto& b : bits) b += gamma_bits(run + 1);
}

/// The cheapest code for `z`: bounded, or Rice (or zero runs when most elements are zero) with
/// the parameter the mean suggests and its two neighbours.
StreamCode choose_code(std::span<const std::uint64_t> z, Sealing effort = Sealing::quick,
                       std::span<const std::uint8_t> hints = {}) {
  StreamCode best;
  std::uint64_t max = 0, nonzero = 0, sum = 0;
  bool huge = false;  // a sum past 2^64: the mean is then taken of the elements / 256
  for (auto v : z) {
    max = std::max(max, v);
    huge |= __builtin_add_overflow(sum, v, &sum);
    nonzero += v != 0;
  }
  if (max == 0) return best;
  if (huge) {
    sum = 0;
    for (auto v : z) sum += v >> 8;
  }
  auto first_k = [&](std::uint64_t count) {
    unsigned c = huge ? std::min(rice_k_for(sum, count) + 8, 63u) : rice_k_for(sum, count);
    return c > 0 ? c - 1 : 0;
  };
  best = {StreamMode::rice, 0, ~std::uint64_t{0}, 0};
  if (max < (std::uint64_t{1} << 62)) {
    Truncated tb(max);
    std::uint64_t long_codes = 0;
    for (auto v : z) long_codes += v >= tb.t;
    best = {StreamMode::bounded, 0,
            7 + static_cast<std::uint64_t>(std::bit_width(max)) + tb.k * z.size() + long_codes,
            max};
  }
  auto keep = [&](StreamMode mode, unsigned k0, const std::uint64_t(&bits)[3]) {
    for (unsigned j = 0; j < 3; ++j)
      if (bits[j] < best.bits) best = {mode, std::min(k0 + j, 63u), bits[j], 0};
  };
  std::uint64_t bits[3];
  const unsigned k0 = first_k(z.size());
  rice_costs(z, k0, max, bits);
  keep(StreamMode::rice, k0, bits);
  if (nonzero * 2 < z.size()) {
    const unsigned ks = first_k(nonzero);
    sparse_costs(z, ks, bits);
    keep(StreamMode::sparse, ks, bits);
  }
  // The adaptive code, for small elements (where Rice's bit a sample is most of the cost), at
  // the middle adaptation rate, then the other two.
  // The tabled code: small elements (each symbol below a bit), compaction only.
  if (effort == Sealing::thorough && z.size() >= 64 && best.mode != StreamMode::zero) {
    for (unsigned l = 0; l < (hints.empty() ? 1 : tab_layouts); ++l) {
      const std::uint64_t b = TabledModel(z, hints, static_cast<TabLayout>(l)).bits(z);
      if (b < best.bits) best = {StreamMode::bounded, tabled_param | l, b, 0};
    }
  }
  // The adaptive code it replaced (still read; written for the tests of its reader).
  if (effort == Sealing::thorough_adaptive && z.size() >= 64 && !huge &&
      best.mode != StreamMode::zero) {
    // Only k = 0 and elements averaging at most 3: each unary step is a range-coder decision,
    // which decodes several times slower than a Rice code's bit (docs/telemetry-storage.md).
    unsigned best_k = 64;
    std::uint64_t best_bits = best.bits;
    if (sum <= 3 * z.size()) {
      const std::uint64_t b = adaptive_bits(z, 0, 5);
      if (b < best_bits) {
        best_bits = b;
        best_k = 0;
      }
    }
    if (best_k < 64) {
      unsigned best_shift = 5;
      for (unsigned shift : {4u, 6u}) {
        const std::uint64_t b = adaptive_bits(z, best_k, shift);
        if (b < best_bits) {
          best_bits = b;
          best_shift = shift;
        }
      }
      best = {StreamMode::bounded, adaptive_flag | ((best_shift - 4) << 3) | best_k, best_bits, 0};
    }
  }
  return best;
}

void put_adaptive(BitWriter& w, std::span<const std::uint64_t> z, unsigned k, unsigned shift) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(z.size() / 2 + 16);
  RangeEncoder rc(bytes);
  code_adaptive(z, k, shift, rc);
  rc.finish();
  w.put_sized(bytes.size());
  w.align();  // the decoder reads the bytes straight from the blob
  for (auto byte : bytes) w.put(byte, 8);
}

void put_rice(BitWriter& w, std::uint64_t z, unsigned k) {
  std::uint64_t q = z >> k;
  if (q < rice_escape && q + 1 + k <= 32) {  // the usual case: one write
    w.put((((std::uint64_t{1} << q) - 1) << (k + 1)) | (z & ((std::uint64_t{1} << k) - 1)),
          static_cast<unsigned>(q) + 1 + k);
  } else if (q < rice_escape) {
    w.put_wide(((std::uint64_t{1} << q) - 1) << 1, static_cast<unsigned>(q) + 1);
    w.put_wide(z & ((std::uint64_t{1} << k) - 1), k);
  } else {
    w.put_wide((std::uint64_t{1} << rice_escape) - 1, rice_escape);
    w.put_sized(z);
  }
}

void put_stream(BitWriter& w, std::span<const std::uint64_t> z, const StreamCode& c,
                std::span<const std::uint8_t> hints = {}) {
  w.put((static_cast<unsigned>(c.mode) << 6) | (c.param & 63u), 8);
  switch (c.mode) {
    case StreamMode::zero:
      return;
    case StreamMode::rice:
      for (auto v : z) put_rice(w, v, c.param);
      return;
    case StreamMode::sparse: {
      std::uint64_t run = 0;
      for (auto v : z) {
        if (v == 0) {
          ++run;
          continue;
        }
        w.put_gamma(run + 1);
        put_rice(w, v - 1, c.param);
        run = 0;
      }
      if (run) w.put_gamma(run + 1);
      return;
    }
    case StreamMode::bounded: {
      if ((c.param & ~7u) == tabled_param) {
        put_tabled(w, z, hints, static_cast<TabLayout>(c.param & 7u));
        return;
      }
      if (c.param & adaptive_flag) {
        put_adaptive(w, z, c.param & 7u, 4 + ((c.param >> 3) & 3u));
        return;
      }
      w.put_sized(c.bound);
      Truncated tb(c.bound);
      for (auto v : z) {
        if (v < tb.t)
          w.put_wide(v, tb.k);
        else
          w.put_wide(v + tb.t, tb.k + 1);
      }
      return;
    }
  }
}

// ---- decoding helpers --------------------------------------------------------------------------

using detail::BitReader;

std::uint64_t get_sized(BitReader& r) noexcept {
  r.refill();
  auto w = static_cast<unsigned>(r.take(7));
  if (w > 64) w = 64;  // damaged: the phantom check or the verification catches it
  return r.take_wide(w);
}
/// Elias gamma; widths beyond 64 are damage, read as 64.
std::uint64_t get_gamma(BitReader& r) noexcept {
  r.refill();
  unsigned ones = r.ones(56);
  r.skip(ones < 56 ? ones + 1 : 56);
  if (ones >= 64) ones = 63;
  return (std::uint64_t{1} << ones) | r.take_wide(ones);
}
std::uint64_t get_rice(BitReader& r, unsigned k) noexcept {
  r.refill();  // at least 56 bits: a code of up to 56 needs no second refill
  unsigned q = r.ones(rice_escape);
  if (q < rice_escape) {
    r.skip(q + 1);
    if (k == 0) return q;
    if (q + 1 + k <= 56) return (static_cast<std::uint64_t>(q) << k) | r.take(k);
    return (static_cast<std::uint64_t>(q) << k) | r.take_wide(k);
  }
  r.skip(rice_escape);
  return get_sized(r);
}

/// The range decoder of an adaptive stream, reading its bytes straight from the blob (zeros past
/// them, counted as damage).
struct RangeDecoder {
  const std::uint8_t* at;
  const std::uint8_t* end;
  std::uint32_t range = 0xffffffffu, code = 0;
  bool overrun = false;
  RangeDecoder(const std::uint8_t* from, const std::uint8_t* to) noexcept : at(from), end(to) {
    for (int i = 0; i < 5; ++i) code = (code << 8) | next();
  }
  std::uint32_t next() noexcept {
    if (at < end) [[likely]]
      return *at++;
    overrun = true;
    return 0;
  }
  void normalize() noexcept {
    if (range < (1u << 24)) {
      range <<= 8;
      code = (code << 8) | next();
    }
  }
  unsigned bit(std::uint16_t& p, unsigned shift) noexcept {
    const std::uint32_t bound = (range >> prob_bits) * p;
    unsigned b;
    if (code < bound) {
      range = bound;
      p = static_cast<std::uint16_t>(p + (((1u << prob_bits) - p) >> shift));
      b = 0;
    } else {
      code -= bound;
      range -= bound;
      p = static_cast<std::uint16_t>(p - (p >> shift));
      b = 1;
    }
    normalize();
    return b;
  }
  std::uint64_t raw(unsigned width) noexcept {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      range >>= 1;
      unsigned b = code >= range;
      if (b) code -= range;
      v = (v << 1) | b;
      normalize();
    }
    return v;
  }
};

template <class Sink>
bool get_adaptive(BitReader& r, std::size_t n, unsigned k, unsigned shift, Sink&& sink) noexcept {
  const std::uint64_t bytes = get_sized(r);
  // The bytes start at the next whole byte: where the reader is, counting the bits it holds.
  r.skip(r.n % 8);
  const std::uint8_t* from = r.p - r.n / 8;
  if (bytes < 5 || bytes > static_cast<std::uint64_t>(r.end - from)) return false;
  RangeDecoder rc(from, from + bytes);
  AdaptiveModel m;
  unsigned ctx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto* p = m.p[ctx];
    std::uint64_t q = 0;
    while (q < adaptive_bins && rc.bit(p[q], shift)) ++q;
    if (q == adaptive_bins) [[unlikely]] {
      const auto width = static_cast<unsigned>(rc.raw(7));
      if (width > 64) return false;
      std::uint64_t rest = width > 32 ? (rc.raw(width - 32) << 32) | rc.raw(32) : rc.raw(width);
      q += rest;
    }
    sink(i, k ? (q << k) | rc.raw(k) : q);
    ctx = q < adaptive_contexts - 1 ? static_cast<unsigned>(q) : adaptive_contexts - 1;
  }
  if (rc.overrun) return false;
  // The reader goes on after the bytes.
  r.p = from + bytes;
  r.buf = 0;
  r.n = 0;
  return true;
}

template <class Sink, class Hint>
bool get_tabled(BitReader& r, std::size_t n, TabLayout layout, Sink&& sink, Hint&& hint) noexcept {
  // Per context and slot: the symbol's frequency (bits 14-24), the symbol (10-13) and the slot's
  // offset in the symbol's range (0-9).
  const unsigned contexts = tab_contexts(layout);
  std::uint32_t lut[tab_most_contexts][tab_total];
  bool valid[tab_most_contexts] = {};
  for (unsigned c = 0; c < contexts; ++c) {
    r.refill();
    const auto used = static_cast<unsigned>(r.take(5));
    if (used > tab_symbols) return false;
    std::uint32_t at = 0;
    for (unsigned x = 0; x < used; ++x) {
      const std::uint64_t f = get_gamma(r) - 1;
      if (f > tab_total - at) return false;
      for (std::uint32_t k = 0; k < f; ++k)
        lut[c][at + k] = static_cast<std::uint32_t>(f << 14) | (x << 10) | k;
      at += static_cast<std::uint32_t>(f);
    }
    if (used && at != tab_total) return false;
    valid[c] = used != 0;
    if (r.phantom > 64) return false;
  }
  const std::uint64_t bytes = get_sized(r);
  r.skip(r.n % 8);
  const std::uint8_t* from = r.p - r.n / 8;
  if (bytes < 4 || bytes % 2 || bytes > static_cast<std::uint64_t>(r.end - from)) return false;
  const std::uint8_t* at = from;
  const std::uint8_t* const end = from + bytes;
  auto word = [&at]() noexcept {
    const std::uint32_t v = at[0] | (static_cast<std::uint32_t>(at[1]) << 8);
    at += 2;
    return v;
  };
  std::uint32_t x = word() << 16;
  x |= word();
  // The escapes follow the words.
  r.p = end;
  r.buf = 0;
  r.n = 0;
  unsigned prev = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned ctx = tab_context(layout, prev, hint() & (tab_hints - 1));
    if (!valid[ctx]) [[unlikely]]
      return false;
    const std::uint32_t e = lut[ctx][x & (tab_total - 1)];
    const unsigned sym = (e >> 10) & 15u;
    x = (e >> 14) * (x >> tab_bits) + (e & (tab_total - 1));
    if (x < tab_low) {
      if (at == end) [[unlikely]]
        return false;
      x = (x << 16) | word();
    }
    std::uint64_t z = sym;
    if (sym == tab_symbols - 1) [[unlikely]] {
      const std::uint64_t rest = get_sized(r);
      if (rest > ~std::uint64_t{0} - z || r.phantom > 64) return false;
      z += rest;
    }
    sink(i, z);
    prev = sym;
  }
  // What the encoder started from, every word read.
  return x == tab_low && at == end;
}

/// Decodes `n` elements of one stream, handing each to `sink(i, z)`; `hint()` gives the tabled
/// code the predictor's hint of the next element (0 for streams of no predictor). False for a
/// damaged header.
template <class Sink, class Hint>
bool get_stream(BitReader& r, std::size_t n, Sink&& sink, Hint&& hint) noexcept {
  r.refill();
  auto head = static_cast<unsigned>(r.take(8));
  auto mode = static_cast<StreamMode>(head >> 6);
  unsigned param = head & 63u;
  switch (mode) {
    case StreamMode::zero:
      for (std::size_t i = 0; i < n; ++i) sink(i, 0);
      return true;
    case StreamMode::rice:
      for (std::size_t i = 0; i < n; ++i) {
        // The usual code inline: q ones, a zero and k bits, all in the refilled buffer (k = 0
        // included: the low part is then shifted out whole).
        r.refill();
        const auto q = static_cast<unsigned>(std::countl_one(r.buf));
        if (q < rice_escape && q + 1 + param <= 56) [[likely]] {
          const std::uint64_t low = (r.buf << (q + 1)) >> 1 >> (63 - param);
          r.skip(q + 1 + param);
          sink(i, (static_cast<std::uint64_t>(q) << param) | low);
        } else {
          sink(i, get_rice(r, param));
        }
      }
      return true;
    case StreamMode::sparse: {
      std::size_t i = 0;
      while (i < n) {
        std::uint64_t run = get_gamma(r) - 1;
        if (run > n - i) return false;
        for (std::uint64_t j = 0; j < run; ++j) sink(i++, 0);
        if (i == n) break;
        sink(i++, get_rice(r, param) + 1);
        if (r.phantom > 64) return false;  // a damaged stream must not spin
      }
      return true;
    }
    case StreamMode::bounded: {
      if ((param & ~7u) == tabled_param) {
        if ((param & 7u) >= tab_layouts) return false;
        return get_tabled(r, n, static_cast<TabLayout>(param & 7u), sink, hint);
      }
      if (param & adaptive_flag)
        return get_adaptive(r, n, param & 7u, 4 + ((param >> 3) & 3u), sink);
      std::uint64_t bound = get_sized(r);
      if (bound >= (std::uint64_t{1} << 62)) return false;
      Truncated tb(bound);
      for (std::size_t i = 0; i < n; ++i) {
        r.refill();
        std::uint64_t v = r.take_wide(tb.k);
        if (v >= tb.t) {
          r.refill();
          v = ((v << 1) | r.take(1)) - tb.t;
        }
        sink(i, v);
      }
      return true;
    }
  }
  return false;
}

template <class Sink>
bool get_stream(BitReader& r, std::size_t n, Sink&& sink) noexcept {
  return get_stream(r, n, sink, [] { return 0u; });
}

// ---- predictors --------------------------------------------------------------------------------
// The value of sample i is predicted from the integers before it (escaped samples do not count):
//   0 delta   q[i-1]
//   1 linear  2 q[i-1] - q[i-2]
//   2 level   (q[i-1] + q[i-2] + q[i-3] + q[i-4] + 2) >> 2, the history starting as q[0] four times
//   3 level8  the mean of the last 8, rounded half up (written as 3, then a 0 bit)
//   4 level16 the mean of the last 16 (3, then a 1 bit); only sealing with `thorough` tries them
// In wrapping 64-bit arithmetic; q is within 2^53, so the level's sum cannot overflow.
constexpr unsigned predictor_count = 5;
constexpr unsigned quick_predictors = 3;  // what a seal without `thorough` chooses from

/// The mean of the last N integers (N 8 or 16), the history starting as q[0] N times.
template <unsigned N>
struct LongLevel {
  std::uint64_t ring[N];
  std::uint64_t sum;
  unsigned at;
  void start(std::int64_t q0) noexcept {
    for (auto& v : ring) v = static_cast<std::uint64_t>(q0);
    sum = static_cast<std::uint64_t>(q0) * N;
    at = 0;
  }
  std::int64_t predict() const noexcept {
    return static_cast<std::int64_t>(sum + N / 2) >> std::countr_zero(N);
  }
  /// Where the mean lies around the prediction, in quarters: 0 just below it by half a step ...
  /// 3 just above (the tabled code's hint).
  unsigned hint() const noexcept {
    return static_cast<unsigned>((sum + N / 2) & (N - 1)) >> (std::countr_zero(N) - 2);
  }
  void push(std::int64_t q) noexcept {
    sum += static_cast<std::uint64_t>(q) - ring[at];
    ring[at] = static_cast<std::uint64_t>(q);
    at = (at + 1) % N;
  }
};

struct Predictor {
  unsigned kind;
  std::int64_t h[4];
  LongLevel<8> l8{};
  LongLevel<16> l16{};
  void start(std::int64_t q0) noexcept {
    h[0] = h[1] = h[2] = h[3] = q0;
    l8.start(q0);
    l16.start(q0);
  }
  template <unsigned K>
  std::int64_t predict_as() const noexcept {
    if constexpr (K == 0) {
      return h[0];
    } else if constexpr (K == 1) {
      return static_cast<std::int64_t>(2 * static_cast<std::uint64_t>(h[0]) -
                                       static_cast<std::uint64_t>(h[1]));
    } else {
      // Wrapping: a damaged block may hold any integers; within 2^53 this is the exact sum.
      return static_cast<std::int64_t>(
                 static_cast<std::uint64_t>(h[0]) + static_cast<std::uint64_t>(h[1]) +
                 static_cast<std::uint64_t>(h[2]) + static_cast<std::uint64_t>(h[3]) + 2) >>
             2;
    }
  }
  /// The level predictors' hint (LongLevel::hint); 0 for delta and linear.
  template <unsigned K>
  unsigned hint_as() const noexcept {
    if constexpr (K == 2)
      return static_cast<unsigned>(
                 static_cast<std::uint64_t>(h[0]) + static_cast<std::uint64_t>(h[1]) +
                 static_cast<std::uint64_t>(h[2]) + static_cast<std::uint64_t>(h[3]) + 2) &
             3u;
    else
      return 0;
  }
  unsigned hint() const noexcept {
    switch (kind) {
      case 2:
        return hint_as<2>();
      case 3:
        return l8.hint();
      case 4:
        return l16.hint();
      default:
        return 0;
    }
  }
  std::int64_t predict() const noexcept {
    switch (kind) {
      case 0:
        return predict_as<0>();
      case 1:
        return predict_as<1>();
      case 2:
        return predict_as<2>();
      case 3:
        return l8.predict();
      default:
        return l16.predict();
    }
  }
  void push(std::int64_t q) noexcept {
    h[3] = h[2];
    h[2] = h[1];
    h[1] = h[0];
    h[0] = q;
    if (kind == 3) l8.push(q);
    if (kind == 4) l16.push(q);
  }
};

std::int64_t wrap_sub(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wrap_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Division by a unit known to divide: multiplication by the inverse of its odd part modulo 2^64
/// and a shift (no 64-bit division per sample).
struct ExactDivider {
  unsigned shift = 0;
  std::uint64_t inverse = 1, limit = ~std::uint64_t{0};
  explicit ExactDivider(std::uint64_t unit) noexcept {
    shift = static_cast<unsigned>(std::countr_zero(unit));
    std::uint64_t odd = unit >> shift;
    std::uint64_t x = odd;  // Newton's iteration: each step doubles the correct low bits
    for (int i = 0; i < 6; ++i) x *= 2 - odd * x;
    inverse = x;
    limit = ~std::uint64_t{0} / odd;
  }
  bool divides(std::uint64_t v) const noexcept {
    return (v & ((std::uint64_t{1} << shift) - 1)) == 0 && (v >> shift) * inverse <= limit;
  }
  std::uint64_t divide(std::uint64_t v) const noexcept { return (v >> shift) * inverse; }
};

/// The median of at most `most` (<= 63) elements spread evenly over `v` (all of them when fewer):
/// the period only seeds the slot count (it is refined from the first sample to the last), so an
/// estimate does -- a full selection was a fifth of a jittered seal.
std::uint64_t sampled_median(std::span<const std::uint64_t> v, std::size_t most) noexcept {
  std::uint64_t pick[63];
  const std::size_t m = std::min({v.size(), most, std::size_t{63}});
  for (std::size_t j = 0; j < m; ++j) pick[j] = v[j * v.size() / m];
  std::nth_element(pick, pick + m / 2, pick + m);
  return pick[m / 2];
}

/// The exact median (the upper one of an even count) of `v`, by counting when its values span
/// fewer than 4096 (jitter does: no comparisons to mispredict), else by selection in `spare`.
std::int64_t median_of(std::span<const std::int64_t> v, std::vector<std::uint32_t>& counts,
                       std::vector<std::int64_t>& spare) {
  std::int64_t lo = v[0], hi = v[0];
  for (auto x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::size_t rank = v.size() / 2;
  if (span < 4096) {
    counts.assign(span + 1, 0);
    for (auto x : v) ++counts[static_cast<std::uint64_t>(x) - static_cast<std::uint64_t>(lo)];
    std::size_t seen = 0;
    for (std::size_t b = 0;; ++b) {
      seen += counts[b];
      if (seen > rank) return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + b);
    }
  }
  spare.assign(v.begin(), v.end());
  std::nth_element(spare.begin(), spare.begin() + static_cast<std::ptrdiff_t>(rank), spare.end());
  return spare[rank];
}

/// What a seal works in, kept per thread from block to block.
struct SealScratch {
  std::vector<std::size_t> positions;
  std::vector<std::int64_t> q, slots, base, spare;
  std::vector<std::uint64_t> z_of[3], d, deltas, advance, jitter;
  std::vector<std::uint8_t> hints_of[3];  // the level predictors' hints (thorough)
  std::vector<std::uint32_t> counts;
};
SealScratch& seal_scratch() {
  thread_local SealScratch s;
  return s;
}

/// The scratch columns a seal decodes its result into, to check it.
Series& verify_scratch() {
  thread_local Series s;
  return s;
}

}  // namespace

bool seal_block(std::span<const Micros> times, std::span<const double> values,
                std::span<const QualityCode> qualities, std::span<const Flag> flags,
                double resolution, std::vector<std::uint8_t>& out, bool thorough) {
  return seal_block(times, values, qualities, flags, resolution, out,
                    thorough ? Sealing::thorough : Sealing::quick);
}

bool seal_block(std::span<const Micros> times, std::span<const double> values,
                std::span<const QualityCode> qualities, std::span<const Flag> flags,
                double resolution, std::vector<std::uint8_t>& out, Sealing effort) {
  const bool thorough = effort != Sealing::quick;
  const std::size_t n = times.size();
  if (n == 0 || values.size() != n || qualities.size() != n || flags.size() != n) return false;
  if (n > std::numeric_limits<std::uint32_t>::max()) return false;
  ValueScheme scheme = value_scheme(resolution);
  if (scheme.encoding == Encoding::xor_float) return false;
  for (std::size_t i = 1; i < n; ++i)
    if (times[i] < times[i - 1]) return false;

  const std::size_t begin = out.size();
  out.push_back(detail::sealed_format_version);
  out.push_back(static_cast<std::uint8_t>(scheme.encoding));
  for (auto c = static_cast<std::uint32_t>(n);;) {
    auto b = static_cast<std::uint8_t>(c & 0x7f);
    c >>= 7;
    out.push_back(static_cast<std::uint8_t>(b | (c ? 0x80 : 0)));
    if (!c) break;
  }
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(times[0]) >> (8 * i)));
  // The scale: one byte k for 10^k (scaled_divide, k <= 22: exact doubles), else 0xff and the
  // double.
  int decimals = -1;
  if (scheme.encoding == Encoding::scaled_divide)
    for (int k = 0; k <= 22; ++k)
      if (detail::power_of_ten(k) == scheme.scale) decimals = k;
  if (decimals >= 0) {
    out.push_back(static_cast<std::uint8_t>(decimals));
  } else {
    out.push_back(0xff);
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<std::uint8_t>(bits_of(scheme.scale) >> (8 * i)));
  }
  BitWriter w(out);

  SealScratch& sc = seal_scratch();

  // Quality and flag: the changes, as (gap, quality, flag); they start good, not evaluated.
  {
    auto& changes = sc.positions;
    changes.clear();
    QualityCode q = quality_good;
    Flag f = Flag::not_evaluated;
    for (std::size_t i = 0; i < n; ++i)
      if (qualities[i] != q || flags[i] != f) {
        changes.push_back(i);
        q = qualities[i];
        f = flags[i];
      }
    w.put_gamma(changes.size() + 1);
    std::size_t prev = 0;
    for (auto i : changes) {
      w.put_gamma(i - prev + 1);
      w.put(qualities[i], 8);
      w.put(static_cast<std::uint8_t>(flags[i]), 8);
      prev = i;
    }
  }

  // Values: samples off the grid (NaN, infinities, -0, off-resolution) are escapes, listed as
  // (gap, kind: 0 the quiet NaN, 1 raw bits); the others are integers q, predicted.
  auto& q = sc.q;
  q.clear();
  {
    auto& escapes = sc.positions;
    escapes.clear();
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t v;
      if (on_grid(values[i], scheme, v))
        q.push_back(v);
      else
        escapes.push_back(i);
    }
    w.put_gamma(escapes.size() + 1);
    std::size_t prev = 0;
    for (auto i : escapes) {
      w.put_gamma(i - prev + 1);
      prev = i;
      if (bits_of(values[i]) == canonical_nan) {
        w.put(0, 1);
      } else {
        w.put(1, 1);
        w.put_wide(bits_of(values[i]), 64);
      }
    }
  }
  if (!q.empty()) {
    // The predictor with the smallest sum of residuals (a close stand-in for the code length),
    // summed over at most about 256 samples spread over the block, then the best code for its
    // residuals.
    // (thorough: all five predictors, the long levels too)
    const unsigned tried = thorough ? predictor_count : quick_predictors;
    std::uint64_t sums[predictor_count] = {};
    for (unsigned k = tried; k < predictor_count; ++k) sums[k] = ~std::uint64_t{0};
    if (q.size() >= 16) {
      const std::size_t stride = std::max<std::size_t>(1, q.size() / 256);
      constexpr std::uint64_t cap = std::uint64_t{1} << 40;
      for (std::size_t i = 4; i < q.size(); i += stride) {
        std::int64_t d1 = wrap_sub(q[i - 1], q[i - 2]);
        sums[0] += std::min(zz(wrap_sub(q[i], q[i - 1])), cap);
        sums[1] += std::min(zz(wrap_sub(wrap_sub(q[i], q[i - 1]), d1)), cap);
        sums[2] +=
            std::min(zz(wrap_sub(q[i], (q[i - 1] + q[i - 2] + q[i - 3] + q[i - 4] + 2) >> 2)), cap);
        if (thorough && i >= 16) {
          std::int64_t s8 = 0, s16 = 0;
          for (std::size_t j = 1; j <= 16; ++j) (j <= 8 ? s8 : s16) += q[i - j];
          s16 += s8;
          sums[3] += std::min(zz(wrap_sub(q[i], (s8 + 4) >> 3)), cap);
          sums[4] += std::min(zz(wrap_sub(q[i], (s16 + 8) >> 4)), cap);
        }
      }
    }
    // The two predictors with the smallest sums are costed exactly (the sum misjudges signals
    // with spikes, whose large residuals Rice codes escape), unless the smallest sum is under
    // three quarters of the next: then the first wins anyway. Thorough: the best three.
    unsigned order[predictor_count] = {0, 1, 2, 3, 4};
    std::sort(order, order + predictor_count, [&](unsigned a, unsigned b) {
      return sums[a] < sums[b] || (sums[a] == sums[b] && a < b);
    });
    const unsigned candidates = thorough ? 3 : sums[order[0]] * 4 < sums[order[1]] * 3 ? 1 : 2;
    StreamCode code[3];
    unsigned pick = 0;
    for (unsigned c = 0; c < candidates; ++c) {
      auto& z = sc.z_of[c];
      z.resize(q.size() - 1);
      Predictor p{order[c], {}};
      p.start(q[0]);
      // the level predictors' hints, for the tabled code (thorough)
      auto& hints = sc.hints_of[c];
      hints.clear();
      const bool hinted = effort == Sealing::thorough && order[c] >= 2;
      if (hinted) hints.resize(q.size() - 1);
      for (std::size_t i = 1; i < q.size(); ++i) {
        z[i - 1] = zz(wrap_sub(q[i], p.predict()));
        if (hinted) hints[i - 1] = static_cast<std::uint8_t>(p.hint());
        p.push(q[i]);
      }
      code[c] = choose_code(z, effort, hints);
      if (code[c].bits < code[pick].bits) pick = c;
    }
    if (order[pick] < 3) {
      w.put(order[pick], 2);
    } else {
      w.put(3, 2);
      w.put(order[pick] - 3, 1);
    }
    w.put_sized(zz(q[0]));
    put_stream(w, sc.z_of[pick], code[pick], sc.hints_of[pick]);
  }

  // Times, as multiples of a unit (the gcd of their offsets from the first: 1000 for times in
  // whole milliseconds) in one of two forms, whichever is smaller:
  //   deltas    the offsets' deltas, one stream
  //   schedule  slots of a period p with a phase: offset = phase + slot * p + jitter; one stream
  //             of slot advances minus one (a gap skips slots, equal times advance 0), one of
  //             jitter
  auto& d = sc.d;
  d.resize(n);
  std::uint64_t unit = 0;
  ExactDivider by(1);
  for (std::size_t i = 0; i < n; ++i) {
    d[i] = static_cast<std::uint64_t>(times[i]) - static_cast<std::uint64_t>(times[0]);
    // A gcd only when the unit so far does not divide the offset (rare after the first few).
    if (unit == 0 || (unit > 1 && !by.divides(d[i]))) {
      unit = std::gcd(unit, d[i]);
      if (unit != 0) by = ExactDivider(unit);
    }
  }
  if (unit == 0) unit = 1;
  bool regular = true;  // every offset its index: a sample every unit, none missing
  if (unit > 1) {
    for (std::size_t i = 0; i < n; ++i) {
      d[i] = by.divide(d[i]);
      regular &= d[i] == i;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) regular &= d[i] == i;
  }
  w.put_sized(unit);
  if (regular && n >= 32) {
    // The schedule the general case below finds for such a block, without its passes: period
    // one unit, phase 0, no slot skipped, no jitter (smaller than the deltas from 24 samples on).
    w.put(1, 1);
    w.put_sized(1);
    w.put_sized(0);
    put_stream(w, {}, StreamCode{});
    put_stream(w, {}, StreamCode{});
  } else if (n > 1) {
    auto& deltas = sc.deltas;
    deltas.resize(n - 1);
    for (std::size_t i = 1; i < n; ++i) deltas[i - 1] = d[i] - d[i - 1];
    StreamCode delta_code = choose_code(deltas);

    // The schedule. Slots are counted delta by delta (a delta within half a period of it is one
    // slot, without a division), so an error in the period does not add up along the block; the
    // period is the median delta, refined by the slope from the first sample to the last; the
    // phase is the median offset from the slots.
    bool schedule = false;
    std::int64_t period = 0, phase = 0;
    auto& advance = sc.advance;
    auto& jitter = sc.jitter;
    StreamCode advance_code, jitter_code;
    if (d.back() < (std::uint64_t{1} << 62)) {
      auto p0 = static_cast<std::int64_t>(sampled_median(deltas, 31));
      if (p0 > 0) {
        // The sample's median, sharpened to the mean of the deltas of one slot (jitter averages
        // out there): a gap is counted in slots of this period, so its error must be small.
        const auto lo = static_cast<std::uint64_t>(p0 - p0 / 2);
        const auto hi = static_cast<std::uint64_t>(p0 + p0 / 2);
        std::uint64_t sum = 0, count = 0;
        for (auto dd : deltas) {
          const bool one = dd >= lo && dd <= hi;
          sum += one ? dd : 0;
          count += one;
        }
        if (count > 0) p0 = static_cast<std::int64_t>((sum + count / 2) / count);
      }
      auto& slots = sc.slots;
      auto count_slots = [&](std::int64_t p) {
        slots.resize(n);
        slots[0] = 0;
        const std::int64_t lo = p - p / 2, hi = p + p / 2;
        for (std::size_t i = 1; i < n; ++i) {
          auto dd = static_cast<std::int64_t>(deltas[i - 1]);
          slots[i] = slots[i - 1] + (dd >= lo && dd <= hi ? 1 : floor_div(dd + p / 2, p));
        }
      };
      if (p0 > 0) {
        count_slots(p0);
        if (slots.back() > 0) {
          auto p1 = static_cast<std::int64_t>(std::llround(static_cast<long double>(d.back()) /
                                                           static_cast<long double>(slots.back())));
          if (p1 > 0 && p1 != p0) {
            period = p1;
            count_slots(p1);
          } else {
            period = p0;
          }
        } else {
          period = p0;
        }
        auto& base = sc.base;
        base.resize(n);
        for (std::size_t i = 0; i < n; ++i)
          base[i] = static_cast<std::int64_t>(d[i]) - slots[i] * period;
        phase = median_of(base, sc.counts, sc.spare);
        advance.resize(n);
        jitter.resize(n);
        std::int64_t prev_slot = -1;
        for (std::size_t i = 0; i < n; ++i) {
          advance[i] = zz(slots[i] - prev_slot - 1);
          jitter[i] = zz(base[i] - phase);
          prev_slot = slots[i];
        }
        advance_code = choose_code(advance);
        jitter_code = choose_code(jitter);
        std::uint64_t schedule_bits =
            advance_code.bits + jitter_code.bits + 8 + 14 +
            static_cast<std::uint64_t>(std::bit_width(static_cast<std::uint64_t>(period))) +
            static_cast<std::uint64_t>(std::bit_width(zz(phase)));
        schedule = schedule_bits < delta_code.bits;
      }
    }
    w.put(schedule ? 1 : 0, 1);
    if (schedule) {
      w.put_sized(static_cast<std::uint64_t>(period));
      w.put_sized(zz(phase));
      put_stream(w, advance, advance_code);
      put_stream(w, jitter, jitter_code);
    } else {
      put_stream(w, deltas, delta_code);
    }
  }
  w.finish();

  // Checked: the block must give back every sample bit for bit, or it is not used.
  std::span<const std::uint8_t> blob(out.data() + begin, out.size() - begin);
  Series& check = verify_scratch();
  if (check.size() < n) check.resize(n);
  bool same = false;
  try {
    BlockHeader h = read_header(blob);
    same = h.count == n && detail::decode_sealed(h, blob, check.buffers());
  } catch (const Error&) {
    same = false;
  }
  for (std::size_t i = 0; same && i < n; ++i)
    same = check.times[i] == times[i] && bits_of(check.values[i]) == bits_of(values[i]) &&
           check.qualities[i] == qualities[i] && check.flags[i] == flags[i];
  if (!same) out.resize(begin);
  return same;
}

namespace detail {

template <Encoding E>
bool decode_sealed_values(BitReader& r, const BlockHeader& h, const ColumnBuffers& out) noexcept {
  const std::size_t n = h.count;
  // The escapes' values go straight to their samples; their positions to the end of the times
  // column, the m integers to its front (m + escapes = n), until the integers are spread out.
  std::uint64_t escapes = get_gamma(r) - 1;
  if (escapes > n) return false;
  const std::size_t m = n - escapes;
  auto* pos = reinterpret_cast<std::uint64_t*>(out.times.data()) + m;
  std::size_t prev = 0;
  for (std::uint64_t e = 0; e < escapes; ++e) {
    std::uint64_t gap = get_gamma(r) - 1;
    if (gap >= n || prev + gap >= n || (e > 0 && gap == 0)) return false;
    std::size_t i = prev + gap;
    prev = i;
    r.refill();
    out.values[i] =
        r.take(1) ? std::bit_cast<double>(r.take_wide(64)) : std::bit_cast<double>(canonical_nan);
    pos[e] = i;
    if (r.phantom > 64) return false;
  }
  auto* qs = reinterpret_cast<std::int64_t*>(out.times.data());
  if (escapes == 0) {  // the usual block: integers straight into the values
    r.refill();
    auto kind = static_cast<unsigned>(r.take(2));
    if (kind == 3) kind += static_cast<unsigned>(r.take(1));
    std::int64_t q0 = unzz(get_sized(r));
    out.values[0] = unscale<E>(q0, h.scale);
    double* values = out.values.data();
    const double scale = h.scale;
    // One loop per predictor, its kind known to the compiler.
    auto run = [&]<unsigned K>() {
      Predictor p{K, {}};
      p.start(q0);
      return get_stream(
          r, n - 1,
          [&](std::size_t i, std::uint64_t z) {
            std::int64_t v = wrap_add(p.template predict_as<K>(), unzz(z));
            values[i + 1] = unscale<E>(v, scale);
            p.push(v);
          },
          [&] { return p.template hint_as<K>(); });
    };
    if (kind == 0) return run.template operator()<0>();
    if (kind == 1) return run.template operator()<1>();
    if (kind == 2) return run.template operator()<2>();
    // the long levels, with their own history
    auto run_long = [&]<unsigned N>() {
      LongLevel<N> p;
      p.start(q0);
      return get_stream(
          r, n - 1,
          [&](std::size_t i, std::uint64_t z) {
            std::int64_t v = wrap_add(p.predict(), unzz(z));
            values[i + 1] = unscale<E>(v, scale);
            p.push(v);
          },
          [&] { return p.hint(); });
    };
    return kind == 3 ? run_long.template operator()<8>() : run_long.template operator()<16>();
  }
  if (m > 0) {
    r.refill();
    auto kind = static_cast<unsigned>(r.take(2));
    if (kind == 3) kind += static_cast<unsigned>(r.take(1));
    Predictor p{kind, {}};
    std::int64_t q0 = unzz(get_sized(r));
    p.start(q0);
    qs[0] = q0;
    bool ok = get_stream(
        r, m - 1,
        [&](std::size_t i, std::uint64_t z) {
          std::int64_t v = wrap_add(p.predict(), unzz(z));
          qs[i + 1] = v;
          p.push(v);
        },
        [&] { return p.hint(); });
    if (!ok) return false;
  }
  // Spread: sample i is an escape (already written) if it is the next position, else the next q.
  std::size_t qi = 0, e = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (e < escapes && pos[e] == i) {
      ++e;
    } else {
      if (qi == m) return false;
      out.values[i] = unscale<E>(qs[qi++], h.scale);
    }
  }
  return qi == m && e == escapes;
}

bool decode_sealed(const BlockHeader& h, std::span<const std::uint8_t> blob,
                   const ColumnBuffers& out) noexcept {
  const std::size_t n = h.count;
  if (n == 0 || out.capacity() < n) return false;
  BitReader r{blob.data() + h.stream_offset, blob.data() + blob.size()};
  // Quality and flag runs.
  std::uint64_t changes = get_gamma(r) - 1;
  if (changes > n) return false;
  {
    QualityCode q = quality_good;
    Flag f = Flag::not_evaluated;
    std::size_t i = 0;
    for (std::uint64_t c = 0; c < changes; ++c) {
      std::uint64_t at = i + get_gamma(r) - 1;
      if (at >= n || (c > 0 && at == i)) return false;
      for (; i < at; ++i) {
        out.qualities[i] = q;
        out.flags[i] = f;
      }
      r.refill();
      q = static_cast<QualityCode>(r.take(8));
      f = static_cast<Flag>(r.take(8));
      if (r.phantom > 64) return false;
    }
    for (; i < n; ++i) {
      out.qualities[i] = q;
      out.flags[i] = f;
    }
  }
  bool ok = h.encoding == Encoding::scaled_divide
                ? decode_sealed_values<Encoding::scaled_divide>(r, h, out)
                : decode_sealed_values<Encoding::scaled_multiply>(r, h, out);
  if (!ok) return false;
  // Times.
  std::uint64_t unit = get_sized(r);
  const auto start = static_cast<std::uint64_t>(h.start);
  out.times[0] = h.start;
  if (n > 1) {
    r.refill();
    bool schedule = r.take(1) != 0;
    if (!schedule) {
      std::uint64_t d = 0;
      ok = get_stream(r, n - 1, [&](std::size_t i, std::uint64_t z) {
        d += z;
        out.times[i + 1] = static_cast<Micros>(start + d * unit);
      });
    } else {
      auto period = static_cast<std::int64_t>(get_sized(r));
      std::int64_t phase = unzz(get_sized(r));
      // Slots first (into the times column), then the jitter added to each.
      auto* slots = reinterpret_cast<std::int64_t*>(out.times.data());
      r.refill();
      if ((r.buf >> 62) == static_cast<unsigned>(StreamMode::zero)) {
        // No slot skipped (the advance stream is all zero): slot i is i.
        r.skip(8);
        r.refill();
        if ((r.buf >> 62) == static_cast<unsigned>(StreamMode::zero)) {
          // No jitter either, a regular block: every time in one pass (wrapping arithmetic,
          // the same as phase + i * period times the unit).
          r.skip(8);
          const std::uint64_t step = static_cast<std::uint64_t>(period) * unit;
          std::uint64_t t = start + static_cast<std::uint64_t>(phase) * unit;
          for (std::size_t i = 0; i < n; ++i, t += step) out.times[i] = static_cast<Micros>(t);
          return r.phantom <= r.n;
        }
        for (std::size_t i = 0; i < n; ++i) slots[i] = static_cast<std::int64_t>(i);
      } else {
        std::int64_t slot = -1;
        ok = get_stream(r, n, [&](std::size_t i, std::uint64_t z) {
          slot = wrap_add(slot, wrap_add(unzz(z), 1));
          slots[i] = slot;
        });
        if (!ok) return false;
      }
      ok = get_stream(r, n, [&](std::size_t i, std::uint64_t z) {
        std::uint64_t off =
            static_cast<std::uint64_t>(phase) +
            static_cast<std::uint64_t>(slots[i]) * static_cast<std::uint64_t>(period) +
            static_cast<std::uint64_t>(unzz(z));
        out.times[i] = static_cast<Micros>(start + off * unit);
      });
    }
    if (!ok) return false;
  }
  return r.phantom <= r.n;
}

}  // namespace detail
}  // namespace houqin::telemetry
