// What library is loaded at run time, to catch a header/library mismatch: compare
// houqin::version_number() with HOUQIN_VERSION_NUMBER from the headers you compiled against.
#pragma once

#include <string_view>

#include "houqin/core/export.hpp"
#include "houqin/core/version.hpp"

namespace houqin {

/// major * 10000 + minor * 100 + patch of the loaded library.
HOUQIN_EXPORT int version_number() noexcept;
HOUQIN_EXPORT std::string_view version_string() noexcept;

}  // namespace houqin
