// The field checks every domain's validate() shares, so a code or a required text is judged (and
// its error worded) the same everywhere: "rooms[3].code: may hold only ...".
#pragma once

#include <string>

#include "houqin/core/export.hpp"

namespace houqin {

/// Error(invalid_argument) "<field>: must not be empty" when `value` is empty.
HOUQIN_EXPORT void require_text(const std::string& value, const char* field);

/// Codes appear on labels, in URLs and in other systems' files: 1..64 characters of ASCII letters,
/// digits, '-', '_' and '.'; Error(invalid_argument) naming the field and the rule otherwise.
HOUQIN_EXPORT void require_code(const std::string& value, const char* field);

/// Error(invalid_argument) "<field>: <v> is outside <lo>..<hi>" unless lo <= v <= hi.
HOUQIN_EXPORT void require_range(long long value, long long lo, long long hi, const char* field);

}  // namespace houqin
