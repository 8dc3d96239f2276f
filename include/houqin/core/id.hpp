// Entity identifiers: 64-bit surrogate keys assigned by the store. 0 means "not stored yet".
#pragma once

#include <cstdint>

namespace houqin {

using Id = std::int64_t;
inline constexpr Id no_id = 0;

}  // namespace houqin
