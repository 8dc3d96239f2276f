// The hospital signal generator (hospital_signals.hpp) and its entropy bounds.
//
// Model. Every series is polled once a second for `seconds` slots. After each reading a
// communication failure starts with probability p (Options::gap_probability) and loses L polls,
// L uniform in [gap_min_polls, gap_max_polls]. In the jittered variant each reading is taken at its
// slot's time plus a jitter J, uniform in whole milliseconds over [-jitter_ms, +jitter_ms],
// independent of everything else. Whole milliseconds, because VictoriaMetrics keeps milliseconds:
// both engines are then given exactly the same information.
//
// Values, by kind of class:
//   analog   x(t) = level(t) + sigma * e, e ~ N(0, 1) independent per poll, reported as
//            round(x / q) * q; level(t) = base + k_load * load(t) + two sines (slow drift, a
//            cycle) + steps. load(t) is the building's load: a daily hospital profile times a
//            smoothed square wave (HVAC compressors). Steps are random events (valve changeovers,
//            tap changes, equipment switched on): persistent, decaying back, or a pulse.
//   counter  an energy register in steps q: each slot adds Poisson(P(t) * dt / q) steps, P the
//            load's power; a reading shows the register.
//   state    a breaker 0/1, a Markov chain flipping with probability p_flip per slot.
//
// Entropy bound, in bits per sample, H(times) + H(values | times):
//   times    each reading after the first carries one gap decision: H_b(p) + p * log2(L range)
//            bits (the decision and the length are both visible in the times). The jitter adds
//            log2(2 * jitter + 1) bits per reading (5.36 for ±20 ms): the slot is known from the
//            gap decisions, so the jitter is read off exactly. Exact.
//   analog   given the times and the level path S (the steps included), readings are independent,
//            so H(X | T) >= H(X | T, S) = sum_i H(round((level_i + sigma * e) / q)): the entropy of
//            Gaussian noise quantised on the grid, summed over the grid cells. Below 1.5 q of
//            noise it depends on where the level falls within its cell and is computed per
//            reading; above, once per series. (The differential entropy log2(sigma / q *
//            sqrt(2 pi e)) would understate it: the rounded value's entropy is that of the noise
//            plus a uniform one over a cell, 0.027 bit more at sigma = 1.5 q and about
//            0.06 / (sigma / q)^2 bit more above.) This is a lower bound: it leaves out what
//            the steps and the per-series parameters cost. The drifts and cycles are
//            deterministic given a handful of parameters per series, a few bytes against 14,400
//            samples, so the bound is nearly tight where steps are rare. A coder predicting each
//            value from the previous one pays about 0.5 bit more when the noise spans several
//            steps (a difference of two noises has twice the variance).
//   counter  given the times, the increments are independent Poisson counts whose means the load
//            profile fixes: sum_i H(Poisson(lambda_i)), lambda_i summed over a gap's slots. Exact.
//   state    given the times, a two-state chain observed n slots apart: H_b((1 - (1 - 2 p)^n) / 2)
//            per reading, plus the first state's. Exact.
#include "hospital_signals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace houqin::bench::signals {

namespace {

constexpr double two_pi = 2 * std::numbers::pi;

/// SplitMix64: small, fast, and the same on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(mix(seed)) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix(state_);
  }
  /// Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n): the bias of the floor is below n / 2^53.
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(uniform() * static_cast<double>(n));
  }
  /// Standard normal by Box-Muller; always two uniforms, so streams stay in step.
  double normal() {
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
  }
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// Independent streams per (seed, class, series, purpose): parameters, values, gaps, jitter.
enum Stream : std::uint64_t { params = 1, values = 2, gaps = 3, jitter = 4 };
Rng stream(std::uint64_t seed, std::size_t cls, int series, Stream s) {
  std::uint64_t h = Rng::mix(seed + 0x632BE59BD9B4E019ull);
  h = Rng::mix(h ^ (static_cast<std::uint64_t>(cls) + 1) * 0x9E3779B97F4A7C15ull);
  h = Rng::mix(h ^ (static_cast<std::uint64_t>(series) + 1) * 0xC2B2AE3D27D4EB4Full);
  return Rng(h ^ static_cast<std::uint64_t>(s) * 0x165667B19E3779F9ull);
}

/// The building's load in [~0.4, ~1.15]: a hospital's day (Beijing time: clinics peak in the
/// morning and afternoon) times HVAC compressors cycling.
struct Load {
  double cycle_period_s = 1200, cycle_phase = 0, cycle_depth = 0.1;
  double operator()(double t_s) const {
    double h = std::fmod(t_s / 3600.0 + 8.0, 24.0);
    double day = 0.45 + 0.45 * std::exp(-std::pow((h - 10.5) / 2.5, 2)) +
                 0.35 * std::exp(-std::pow((h - 15.0) / 2.5, 2));
    double sq =
        std::tanh(3.0 * std::sin(two_pi * t_s / cycle_period_s + cycle_phase)) / std::tanh(3.0);
    return day * (1.0 + cycle_depth * sq);
  }
  static Load draw(Rng& r) {
    Load l;
    l.cycle_period_s = r.uniform(600, 1800);
    l.cycle_phase = r.uniform(0, two_pi);
    l.cycle_depth = r.uniform(0.03, 0.15);
    return l;
  }
};

enum class StepShape { persistent, decay, pulse };

/// Random level changes: a step happens in a slot with probability `rate`; its size is uniform in
/// [min, max] with a random sign (or always positive); it stays, decays back with a time constant,
/// or lasts for a while and ends, each with the given probability.
struct Steps {
  double rate = 0, min = 0, max = 0;
  bool signed_size = true;
  double p_decay = 0, p_pulse = 0;    // otherwise persistent
  double span_min = 0, span_max = 0;  // decay time constant or pulse length, s
};

struct Analog {
  double base = 0, k_load = 0;
  double a1 = 0, p1 = 3600, f1 = 0;  // slow drift
  double a2 = 0, p2 = 600, f2 = 0;   // a cycle (dryers, compressors, grid wander)
  double sigma = 0;                  // noise, in the value's unit
  Steps steps;
  Load load;
  double deterministic(double t_s) const {
    return base + k_load * load(t_s) + a1 * std::sin(two_pi * t_s / p1 + f1) +
           a2 * std::sin(two_pi * t_s / p2 + f2);
  }
};

struct Event {
  double start_s, size, span;
  StepShape shape;
};

enum class Kind { analog, counter, state };

struct ClassModel {
  ClassInfo info;
  Kind kind;
  Analog (*draw)(Rng&);  // analog classes: one series' parameters
};

// ---- the classes' parameters, per series -------------------------------------------------------

Analog gas_pressure(Rng& r) {
  Analog a;
  double kind = r.uniform();
  if (kind < 0.6) {  // oxygen, medical air, nitrous oxide: 400 kPa lines
    a.base = 400 + r.uniform(-15, 15);
    a.k_load = -r.uniform(0.5, 3);
  } else if (kind < 0.8) {  // surgical air
    a.base = 700 + r.uniform(-15, 15);
    a.k_load = -r.uniform(0.5, 3);
  } else {  // vacuum, gauge pressure: weaker under demand
    a.base = -60 + r.uniform(-5, 5);
    a.k_load = r.uniform(0.5, 3);
  }
  a.a1 = r.uniform(0.3, 1.5);
  a.p1 = r.uniform(2, 8) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.a2 = r.uniform(0.1, 0.5);
  a.p2 = r.uniform(10, 30) * 60;
  a.f2 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.03, 0.08);
  a.steps = {.rate = 1.0 / 5400,
             .min = 2,
             .max = 15,
             .p_decay = 0.5,
             .span_min = 20,
             .span_max = 180};  // changeovers and valves; a regulator brings half of them back
  a.load = Load::draw(r);
  return a;
}

Analog o2_purity(Rng& r) {
  Analog a;
  if (r.uniform() < 0.6) {  // liquid oxygen
    a.base = 99.5 + r.uniform(-0.3, 0);
    a.a1 = r.uniform(0.05, 0.15);
    a.sigma = r.uniform(0.02, 0.06);
  } else {  // PSA oxygen plant
    a.base = 93 + r.uniform(-1, 1);
    a.k_load = -r.uniform(0, 0.5);
    a.a1 = r.uniform(0.05, 0.3);
    a.sigma = r.uniform(0.05, 0.12);
  }
  a.p1 = r.uniform(1, 6) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.load = Load::draw(r);
  return a;
}

Analog dew_point(Rng& r) {
  Analog a;
  a.base = r.uniform(-50, -35);
  a.k_load = r.uniform(0, 2);
  a.a1 = r.uniform(0.5, 3);
  a.p1 = r.uniform(2, 12) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.a2 = r.uniform(0.3, 1.5);  // desiccant dryer regeneration
  a.p2 = r.uniform(5, 10) * 60;
  a.f2 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.05, 0.2);
  a.load = Load::draw(r);
  return a;
}

Analog phase_voltage(Rng& r) {
  Analog a;
  a.base = 220 + r.uniform(-4, 6);
  a.k_load = -r.uniform(2, 6);
  a.a1 = r.uniform(0.5, 2);
  a.p1 = r.uniform(1, 4) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.a2 = r.uniform(0.2, 0.8);
  a.p2 = r.uniform(5, 20) * 60;
  a.f2 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.1, 0.4);
  a.steps = {.rate = 1.0 / 7200, .min = 1, .max = 3};  // transformer tap changes
  a.load = Load::draw(r);
  return a;
}

Analog phase_current(Rng& r) {
  Analog a;
  double rated = r.uniform(20, 400);
  a.base = 0.15 * rated;
  a.k_load = 0.85 * rated;
  a.a1 = rated * r.uniform(0, 0.02);
  a.p1 = r.uniform(1, 4) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.sigma = rated * r.uniform(0.002, 0.006);
  a.steps = {.rate = 1.0 / 600,
             .min = 0.01 * rated,
             .max = 0.08 * rated,
             .signed_size = false,
             .p_pulse = 0.7,
             .span_min = 60,
             .span_max = 900};  // equipment on for a while
  a.load = Load::draw(r);
  return a;
}

Analog frequency(Rng& r) {
  Analog a;
  a.base = 50;
  a.a1 = r.uniform(0.01, 0.04);
  a.p1 = r.uniform(120, 900);
  a.f1 = r.uniform(0, two_pi);
  a.a2 = r.uniform(0.005, 0.02);
  a.p2 = r.uniform(30, 120);
  a.f2 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.003, 0.01);
  a.load = Load::draw(r);
  return a;
}

Analog power_factor(Rng& r) {
  Analog a;
  a.base = r.uniform(0.78, 0.86);
  a.k_load = r.uniform(0.04, 0.10);
  a.a1 = r.uniform(0, 0.005);
  a.p1 = r.uniform(1, 4) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.001, 0.003);
  a.load = Load::draw(r);
  return a;
}

Analog thd(Rng& r) {
  Analog a;
  a.base = r.uniform(4, 20);
  a.k_load = -a.base * r.uniform(0.1, 0.3);  // distortion falls as linear load rises
  a.a1 = a.base * r.uniform(0, 0.05);
  a.p1 = r.uniform(1, 4) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.1, 0.4);
  a.load = Load::draw(r);
  return a;
}

Analog temperature(Rng& r) {
  Analog a;
  a.base = r.uniform(4, 70);  // cold stores, rooms, switchgear, transformer windings
  a.k_load = r.uniform(0, 5);
  a.a1 = r.uniform(0.2, 2);
  a.p1 = r.uniform(1, 8) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.a2 = r.uniform(0.1, 1.0);  // compressor or fan cycle
  a.p2 = r.uniform(15, 40) * 60;
  a.f2 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.02, 0.1);
  a.load = Load::draw(r);
  return a;
}

Analog residual_current(Rng& r) {
  Analog a;
  a.base = r.uniform(2, 20);
  a.k_load = r.uniform(1, 10);
  a.a1 = r.uniform(0, 0.5);
  a.p1 = r.uniform(1, 4) * 3600;
  a.f1 = r.uniform(0, two_pi);
  a.sigma = r.uniform(0.1, 0.4);
  a.steps = {.rate = 1.0 / 1800,
             .min = 1,
             .max = 8,
             .signed_size = false,
             .p_pulse = 0.5,
             .span_min = 60,
             .span_max = 1800};  // equipment with its leakage switched on
  a.load = Load::draw(r);
  return a;
}

const std::vector<ClassModel>& models() {
  static const std::vector<ClassModel> all = {
      {{"gas_pressure", "kPa", 2,
        "medical gas pipeline pressure (O2, air, N2O at 400 kPa, surgical air 700, vacuum -60): "
        "drift, demand dips, valve steps and changeovers"},
       Kind::analog,
       gas_pressure},
      {{"o2_purity", "%", 1, "oxygen purity, liquid supply ~99.5 % or PSA plant ~93 %"},
       Kind::analog,
       o2_purity},
      {{"dew_point", "degC", 1, "dew point of medical air, with dryer regeneration cycles"},
       Kind::analog,
       dew_point},
      {{"phase_voltage", "V", 1, "phase voltage (220 V): load, tap changes"},
       Kind::analog,
       phase_voltage},
      {{"phase_current", "A", 2, "phase current: daily load, HVAC cycles, equipment switching"},
       Kind::analog,
       phase_current},
      {{"frequency", "Hz", 2, "grid frequency wandering around 50 Hz"}, Kind::analog, frequency},
      {{"power_factor", "1", 3, "power factor following the load"}, Kind::analog, power_factor},
      {{"thd", "%", 1, "current total harmonic distortion, falling as the load rises"},
       Kind::analog,
       thd},
      {{"energy_counter", "kWh", 2, "monotonic active energy register"}, Kind::counter, nullptr},
      {{"temperature", "degC", 1,
        "rooms, switchgear, transformers, cold stores, with compressor cycles"},
       Kind::analog,
       temperature},
      {{"residual_current", "mA", 1, "residual current (RCM): leakage following the load"},
       Kind::analog,
       residual_current},
      {{"breaker_state", "1", 0, "breaker 0/1, a change every 6 h on average"},
       Kind::state,
       nullptr},
  };
  return all;
}

double pow10(int d) {
  double s = 1;
  for (int i = 0; i < d; ++i) s *= 10;
  return s;
}

/// P(Z > z) for a standard normal Z, accurate in both tails.
double upper_tail(double z) {
  return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

}  // namespace

std::string_view name(Variant v) {
  return v == Variant::aligned ? "aligned" : "jittered";
}

const std::vector<ClassInfo>& classes() {
  static const std::vector<ClassInfo> all = [] {
    std::vector<ClassInfo> out;
    for (const auto& m : models()) out.push_back(m.info);
    return out;
  }();
  return all;
}

double binary_bits(double p) {
  if (p <= 0 || p >= 1) return 0;
  return -(p * std::log2(p) + (1 - p) * std::log2(1 - p));
}

double quantised_gaussian_bits(double mean, double sigma) {
  if (sigma <= 0) return 0;
  double centre = std::round(mean);
  int reach = static_cast<int>(std::ceil(9 * sigma)) + 2;
  double h = 0;
  for (int j = -reach; j <= reach; ++j) {
    double k = centre + j;
    double a = (k - 0.5 - mean) / sigma, b = (k + 0.5 - mean) / sigma;
    double p;
    if (a >= 0)
      p = upper_tail(a) - upper_tail(b);
    else if (b <= 0)
      p = upper_tail(-b) - upper_tail(-a);
    else
      p = 1 - upper_tail(-a) - upper_tail(b);
    if (p > 0) h -= p * std::log2(p);
  }
  return h;
}

double poisson_bits(double lambda) {
  if (lambda <= 0) return 0;
  const double ln_l = std::log(lambda);
  const int mode = static_cast<int>(std::floor(lambda));
  const double lp_mode = mode * ln_l - lambda - std::lgamma(mode + 1.0);
  double h = 0;
  double lp = lp_mode;
  for (int k = mode;; ++k) {  // the mode and above
    double p = std::exp(lp);
    h -= p * lp;
    if (k > mode + 5 && p < 1e-18) break;
    lp += ln_l - std::log(k + 1.0);
  }
  lp = lp_mode;
  for (int k = mode; k > 0; --k) {  // below the mode
    lp += std::log(static_cast<double>(k)) - ln_l;
    double p = std::exp(lp);
    h -= p * lp;
    if (p < 1e-18) break;
  }
  return h / std::numbers::ln2;
}

std::size_t SignalSet::samples() const {
  std::size_t n = 0;
  for (const auto& s : series) n += s.units.size();
  return n;
}

double SignalSet::scale() const {
  return pow10(info.decimals);
}

void SignalSet::format_value(std::int64_t units, std::string& out) const {
  if (units < 0) out += '-';
  auto digits = std::to_string(units < 0 ? -units : units);
  auto d = static_cast<std::size_t>(info.decimals);
  if (d == 0) {
    out += digits;
    return;
  }
  if (digits.size() <= d) digits.insert(0, d + 1 - digits.size(), '0');
  out.append(digits, 0, digits.size() - d);
  out += '.';
  out.append(digits, digits.size() - d, d);
}

SignalSet generate(const ClassInfo& info, Variant variant, const Options& o) {
  const auto& all = models();
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const ClassModel& m) { return m.info.name == info.name; });
  if (it == all.end()) throw std::invalid_argument("unknown signal class " + info.name);
  const std::size_t cls = static_cast<std::size_t>(it - all.begin());
  const ClassModel& model = *it;

  SignalSet set;
  set.info = model.info;
  set.variant = variant;
  set.value_bound_exact = model.kind != Kind::analog;
  const double scale = set.scale();
  const bool jittered = variant == Variant::jittered;
  const double gap_lengths = o.gap_max_polls - o.gap_min_polls + 1;
  const double gap_bits =
      binary_bits(o.gap_probability) + o.gap_probability * std::log2(gap_lengths);
  const double jitter_bits = std::log2(2.0 * o.jitter_ms + 1);

  for (int s = 0; s < o.series_per_class; ++s) {
    Rng par = stream(o.seed, cls, s, params), val = stream(o.seed, cls, s, values),
        gap = stream(o.seed, cls, s, gaps), jit = stream(o.seed, cls, s, jitter);
    Series out;
    out.time_ms.reserve(static_cast<std::size_t>(o.seconds));
    out.units.reserve(static_cast<std::size_t>(o.seconds));

    Analog a;
    if (model.kind == Kind::analog) a = model.draw(par);
    // From 1.5 grid steps of noise up, where the level falls within its grid cell no longer
    // changes the entropy (by less than exp(-2 pi^2 1.5^2) ~ 1e-19 bits): computed once.
    const double noise_bits =
        a.sigma * scale >= 1.5 ? quantised_gaussian_bits(0, a.sigma * scale) : -1;
    // counter: rated power (kW) and the register's starting value; state: start closed or open
    Load load = Load::draw(par);
    double rated_kw = par.uniform(20, 400);
    std::int64_t reg = 1'000'000 + par.below(49'000'000);
    int state = par.uniform() < 0.9 ? 1 : 0;
    const double p_flip = 1.0 / (6 * 3600);

    double persistent = 0;
    std::vector<Event> active;
    std::int64_t next_observed = 0;       // the next slot that is polled successfully
    std::int64_t prev_time = o.start_ms;  // the counting interval's start (counter)
    double lambda_since = 0;              // counter: the mean increment since the last reading
    std::int64_t slots_since = 0;         // state: slots since the last reading

    for (std::int64_t i = 0; i < o.seconds; ++i) {
      const bool observed = i == next_observed;
      std::int64_t t = o.start_ms + i * 1000;
      if (observed && jittered) t += jit.below(2 * o.jitter_ms + 1) - o.jitter_ms;
      const double t_s = static_cast<double>(t) / 1000.0;
      double bits = 0;
      std::int64_t units = 0;

      switch (model.kind) {
        case Kind::analog: {
          // Draw the slot's events first, every slot, so both variants consume the same numbers.
          const double nominal_s = static_cast<double>(o.start_ms + i * 1000) / 1000.0;
          if (a.steps.rate > 0 && val.uniform() < a.steps.rate) {
            double size = val.uniform(a.steps.min, a.steps.max);
            if (a.steps.signed_size && val.uniform() < 0.5) size = -size;
            double kind = val.uniform();
            double span = val.uniform(a.steps.span_min, a.steps.span_max);
            if (kind < a.steps.p_decay)
              active.push_back({nominal_s, size, span, StepShape::decay});
            else if (kind < a.steps.p_decay + a.steps.p_pulse)
              active.push_back({nominal_s, size, span, StepShape::pulse});
            else
              persistent += size;
          }
          double noise = val.normal();
          if (!observed) break;
          double level = a.deterministic(t_s) + persistent;
          for (const auto& e : active) {
            double age = t_s - e.start_s;
            if (age < 0) continue;  // the reading came just before the step (jitter)
            if (e.shape == StepShape::decay)
              level += e.size * std::exp(-age / e.span);
            else if (age < e.span)
              level += e.size;
          }
          std::erase_if(active, [&](const Event& e) {
            double age = t_s - e.start_s;
            return e.shape == StepShape::decay ? age > 40 * e.span : age >= e.span;
          });
          units = std::llround((level + a.sigma * noise) * scale);
          bits = noise_bits >= 0 ? noise_bits
                                 : quantised_gaussian_bits(level * scale, a.sigma * scale);
          break;
        }
        case Kind::counter: {
          // Energy over the slot's interval, from the last instant the register was defined.
          if (i == 0) prev_time = t;  // the register's first reading starts the count
          double kw = rated_kw * (0.15 + 0.85 * load(t_s));
          double lambda = kw * static_cast<double>(t - prev_time) / 3.6e6 * scale;
          prev_time = t;
          double u = val.uniform(), p = std::exp(-lambda), cdf = p;
          std::int64_t k = 0;
          while (u > cdf && k < 10'000) {
            ++k;
            p *= lambda / static_cast<double>(k);
            cdf += p;
          }
          reg += k;
          lambda_since += lambda;
          if (!observed) break;
          units = reg;
          bits = i == 0 ? 0 : poisson_bits(lambda_since);
          lambda_since = 0;
          break;
        }
        case Kind::state: {
          if (i > 0 && val.uniform() < p_flip) state ^= 1;
          ++slots_since;
          if (!observed) break;
          units = state;
          bits = i == 0 ? binary_bits(0.1)
                        : binary_bits(
                              (1 - std::pow(1 - 2 * p_flip, static_cast<double>(slots_since))) / 2);
          slots_since = 0;
          break;
        }
      }
      if (!observed) continue;
      out.time_ms.push_back(t);
      out.units.push_back(units);
      set.value_bits += bits;
      if (jittered) set.time_bits += jitter_bits;
      if (i > 0) set.time_bits += gap_bits;  // the decision that led here (none before the first)
      next_observed = i + 1;
      if (gap.uniform() < o.gap_probability)
        next_observed += o.gap_min_polls + gap.below(static_cast<std::int64_t>(gap_lengths));
    }
    set.series.push_back(std::move(out));
  }
  return set;
}

}  // namespace houqin::bench::signals
