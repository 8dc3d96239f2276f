// The host: what a daemon, a script or a vendor tool runs to react to the event log. It holds the
// leases of its consumers and of the scheduler, polls the consumers whose lease it holds, runs the
// due jobs, and sleeps on the Waker until another process commits, the next job is due or a lease
// needs renewing. Several hosts may run against one store: for each consumer, and for the
// scheduler, one of them is active and the others stand by and take over within the lease's ttl.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/metrics.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/lease.hpp"
#include "houqin/host/scheduler.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

struct HostOptions {
  std::string holder;  // this host's id in the leases; make_holder_id() when empty
  std::chrono::milliseconds lease_ttl{std::chrono::seconds(6)};  // renewed every ttl/3
  std::chrono::milliseconds idle{std::chrono::seconds(1)};       // the longest sleep between rounds
  /// Events older than this that every consumer has passed are pruned by an hourly job
  /// ("houqin.prune_events", under the scheduler's lease); zero keeps them all.
  std::chrono::hours event_retention{24 * 30};
};
BOOST_DESCRIBE_STRUCT(HostOptions, (), (holder, lease_ttl, idle, event_retention))

struct ConsumerStatus {
  std::string name;
  bool active = false;       // this host holds its lease
  std::string lease_holder;  // who does
  std::int64_t position = 0;
  std::int64_t lag = 0;  // events in the log after its position
  std::int32_t attempts = 0;
  std::string last_error;
  std::int64_t dead_letters = 0;  // parked and not replayed
};
BOOST_DESCRIBE_STRUCT(ConsumerStatus, (),
                      (name, active, lease_holder, position, lag, attempts, last_error,
                       dead_letters))

struct HostStatus {
  std::string holder;
  std::int64_t last_event = 0;
  std::vector<ConsumerStatus> consumers;
  bool scheduler_active = false;
  std::string scheduler_holder;
  std::int64_t rounds = 0;
};
BOOST_DESCRIBE_STRUCT(HostStatus, (),
                      (holder, last_event, consumers, scheduler_active, scheduler_holder, rounds))

/// What the store says of every consumer and job, from any process (the host.status operation):
/// a consumer is `active` while an unexpired lease on it is held (by `lease_holder`).
struct ClusterStatus {
  std::int64_t last_event = 0;
  std::vector<ConsumerStatus> consumers;
  std::vector<JobState> jobs;
  std::string scheduler_holder;  // empty when no host holds the scheduler's lease
};
BOOST_DESCRIBE_STRUCT(ClusterStatus, (), (last_event, consumers, jobs, scheduler_holder))

HOUQIN_EXPORT ClusterStatus cluster_status(store::Store& store);

/// What one round did.
struct Round {
  std::int64_t handled = 0;   // events handled (or parked) by the consumers
  std::int64_t replayed = 0;  // dead letters replayed on request
  std::int64_t ran = 0;       // jobs run
  bool more = false;          // a consumer stopped at its batch size: go again at once
};
BOOST_DESCRIBE_STRUCT(Round, (), (handled, replayed, ran, more))

class HOUQIN_EXPORT Host {
 public:
  /// Runs on `store`, a connection of its own that the host uses from its thread once started.
  explicit Host(store::Store& store, HostOptions options = {});
  ~Host();  // stops
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  void add(Consumer consumer);
  void add(Job job);

  /// One round on the calling thread: take or renew leases, poll the consumers this host holds
  /// and replay their dead letters an operator asked for, run the due jobs if it holds the
  /// scheduler. For tests and hosts with their own loop.
  Round run_once();
  /// Runs rounds on a thread of its own until stop(), sleeping on the Waker between them.
  void start();
  /// Stops the thread (after its current round), if one runs, and gives up the leases held, so a
  /// standby takes over at once. The destructor stops; the store must outlive the host.
  void stop();

  /// As of the last round (safe from any thread).
  HostStatus status() const;
  const std::string& holder() const noexcept { return options_.holder; }

 private:
  void refresh_status();
  store::Store& store_;
  HostOptions options_;
  std::vector<Consumer> consumers_;
  Scheduler scheduler_;
  bool has_jobs_ = false;
  /// A lease this host holds is renewed once a third of its ttl has passed, not every round: a
  /// round after every commit would otherwise write the lease row each time.
  struct Held {
    bool held = false;
    Timestamp renew_after{};
  };
  bool keep(const std::string& lease, Held& h);
  std::vector<Held> held_;  // per consumer
  Held scheduler_held_;
  std::int64_t rounds_ = 0;
  mutable std::mutex status_mutex_;
  HostStatus status_;
  std::jthread thread_;
  metrics::Registration metrics_;  // consumer lag and dead letters, from status_
};

}  // namespace houqin::host
