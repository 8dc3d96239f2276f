#include "houqin/drivers/decode.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace houqin::drivers {
namespace {

constexpr bool word_swapped(ByteOrder o) {
  return o == ByteOrder::cdab || o == ByteOrder::dcba;
}
constexpr bool byte_swapped(ByteOrder o) {
  return o == ByteOrder::badc || o == ByteOrder::dcba;
}
constexpr std::uint16_t swap16(std::uint16_t w) {
  return static_cast<std::uint16_t>((w >> 8) | (w << 8));
}

template <class I>
I saturate(double raw) {
  if (std::isnan(raw)) return 0;
  auto r = std::nearbyint(raw);
  if (r <= static_cast<double>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  // 2^63 and 2^64 are exact doubles; anything at or beyond them saturates.
  if (r >= std::ldexp(1.0, std::numeric_limits<I>::digits)) return std::numeric_limits<I>::max();
  return static_cast<I>(r);
}

}  // namespace

std::uint64_t assemble(std::span<const std::uint16_t> regs, ByteOrder order) noexcept {
  const std::size_t n = regs.size();
  const bool ws = word_swapped(order), bs = byte_swapped(order);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t w = regs[ws ? n - 1 - i : i];
    v = (v << 16) | (bs ? swap16(w) : w);
  }
  return v;
}

void disassemble(std::uint64_t bits, ByteOrder order, std::span<std::uint16_t> regs) noexcept {
  const std::size_t n = regs.size();
  const bool ws = word_swapped(order), bs = byte_swapped(order);
  for (std::size_t i = 0; i < n; ++i) {
    auto w = static_cast<std::uint16_t>(bits >> (16 * (n - 1 - i)));  // i-th most significant
    regs[ws ? n - 1 - i : i] = bs ? swap16(w) : w;
  }
}

double raw_value(const Point& p, const std::uint16_t* regs) noexcept {
  auto bits = assemble({regs, static_cast<std::size_t>(point_width(p))}, p.byte_order);
  switch (p.data_type) {
    case DataType::boolean:
      return bits != 0 ? 1 : 0;
    case DataType::int16:
      return static_cast<std::int16_t>(bits);
    case DataType::uint16:
      return static_cast<std::uint16_t>(bits);
    case DataType::int32:
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
    case DataType::uint32:
      return static_cast<std::uint32_t>(bits);
    case DataType::int64:
      return static_cast<double>(static_cast<std::int64_t>(bits));
    case DataType::uint64:
      return static_cast<double>(bits);
    case DataType::float32:
      return std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    case DataType::float64:
      return std::bit_cast<double>(bits);
    case DataType::string:
      break;
  }
  return std::nan("");
}

void decode(const Point& p, const std::uint16_t* regs, Reading& r) {
  if (p.data_type == DataType::string) {
    const bool bs = byte_swapped(p.byte_order);
    r.text.clear();
    for (int i = 0; i < p.length; ++i) {
      std::uint16_t w = regs[i / 2];
      bool high = (i % 2 == 0) != bs;  // first byte of a register is its high byte unless swapped
      char c = static_cast<char>(high ? (w >> 8) : (w & 0xff));
      if (c == '\0') break;
      r.text.push_back(c);
    }
    while (!r.text.empty() && r.text.back() == ' ') r.text.pop_back();
    r.value = std::nan("");
    r.quality = Quality::good;
    return;
  }
  double raw = raw_value(p, regs);
  if (!std::isfinite(raw)) {  // only floats get here
    r.value = raw;
    r.quality = Quality::invalid_value;
    return;
  }
  r.value = p.data_type == DataType::boolean ? raw : raw * p.scale + p.bias;
  r.quality = Quality::good;
}

void decode_bit(std::uint8_t bit, Reading& r) noexcept {
  r.value = bit ? 1 : 0;
  r.quality = Quality::good;
}

void encode(const Point& p, double value, std::uint16_t* regs) noexcept {
  std::span<std::uint16_t> out{regs, static_cast<std::size_t>(point_width(p))};
  const double raw = p.data_type == DataType::boolean ? value : (value - p.bias) / p.scale;
  std::uint64_t bits = 0;
  switch (p.data_type) {
    case DataType::boolean:
      bits = value != 0;
      break;
    case DataType::int16:
      bits = static_cast<std::uint16_t>(saturate<std::int16_t>(raw));
      break;
    case DataType::uint16:
      bits = saturate<std::uint16_t>(raw);
      break;
    case DataType::int32:
      bits = static_cast<std::uint32_t>(saturate<std::int32_t>(raw));
      break;
    case DataType::uint32:
      bits = saturate<std::uint32_t>(raw);
      break;
    case DataType::int64:
      bits = static_cast<std::uint64_t>(saturate<std::int64_t>(raw));
      break;
    case DataType::uint64:
      bits = saturate<std::uint64_t>(raw);
      break;
    case DataType::float32:
      bits = std::bit_cast<std::uint32_t>(static_cast<float>(raw));
      break;
    case DataType::float64:
      bits = std::bit_cast<std::uint64_t>(raw);
      break;
    case DataType::string:
      std::fill(out.begin(), out.end(), 0);
      return;
  }
  disassemble(bits, p.byte_order, out);
}

void encode_string(const Point& p, std::string_view text, std::uint16_t* regs) noexcept {
  const bool bs = byte_swapped(p.byte_order);
  const int width = point_width(p);
  std::fill(regs, regs + width, 0);
  for (int i = 0; i < p.length && i < static_cast<int>(text.size()); ++i) {
    auto c = static_cast<std::uint8_t>(text[static_cast<std::size_t>(i)]);
    bool high = (i % 2 == 0) != bs;
    regs[i / 2] = static_cast<std::uint16_t>(regs[i / 2] | (high ? c << 8 : c));
  }
}

}  // namespace houqin::drivers
