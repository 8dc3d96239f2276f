// Point profiles: how a point of the stored point map becomes verification, alarm and storage
// configuration. Telemetry knows no domain; the domain profiles (gas, power) register themselves
// here, so config_from_point_map picks the right one by the point's kind without telemetry
// depending on them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/telemetry/stages.hpp"

namespace houqin::telemetry {

/// What a profile gets besides the point.
struct ProfileContext {
  std::string area;              // the alarm area (the device's name)
  double resolution = 0;         // storage resolution (0: XOR floats)
  double nominal_voltage = 230;  // for phase-voltage points
};

/// Adds the point to `config` and returns true when the profile knows its kind; false otherwise.
using PointProfile = std::function<bool(TelemetryConfig& config, const drivers::Point& point,
                                        const ProfileContext& context)>;

/// Registers a profile under a name ("gas", "power"); Error(already_exists) for a taken name.
/// Returns true (for static initialisation beside the profile).
HOUQIN_EXPORT bool register_profile(std::string name, PointProfile profile);

/// Asks each registered profile in turn (by name); true once one took the point.
HOUQIN_EXPORT bool apply_profile(TelemetryConfig& config, const drivers::Point& point,
                                 const ProfileContext& context);

/// The names of the registered profiles, sorted.
HOUQIN_EXPORT std::vector<std::string> profile_names();

}  // namespace houqin::telemetry
