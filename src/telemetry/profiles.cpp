#include "houqin/telemetry/profiles.hpp"

#include <map>
#include <mutex>

#include "houqin/core/error.hpp"

namespace houqin::telemetry {
namespace {

struct Profiles {
  std::mutex mutex;
  std::map<std::string, PointProfile, std::less<>> by_name;
};

Profiles& profiles() {
  static Profiles p;
  return p;
}

}  // namespace

bool register_profile(std::string name, PointProfile profile) {
  if (!profile) fail(ErrorCode::invalid_argument, "profile '" + name + "': no function");
  auto& p = profiles();
  std::lock_guard lock(p.mutex);
  if (!p.by_name.emplace(name, std::move(profile)).second)
    fail(ErrorCode::already_exists, "profile '" + name + "' is registered twice");
  return true;
}

bool apply_profile(TelemetryConfig& config, const drivers::Point& point,
                   const ProfileContext& context) {
  auto& p = profiles();
  std::lock_guard lock(p.mutex);
  for (const auto& [name, profile] : p.by_name)
    if (profile(config, point, context)) return true;
  return false;
}

std::vector<std::string> profile_names() {
  auto& p = profiles();
  std::lock_guard lock(p.mutex);
  std::vector<std::string> out;
  for (const auto& [name, profile] : p.by_name) out.push_back(name);
  return out;
}

}  // namespace houqin::telemetry
