// Timed jobs, once per (job, due time) across processes (see scheduler.hpp).
#include "houqin/host/scheduler.hpp"

#include "exception_text.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

[[maybe_unused]] const bool job_table_registered = store::register_tables<JobState>("host");

}  // namespace

void Scheduler::add(Job job) {
  if (job.name.empty() || !job.run)
    fail(ErrorCode::invalid_argument, "scheduler: a job needs a name and a body");
  if (job.every <= std::chrono::milliseconds{0})
    fail(ErrorCode::invalid_argument, "job " + job.name + ": every must be positive");
  for (const auto& j : jobs_)
    if (j.name == job.name) fail(ErrorCode::already_exists, "job " + job.name + " is added twice");
  jobs_.push_back(std::move(job));
}

JobState Scheduler::state(store::Store& store, const std::string& job) {
  store::Repository<JobState> repo(store);
  auto found = repo.find(store::Query<JobState>().where(&JobState::name, store::Op::eq, job));
  if (!found.empty()) return found.front();
  JobState st;
  st.name = job;
  st.next_due = store.clock().now();
  try {
    repo.insert(st);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::already_exists) throw;
    return state(store, job);
  }
  return st;
}

std::optional<Timestamp> Scheduler::next_due(store::Store& store) {
  std::optional<Timestamp> out;
  for (const auto& j : jobs_) {
    auto due = state(store, j.name).next_due;
    if (!out || due < *out) out = due;
  }
  return out;
}

SchedulerResult Scheduler::run_due(store::Store& store) {
  if (store.transaction_depth() != 0)
    fail(ErrorCode::failed_precondition, "scheduler: run_due inside a transaction");
  SchedulerResult r;
  store::Repository<JobState> states(store);
  for (const auto& job : jobs_) {
    JobState st = state(store, job.name);
    while (st.next_due <= store.clock().now()) {
      const Timestamp now = store.clock().now();
      Timestamp due = st.next_due;
      std::int64_t passed_over = 0;
      if (job.catch_up == CatchUp::latest && due + job.every <= now) {
        passed_over = (now - due) / job.every;  // whole periods missed: run only the last one
        due += job.every * passed_over;
      }
      std::exception_ptr error;
      bool lost = false;
      auto attempt = [&] {
        try {
          job.run(store, due);
        } catch (...) {
          error = std::current_exception();
        }
      };
      if (!job.in_transaction) attempt();  // commits its own work
      {
        store::Transaction tx(store);
        if (job.in_transaction) attempt();
        if (!error) {
          JobState next = st;
          next.next_due = due + job.every;
          next.last_run = due;
          next.runs += 1;
          next.skipped += passed_over;
          next.failures = 0;
          next.last_error.clear();
          try {
            states.update(next);  // the version check: did another process run it first?
            tx.commit();
            st = next;
          } catch (const Error& e) {
            if (e.code() != ErrorCode::conflict) throw;
            lost = true;
          }
        }
      }
      if (lost) {
        ++r.lost;
        break;
      }
      if (error) {
        ++r.failed;
        st.failures += 1;
        st.last_error = detail::exception_text(error);
        try {
          states.update(st);
        } catch (const Error& e) {
          if (e.code() != ErrorCode::conflict) throw;
        }
        break;  // tried again at the next run_due
      }
      ++r.ran;
      r.skipped += passed_over;
    }
  }
  return r;
}

}  // namespace houqin::host
