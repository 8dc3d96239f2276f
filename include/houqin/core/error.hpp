// houqin's error model: every failure the library reports is a houqin::Error carrying a stable
// ErrorCode. The C ABI returns the same codes (negated) and Python maps them to exception classes.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "houqin/core/export.hpp"

namespace houqin {

/// Stable error codes. Values are explicit and append-only: they cross the C ABI.
enum class ErrorCode : int {
  ok = 0,
  invalid_argument = 1,     ///< malformed input: bad JSON, unknown field or enum value, wrong type
  not_found = 2,            ///< the named entity does not exist
  already_exists = 3,       ///< a unique key (code, login, ...) is taken
  conflict = 4,             ///< optimistic version check failed: someone else changed the row
  permission_denied = 5,    ///< the actor lacks the permission
  failed_precondition = 6,  ///< illegal state transition, or a row still referenced
  unauthenticated = 7,      ///< no valid session or credentials
  resource_exhausted = 8,   ///< a queue or quota is full
  unavailable = 9,          ///< a database, device or peer cannot be reached now; retry later
  data_loss = 10,           ///< stored data is corrupt or does not match its description
  internal = 11,            ///< a bug in houqin
  unimplemented = 12,       ///< the operation is not supported by this backend or build
  deadline_exceeded = 13,   ///< a timeout expired
};

/// The code's stable lower-case name, e.g. "invalid_argument".
HOUQIN_EXPORT std::string_view to_string(ErrorCode code) noexcept;

/// The one exception type houqin throws. what() is a one-line message naming the field or id at
/// fault.
class HOUQIN_EXPORT Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

/// Throws Error(code, message). Keeps throw sites short and out of line.
[[noreturn]] HOUQIN_EXPORT void fail(ErrorCode code, const std::string& message);

}  // namespace houqin
