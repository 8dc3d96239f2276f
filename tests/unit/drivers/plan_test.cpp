// Request planning: valid requests, the gap rule, and minimality proven against an exhaustive
// search over every partition of small random maps.
#include "houqin/drivers/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "houqin/drivers/simulator.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;

Point pt(RegisterType rt, int address, DataType t, int length = 0) {
  Point p;
  p.register_type = rt;
  p.address = address;
  p.data_type = t;
  p.length = length;
  return p;
}

Device dev(int gap_registers, int gap_bits) {
  Device d;
  d.max_gap_registers = gap_registers;
  d.max_gap_bits = gap_bits;
  return d;
}

/// Can these points (indices) be read in one request?
bool feasible(const std::vector<Point>& pts, std::vector<std::uint32_t> set, const Device& d,
              const PlanLimits& lim) {
  std::sort(set.begin(), set.end(),
            [&](auto a, auto b) { return pts[a].address < pts[b].address; });
  auto rt = pts[set.front()].register_type;
  bool bits = is_bit(rt);
  int limit = bits ? lim.max_bits : lim.max_registers;
  int gap = bits ? d.max_gap_bits : d.max_gap_registers;
  for (auto i : set)
    if (pts[i].register_type != rt) return false;
  for (std::size_t k = 1; k < set.size(); ++k) {
    const auto& prev = pts[set[k - 1]];
    if (pts[set[k]].address - (prev.address + point_width(prev)) > gap) return false;
  }
  const auto& last = pts[set.back()];
  return last.address + point_width(last) - pts[set.front()].address <= limit;
}

/// The fewest requests of any partition of the points into feasible sets (not only runs in
/// address order): dp over subsets.
int exhaustive_minimum(const std::vector<Point>& pts, const Device& d, const PlanLimits& lim) {
  const std::size_t n = pts.size();
  const std::uint32_t all = (1u << n) - 1;
  std::vector<char> ok(all + 1, 0);
  for (std::uint32_t s = 1; s <= all; ++s) {
    std::vector<std::uint32_t> set;
    for (std::uint32_t i = 0; i < n; ++i)
      if (s & (1u << i)) set.push_back(i);
    ok[s] = feasible(pts, set, d, lim);
  }
  std::vector<int> best(all + 1, 1 << 20);
  best[0] = 0;
  for (std::uint32_t m = 1; m <= all; ++m) {
    std::uint32_t low = m & (~m + 1);  // the set holding the lowest point, over its subsets
    for (std::uint32_t s = m; s; s = (s - 1) & m)
      if ((s & low) && ok[s]) best[m] = std::min(best[m], best[m ^ s] + 1);
  }
  return best[all];
}

/// Each request is legal: within limits, the gap rule, starts and ends on a point, and every
/// point is read exactly once.
void expect_valid(const std::vector<ReadRequest>& plan, const std::vector<Point>& pts,
                  const Device& d, const PlanLimits& lim) {
  std::vector<int> seen(pts.size(), 0);
  for (const auto& r : plan) {
    ASSERT_FALSE(r.points.empty());
    EXPECT_TRUE(feasible(pts, r.points, d, lim));
    int lo = 1 << 30, hi = 0;
    for (auto i : r.points) {
      ++seen[i];
      EXPECT_EQ(pts[i].register_type, r.register_type);
      lo = std::min(lo, pts[i].address);
      hi = std::max(hi, pts[i].address + point_width(pts[i]));
    }
    EXPECT_EQ(r.address, lo);
    EXPECT_EQ(r.count, hi - lo);
  }
  for (auto s : seen) EXPECT_EQ(s, 1);
}

std::vector<Point> random_map(std::mt19937& rng, std::size_t n) {
  const DataType types[] = {DataType::uint16, DataType::int32, DataType::float64, DataType::string};
  std::vector<Point> pts;
  // Four address spaces; points placed left to right with random gaps so none overlap.
  int next[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    int rt = static_cast<int>(rng() % 4);
    auto type = static_cast<RegisterType>(rt);
    Point p = is_bit(type) ? pt(type, 0, DataType::boolean)
                           : pt(type, 0, types[rng() % 4], static_cast<int>(1 + rng() % 9));
    if (p.data_type != DataType::string) p.length = 0;
    p.address = next[rt] + static_cast<int>(rng() % 7);
    next[rt] = p.address + point_width(p);
    pts.push_back(p);
  }
  std::shuffle(pts.begin(), pts.end(), rng);
  return pts;
}

TEST(PlanTest, MinimalAgainstExhaustiveSearchOnRandomMaps) {
  std::mt19937 rng(20261125);
  for (int round = 0; round < 1500; ++round) {
    auto pts = random_map(rng, 1 + rng() % 9);
    auto d = dev(static_cast<int>(rng() % 5), static_cast<int>(rng() % 5));
    PlanLimits lim{static_cast<int>(5 + rng() % 14), static_cast<int>(2 + rng() % 10)};
    auto plan = plan_reads(d, pts, lim);
    expect_valid(plan, pts, d, lim);
    ASSERT_EQ(static_cast<int>(plan.size()), exhaustive_minimum(pts, d, lim)) << "round " << round;
  }
}

TEST(PlanTest, GapRuleDecidesWhetherPointsShareARequest) {
  using RT = RegisterType;
  std::vector<Point> pts = {pt(RT::holding_register, 0, DataType::uint16),
                            pt(RT::holding_register, 3, DataType::float32),  // gap 2
                            pt(RT::holding_register, 5, DataType::uint16)};  // gap 0
  EXPECT_EQ(plan_reads(dev(0, 0), pts).size(), 2u);
  auto plan = plan_reads(dev(2, 0), pts);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].address, 0);
  EXPECT_EQ(plan[0].count, 6);
  EXPECT_EQ(unused_in(plan[0], pts), 2);
}

TEST(PlanTest, RequestsStayWithinProtocolLimits) {
  std::vector<Point> regs, bits;
  for (int i = 0; i < 300; ++i)
    regs.push_back(pt(RegisterType::input_register, 2 * i, DataType::float32));
  for (int i = 0; i < 4500; ++i) bits.push_back(pt(RegisterType::coil, i, DataType::boolean));
  auto plan = plan_reads(dev(0, 0), regs);
  ASSERT_EQ(plan.size(), 5u);  // 600 registers, 124 per request (a float cannot be split)
  for (const auto& r : plan) EXPECT_LE(r.count, 125);
  EXPECT_EQ(plan[0].count, 124);
  auto bit_plan = plan_reads(dev(0, 0), bits);
  ASSERT_EQ(bit_plan.size(), 3u);
  EXPECT_EQ(bit_plan[0].count, 2000);
  EXPECT_EQ(bit_plan[2].count, 500);
}

TEST(PlanTest, RegisterTypesNeverShareARequest) {
  std::vector<Point> pts = {pt(RegisterType::holding_register, 0, DataType::uint16),
                            pt(RegisterType::input_register, 1, DataType::uint16),
                            pt(RegisterType::coil, 0, DataType::boolean),
                            pt(RegisterType::discrete_input, 1, DataType::boolean)};
  EXPECT_EQ(plan_reads(dev(10, 10), pts).size(), 4u);
}

TEST(PlanTest, ReportForARealisticSite) {
  // A gas panel and 50 meters: every device's points of one register type fit one request, so
  // the plan meets the lower bound of one request per device and register type.
  std::size_t points = 0, requests = 0, bound = 0;
  auto add = [&](const std::vector<Point>& pts) {
    Device d;
    points += pts.size();
    requests += plan_reads(d, pts).size();
    bool used[4] = {};
    for (const auto& p : pts) used[static_cast<int>(p.register_type)] = true;
    for (bool u : used) bound += u;
  };
  add(gas_panel_points(1));
  for (int m = 0; m < 50; ++m) add(power_meter_points(2 + m, 1000 * (m + 1)));
  std::printf("requests per poll: planned %zu, one per point %zu, lower bound %zu\n", requests,
              points, bound);
  EXPECT_EQ(points, 2417u);
  EXPECT_EQ(requests, 103u);
  EXPECT_EQ(requests, bound);
}

TEST(PlanTest, EmptyMapNeedsNoRequests) {
  EXPECT_TRUE(plan_reads(dev(1, 1), {}).empty());
}

}  // namespace
}  // namespace houqin
