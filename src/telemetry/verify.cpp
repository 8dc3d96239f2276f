#include "houqin/telemetry/verify.hpp"

#include "telemetry/limits.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "houqin/core/error.hpp"

namespace houqin::telemetry {
namespace {

constexpr float finf = std::numeric_limits<float>::infinity();

std::string point_name(Id id) {
  return "point " + std::to_string(id);
}

void check_order(const std::optional<double>& lo, const std::optional<double>& hi, Id point,
                 const char* lo_name, const char* hi_name) {
  if (lo && hi && *lo > *hi)
    fail(ErrorCode::invalid_argument, point_name(point) + ": " + lo_name + " " +
                                          std::to_string(*lo) + " is above " + hi_name + " " +
                                          std::to_string(*hi));
}

void check_positive(const std::optional<double>& v, Id point, const char* name) {
  if (v && !(*v > 0))
    fail(ErrorCode::invalid_argument,
         point_name(point) + ": " + name + " must be positive, got " + std::to_string(*v));
}

}  // namespace

void VerifyConfig::validate() const {
  if (point_id <= 0)
    fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(point_id));
  check_order(fail_min, fail_max, point_id, "fail_min", "fail_max");
  check_order(suspect_min, suspect_max, point_id, "suspect_min", "suspect_max");
  check_positive(max_rate_per_s, point_id, "max_rate_per_s");
  check_positive(spike_suspect, point_id, "spike_suspect");
  check_positive(spike_fail, point_id, "spike_fail");
  if (flat_suspect_count < 0 || flat_fail_count < 0 || flat_suspect_count > 0xFFFF ||
      flat_fail_count > 0xFFFF || flat_suspect_count == 1 || flat_fail_count == 1 ||
      (flat_fail_count > 0 && flat_suspect_count > flat_fail_count))
    fail(ErrorCode::invalid_argument,
         point_name(point_id) +
             ": flat_suspect_count and flat_fail_count must be 0 (off) or >= 2 "
             "with suspect <= fail");
  if (flat_epsilon < 0)
    fail(ErrorCode::invalid_argument, point_name(point_id) + ": flat_epsilon must not be negative");
  if (max_gap_us < 0)
    fail(ErrorCode::invalid_argument, point_name(point_id) + ": max_gap_us must not be negative");
}

void CrossCheck::validate() const {
  std::size_t want = kind == CrossCheckKind::phase_balance        ? 3
                     : kind == CrossCheckKind::residual_vs_phases ? 4
                                                                  : 0;
  std::string name = std::string("cross check ") + std::string(enum_name(kind));
  if (want != 0 && points.size() != want)
    fail(ErrorCode::invalid_argument, name + ": needs " + std::to_string(want) + " points, got " +
                                          std::to_string(points.size()));
  if (want == 0 && points.size() < 2)
    fail(ErrorCode::invalid_argument, name + ": needs a source and at least one area point");
  if (tolerance < 0 || margin < 0 || window_us < 0 || !(scale > 0))
    fail(ErrorCode::invalid_argument,
         name + ": tolerance, margin and window_us must not be negative, scale must be positive");
  if (flag != Flag::suspect && flag != Flag::fail)
    fail(ErrorCode::invalid_argument, name + ": flag must be suspect or fail");
}

// ---- Verifier
// ------------------------------------------------------------------------------------

// 128 bytes, two cache lines: at 10k points the slots do not fit in L2, so verifying a round is
// bound by how many bytes of state each sample touches. Tolerances (rate, spike, flat epsilon) are
// floats; limits stay doubles so a value equal to a limit compares as the user wrote it.
struct alignas(64) Verifier::Slot {
  // state
  Micros last_time = never;  // last good-quality sample, whatever its flag (ordering, gaps)
  Micros prev_time = never;  // last accepted sample (rate of change)
  double prev_value = 0;
  double ref[2] = {0, 0};  // the two last accepted values (spike reference)
  double rejected = 0;     // the last value the spike test failed
  double flat_anchor = 0;
  // configuration (unset limits are infinite, so the comparisons need no branches on presence)
  double fail_lo = -inf, fail_hi = inf, suspect_lo = -inf, suspect_hi = inf;
  float max_rate = finf;
  float spike_suspect = finf, spike_fail = finf;
  float flat_eps = 0;
  Micros max_gap = 0;
  std::uint32_t link_begin = 0;
  std::uint16_t link_count = 0;
  std::uint16_t flat_suspect = 0, flat_fail = 0;
  std::uint16_t flat_run = 0;  // saturates
  std::uint8_t refs = 0;
  bool has_rejected = false;
  bool range = false;
};

struct Verifier::Member {
  std::uint32_t slot = 0;
  Micros time = never;
  double value = 0;
  std::uint64_t batch = 0;  // the batch `index` belongs to
  std::size_t index = 0;
  bool fresh = false;  // seen since the group was last evaluated
};

struct Verifier::Group {
  CrossCheck check;
  std::uint32_t member_begin = 0;
  std::uint32_t member_count = 0;
};

void Verifier::count(Flag f, int delta) noexcept {
  std::uint64_t* c = f == Flag::pass      ? &counters_.pass
                     : f == Flag::suspect ? &counters_.suspect
                     : f == Flag::fail    ? &counters_.fail
                                          : &counters_.not_evaluated;
  *c += static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

Verifier::Verifier() = default;
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
std::size_t Verifier::point_count() const noexcept {
  return slots_.size();
}

void Verifier::configure(std::vector<VerifyConfig> points, std::vector<CrossCheck> checks) {
  static_assert(sizeof(Slot) == 128);
  for (const auto& p : points) p.validate();
  for (const auto& c : checks) c.validate();
  std::vector<Id> ids;
  ids.reserve(points.size());
  for (const auto& p : points) ids.push_back(p.point_id);
  PointIndex index;
  index.build(ids);

  std::vector<Slot> slots(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    auto& s = slots[i];
    s.fail_lo = p.fail_min.value_or(-inf);
    s.fail_hi = p.fail_max.value_or(inf);
    s.suspect_lo = p.suspect_min.value_or(-inf);
    s.suspect_hi = p.suspect_max.value_or(inf);
    s.range = p.fail_min || p.fail_max || p.suspect_min || p.suspect_max;
    s.max_rate = static_cast<float>(p.max_rate_per_s.value_or(inf));
    s.spike_suspect = static_cast<float>(p.spike_suspect.value_or(inf));
    s.spike_fail = static_cast<float>(p.spike_fail.value_or(inf));
    s.flat_suspect = static_cast<std::uint16_t>(p.flat_suspect_count);
    s.flat_fail = static_cast<std::uint16_t>(p.flat_fail_count);
    s.flat_eps = static_cast<float>(p.flat_epsilon);
    s.max_gap = p.max_gap_us;
  }

  // Links from each slot to the groups it belongs to, laid out contiguously per slot.
  std::vector<Group> groups;
  std::vector<Member> members;
  std::vector<std::vector<Link>> per_slot(slots.size());
  for (std::size_t g = 0; g < checks.size(); ++g) {
    Group group{checks[g], static_cast<std::uint32_t>(members.size()),
                static_cast<std::uint32_t>(checks[g].points.size())};
    for (std::size_t m = 0; m < checks[g].points.size(); ++m) {
      auto slot = index.find(checks[g].points[m]);
      if (slot == PointIndex::npos)
        fail(ErrorCode::invalid_argument,
             std::string("cross check ") + std::string(enum_name(checks[g].kind)) + ": " +
                 point_name(checks[g].points[m]) + " has no verification configuration");
      members.push_back(Member{slot});
      per_slot[slot].push_back(Link{static_cast<std::uint32_t>(g), static_cast<std::uint32_t>(m)});
    }
    groups.push_back(std::move(group));
  }
  std::vector<Link> links;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].link_begin = static_cast<std::uint32_t>(links.size());
    if (per_slot[i].size() > 0xFFFF)
      fail(ErrorCode::invalid_argument,
           point_name(points[i].point_id) + ": in more than 65535 cross-check groups");
    slots[i].link_count = static_cast<std::uint16_t>(per_slot[i].size());
    links.insert(links.end(), per_slot[i].begin(), per_slot[i].end());
  }

  index_ = std::move(index);
  slots_ = std::move(slots);
  groups_ = std::move(groups);
  members_ = std::move(members);
  links_ = std::move(links);
  counters_ = {};
  batch_ = 0;
}

Flag Verifier::check(Slot& s, const Sample& x, std::vector<Gap>* gaps) noexcept {
  const double v = x.value;
  const Micros t = x.time;
  if (!std::isfinite(v)) {
    s.last_time = t;
    return Flag::fail;  // a "good" reading that is not a number is broken
  }
  if (s.last_time != never && s.max_gap > 0 && t - s.last_time > s.max_gap) {
    ++counters_.gaps;
    if (gaps) gaps->push_back(Gap{x.point_id, s.last_time, t});
    // A neighbour from before the gap says nothing about this sample.
    s.prev_time = never;
    s.refs = 0;
    s.has_rejected = false;
    s.flat_run = 0;
  }
  s.last_time = t;

  Flag flag = Flag::not_evaluated;
  bool accepted = true;
  if (s.range) {
    if (v < s.fail_lo || v > s.fail_hi) {
      flag = Flag::fail;
      accepted = false;
    } else if (v < s.suspect_lo || v > s.suspect_hi) {
      flag = Flag::suspect;
    } else {
      flag = Flag::pass;
    }
  }

  if (accepted && s.prev_time != never && s.max_rate != inf) {
    double dt = static_cast<double>(t - s.prev_time) * 1e-6;
    flag = worst(flag, std::fabs(v - s.prev_value) > s.max_rate * dt ? Flag::suspect : Flag::pass);
  }

  if (accepted && s.refs > 0 && (s.spike_fail != inf || s.spike_suspect != inf)) {
    double ref = s.refs == 1 ? s.ref[0] : 0.5 * (s.ref[0] + s.ref[1]);
    double dev = std::fabs(v - ref);
    if (dev > s.spike_fail) {
      if (s.has_rejected && std::fabs(v - s.rejected) <= s.spike_fail) {
        // Two samples in a row at the new level: a step, not a spike. Restart the reference.
        s.refs = 0;
        s.has_rejected = false;
        flag = worst(flag, Flag::pass);
      } else {
        s.rejected = v;
        s.has_rejected = true;
        flag = Flag::fail;
        accepted = false;
      }
    } else {
      s.has_rejected = false;
      flag = worst(flag, dev > s.spike_suspect ? Flag::suspect : Flag::pass);
    }
  }

  if (s.flat_suspect > 0) {
    if (s.flat_run > 0 && std::fabs(v - s.flat_anchor) <= s.flat_eps) {
      if (s.flat_run < 0xFFFF) ++s.flat_run;
    } else {
      s.flat_anchor = v;
      s.flat_run = 1;
    }
    flag = worst(flag, s.flat_fail > 0 && s.flat_run >= s.flat_fail ? Flag::fail
                       : s.flat_run >= s.flat_suspect               ? Flag::suspect
                                                                    : Flag::pass);
  }

  if (accepted) {
    s.prev_time = t;
    s.prev_value = v;
    if (s.refs == 2) {
      s.ref[0] = s.ref[1];
      s.ref[1] = v;
    } else {
      s.ref[s.refs++] = v;
    }
  }
  return flag;
}

void Verifier::cross(std::uint32_t slot, std::span<Sample> batch, std::size_t index) noexcept {
  const Slot& s = slots_[slot];
  const Sample& x = batch[index];
  for (std::uint32_t l = s.link_begin; l < s.link_begin + s.link_count; ++l) {
    const Link link = links_[l];
    Group& g = groups_[link.group];
    Member* m = &members_[g.member_begin];
    m[link.member] = Member{slot, x.time, x.value, batch_, index, true};
    bool complete = true;
    for (std::uint32_t i = 0; i < g.member_count && complete; ++i)
      complete = m[i].fresh && std::llabs(m[i].time - x.time) <= g.check.window_us;
    if (!complete) continue;

    // Which members violate the check (at most 4 members for the fixed kinds; areas may be more).
    bool bad_any = false;
    auto mark = [&](std::uint32_t i) {
      bad_any = true;
      if (m[i].batch == batch_) {
        Flag& f = batch[m[i].index].flag;
        if (f != Flag::fail && f != g.check.flag) {
          count(f, -1);  // it was counted when its sample went by
          f = worst(f, g.check.flag);
          count(f, +1);
        }
      } else
        ++counters_.cross_unflagged;
    };
    switch (g.check.kind) {
      case CrossCheckKind::source_above_area: {
        bool source_bad = false;
        for (std::uint32_t i = 1; i < g.member_count; ++i)
          if (m[i].value > m[0].value + g.check.margin) {
            mark(i);
            source_bad = true;
          }
        if (source_bad) mark(0);
        break;
      }
      case CrossCheckKind::phase_balance: {
        double mean = (m[0].value + m[1].value + m[2].value) / 3.0;
        if (!(mean > g.check.margin)) break;
        for (std::uint32_t i = 0; i < 3; ++i)
          if (std::fabs(m[i].value - mean) > g.check.tolerance * mean) mark(i);
        break;
      }
      case CrossCheckKind::residual_vs_phases: {
        double sum = std::fabs(m[1].value) + std::fabs(m[2].value) + std::fabs(m[3].value);
        if (std::fabs(m[0].value) * g.check.scale > g.check.tolerance * sum + g.check.margin)
          mark(0);
        break;
      }
    }
    if (bad_any) ++counters_.cross_violations;
    for (std::uint32_t i = 0; i < g.member_count; ++i) m[i].fresh = false;
  }
}

void Verifier::verify(std::span<Sample> samples, std::vector<Gap>* gaps) noexcept {
  ++batch_;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    Sample& x = samples[i];
    ++counters_.samples;
    std::uint32_t slot = index_.find(x.point_id);
    if (slot == PointIndex::npos) {
      ++counters_.unknown_point;
      x.flag = Flag::not_evaluated;
    } else if (x.quality != quality_good) {
      x.flag = Flag::not_evaluated;  // the device said the reading is bad: nothing to test
    } else {
      Slot& s = slots_[slot];
      if (s.last_time != never && x.time <= s.last_time) {
        // Late or repeated: only the stateless test, and the point's state stays as it was.
        ++counters_.out_of_order;
        x.flag = !std::isfinite(x.value)                              ? Flag::fail
                 : !s.range                                           ? Flag::not_evaluated
                 : (x.value < s.fail_lo || x.value > s.fail_hi)       ? Flag::fail
                 : (x.value < s.suspect_lo || x.value > s.suspect_hi) ? Flag::suspect
                                                                      : Flag::pass;
      } else {
        x.flag = check(s, x, gaps);
        count(x.flag, +1);
        // After counting: a cross check re-counts every flag it raises, this one included.
        if (s.link_count > 0 && x.flag != Flag::fail) cross(slot, samples, i);
        continue;
      }
    }
    count(x.flag, +1);
  }
}

}  // namespace houqin::telemetry
