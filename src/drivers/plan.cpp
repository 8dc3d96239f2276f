#include "houqin/drivers/plan.hpp"

#include <algorithm>
#include <numeric>

namespace houqin::drivers {

std::vector<ReadRequest> plan_reads(const Device& device, std::span<const Point> points,
                                    PlanLimits limits) {
  std::vector<std::uint32_t> order(points.size());
  std::iota(order.begin(), order.end(), 0u);
  // Group by register type, then address: each group is one address space of the device.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto& pa = points[a];
    const auto& pb = points[b];
    if (pa.register_type != pb.register_type) return pa.register_type < pb.register_type;
    return pa.address < pb.address;
  });
  std::vector<ReadRequest> out;
  ReadRequest* open = nullptr;
  for (auto i : order) {
    const auto& p = points[i];
    const bool bits = is_bit(p.register_type);
    const int limit = bits ? limits.max_bits : limits.max_registers;
    const int gap = bits ? device.max_gap_bits : device.max_gap_registers;
    const int end = p.address + point_width(p);
    if (open && open->register_type == p.register_type) {
      const int open_end = open->address + open->count;
      if (p.address - open_end <= gap && end - open->address <= limit) {
        open->count = end - open->address;
        open->points.push_back(i);
        continue;
      }
    }
    out.push_back(ReadRequest{p.register_type, p.address, end - p.address, {i}});
    open = &out.back();
  }
  return out;
}

int unused_in(const ReadRequest& request, std::span<const Point> points) {
  int used = 0;
  for (auto i : request.points) used += point_width(points[i]);
  return request.count - used;
}

}  // namespace houqin::drivers
