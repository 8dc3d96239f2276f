// Telemetry verification (数据校核): QARTOD-style tests that flag every sample pass, suspect, fail
// or not evaluated, in place, on the hot path. Flags mark samples; nothing is ever dropped. The
// Verifier keeps each point's state in a flat array reached through a point-id -> slot table built
// once by configure(), so verifying a batch allocates nothing and does no map lookups.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/telemetry/point_index.hpp"
#include "houqin/telemetry/sample.hpp"

namespace houqin::telemetry {

/// Per-point test configuration. Every test is optional: an unset limit means the test does not
/// run. Values are in the point's engineering units, rates per second, times in microseconds.
struct VerifyConfig {
  Id point_id = 0;
  // Gross range: outside the sensor's range is wrong (fail), outside the operating range doubtful.
  std::optional<double> fail_min{};
  std::optional<double> fail_max{};
  std::optional<double> suspect_min{};
  std::optional<double> suspect_max{};
  // Rate of change: |dv/dt| against the previous accepted sample above this is suspect.
  std::optional<double> max_rate_per_s{};
  // Spike: distance from the mean of the two previous accepted samples (see docs).
  std::optional<double> spike_suspect{};
  std::optional<double> spike_fail{};
  // Flat line: this many consecutive samples within flat_epsilon of the run's first value.
  int flat_suspect_count = 0;  // 0: test off
  int flat_fail_count = 0;     // 0: no fail level
  double flat_epsilon = 0;
  // Gap: a time step longer than this between two samples of the point is reported as a Gap.
  Micros max_gap_us = 0;  // 0: test off
  HOUQIN_EXPORT void validate() const;
};

/// The cross checks between points of one group:
///   source_above_area   points = {source, area...}: an area pressure above the source pressure
///                       by more than `margin` is impossible; both samples are flagged.
///   phase_balance       points = {L1, L2, L3}: a phase deviating from the mean of the three by
///                       more than `tolerance` (a fraction) is flagged; skipped while the mean is
///                       not above `margin` (no load).
///   residual_vs_phases  points = {residual, I1, I2, I3}: a leakage current flows out of the
///                       phase conductors, so residual * scale above tolerance * (I1+I2+I3) +
///                       margin is inconsistent; the residual sample is flagged.
BOOST_DEFINE_ENUM_CLASS(CrossCheckKind, source_above_area, phase_balance, residual_vs_phases)

struct CrossCheck {
  CrossCheckKind kind = CrossCheckKind::source_above_area;
  std::vector<Id> points{};
  double tolerance = 0;
  double margin = 0;
  double scale =
      1;  // residual_vs_phases: converts the residual's unit to the phases' (mA->A 0.001)
  Micros window_us = 0;       // samples this close in time count as the same instant
  Flag flag = Flag::suspect;  // what a violation sets (worst flag wins)
  HOUQIN_EXPORT void validate() const;
};

/// A time step longer than the point's max_gap_us: the samples around it are kept and flagged
/// as usual; the gap itself is reported so the store and the operator know data is missing.
struct Gap {
  Id point_id = 0;
  Micros from = 0;  // time of the sample before the gap
  Micros to = 0;    // time of the sample after it
};

/// What a Verifier has seen since it was configured.
struct VerifyCounters {
  std::uint64_t samples = 0;
  std::uint64_t pass = 0;
  std::uint64_t suspect = 0;
  std::uint64_t fail = 0;
  std::uint64_t not_evaluated = 0;
  std::uint64_t gaps = 0;
  std::uint64_t out_of_order = 0;      // time not after the point's previous sample
  std::uint64_t unknown_point = 0;     // no configuration: flagged not_evaluated
  std::uint64_t cross_violations = 0;  // cross-check groups found inconsistent
  std::uint64_t cross_unflagged = 0;   // violating samples already handed on in an earlier batch
};

/// Verifies batches of samples in place. configure() may allocate; verify() does not (except
/// when it appends to the caller's gap vector). One thread at a time.
class HOUQIN_EXPORT Verifier {
 public:
  Verifier();
  /// Replaces the configuration and forgets all state; Error(invalid_argument) naming the point
  /// or group at fault (a duplicate point, min above max, a group naming an unconfigured point).
  void configure(std::vector<VerifyConfig> points, std::vector<CrossCheck> checks = {});

  /// Sets every sample's flag. Gaps are appended to `gaps` when given (and always counted).
  void verify(std::span<Sample> samples, std::vector<Gap>* gaps = nullptr) noexcept;

  const VerifyCounters& counters() const noexcept { return counters_; }
  std::size_t point_count() const noexcept;

 private:
  struct Slot;
  struct Member;
  struct Group;
  struct Link {
    std::uint32_t group;
    std::uint32_t member;
  };
  // Hidden: called only inside the library, so the hot loop calls them directly (no PLT).
  HOUQIN_NO_EXPORT Flag check(Slot& s, const Sample& x, std::vector<Gap>* gaps) noexcept;
  HOUQIN_NO_EXPORT void cross(std::uint32_t slot, std::span<Sample> batch,
                              std::size_t index) noexcept;
  HOUQIN_NO_EXPORT void count(Flag f, int delta) noexcept;

  PointIndex index_;
  std::vector<Slot> slots_;
  std::vector<Group> groups_;
  std::vector<Member> members_;
  std::vector<Link> links_;
  VerifyCounters counters_;
  std::uint64_t batch_ = 0;

 public:
  ~Verifier();
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;
};

/// The worse of two flags: fail > suspect > pass > not_evaluated.
inline Flag worst(Flag a, Flag b) noexcept {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

BOOST_DESCRIBE_STRUCT(VerifyConfig, (),
                      (point_id, fail_min, fail_max, suspect_min, suspect_max, max_rate_per_s,
                       spike_suspect, spike_fail, flat_suspect_count, flat_fail_count, flat_epsilon,
                       max_gap_us))
BOOST_DESCRIBE_STRUCT(CrossCheck, (), (kind, points, tolerance, margin, scale, window_us, flag))

}  // namespace houqin::telemetry
