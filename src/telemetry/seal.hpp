// Private to the telemetry layer: decoding the sealed block format (format 2, seal.cpp), called
// by decode_block (codec.cpp) for blobs whose first byte is 2.
#pragma once

#include <cstdint>
#include <span>

#include "houqin/telemetry/codec.hpp"

namespace houqin::telemetry::detail {

/// Decodes a sealed block whose header `h` was read by read_header into `out` (room for
/// h.count samples). False for a damaged block; never reads outside the blob.
bool decode_sealed(const BlockHeader& h, std::span<const std::uint8_t> blob,
                   const ColumnBuffers& out) noexcept;

}  // namespace houqin::telemetry::detail
