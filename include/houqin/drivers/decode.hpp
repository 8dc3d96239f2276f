// Register words to values and back, for every data type in every byte order. Decoding is done
// here rather than with libmodbus's float helpers, whose word orders differ between versions.
// This is the hot path of acquisition: no allocation except for string points.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/drivers/reading.hpp"

namespace houqin::drivers {

/// The raw bits of a 1-, 2- or 4-register value, most significant byte first, from registers
/// as read off the wire in `order`.
HOUQIN_EXPORT std::uint64_t assemble(std::span<const std::uint16_t> regs, ByteOrder order) noexcept;
/// The inverse: writes `bits` (its low 16 * regs.size() bits) into regs in `order`.
HOUQIN_EXPORT void disassemble(std::uint64_t bits, ByteOrder order,
                               std::span<std::uint16_t> regs) noexcept;

/// The raw (unscaled) number held by point_width(p) registers.
HOUQIN_EXPORT double raw_value(const Point& p, const std::uint16_t* regs) noexcept;

/// Decodes point p from its registers (regs[0] is the register at p.address) into r.value, or
/// r.text for strings, and sets r.quality to good, or to invalid_value when a float holds NaN or
/// an infinity (r.value then keeps that raw value). value = raw * scale + bias; boolean points
/// are 0 or 1 and string points NaN, neither scaled.
HOUQIN_EXPORT void decode(const Point& p, const std::uint16_t* regs, Reading& r);
/// Decodes a boolean point from a coil or discrete input bit.
HOUQIN_EXPORT void decode_bit(std::uint8_t bit, Reading& r) noexcept;

/// Writes the engineering value `value` into point_width(p) registers as p's type and order;
/// integers are rounded to nearest and saturate at the type's range. For simulators and tests.
HOUQIN_EXPORT void encode(const Point& p, double value, std::uint16_t* regs) noexcept;
/// Writes a string point: the bytes of `text` padded with NUL (cut at p.length bytes).
HOUQIN_EXPORT void encode_string(const Point& p, std::string_view text,
                                 std::uint16_t* regs) noexcept;

}  // namespace houqin::drivers
