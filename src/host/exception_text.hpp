// The message of whatever a handler or job threw, for the retry and dead-letter records.
#pragma once

#include <exception>
#include <string>

namespace houqin::host::detail {

inline std::string exception_text(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace houqin::host::detail
