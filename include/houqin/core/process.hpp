// Running a helper program without a shell (gammu for SMS, weasyprint for PDF): argv as given,
// its output collected, killed when it takes too long.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "houqin/core/export.hpp"

namespace houqin::process {

struct Outcome {
  int status = 0;      // the exit status; 128 + signal when a signal ended it
  std::string output;  // what it wrote to stdout and stderr
};

/// Runs args[0] (searched on PATH) with args. Throws Error(unavailable) when it cannot be started
/// or has not finished within `timeout` (it is then killed).
HOUQIN_EXPORT Outcome run(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

}  // namespace houqin::process
