#include "houqin/core/error.hpp"

namespace houqin {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok:
      return "ok";
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::already_exists:
      return "already_exists";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::permission_denied:
      return "permission_denied";
    case ErrorCode::failed_precondition:
      return "failed_precondition";
    case ErrorCode::unauthenticated:
      return "unauthenticated";
    case ErrorCode::resource_exhausted:
      return "resource_exhausted";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::data_loss:
      return "data_loss";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::unimplemented:
      return "unimplemented";
    case ErrorCode::deadline_exceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace houqin
