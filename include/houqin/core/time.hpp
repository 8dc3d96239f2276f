// Time in houqin: instants are UTC microseconds (Timestamp), calendar days are Date. Both map to
// ISO-8601 text in JSON and to integers in SQL, so ranges compare and index cheaply on every
// backend.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "houqin/core/export.hpp"

namespace houqin {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
using Date = std::chrono::sys_days;

/// "2026-11-25T18:29:09Z", with ".ffffff" only when the microseconds are not zero.
HOUQIN_EXPORT std::string format_timestamp(Timestamp t);
/// Parses ISO-8601 date-time with a 'Z' or +hh:mm/-hh:mm offset and up to 6 fraction digits.
/// Throws Error(invalid_argument) naming what is wrong.
HOUQIN_EXPORT Timestamp parse_timestamp(std::string_view text);

/// "2026-11-25".
HOUQIN_EXPORT std::string format_date(Date d);
/// Parses "YYYY-MM-DD"; throws Error(invalid_argument) on anything else or an impossible date.
HOUQIN_EXPORT Date parse_date(std::string_view text);

}  // namespace houqin
