#include "houqin/core/validate.hpp"

#include "houqin/core/error.hpp"

namespace houqin {

void require_text(const std::string& value, const char* field) {
  if (value.empty()) fail(ErrorCode::invalid_argument, std::string(field) + ": must not be empty");
}

void require_code(const std::string& value, const char* field) {
  require_text(value, field);
  if (value.size() > 64)
    fail(ErrorCode::invalid_argument, std::string(field) + ": longer than 64 characters");
  for (char c : value) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      fail(ErrorCode::invalid_argument, std::string(field) + ": '" + value +
                                            "' may hold only letters, digits, '-', '_' and '.'");
  }
}

void require_range(long long value, long long lo, long long hi, const char* field) {
  if (value < lo || value > hi)
    fail(ErrorCode::invalid_argument, std::string(field) + ": " + std::to_string(value) +
                                          " is outside " + std::to_string(lo) + ".." +
                                          std::to_string(hi));
}

}  // namespace houqin
