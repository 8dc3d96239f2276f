#include "houqin/core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace houqin::metrics {

struct Access {
  static const auto& buckets(const Histogram& h) { return h.buckets_; }
  static std::uint64_t sum_ns(const Histogram& h) {
    return h.sum_ns_.load(std::memory_order_relaxed);
  }
};

namespace {

std::atomic<bool> on{true};

struct Key {
  std::string name;
  Labels labels;
  auto operator<=>(const Key&) const = default;
};

struct State {
  std::mutex mutex;
  // Node-based maps: references handed out stay valid while others are added.
  std::map<Key, std::pair<std::string, std::unique_ptr<Histogram>>> histograms;
  std::map<Key, std::pair<std::string, std::unique_ptr<Counter>>> counters;
  std::map<Key, std::pair<std::string, std::unique_ptr<Gauge>>> gauges;
  std::map<std::uint64_t, Collector> collectors;
  std::uint64_t next_collector = 1;
};

State& state() {
  static State* s = new State();  // never destroyed: timers may run during static destruction
  return *s;
}

/// The nanosecond bounds, for observe().
constexpr auto bounds_ns = [] {
  std::array<std::uint64_t, latency_bounds.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint64_t>(latency_bounds[i] * 1e9 + 0.5);
  return out;
}();

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// Label values escaped as the text format wants: backslash, quote and line feed.
std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, std::string_view extra = {}) {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ',';
    out += k + "=\"" + escape(v) + "\"";
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  return out + "}";
}

}  // namespace

std::optional<double> quantile(const std::vector<Bucket>& buckets, std::uint64_t count, double q) {
  if (count == 0) return std::nullopt;
  const double rank = q * static_cast<double>(count);
  double lower = 0;
  std::uint64_t below = 0;
  for (const auto& b : buckets) {
    if (static_cast<double>(b.count) >= rank) {
      if (b.le < 0) return lower;  // in +Inf: the largest finite bound
      const double in = static_cast<double>(b.count - below);
      return lower + (b.le - lower) * (in > 0 ? (rank - static_cast<double>(below)) / in : 1.0);
    }
    lower = b.le < 0 ? lower : b.le;
    below = b.count;
  }
  return lower;
}

void Histogram::observe(std::chrono::nanoseconds elapsed) noexcept {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count()));
  std::size_t i = 0;
  while (i < bounds_ns.size() && ns > bounds_ns[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  auto& slot = s.histograms[Key{std::string(name), labels}];
  if (!slot.second) slot = {std::string(help), std::make_unique<Histogram>()};
  return *slot.second;
}

Counter& counter(std::string_view name, std::string_view help, const Labels& labels) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  auto& slot = s.counters[Key{std::string(name), labels}];
  if (!slot.second) slot = {std::string(help), std::make_unique<Counter>()};
  return *slot.second;
}

Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  auto& slot = s.gauges[Key{std::string(name), labels}];
  if (!slot.second) slot = {std::string(help), std::make_unique<Gauge>()};
  return *slot.second;
}

void set_enabled(bool value) noexcept {
  on.store(value, std::memory_order_relaxed);
}
bool enabled() noexcept {
  return on.load(std::memory_order_relaxed);
}

Registration& Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    Registration dropped(std::exchange(id_, std::exchange(other.id_, 0)));
  }
  return *this;
}

Registration::~Registration() {
  if (id_ == 0) return;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.collectors.erase(id_);
}

Registration collect(Collector collector) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  const auto id = s.next_collector++;
  s.collectors.emplace(id, std::move(collector));
  return Registration(id);
}

Snapshot snapshot(Timestamp at) {
  Snapshot out;
  out.at = at;
  auto& s = state();
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(s.mutex);
    for (const auto& [key, entry] : s.histograms) {
      const Histogram& h = *entry.second;
      if (h.count() == 0) continue;
      HistogramValue v{key.name, entry.first, key.labels, 0, 0, {}, {}, {}};
      std::uint64_t cumulative = 0;
      const auto& buckets = Access::buckets(h);
      for (std::size_t i = 0; i < buckets.size(); ++i) {
        cumulative += buckets[i].load(std::memory_order_relaxed);
        v.buckets.push_back({i < latency_bounds.size() ? latency_bounds[i] : -1.0, cumulative});
      }
      // The count is the buckets' total, so the snapshot is consistent within itself.
      v.count = cumulative;
      v.sum_seconds = static_cast<double>(Access::sum_ns(h)) / 1e9;
      v.p50_seconds = quantile(v.buckets, v.count, 0.5);
      v.p99_seconds = quantile(v.buckets, v.count, 0.99);
      out.histograms.push_back(std::move(v));
    }
    for (const auto& [key, entry] : s.counters)
      out.values.push_back({key.name, Kind::counter, entry.first, key.labels,
                            static_cast<double>(entry.second->value())});
    for (const auto& [key, entry] : s.gauges)
      out.values.push_back({key.name, Kind::gauge, entry.first, key.labels, entry.second->value()});
    for (const auto& [id, c] : s.collectors) collectors.push_back(c);
  }
  // Collectors run without the lock: they may take their own components' locks.
  for (const auto& c : collectors) c(out.values);
  std::stable_sort(out.values.begin(), out.values.end(),
                   [](const Value& a, const Value& b) { return a.name < b.name; });
  return out;
}

std::string prometheus(const Snapshot& snap) {
  std::string out;
  std::string last;
  for (const auto& v : snap.values) {
    if (v.name != last) {
      out += "# HELP " + v.name + " " + v.help + "\n# TYPE " + v.name + " " +
             (v.kind == Kind::counter ? "counter" : "gauge") + "\n";
      last = v.name;
    }
    out += v.name + label_text(v.labels) + " " + number(v.value) + "\n";
  }
  last.clear();
  for (const auto& h : snap.histograms) {
    if (h.name != last) {
      out += "# HELP " + h.name + " " + h.help + "\n# TYPE " + h.name + " histogram\n";
      last = h.name;
    }
    for (const auto& b : h.buckets)
      out +=
          h.name + "_bucket" +
          label_text(h.labels, "le=\"" + (b.le < 0 ? std::string("+Inf") : number(b.le)) + "\"") +
          " " + std::to_string(b.count) + "\n";
    out += h.name + "_sum" + label_text(h.labels) + " " + number(h.sum_seconds) + "\n";
    out += h.name + "_count" + label_text(h.labels) + " " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace houqin::metrics
