// The telemetry hot path's unit of data: one Sample per point per instant, a plain 32-byte value
// with no heap member, so arrays of them move through acquire -> verify -> alarm -> store ->
// forward (and across the C ABI and numpy) without allocation, JSON or ORM.
#pragma once

#include <cstdint>
#include <type_traits>

#include "houqin/core/describe.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"

namespace houqin::telemetry {

/// The verification flag of a sample (QARTOD style). Flags mark samples; they never delete them.
/// Append-only: values cross the C ABI and are stored in blocks.
///   not_evaluated  no test could run (first sample, no limits, the reading itself is not good)
///   pass           every test that ran passed
///   suspect        a test found it doubtful (rate of change, flat line, a cross check)
///   fail           a test found it wrong (outside the gross range, a spike, a broken reading)
BOOST_DEFINE_ENUM_CLASS(Flag, not_evaluated, pass, suspect, fail)

/// Microseconds since 1970-01-01T00:00:00Z (UTC), the same instant as a houqin::Timestamp.
using Micros = std::int64_t;

inline Micros to_micros(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}
inline Timestamp from_micros(Micros us) noexcept {
  return Timestamp(std::chrono::microseconds(us));
}

/// Whether the reading behind a sample was good; mirrors drivers::Quality's numbering.
using QualityCode = std::uint8_t;
inline constexpr QualityCode quality_good = 0;

struct Sample {
  Id point_id = 0;                     // drivers::Point id (the store id of the point)
  Micros time = 0;                     // UTC microseconds
  double value = 0;                    // engineering units; NaN when the reading was not good
  QualityCode quality = quality_good;  // drivers::Quality as an integer
  Flag flag = Flag::not_evaluated;     // set by verification
};
static_assert(std::is_trivially_copyable_v<Sample>);
static_assert(sizeof(Sample) == 32);  // 3 x 8 bytes + quality and flag, padded

}  // namespace houqin::telemetry
