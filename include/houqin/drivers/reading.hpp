// What acquisition produces: one Reading per point per poll, carrying time, value and quality,
// so a consumer can always tell a measured value from a missing one and why it is missing.
#pragma once

#include <cmath>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/time.hpp"

namespace houqin::drivers {

/// Why a reading is (not) usable. Append-only: values cross the C ABI later.
///   good            read and decoded
///   bad_config      the device rejects the request (illegal function/address/value): the map is
///                   wrong for this device
///   comm_fail       no answer (timeout, connection refused or lost, garbled frame)
///   device_busy     the device answered "busy" on every retry
///   device_failure  the device reported a failure (slave device failure, other exception codes)
///   invalid_value   read, but the registers hold no number (a float NaN or infinity)
BOOST_DEFINE_ENUM_CLASS(Quality, good, bad_config, comm_fail, device_busy, device_failure,
                        invalid_value)

struct Reading {
  Id point_id = 0;
  Timestamp time{};
  double value = std::nan("");  // engineering value (raw * scale + bias); NaN unless good
  std::string text;             // string points only
  Quality quality = Quality::comm_fail;
};
BOOST_DESCRIBE_STRUCT(Reading, (), (point_id, time, value, text, quality))

}  // namespace houqin::drivers
