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

/// Durations are ISO-8601 everywhere houqin speaks JSON: "PT1H30M", "PT0.25S", "-PT5S", "PT0S".
/// Formatting uses hours, minutes and seconds only (a fraction of up to 9 digits, trailing zeros
/// dropped), so the text round-trips to the nanosecond.
HOUQIN_EXPORT std::string format_duration(std::chrono::nanoseconds d);
/// Parses [-]PnW or [-]P[nD][T[nH][nM][n[.f]S]] (a day is 24 h, a week 7 days; a fraction only on
/// the seconds, up to 9 digits). Years and months have no fixed length and are refused, as are an
/// empty duration, a repeated or out-of-order unit and anything beyond +/-292 years.
/// Throws Error(invalid_argument) naming what is wrong.
HOUQIN_EXPORT std::chrono::nanoseconds parse_duration(std::string_view text);

}  // namespace houqin
