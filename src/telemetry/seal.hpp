// Private to the telemetry layer: decoding the sealed block format (format 2, seal.cpp), called
// by decode_block (codec.cpp) for blobs whose first byte is 2.
#pragma once

#include <cstdint>
#include <span>

#include "houqin/telemetry/codec.hpp"

namespace houqin::telemetry::detail {

/// The first byte of a sealed block (format 2); streamed blocks start with 1.
constexpr std::uint8_t sealed_format_version = 2;

/// 10^k for k in 0..22, exactly (the sealed header's one-byte scale).
inline double power_of_ten(int k) noexcept {
  double v = 1;
  for (int i = 0; i < k; ++i) v *= 10;  // exact up to 10^22
  return v;
}

/// Decodes a sealed block whose header `h` was read by read_header into `out` (room for
/// h.count samples). False for a damaged block; never reads outside the blob.
bool decode_sealed(const BlockHeader& h, std::span<const std::uint8_t> blob,
                   const ColumnBuffers& out) noexcept;

}  // namespace houqin::telemetry::detail
