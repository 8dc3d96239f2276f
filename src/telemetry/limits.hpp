// Constants shared by the telemetry sources (private): open limits and "no time yet".
#pragma once

#include <limits>

#include "houqin/telemetry/sample.hpp"

namespace houqin::telemetry {

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr Micros never = std::numeric_limits<Micros>::min();

}  // namespace houqin::telemetry
