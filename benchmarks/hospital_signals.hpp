// A fixed-seed generator of hospital signals at 1 s for storage density benchmarks
// (density_bench): medical gases, electricity, temperatures and breaker states, each in an aligned
// variant (exact 1 s timestamps) and a jittered one (±20 ms poll jitter), with gaps from
// communication failures, values quantised as the device reports them, and the entropy lower
// bound in bits per sample where the generator knows its noise model.
//
// The data depend only on the seed and the options: the random numbers come from our own SplitMix64
// and Box-Muller (std::normal_distribution differs between standard libraries), and the shapes
// from sin, exp and tanh.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace houqin::bench::signals {

enum class Variant { aligned, jittered };
std::string_view name(Variant v);

/// One signal class: what it is, the unit and step of its reported values.
struct ClassInfo {
  std::string name;         // "gas_pressure", ... (a metric name and a houqin point class)
  std::string unit;         // "kPa", ...
  int decimals = 2;         // the device reports value = units / 10^decimals
  std::string description;  // one line for the docs and the report
};

/// Every class, in the order of the report.
const std::vector<ClassInfo>& classes();

struct Options {
  std::uint64_t seed = 24;
  int series_per_class = 21;              // 12 classes x 21 = 252 series
  std::int64_t seconds = 4 * 3600;        // polls per series (fewer where communication failed)
  std::int64_t start_ms = 1767571200000;  // 2026-01-05T00:00:00Z: 08:00 in Beijing, a Monday
  double gap_probability = 1.0 / 7200;    // after each reading, a communication failure starts
  int gap_min_polls = 5;                  // a failure loses this many polls ...
  int gap_max_polls = 300;                // ... to this many, uniformly (5 s to 5 min)
  int jitter_ms = 20;  // jittered variant: uniform whole ms in [-jitter, +jitter]
};

/// One series: the reading times in whole milliseconds since the epoch (UTC) and the readings as
/// integers of the class's step: value = units[i] / 10^decimals.
struct Series {
  std::vector<std::int64_t> time_ms;
  std::vector<std::int64_t> units;
};

/// One class in one variant: its series and the entropy of the generating process.
struct SignalSet {
  ClassInfo info;
  Variant variant = Variant::aligned;
  std::vector<Series> series;
  /// Entropy, summed over every sample of every series, in bits: of the timestamps (jitter and
  /// gaps) and of the values given the timestamps. `value_bound_exact` is true when the value
  /// figure is the entropy of the process itself (up to the few parameters per series); false when
  /// it is a lower bound that leaves out the information in random events (valve steps, load
  /// switching) which the generator adds on top of its known noise (see hospital_signals.cpp).
  double time_bits = 0;
  double value_bits = 0;
  bool value_bound_exact = false;

  std::size_t samples() const;
  double scale() const;  // 10^decimals
  /// The reported reading as a double (the nearest double to the decimal value).
  double value(const Series& s, std::size_t i) const {
    return static_cast<double>(s.units[i]) / scale();
  }
  /// Writes the reading in decimal with the class's decimals ("-60.05", "1"), exactly.
  void format_value(std::int64_t units, std::string& out) const;
  double bound_bits_per_sample() const {
    return (time_bits + value_bits) / static_cast<double>(samples());
  }
};

/// Generates one class in one variant. The aligned and jittered variants of a class share every
/// random draw except the jitter: the same gaps, noise, steps and changes, so the difference in
/// bytes between them is what the timestamps cost.
SignalSet generate(const ClassInfo& info, Variant variant, const Options& options);

/// Entropy in bits of round(X) for X ~ N(mean, sigma^2) (mean and sigma in steps of the grid).
double quantised_gaussian_bits(double mean, double sigma);
/// Entropy in bits of a Poisson distribution with mean lambda.
double poisson_bits(double lambda);
/// Binary entropy in bits.
double binary_bits(double p);

}  // namespace houqin::bench::signals
