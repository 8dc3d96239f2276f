#include "houqin/telemetry/codec.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "houqin/core/error.hpp"
#include "telemetry/bits.hpp"
#include "telemetry/seal.hpp"

namespace houqin::telemetry {
namespace {

constexpr std::uint8_t format_version = 1;
using detail::bits_of;
using detail::canonical_nan;
using detail::max_exact_integer;
using detail::on_grid;
using detail::sealed_format_version;
using detail::unscale;
using detail::unzigzag;
using detail::zigzag;

void put_u64_le(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get_u64_le(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Timestamp delta-of-delta: '0' zero, '10' 8 bits, '110' 16, '1110' 32, '1111' 64 (zig-zag).
constexpr unsigned dod_width[5] = {0, 8, 16, 32, 64};
// Scaled value deltas: '0' zero, '10' 4 bits, '110' 8, '1110' 16, '11110' 32, '111110' 64
// (zig-zag), '1111110' the canonical NaN, '1111111' + 64 raw bits (a value off the grid).
constexpr unsigned delta_width[6] = {0, 4, 8, 16, 32, 64};

}  // namespace

ValueScheme value_scheme(double resolution) noexcept {
  if (!(resolution > 0) || !std::isfinite(resolution)) return {Encoding::xor_float, 0};
  double inv = 1.0 / resolution;
  double r = std::nearbyint(inv);
  if (inv >= 1 && r <= max_exact_integer && std::fabs(inv - r) <= 1e-9 * r)
    return {Encoding::scaled_divide, r};
  return {Encoding::scaled_multiply, resolution};
}

std::size_t ColumnBuffers::capacity() const noexcept {
  return std::min(std::min(times.size(), values.size()), std::min(qualities.size(), flags.size()));
}

void Series::clear() noexcept {
  times.clear();
  values.clear();
  qualities.clear();
  flags.clear();
}
void Series::resize(std::size_t n) {
  times.resize(n);
  values.resize(n);
  qualities.resize(n);
  flags.resize(n);
}
ColumnBuffers Series::buffers(std::size_t offset) noexcept {
  return {std::span(times).subspan(offset), std::span(values).subspan(offset),
          std::span(qualities).subspan(offset), std::span(flags).subspan(offset)};
}

// ---- encoder -----------------------------------------------------------------------------------

BlockEncoder::BlockEncoder(double resolution) noexcept {
  reset(resolution);
}

void BlockEncoder::reset(double resolution) noexcept {
  stream_.clear();
  scheme_ = value_scheme(resolution);
  start_ = prev_time_ = 0;
  prev_delta_ = prev_value_ = acc_ = 0;
  count_ = 0;
  acc_bits_ = 0;
  lead_ = 0xff;
  trail_ = 0;
  quality_ = quality_good;
  flag_ = Flag::not_evaluated;
}

inline void BlockEncoder::put(std::uint64_t bits, unsigned width) {
  // width <= 32 and acc_bits_ < 32 on entry, so the accumulator never overflows; whole 32-bit
  // words go to the stream at once.
  acc_ = (acc_ << width) | bits;
  unsigned n = acc_bits_ + width;
  if (n >= 32) {
    n -= 32;
    auto word = static_cast<std::uint32_t>(acc_ >> n);
    stream_.push_back(static_cast<std::uint8_t>(word >> 24));  // inline, unlike resize()
    stream_.push_back(static_cast<std::uint8_t>(word >> 16));
    stream_.push_back(static_cast<std::uint8_t>(word >> 8));
    stream_.push_back(static_cast<std::uint8_t>(word));
  }
  acc_bits_ = static_cast<std::uint8_t>(n);
}

void BlockEncoder::put_wide(std::uint64_t bits, unsigned width) {
  if (width > 32) {
    put(bits >> 32, width - 32);
    put(bits & 0xffffffffu, 32);
  } else if (width > 0) {
    put(bits, width);
  }
}

void BlockEncoder::append(Micros time, double value, QualityCode quality, Flag flag) {
  if (count_ == 0) {
    start_ = prev_time_ = time;
    prev_delta_ = 0;
  } else if (time < prev_time_) {
    fail(ErrorCode::invalid_argument, "time " + std::to_string(time) +
                                          " is before the previous sample's " +
                                          std::to_string(prev_time_) + " (out of order)");
  }
  std::uint64_t delta = static_cast<std::uint64_t>(time) - static_cast<std::uint64_t>(prev_time_);
  std::uint64_t dod = zigzag(delta - prev_delta_);
  bool qf_changed = quality != quality_ || flag != flag_;
  if (dod == 0 && !qf_changed) {
    put(0, 1);
  } else {
    put(1, 1);
    if (qf_changed) {
      put((1u << 16) | (static_cast<unsigned>(quality) << 8) |
              (static_cast<unsigned>(flag) & 0xffu),
          17);
      quality_ = quality;
      flag_ = flag;
    } else {
      put(0, 1);
    }
    if (dod == 0) {
      put(0, 1);
    } else if (dod < (1u << 8)) {
      put((0b10u << 8) | dod, 10);
    } else if (dod < (1u << 16)) {
      put((0b110u << 16) | dod, 19);
    } else if (dod < (1ull << 32)) {
      put(0b1110, 4);
      put(dod, 32);
    } else {
      put(0b1111, 4);
      put_wide(dod, 64);
    }
  }
  prev_delta_ = delta;
  prev_time_ = time;
  put_value(value);
  ++count_;
}

void BlockEncoder::put_value(double value) {
  if (scheme_.encoding == Encoding::xor_float) {
    std::uint64_t bits = bits_of(value);
    std::uint64_t x = bits ^ prev_value_;
    prev_value_ = bits;
    if (x == 0) {
      put(0, 1);
      return;
    }
    unsigned lead = static_cast<unsigned>(std::countl_zero(x));
    unsigned trail = static_cast<unsigned>(std::countr_zero(x));
    if (lead > 31) lead = 31;
    if (lead_ != 0xff && lead >= lead_ && trail >= trail_) {
      put(0b10, 2);
      put_wide(x >> trail_, 64 - lead_ - trail_);
      return;
    }
    unsigned len = 64 - lead - trail;  // 1..64; 64 is written as 0
    put((0b11u << 11) | (lead << 6) | (len & 63u), 13);
    put_wide(x >> trail, len);
    lead_ = static_cast<std::uint8_t>(lead);
    trail_ = static_cast<std::uint8_t>(trail);
    return;
  }
  std::int64_t q;
  if (!on_grid(value, scheme_, q)) {
    if (bits_of(value) == canonical_nan) {
      put(0b1111110, 7);
    } else {
      put(0b1111111, 7);
      put_wide(bits_of(value), 64);
    }
    return;
  }
  std::uint64_t z = zigzag(static_cast<std::uint64_t>(q) - prev_value_);
  prev_value_ = static_cast<std::uint64_t>(q);
  if (z == 0) {
    put(0, 1);
  } else if (z < (1u << 4)) {
    put((0b10u << 4) | z, 6);
  } else if (z < (1u << 8)) {
    put((0b110u << 8) | z, 11);
  } else if (z < (1u << 16)) {
    put((0b1110u << 16) | z, 20);
  } else if (z < (1ull << 32)) {
    put(0b11110, 5);
    put(z, 32);
  } else {
    put(0b111110, 6);
    put_wide(z, 64);
  }
}

std::size_t BlockEncoder::encoded_size() const noexcept {
  std::size_t header = 2 + 5 + 8 + (scheme_.encoding == Encoding::xor_float ? 0 : 8);
  return header + stream_.size() + (acc_bits_ + 7u) / 8u;
}

void BlockEncoder::finish(std::vector<std::uint8_t>& out) const {
  out.push_back(format_version);
  out.push_back(static_cast<std::uint8_t>(scheme_.encoding));
  std::uint32_t c = count_;
  do {  // LEB128 count
    std::uint8_t b = c & 0x7f;
    c >>= 7;
    out.push_back(static_cast<std::uint8_t>(b | (c ? 0x80 : 0)));
  } while (c);
  put_u64_le(out, static_cast<std::uint64_t>(start_));
  if (scheme_.encoding != Encoding::xor_float) put_u64_le(out, bits_of(scheme_.scale));
  out.insert(out.end(), stream_.begin(), stream_.end());
  unsigned n = acc_bits_;
  while (n >= 8) {
    n -= 8;
    out.push_back(static_cast<std::uint8_t>(acc_ >> n));
  }
  if (n) out.push_back(static_cast<std::uint8_t>(acc_ << (8 - n)));
}

std::vector<std::uint8_t> encode_block(std::span<const Sample> samples, double resolution) {
  if (samples.empty()) fail(ErrorCode::invalid_argument, "samples: a block needs at least one");
  BlockEncoder enc(resolution);
  enc.reserve(samples.size() * 2 + 16);
  for (const auto& s : samples) {
    if (s.point_id != samples.front().point_id)
      fail(ErrorCode::invalid_argument, "point_id " + std::to_string(s.point_id) +
                                            " differs from the block's " +
                                            std::to_string(samples.front().point_id));
    enc.append(s);
  }
  std::vector<std::uint8_t> out;
  out.reserve(enc.encoded_size());
  enc.finish(out);
  return out;
}

// ---- decoder -----------------------------------------------------------------------------------

BlockHeader read_header(std::span<const std::uint8_t> blob) {
  BlockHeader h;
  std::size_t i = 0;
  auto need = [&](std::size_t k) {
    if (blob.size() - i < k || i > blob.size())
      fail(ErrorCode::data_loss,
           "block: truncated header (" + std::to_string(blob.size()) + " bytes)");
  };
  need(2);
  if (blob[0] != format_version && blob[0] != sealed_format_version)
    fail(ErrorCode::data_loss, "block: unknown format version " + std::to_string(blob[0]));
  h.version = blob[0];
  std::uint8_t e = blob[1];
  if (e < 1 || e > (h.version == sealed_format_version ? 2 : 3))
    fail(ErrorCode::data_loss, "block: unknown encoding " + std::to_string(e));
  h.encoding = static_cast<Encoding>(e);
  i = 2;
  std::uint64_t c = 0;
  for (unsigned shift = 0;; shift += 7) {
    need(1);
    std::uint8_t b = blob[i++];
    c |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    if (shift >= 28) fail(ErrorCode::data_loss, "block: bad sample count");
  }
  if (c > std::numeric_limits<std::uint32_t>::max())
    fail(ErrorCode::data_loss, "block: bad sample count");
  h.count = static_cast<std::uint32_t>(c);
  need(8);
  h.start = static_cast<Micros>(get_u64_le(blob.data() + i));
  i += 8;
  if (h.version == sealed_format_version) {  // one byte k for 10^k, or 0xff and the double
    need(1);
    std::uint8_t k = blob[i++];
    if (k == 0xff) {
      need(8);
      h.scale = std::bit_cast<double>(get_u64_le(blob.data() + i));
      i += 8;
    } else if (k <= 22 && h.encoding == Encoding::scaled_divide) {
      h.scale = detail::power_of_ten(k);
    } else {
      fail(ErrorCode::data_loss, "block: bad scale byte " + std::to_string(k));
    }
  } else if (h.encoding != Encoding::xor_float) {
    need(8);
    h.scale = std::bit_cast<double>(get_u64_le(blob.data() + i));
    i += 8;
  }
  h.stream_offset = i;
  return h;
}

namespace {

template <Encoding E>
bool decode_stream(const BlockHeader& h, const std::uint8_t* begin, const std::uint8_t* end,
                   Micros* __restrict times, double* __restrict values,
                   QualityCode* __restrict qualities, Flag* __restrict flags) noexcept {
  detail::BitReader r{begin, end};
  std::uint64_t t = static_cast<std::uint64_t>(h.start);
  std::uint64_t delta = 0;
  std::uint64_t prev = 0;
  unsigned lead = 0, trail = 0;
  QualityCode quality = quality_good;
  Flag flag = Flag::not_evaluated;
  const double scale = h.scale;
  const double nan = std::bit_cast<double>(canonical_nan);
  for (std::uint32_t i = 0; i < h.count; ++i) {
    r.refill();
    if (!r.top()) {
      r.skip(1);
    } else {
      r.skip(1);
      if (r.top()) {
        r.skip(1);
        quality = static_cast<QualityCode>(r.take(8));
        flag = static_cast<Flag>(r.take(8));
      } else {
        r.skip(1);
      }
      r.refill();
      unsigned k = r.ones(4);
      r.skip(k == 4 ? 4 : k + 1);
      delta += unzigzag(r.take_wide(dod_width[k]));
    }
    t += delta;
    times[i] = static_cast<Micros>(t);
    qualities[i] = quality;
    flags[i] = flag;
    r.refill();
    if constexpr (E == Encoding::xor_float) {
      if (!r.top()) {
        r.skip(1);
      } else if (r.take(2) == 0b10) {
        prev ^= r.take_wide(64 - lead - trail) << trail;
      } else {
        lead = static_cast<unsigned>(r.take(5));
        unsigned len = static_cast<unsigned>(r.take(6));
        if (len == 0) len = 64;
        if (lead + len > 64) return false;
        trail = 64 - lead - len;
        prev ^= r.take_wide(len) << trail;
      }
      values[i] = std::bit_cast<double>(prev);
    } else {
      unsigned k = r.ones(7);
      if (k < 6) {
        r.skip(k + 1);
        prev += unzigzag(r.take_wide(delta_width[k]));
        values[i] = unscale<E>(static_cast<std::int64_t>(prev), scale);
      } else {
        // '1111110' (six ones, then a zero) is the NaN; '1111111' carries the raw bits.
        r.skip(7);
        values[i] = k == 7 ? std::bit_cast<double>(r.take_wide(64)) : nan;
      }
    }
  }
  return r.phantom <= r.n;
}

}  // namespace

std::size_t decode_block(std::span<const std::uint8_t> blob, const ColumnBuffers& out) {
  BlockHeader h = read_header(blob);
  if (out.capacity() < h.count)
    fail(ErrorCode::invalid_argument, "columns: room for " + std::to_string(out.capacity()) +
                                          " samples, the block holds " + std::to_string(h.count));
  if (h.version == sealed_format_version) {
    if (h.count == 0 || !detail::decode_sealed(h, blob, out))
      fail(ErrorCode::data_loss,
           "block: sealed stream of " + std::to_string(h.count) + " samples is damaged");
    return h.count;
  }
  const std::uint8_t* b = blob.data() + h.stream_offset;
  const std::uint8_t* e = blob.data() + blob.size();
  bool ok = false;
  switch (h.encoding) {
    case Encoding::scaled_divide:
      ok = decode_stream<Encoding::scaled_divide>(h, b, e, out.times.data(), out.values.data(),
                                                  out.qualities.data(), out.flags.data());
      break;
    case Encoding::scaled_multiply:
      ok = decode_stream<Encoding::scaled_multiply>(h, b, e, out.times.data(), out.values.data(),
                                                    out.qualities.data(), out.flags.data());
      break;
    case Encoding::xor_float:
      ok = decode_stream<Encoding::xor_float>(h, b, e, out.times.data(), out.values.data(),
                                              out.qualities.data(), out.flags.data());
      break;
  }
  if (!ok)
    fail(ErrorCode::data_loss,
         "block: stream shorter than its " + std::to_string(h.count) + " samples (damaged)");
  return h.count;
}

}  // namespace houqin::telemetry
