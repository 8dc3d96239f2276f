#include "houqin/telemetry/alarm.hpp"

#include "telemetry/limits.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "houqin/core/error.hpp"

namespace houqin::telemetry {

std::string alarm_name(AlarmKey key) {
  return "alarm " + std::to_string(key.point_id) + "/" + std::string(enum_name(key.kind));
}

namespace {

bool annunciating(AlarmState s) {
  return s == AlarmState::unacknowledged || s == AlarmState::acknowledged ||
         s == AlarmState::returned_unacknowledged || s == AlarmState::latched;
}

}  // namespace

void AlarmConfig::validate() const {
  std::string at = "point " + std::to_string(point_id) + ": ";
  if (point_id <= 0)
    fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(point_id));
  auto order = [&](const std::optional<double>& below, const char* bn,
                   const std::optional<double>& above, const char* an) {
    if (below && above && *below > *above)
      fail(ErrorCode::invalid_argument, at + bn + " " + std::to_string(*below) + " is above " + an +
                                            " " + std::to_string(*above));
  };
  order(lolo, "lolo", lo, "lo");
  order(lo, "lo", hi, "hi");
  order(hi, "hi", hihi, "hihi");
  order(lolo, "lolo", hihi, "hihi");
  for (auto v : {hihi, hi, lo, lolo, digital})
    if (v && !std::isfinite(*v)) fail(ErrorCode::invalid_argument, at + "limits must be finite");
  if (deadband < 0 || !std::isfinite(deadband))
    fail(ErrorCode::invalid_argument, at + "deadband must not be negative");
  if (on_delay_us < 0 || off_delay_us < 0 || realarm_us < 0)
    fail(ErrorCode::invalid_argument,
         at + "on_delay_us, off_delay_us and realarm_us must not be negative");
}

// ---- the engine
// ----------------------------------------------------------------------------------

struct AlarmEngine::Impl {
  struct Alarm {
    // configuration
    Id point_id = 0;
    AlarmKind kind = AlarmKind::hi;
    Priority priority = Priority::medium;
    bool digital = false;
    bool high = false;  // hi/hihi: active above the limit
    double limit = 0;
    double deadband = 0;
    Micros on_delay = 0, off_delay = 0, realarm = 0;
    bool latching = false;
    std::uint32_t area = 0;
    std::uint32_t point = 0;
    // state
    bool active = false, acked = true, latched = false;
    bool shelved = false, suppressed = false, oos = false;
    bool raised = false;  // the open episode has been annunciated
    Micros pending_since = never;
    Micros acked_at = 0;
    Micros shelved_until = 0;
    std::uint64_t episode = 0;
    AlarmState state = AlarmState::normal;
  };
  struct Point {
    // No alarm of the point can change while nothing is active or pending and the value is in
    // [quiet_lo, quiet_hi]: the common case costs two comparisons.
    double quiet_lo = -inf, quiet_hi = inf;
    std::uint32_t first = 0, count = 0;
    std::uint32_t busy = 0;
    Micros last_time = never;
    double last_value = 0;
  };
  struct Area {
    std::string name;
    Micros bucket = never;  // start of the current 10-minute interval
    int count = 0;
    std::deque<FloodInterval> history;
    std::deque<Micros> recent;  // raise times within the last 10 minutes
  };

  AlarmEngineOptions options;
  mutable std::mutex mutex;
  PointIndex index;
  std::vector<Point> points;
  std::vector<Alarm> alarms;
  std::vector<Area> areas;
  std::vector<std::uint32_t> shelved;  // alarms with shelving that may expire
  std::uint64_t next_episode = 1;

  static AlarmState derive(const Alarm& a) {
    if (a.oos) return AlarmState::out_of_service;
    if (a.suppressed) return AlarmState::suppressed;
    if (a.shelved) return AlarmState::shelved;
    if (a.active) return a.acked ? AlarmState::acknowledged : AlarmState::unacknowledged;
    if (a.latched) return AlarmState::latched;
    if (!a.acked) return AlarmState::returned_unacknowledged;
    return AlarmState::normal;
  }

  void count_raise(Area& area, Micros t) {
    Micros bucket = t - ((t % flood_interval_us) + flood_interval_us) % flood_interval_us;
    if (bucket != area.bucket) {
      if (area.bucket != never) {
        area.history.push_back(
            {area.name, from_micros(area.bucket), area.count, area.count > flood_alarms});
        while (area.history.size() > options.flood_history) area.history.pop_front();
      }
      area.bucket = bucket;
      area.count = 0;
    }
    ++area.count;
    area.recent.push_back(t);
    while (!area.recent.empty() && area.recent.front() <= t - flood_interval_us)
      area.recent.pop_front();
  }

  /// Derives the new state after a change to `a`, opens/closes the episode bookkeeping and
  /// returns the transition.
  AlarmTransition finish(Alarm& a, AlarmState from, AlarmCause cause, Micros t) {
    a.state = derive(a);
    AlarmTransition tr;
    tr.point_id = a.point_id;
    tr.kind = a.kind;
    tr.priority = a.priority;
    tr.from = from;
    tr.to = a.state;
    tr.cause = cause;
    tr.active = a.active;
    tr.acknowledged = a.acked;
    tr.latched = a.latched;
    tr.episode = a.episode;
    tr.time = t;
    tr.value = points[a.point].last_value;
    tr.shelved_until = a.shelved ? a.shelved_until : 0;
    if (a.episode != 0 && !a.raised && annunciating(a.state)) {
      a.raised = true;
      tr.raise = true;
      count_raise(areas[a.area], t);
    }
    if (a.episode != 0 && !a.active && a.acked && !a.latched) {
      tr.clear = a.raised;  // an episode nobody was shown ends quietly
      a.episode = 0;
      a.raised = false;
    }
    return tr;
  }

  void activate(Alarm& a) {
    if (a.episode == 0) a.episode = next_episode++;
    a.active = true;
    a.acked = false;
    if (a.latching) a.latched = true;
  }
  void deactivate(Alarm& a) {
    a.active = false;
    if (a.shelved || a.suppressed) {  // never shown, nothing for the operator to acknowledge
      a.acked = true;
      a.latched = false;
    }
  }
  /// Back to annunciation after shelving or suppression: an alarm that is no longer active has
  /// nothing to show.
  static void reannunciate(Alarm& a) {
    if (!a.active) {
      a.acked = true;
      a.latched = false;
    }
  }

  void step(Alarm& a, Micros t, double v, std::vector<AlarmTransition>& out) {
    bool on;
    if (a.digital)
      on = std::llround(v) == std::llround(a.limit);
    else if (a.high)
      on = a.active ? v > a.limit - a.deadband : v > a.limit;
    else
      on = a.active ? v < a.limit + a.deadband : v < a.limit;
    if (on != a.active) {
      if (a.pending_since == never) a.pending_since = t;
      if (t - a.pending_since >= (on ? a.on_delay : a.off_delay)) {
        a.pending_since = never;
        AlarmState from = a.state;
        if (on)
          activate(a);
        else
          deactivate(a);
        out.push_back(finish(a, from, on ? AlarmCause::activated : AlarmCause::cleared, t));
      }
      return;
    }
    a.pending_since = never;
    if (a.realarm > 0 && a.state == AlarmState::acknowledged && t - a.acked_at >= a.realarm) {
      a.acked = false;
      out.push_back(finish(a, AlarmState::acknowledged, AlarmCause::realarmed, t));
    }
  }

  void refresh_busy(std::uint32_t point) {
    Point& p = points[point];
    p.busy = 0;
    for (std::uint32_t i = p.first; i < p.first + p.count; ++i)
      p.busy += alarms[i].active || alarms[i].pending_since != never;
  }

  void expire(Micros now, std::vector<AlarmTransition>& out) {
    for (std::size_t i = 0; i < shelved.size();) {
      Alarm& a = alarms[shelved[i]];
      if (!a.shelved) {
        shelved[i] = shelved.back();
        shelved.pop_back();
        continue;
      }
      if (a.shelved_until <= now) {
        AlarmState from = a.state;
        a.shelved = false;
        reannunciate(a);
        out.push_back(finish(a, from, AlarmCause::shelve_expired, now));
        shelved[i] = shelved.back();
        shelved.pop_back();
        continue;
      }
      ++i;
    }
  }

  Alarm& find(AlarmKey key) {
    auto slot = index.find(key.point_id);
    if (slot != PointIndex::npos) {
      const Point& p = points[slot];
      for (std::uint32_t i = p.first; i < p.first + p.count; ++i)
        if (alarms[i].kind == key.kind) return alarms[i];
    }
    fail(ErrorCode::not_found, alarm_name(key) + ": no such alarm");
  }

  AlarmStatus status_of(const Alarm& a) const {
    AlarmStatus s;
    s.point_id = a.point_id;
    s.kind = a.kind;
    s.priority = a.priority;
    s.state = a.state;
    s.active = a.active;
    s.acknowledged = a.acked;
    s.latched = a.latched;
    s.episode = a.episode;
    if (a.shelved) s.shelved_until = from_micros(a.shelved_until);
    s.value = points[a.point].last_value;
    s.area = areas[a.area].name;
    return s;
  }
};

AlarmEngine::AlarmEngine(const Clock& clock, AlarmEngineOptions options)
    : clock_(clock), impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->next_episode = options.first_episode;
}
AlarmEngine::~AlarmEngine() = default;

void AlarmEngine::configure(std::vector<AlarmConfig> points) {
  for (const auto& p : points) p.validate();
  std::vector<Id> ids;
  for (const auto& p : points) ids.push_back(p.point_id);
  PointIndex index;
  index.build(ids);
  std::vector<Impl::Point> slots(points.size());
  std::vector<Impl::Alarm> alarms;
  std::vector<Impl::Area> areas;
  std::map<std::string, std::uint32_t, std::less<>> area_ids;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& c = points[i];
    auto [it, added] = area_ids.emplace(c.area, static_cast<std::uint32_t>(areas.size()));
    if (added) {
      areas.emplace_back();
      areas.back().name = c.area;
    }
    auto& p = slots[i];
    p.first = static_cast<std::uint32_t>(alarms.size());
    auto add = [&](AlarmKind kind, const std::optional<double>& limit, Priority priority,
                   bool high) {
      if (!limit) return;
      Impl::Alarm a;
      a.point_id = c.point_id;
      a.kind = kind;
      a.priority = priority;
      a.digital = kind == AlarmKind::digital;
      a.high = high;
      a.limit = *limit;
      a.deadband = c.deadband;
      a.on_delay = c.on_delay_us;
      a.off_delay = c.off_delay_us;
      a.realarm = c.realarm_us;
      a.latching = c.latching;
      a.suppressed = c.suppressed;
      a.area = it->second;
      a.point = static_cast<std::uint32_t>(i);
      a.state = Impl::derive(a);
      alarms.push_back(a);
    };
    add(AlarmKind::hihi, c.hihi, c.hihi_priority, true);
    add(AlarmKind::hi, c.hi, c.hi_priority, true);
    add(AlarmKind::lo, c.lo, c.lo_priority, false);
    add(AlarmKind::lolo, c.lolo, c.lolo_priority, false);
    add(AlarmKind::digital, c.digital, c.digital_priority, false);
    p.count = static_cast<std::uint32_t>(alarms.size()) - p.first;
    if (c.digital) {
      p.quiet_lo = inf;  // never quiet: digital points are compared every time
      p.quiet_hi = -inf;
    } else {
      p.quiet_hi = std::min(c.hi.value_or(inf), c.hihi.value_or(inf));
      p.quiet_lo = std::max(c.lo.value_or(-inf), c.lolo.value_or(-inf));
    }
  }
  std::lock_guard lock(impl_->mutex);
  impl_->index = std::move(index);
  impl_->points = std::move(slots);
  impl_->alarms = std::move(alarms);
  impl_->areas = std::move(areas);
  impl_->shelved.clear();
}

void AlarmEngine::evaluate(std::span<const Sample> samples, std::vector<AlarmTransition>& out) {
  auto& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (!m.shelved.empty()) m.expire(to_micros(clock_.now()), out);
  for (const Sample& x : samples) {
    if (x.quality != quality_good || x.flag == Flag::fail || !std::isfinite(x.value)) continue;
    std::uint32_t slot = m.index.find(x.point_id);
    if (slot == PointIndex::npos) continue;
    Impl::Point& p = m.points[slot];
    if (x.time < p.last_time) continue;  // older than what the alarms already saw
    p.last_time = x.time;
    p.last_value = x.value;
    if (p.busy == 0 && x.value >= p.quiet_lo && x.value <= p.quiet_hi) continue;
    std::uint32_t busy = 0;
    for (std::uint32_t i = p.first; i < p.first + p.count; ++i) {
      Impl::Alarm& a = m.alarms[i];
      if (!a.oos) m.step(a, x.time, x.value, out);
      busy += a.active || a.pending_since != never;
    }
    p.busy = busy;
  }
}

void AlarmEngine::tick(std::vector<AlarmTransition>& out) {
  std::lock_guard lock(impl_->mutex);
  impl_->expire(to_micros(clock_.now()), out);
}

namespace {
[[noreturn]] void refuse(AlarmKey key, AlarmState state, const char* action) {
  fail(ErrorCode::failed_precondition,
       alarm_name(key) + ": cannot " + action + " in state " + std::string(enum_name(state)));
}
}  // namespace

AlarmTransition AlarmEngine::acknowledge(AlarmKey key) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  bool can = a.state == AlarmState::unacknowledged ||
             a.state == AlarmState::returned_unacknowledged ||
             (a.state == AlarmState::latched && !a.acked);
  if (!can) refuse(key, a.state, "acknowledge");
  AlarmState from = a.state;
  Micros now = to_micros(clock_.now());
  a.acked = true;
  a.acked_at = now;
  return impl_->finish(a, from, AlarmCause::acknowledged, now);
}

AlarmTransition AlarmEngine::shelve(AlarmKey key, std::chrono::microseconds duration) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (duration.count() <= 0 || duration > impl_->options.max_shelve)
    fail(ErrorCode::invalid_argument,
         alarm_name(key) + ": shelve duration must be positive and at most " +
             std::to_string(impl_->options.max_shelve.count() / 1'000'000) + " s");
  if (a.oos || a.suppressed || a.shelved) refuse(key, a.state, "shelve");
  AlarmState from = a.state;
  Micros now = to_micros(clock_.now());
  a.shelved = true;
  a.shelved_until = now + duration.count();
  impl_->shelved.push_back(static_cast<std::uint32_t>(&a - impl_->alarms.data()));
  return impl_->finish(a, from, AlarmCause::shelved, now);
}

AlarmTransition AlarmEngine::unshelve(AlarmKey key) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (!a.shelved) refuse(key, a.state, "unshelve");
  AlarmState from = a.state;
  a.shelved = false;
  Impl::reannunciate(a);
  return impl_->finish(a, from, AlarmCause::unshelved, to_micros(clock_.now()));
}

AlarmTransition AlarmEngine::remove_from_service(AlarmKey key) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (a.oos) refuse(key, a.state, "remove from service");
  AlarmState from = a.state;
  a.oos = true;
  a.shelved = false;
  a.active = false;
  a.acked = true;
  a.latched = false;
  a.pending_since = never;
  auto tr = impl_->finish(a, from, AlarmCause::removed_from_service, to_micros(clock_.now()));
  impl_->refresh_busy(a.point);
  return tr;
}

AlarmTransition AlarmEngine::return_to_service(AlarmKey key) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (!a.oos) refuse(key, a.state, "return to service");
  AlarmState from = a.state;
  a.oos = false;
  return impl_->finish(a, from, AlarmCause::returned_to_service, to_micros(clock_.now()));
}

AlarmTransition AlarmEngine::reset(AlarmKey key) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (a.state != AlarmState::latched) refuse(key, a.state, "reset");
  AlarmState from = a.state;
  Micros now = to_micros(clock_.now());
  a.latched = false;
  a.acked = true;
  a.acked_at = now;
  return impl_->finish(a, from, AlarmCause::reset, now);
}

std::optional<AlarmTransition> AlarmEngine::set_suppressed(AlarmKey key, bool suppressed) {
  std::lock_guard lock(impl_->mutex);
  auto& a = impl_->find(key);
  if (a.suppressed == suppressed || a.oos) return std::nullopt;
  AlarmState from = a.state;
  a.suppressed = suppressed;
  if (!suppressed) Impl::reannunciate(a);
  return impl_->finish(a, from, suppressed ? AlarmCause::suppressed : AlarmCause::unsuppressed,
                       to_micros(clock_.now()));
}

AlarmStatus AlarmEngine::status(AlarmKey key) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status_of(impl_->find(key));
}

std::vector<AlarmStatus> AlarmEngine::standing() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<AlarmStatus> out;
  for (const auto& a : impl_->alarms)
    if (a.state != AlarmState::normal) out.push_back(impl_->status_of(a));
  return out;
}

std::vector<AlarmStatus> AlarmEngine::all() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<AlarmStatus> out;
  for (const auto& a : impl_->alarms) out.push_back(impl_->status_of(a));
  return out;
}

void AlarmEngine::restore(std::span<const Saved> saved, std::uint64_t next_episode) {
  std::lock_guard lock(impl_->mutex);
  auto& m = *impl_;
  const Micros now = to_micros(clock_.now());
  for (const auto& s : saved) {
    auto slot = m.index.find(s.key.point_id);
    if (slot == PointIndex::npos) continue;
    for (std::uint32_t i = m.points[slot].first; i < m.points[slot].first + m.points[slot].count;
         ++i) {
      auto& a = m.alarms[i];
      if (a.kind != s.key.kind) continue;
      a.active = s.active;
      a.acked = s.acknowledged;
      a.latched = s.latched;
      a.oos = s.state == AlarmState::out_of_service;
      a.shelved = s.state == AlarmState::shelved && s.shelved_until.has_value();
      if (a.shelved) {
        a.shelved_until = to_micros(*s.shelved_until);
        m.shelved.push_back(i);
      }
      a.episode = s.episode;
      a.raised = a.episode != 0 && annunciating(s.state);
      a.acked_at = now;  // the re-alarm time counts from the restart, not from 1970
      a.pending_since = never;
      a.state = Impl::derive(a);
    }
    m.refresh_busy(slot);
  }
  m.next_episode = std::max(m.next_episode, next_episode);
}

std::vector<FloodInterval> AlarmEngine::flood_intervals() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<FloodInterval> out;
  for (const auto& area : impl_->areas) {
    out.insert(out.end(), area.history.begin(), area.history.end());
    if (area.bucket != never)
      out.push_back({area.name, from_micros(area.bucket), area.count, area.count > flood_alarms});
  }
  return out;
}

std::vector<std::string> AlarmEngine::areas_in_flood() const {
  std::lock_guard lock(impl_->mutex);
  Micros now = to_micros(clock_.now());
  std::vector<std::string> out;
  for (const auto& area : impl_->areas) {
    auto n = std::count_if(area.recent.begin(), area.recent.end(),
                           [&](Micros t) { return t > now - flood_interval_us; });
    if (n > flood_alarms) out.push_back(area.name);
  }
  return out;
}

std::uint64_t AlarmEngine::next_episode() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->next_episode;
}

std::size_t AlarmEngine::alarm_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->alarms.size();
}

}  // namespace houqin::telemetry
