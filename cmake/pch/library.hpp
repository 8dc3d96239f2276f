// The precompiled header of every libhouqin layer (and, through its own copy, of the bindings):
// the standard library, Boost.Describe/mp11 and nlohmann/json, which nearly every translation unit
// parses, plus houqin's core vocabulary. Only what changes rarely belongs here: editing a header
// listed here rebuilds everything.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/describe.hpp>
#include <boost/mp11.hpp>
#include <nlohmann/json.hpp>

#include "houqin/core/describe.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"
