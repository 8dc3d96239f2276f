#include "houqin/core/library.hpp"

namespace houqin {

int version_number() noexcept {
  return HOUQIN_VERSION_NUMBER;
}
std::string_view version_string() noexcept {
  return HOUQIN_VERSION_STRING;
}

}  // namespace houqin
