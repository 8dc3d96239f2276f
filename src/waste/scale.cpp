// Weighing on a networked scale: the scale is a point of the stored point map (kind weight), read
// once over Modbus at the moment of the step, so the weight a step records is the scale's and not
// a number someone typed.
#include <cmath>
#include <cstdio>

#include "houqin/drivers/modbus.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin::waste {

double read_scale(store::Store& store, Id point_id) {
  using drivers::Device;
  using drivers::Point;
  auto point = store::Repository<Point>(store).get(point_id);
  if (!point)
    fail(ErrorCode::not_found,
         "scale_point_id: point " + std::to_string(point_id) + " is not in the point map");
  if (point->kind != drivers::PointKind::weight)
    fail(ErrorCode::invalid_argument, "scale_point_id: point " + point->name + " is a " +
                                          std::string(enum_name(point->kind)) +
                                          " point, not a scale (kind weight)");
  auto device = store::Repository<Device>(store).require(point->device_id);
  drivers::Poller poller({{device}, {*point}}, store.clock());
  const auto& readings = poller.poll();
  const auto status = poller.status();
  const std::string where = "scale " + point->name + " (" + device.name + ", " +
                            (status.empty() ? std::string("?") : status.front().connection) + ")";
  if (readings.empty() || readings.front().quality != drivers::Quality::good) {
    std::string why =
        readings.empty() ? "no reading" : std::string(enum_name(readings.front().quality));
    if (!status.empty() && !status.front().devices.empty() &&
        !status.front().devices.front().error.empty())
      why += ": " + status.front().devices.front().error;
    fail(ErrorCode::unavailable, where + " did not answer: " + why);
  }
  double kg = readings.front().value;
  if (point->unit == "g") kg /= 1000;
  if (!std::isfinite(kg) || !(kg > 0)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", kg);
    fail(ErrorCode::failed_precondition,
         where + " reads " + buf + " kg: nothing on the platform, or the scale needs taring");
  }
  return kg;
}

}  // namespace houqin::waste
