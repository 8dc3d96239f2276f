// Request planning: the points of one device grouped into the fewest Modbus read requests. A
// round trip costs the same whether it carries 1 register or 125, so requests, not registers,
// are what a poll costs. See docs/drivers.md for the algorithm and why it is minimal.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"

namespace houqin::drivers {

/// Protocol limits of one read request (Modbus application protocol v1.1b3, 6.1-6.4).
struct PlanLimits {
  int max_registers = 125;  // read holding / input registers
  int max_bits = 2000;      // read coils / discrete inputs
};

/// One read request: `count` registers (or bits) from `address`, serving `points` (indices into
/// the span given to plan_reads, in address order).
struct ReadRequest {
  RegisterType register_type = RegisterType::holding_register;
  int address = 0;
  int count = 0;
  std::vector<std::uint32_t> points;
};

/// Plans the reads of one device's points (which must pass validate_map: no overlaps). Per
/// register type, points are taken in address order and a request is extended by the next point
/// while the request stays within the limit and the unused registers (bits) between the two
/// points are at most the device's max_gap_registers (max_gap_bits). Nothing outside the first
/// point's start and the last point's end is read. The result is a minimum number of requests.
HOUQIN_EXPORT std::vector<ReadRequest> plan_reads(const Device& device,
                                                  std::span<const Point> points,
                                                  PlanLimits limits = {});

/// Registers (bits) a request reads that belong to none of its points.
HOUQIN_EXPORT int unused_in(const ReadRequest& request, std::span<const Point> points);

}  // namespace houqin::drivers
