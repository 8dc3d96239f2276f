// The host's rounds and its thread (see host.hpp).
#include "houqin/host/host.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "houqin/host/waker.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

std::string consumer_lease(const Consumer& c) {
  return "consumer:" + c.name();
}
constexpr const char* scheduler_lease = "scheduler";

ConsumerStatus consumer_status(store::Store& store, const ConsumerState& state,
                               std::int64_t last_event) {
  auto lease = find_lease(store, "consumer:" + state.name);
  const bool live = lease && store.clock().now() < lease->expires_at;
  return ConsumerStatus{state.name,
                        live,
                        live ? lease->holder : std::string(),
                        state.position,
                        std::max<std::int64_t>(0, last_event - state.position),
                        state.attempts,
                        state.last_error,
                        static_cast<std::int64_t>(dead_letters(store, state.name).size())};
}

}  // namespace

Host::Host(store::Store& store, HostOptions options) : store_(store), options_(std::move(options)) {
  if (options_.holder.empty()) options_.holder = make_holder_id();
  if (options_.lease_ttl <= std::chrono::milliseconds{0} ||
      options_.idle <= std::chrono::milliseconds{0})
    fail(ErrorCode::invalid_argument, "host: lease_ttl and idle must be positive");
  status_.holder = options_.holder;
  metrics_ = metrics::collect([this](std::vector<metrics::Value>& out) {
    const HostStatus st = status();
    const metrics::Labels host{{"holder", st.holder}};
    out.push_back({"houqin_host_rounds_total", metrics::Kind::counter,
                   "Rounds of the host's loop (consumers and scheduler)", host,
                   static_cast<double>(st.rounds)});
    out.push_back({"houqin_event_log_last_seq", metrics::Kind::gauge,
                   "The last event sequence number the host saw in the log", host,
                   static_cast<double>(st.last_event)});
    for (const auto& c : st.consumers) {
      const metrics::Labels l{{"consumer", c.name}};
      out.push_back({"houqin_consumer_lag", metrics::Kind::gauge,
                     "Events in the log after a consumer's checkpoint", l,
                     static_cast<double>(c.lag)});
      out.push_back({"houqin_consumer_dead_letters", metrics::Kind::gauge,
                     "Events a consumer parked and nobody replayed yet", l,
                     static_cast<double>(c.dead_letters)});
      out.push_back({"houqin_consumer_active", metrics::Kind::gauge,
                     "1 when this host holds the consumer's lease", l, c.active ? 1.0 : 0.0});
    }
  });
  if (options_.event_retention.count() > 0)
    add(Job{
        "houqin.prune_events", std::chrono::hours(1), CatchUp::latest,
        [age = options_.event_retention](store::Store& s, Timestamp) { prune_events(s, age); }});
}

Host::~Host() {
  stop();
}

void Host::add(Consumer consumer) {
  if (thread_.joinable()) fail(ErrorCode::failed_precondition, "host: add before start()");
  for (const auto& c : consumers_)
    if (c.name() == consumer.name())
      fail(ErrorCode::already_exists, "host: consumer " + c.name() + " is added twice");
  consumers_.push_back(std::move(consumer));
  held_.push_back({});
}

void Host::add(Job job) {
  if (thread_.joinable()) fail(ErrorCode::failed_precondition, "host: add before start()");
  scheduler_.add(std::move(job));
  has_jobs_ = true;
}

bool Host::keep(const std::string& lease, Held& h) {
  const Timestamp now = store_.clock().now();
  if (h.held && now < h.renew_after) return true;  // well inside its ttl
  h.held = acquire_lease(store_, lease, options_.holder, options_.lease_ttl);
  if (h.held) h.renew_after = now + options_.lease_ttl / 3;
  return h.held;
}

Round Host::run_once() {
  Round r;
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    if (!keep(consumer_lease(consumers_[i]), held_[i])) continue;
    r.replayed += consumers_[i].replay_requested(store_);
    auto p = consumers_[i].poll(store_);
    r.handled += p.handled + p.parked;
    if (!p.waiting_for_retry && !p.lost_race &&
        p.handled + p.parked + p.skipped >= consumers_[i].options().batch)
      r.more = true;
  }
  if (has_jobs_) {
    if (keep(scheduler_lease, scheduler_held_)) r.ran = scheduler_.run_due(store_).ran;
  }
  ++rounds_;
  refresh_status();
  return r;
}

ClusterStatus cluster_status(store::Store& store) {
  ClusterStatus st;
  st.last_event = store::last_event_seq(store);
  for (const auto& c : consumer_states(store))
    st.consumers.push_back(consumer_status(store, c, st.last_event));
  if (store.table_exists(entity_traits<JobState>::table))
    st.jobs =
        store::Repository<JobState>(store).find(store::Query<JobState>().order_by(&JobState::name));
  if (auto lease = find_lease(store, scheduler_lease);
      lease && store.clock().now() < lease->expires_at)
    st.scheduler_holder = lease->holder;
  return st;
}

void Host::refresh_status() {
  HostStatus st;
  st.holder = options_.holder;
  st.last_event = store::last_event_seq(store_);
  st.rounds = rounds_;
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    auto cs = consumer_status(store_, consumers_[i].state(store_), st.last_event);
    cs.active = held_[i].held;  // as this host sees it
    st.consumers.push_back(std::move(cs));
  }
  if (has_jobs_) {
    auto lease = find_lease(store_, scheduler_lease);
    st.scheduler_active = scheduler_held_.held;
    st.scheduler_holder = lease ? lease->holder : std::string();
  }
  std::lock_guard lock(status_mutex_);
  status_ = std::move(st);
}

HostStatus Host::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void Host::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    std::optional<Waker> waker;
    auto backoff = std::chrono::milliseconds{100};
    while (!stop.stop_requested()) {
      Round r;
      try {
        if (!waker) waker.emplace(store_);
        r = run_once();
        backoff = std::chrono::milliseconds{100};
      } catch (const std::exception&) {
        // The database went away (a restart, a failover) or a lease could not be written: try
        // again after a pause that grows to 2 s; the store reconnects at the next round.
        for (auto waited = std::chrono::milliseconds{0}; waited < backoff && !stop.stop_requested();
             waited += std::chrono::milliseconds{50})
          std::this_thread::sleep_for(std::chrono::milliseconds{50});
        backoff = std::min(backoff * 2, std::chrono::milliseconds{2000});
        continue;
      }
      if (r.more) continue;
      // Sleep until another process commits, a lease needs renewing or a job is due.
      auto sleep = std::min(options_.idle, options_.lease_ttl / 3);
      if (has_jobs_ && scheduler_held_.held) {
        try {
          if (auto due = scheduler_.next_due(store_)) {
            auto until =
                std::chrono::duration_cast<std::chrono::milliseconds>(*due - store_.clock().now());
            sleep = std::clamp(until, std::chrono::milliseconds{0}, sleep);
          }
        } catch (const std::exception&) {
        }
      }
      // Short slices, so that stop() is never kept waiting for a whole idle period.
      auto slice = std::min(sleep, std::chrono::milliseconds{200});
      for (auto waited = std::chrono::milliseconds{0}; waited < sleep && !stop.stop_requested();
           waited += slice) {
        try {
          if (waker->wait(slice)) break;
        } catch (const std::exception&) {
          break;
        }
      }
    }
  });
}

void Host::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  for (std::size_t i = 0; i < consumers_.size(); ++i)
    if (held_[i].held) release_lease(store_, consumer_lease(consumers_[i]), options_.holder);
  if (scheduler_held_.held) release_lease(store_, scheduler_lease, options_.holder);
  std::fill(held_.begin(), held_.end(), Held{});
  scheduler_held_ = Held{};
}

}  // namespace houqin::host
