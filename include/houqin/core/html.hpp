// Text for the HTML and SVG reports houqin writes (repair reports, the demos' pages).
#pragma once

#include <string>
#include <string_view>

#include "houqin/core/export.hpp"

namespace houqin {

/// `text` safe inside HTML/SVG text and double-quoted attributes: < > & " become entities.
HOUQIN_EXPORT std::string html_escape(std::string_view text);

}  // namespace houqin
