// Timed jobs (SLA checks, reminders, later waste-storage limits and inspection due dates) declared
// by domains and run by the host that holds the "scheduler" lease. Each job's next due time is a
// row of houqin_job; running a due time and moving the row to the next one commit in one
// transaction with the version check, so each (job, due time) runs once across every process,
// and a job's store writes happen exactly once. Due times come from the store's Clock
// (ManualClock in tests); a host that was down catches up when it returns, running every missed
// due time in order or only the latest, as the job says.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

/// A job's schedule state (houqin_job).
struct JobState {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;
  Timestamp next_due{};
  std::optional<Timestamp> last_run;  // the due time that last ran
  std::int64_t runs = 0;
  std::int64_t skipped = 0;   // due times passed over when catching up with CatchUp::latest
  std::int32_t failures = 0;  // consecutive failures of next_due
  std::string last_error;
};
BOOST_DESCRIBE_STRUCT(JobState, (),
                      (id, version, name, next_due, last_run, runs, skipped, failures, last_error))

/// After downtime: run each missed due time in order (reminders that must each go out), or only
/// the latest (a check of the current state, such as the SLA tick, where one run covers all).
BOOST_DEFINE_ENUM_CLASS(CatchUp, every_due, latest)

struct Job {
  std::string name;
  std::chrono::milliseconds every{std::chrono::minutes(1)};
  CatchUp catch_up = CatchUp::latest;
  /// Runs inside the transaction that moves the job on; `due` is the time it was due.
  std::function<void(store::Store& store, Timestamp due)> run;
  /// false: `run` commits its own work before the job is moved on (a job that calls something
  /// outside the store between commits, such as the outbox's delivery, which claims each message
  /// in a commit of its own before calling the channel). Such a run happens at least once per
  /// due time -- twice if the process dies between the two commits, or when two processes race
  /// for it -- so it must be idempotent, as the delivery is.
  bool in_transaction = true;
};

/// What one run_due did.
struct SchedulerResult {
  std::int64_t ran = 0;      // (job, due time) pairs run and committed
  std::int64_t skipped = 0;  // due times passed over (CatchUp::latest)
  std::int64_t failed = 0;   // failed runs (retried at the next run_due)
  std::int64_t lost = 0;     // due times another process ran first
};

class HOUQIN_EXPORT Scheduler {
 public:
  /// Adds a job; a job new to the store is first due now. Names are unique.
  void add(Job job);
  /// Runs every job whose due time has come by the store's clock (outside any transaction).
  /// A failing run is rolled back, recorded and tried again next time; the other jobs go on.
  SchedulerResult run_due(store::Store& store);
  /// The earliest next due time over the jobs (for how long a host may sleep); nullopt without
  /// jobs.
  std::optional<Timestamp> next_due(store::Store& store);
  JobState state(store::Store& store, const std::string& job);

 private:
  std::vector<Job> jobs_;
};

}  // namespace houqin::host

template <>
struct houqin::entity_traits<houqin::host::JobState> {
  static constexpr std::string_view table = "houqin_job";
  static constexpr std::string_view collection = "jobs";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};

// Instantiated once, in libhouqin (src/host/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::host::JobState)
