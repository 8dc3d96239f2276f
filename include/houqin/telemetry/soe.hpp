// The sequence-of-events log's row (telemetry_soe): a table of the telemetry_alarms migrations,
// kept beside the alarm history. power::SoeRecorder (houqin/power/soe.hpp) detects and writes
// the events; the entity lives here so that telemetry's migrations need nothing from power.
#pragma once

#include <cstdint>
#include <string_view>

#include "houqin/core/describe.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::telemetry {

/// One row of telemetry_soe: the point changed from position `from_state` to `to_state` at
/// `time_us` (UTC microseconds, as stamped by the device).
struct SoeEvent {
  Id id = 0;
  std::int64_t version = 0;
  Id point_id = 0;
  std::int64_t time_us = 0;
  std::int64_t from_state = 0;
  std::int64_t to_state = 0;
};
BOOST_DESCRIBE_STRUCT(SoeEvent, (), (id, version, point_id, time_us, from_state, to_state))

}  // namespace houqin::telemetry

template <>
struct houqin::entity_traits<houqin::telemetry::SoeEvent> {
  static constexpr std::string_view table = "telemetry_soe";
  static constexpr std::string_view collection = "soe_events";
};

// Instantiated once, in libhouqin (src/telemetry/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::telemetry::SoeEvent)
