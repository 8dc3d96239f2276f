#include "houqin/telemetry/pipeline.hpp"

#include <algorithm>

#include "houqin/core/error.hpp"

namespace houqin::telemetry {

using steady = std::chrono::steady_clock;

Stage::~Stage() = default;

std::vector<StageSlot> standard_stages(std::shared_ptr<Stage> verify, std::shared_ptr<Stage> alarm,
                                       std::shared_ptr<Stage> store,
                                       std::shared_ptr<Stage> forward) {
  std::vector<StageSlot> slots;
  if (verify) slots.push_back({"verify", std::move(verify), false});
  if (alarm) slots.push_back({"alarm", std::move(alarm), false});
  if (store) slots.push_back({"store", std::move(store), true});
  if (forward) slots.push_back({"forward", std::move(forward), false});
  return slots;
}

Pipeline::Pipeline(std::vector<StageSlot> stages, PipelineOptions options)
    : options_(std::move(options)) {
  if (options_.batch_size == 0) fail(ErrorCode::invalid_argument, "batch_size must be positive");
  if (options_.queue_batches == 0)
    fail(ErrorCode::invalid_argument, "queue_batches must be positive");
  if (!options_.clock) fail(ErrorCode::invalid_argument, "clock must not be null");
  for (auto& s : stages) {
    if (!s.stage) fail(ErrorCode::invalid_argument, "stage '" + s.name + "' has no Stage");
    StageStats st;
    st.name = s.name;
    counters_.stages.push_back(st);
    slots_.push_back(Slot{std::move(s), std::move(st)});
  }
  // Everything the hot path touches is allocated here, once.
  batches_.resize(options_.queue_batches);
  for (auto& b : batches_) b.samples.reserve(options_.batch_size);
  free_.reserve(options_.queue_batches);
  for (std::size_t i = options_.queue_batches; i-- > 0;) free_.push_back(i);
  ready_.assign(options_.queue_batches, npos);
  counters_.capacity = capacity();
  last_flush_ = options_.clock->now();
  thread_ = std::thread([this] { run(); });
}

Pipeline::~Pipeline() {
  close();
}

PushResult Pipeline::push(std::span<const Sample> samples) {
  PushResult result;
  std::size_t done = 0;
  bool met_full = false;
  {
    std::unique_lock lock(mutex_);
    auto deadline = steady::now() + options_.block_timeout;
    while (done < samples.size()) {
      if (closing_) {
        result.status = PushStatus::closed;
        break;
      }
      if (open_ == npos) {
        if (free_.empty()) {
          if (!met_full) ++counters_.full_events;  // counted before waiting: visible meanwhile
          met_full = true;
          if (options_.when_full == FullPolicy::reject ||
              !room_.wait_until(lock, deadline, [&] { return closing_ || !free_.empty(); })) {
            result.status = PushStatus::full;
            break;
          }
          continue;
        }
        open_ = free_.back();
        free_.pop_back();
        batches_[open_].samples.clear();
      }
      auto& b = batches_[open_];
      if (b.samples.empty()) {
        b.opened = options_.clock->now();
        // The pipeline thread may be asleep without a deadline (nothing was open): it must
        // start timing this batch's age, or a trickle of samples would wait for a full batch.
        work_.notify_one();
      }
      auto n = std::min(samples.size() - done, options_.batch_size - b.samples.size());
      // Within the reserved capacity: a copy, never an allocation.
      b.samples.insert(b.samples.end(), samples.begin() + static_cast<std::ptrdiff_t>(done),
                       samples.begin() + static_cast<std::ptrdiff_t>(done + n));
      done += n;
      accepted_ += n;
      b.last_ticket = accepted_;
      if (b.samples.size() == options_.batch_size) {
        seal_locked(false);
        work_.notify_one();  // now, not at the end: this push may go on to wait for room
      }
    }
    counters_.accepted += done;
    counters_.rejected += samples.size() - done;
    counters_.queue_high_water =
        std::max<std::size_t>(counters_.queue_high_water, accepted_ - processed_);
    result.accepted = done;
    result.ticket = accepted_;
  }
  return result;
}

void Pipeline::seal_locked(bool aged) {
  ready_[(ready_head_ + ready_count_) % ready_.size()] = open_;
  ++ready_count_;
  sealed_ = batches_[open_].last_ticket;
  open_ = npos;
  if (aged) ++counters_.aged_batches;
}

bool Pipeline::open_aged_locked() const {
  if (open_ == npos || batches_[open_].samples.empty()) return false;
  return options_.clock->now() - batches_[open_].opened >= options_.max_age;
}

void Pipeline::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    bool open_filled = open_ != npos && !batches_[open_].samples.empty();
    // Flush when someone waits for samples already processed, when there is nothing more to
    // do (group commit), or when flush_interval has passed under load.
    if (processed_ > durable_through_) {
      bool waited = want_durable_ > durable_through_ && want_durable_ <= processed_;
      bool idle = ready_count_ == 0 && !open_filled;
      bool due = options_.clock->now() - last_flush_ >= options_.flush_interval;
      if (waited || idle || due) {
        auto through = processed_;
        lock.unlock();
        flush_all();
        lock.lock();
        last_flush_ = options_.clock->now();
        durable_through_ = through;
        counters_.durable = through;
        durable_.notify_all();
        continue;
      }
    }
    if (ready_count_ > 0) {
      auto index = ready_[ready_head_];
      ready_head_ = (ready_head_ + 1) % ready_.size();
      --ready_count_;
      lock.unlock();
      auto& batch = batches_[index];
      process(batch);
      lock.lock();
      processed_ = batch.last_ticket;
      counters_.processed += batch.samples.size();
      ++counters_.batches;
      for (std::size_t i = 0; i < slots_.size(); ++i) counters_.stages[i] = slots_[i].stats;
      free_.push_back(index);
      room_.notify_all();
      continue;
    }
    if (open_filled) {
      bool aged = open_aged_locked();
      if (closing_ || want_durable_ > sealed_ || aged) {
        seal_locked(aged && !closing_ && want_durable_ <= sealed_);
        continue;
      }
    }
    if (closing_) break;
    if (woken_) {
      woken_ = false;
      continue;
    }
    if (open_filled)
      work_.wait_for(lock, options_.poll_interval);
    else
      work_.wait(lock);
  }
  // Closing: everything accepted is processed; one last flush of every stage.
  auto through = processed_;
  lock.unlock();
  flush_all();
  lock.lock();
  durable_through_ = through;
  counters_.durable = through;
  durable_.notify_all();
}

void Pipeline::process(Batch& batch) {
  std::span<Sample> samples(batch.samples);
  std::string failure;
  for (auto& slot : slots_) {
    auto t0 = steady::now();
    try {
      slot.spec.stage->process(samples);
    } catch (...) {
      ++slot.stats.errors;
      slot.stats.failed_samples += samples.size();
      if (slot.spec.durable && failure.empty()) {
        try {
          throw;
        } catch (const std::exception& e) {
          failure = "stage '" + slot.spec.name + "' failed: " + e.what();
        } catch (...) {
          failure = "stage '" + slot.spec.name + "' failed";
        }
      }
      if (options_.on_error) {
        try {
          options_.on_error(slot.spec.name, std::current_exception(), samples);
        } catch (...) {
        }
      }
    }
    slot.stats.time += steady::now() - t0;
    ++slot.stats.batches;
    slot.stats.samples += samples.size();
  }
  if (!failure.empty()) {
    std::lock_guard lock(mutex_);
    if (durable_error_.empty()) durable_error_ = std::move(failure);
  }
}

void Pipeline::flush_all() {
  std::string failure;
  for (auto& slot : slots_) {
    auto t0 = steady::now();
    try {
      slot.spec.stage->flush();
    } catch (...) {
      ++slot.stats.errors;
      if (slot.spec.durable && failure.empty()) {
        try {
          throw;
        } catch (const std::exception& e) {
          failure = "stage '" + slot.spec.name + "' flush failed: " + e.what();
        } catch (...) {
          failure = "stage '" + slot.spec.name + "' flush failed";
        }
      }
      if (options_.on_error) {
        try {
          options_.on_error(slot.spec.name, std::current_exception(), {});
        } catch (...) {
        }
      }
    }
    slot.stats.time += steady::now() - t0;
    ++slot.stats.flushes;
  }
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < slots_.size(); ++i) counters_.stages[i] = slots_[i].stats;
  if (!failure.empty() && durable_error_.empty()) durable_error_ = std::move(failure);
}

void Pipeline::wait_durable(std::uint64_t ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ticket = std::min(ticket, accepted_);
  if (ticket > want_durable_) {
    want_durable_ = ticket;
    work_.notify_one();
  }
  if (!durable_.wait_for(lock, timeout, [&] { return durable_through_ >= ticket; }))
    fail(ErrorCode::deadline_exceeded, "telemetry pipeline: sample " + std::to_string(ticket) +
                                           " not durable after " + std::to_string(timeout.count()) +
                                           " ms");
  if (!durable_error_.empty())
    fail(ErrorCode::unavailable, "telemetry pipeline: " + std::exchange(durable_error_, {}));
}

void Pipeline::sync(std::chrono::milliseconds timeout) {
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mutex_);
    ticket = accepted_;
  }
  wait_durable(ticket, timeout);
}

PushResult Pipeline::push_and_wait(std::span<const Sample> samples,
                                   std::chrono::milliseconds timeout) {
  auto result = push(samples);
  if (result.accepted > 0) wait_durable(result.ticket, timeout);
  return result;
}

void Pipeline::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  work_.notify_one();
}

void Pipeline::close() {
  std::lock_guard closer(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  work_.notify_one();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Pipeline::closed() const noexcept {
  std::lock_guard lock(mutex_);
  return closing_;
}

PipelineStats Pipeline::stats() const {
  std::lock_guard lock(mutex_);
  auto s = counters_;
  s.queued = static_cast<std::size_t>(accepted_ - processed_);
  return s;
}

}  // namespace houqin::telemetry
