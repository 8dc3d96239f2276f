// Asserting on houqin errors: the code and the start of the one-line message.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "houqin/core/error.hpp"

namespace houqin::testing {

/// Runs f and expects it to throw Error(code) whose message starts with `start`.
template <class F>
void expect_error(F&& f, ErrorCode code, const std::string& start) {
  try {
    f();
    ADD_FAILURE() << "no error, expected " << start;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
  }
}

}  // namespace houqin::testing
