// The telemetry pipeline: samples pushed by acquisition or by a host program are copied into
// preallocated, bounded batches and run on one pipeline thread through an ordered list of stages
// (verify -> alarm -> store -> forward). Stages are interfaces, so the verifier, the alarm engine,
// the block store and the MQTT forwarder plug in without changing the pipeline. See
// docs/telemetry-pipeline.md for the queue, back-pressure and acknowledgement contract.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "houqin/core/clock.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/telemetry/sample.hpp"

namespace houqin::telemetry {

/// One step of the pipeline. process() is called on the pipeline thread only, one batch at a
/// time, in acceptance order; a stage needs no locking of its own against the pipeline.
/// Verify and alarm stages inspect or change samples in place (flag); store and forward are sinks.
class HOUQIN_EXPORT Stage {
 public:
  virtual ~Stage();
  /// Handles one batch. The span is valid only during the call (copy what must be kept).
  virtual void process(std::span<Sample> batch) = 0;
  /// Makes everything processed so far durable (a sink's fsync or commit). Called on the pipeline
  /// thread when someone waits for durability, when the queue runs empty, every flush_interval
  /// under load, and at close.
  virtual void flush() {}
};

/// A stage in its place: a name for statistics and errors, and whether acknowledgement waits for
/// it.
struct StageSlot {
  std::string name;
  std::shared_ptr<Stage> stage;
  /// A durable stage's flush() is part of the acknowledgement: sync() returns only after every
  /// durable stage has processed and flushed the samples (the sample store; the forwarder too
  /// when upstream delivery must be guaranteed before acknowledging).
  bool durable = false;
};

/// The standard order. Null stages are left out; `store` is durable.
HOUQIN_EXPORT std::vector<StageSlot> standard_stages(std::shared_ptr<Stage> verify,
                                                     std::shared_ptr<Stage> alarm,
                                                     std::shared_ptr<Stage> store,
                                                     std::shared_ptr<Stage> forward);

/// What push() does when the queue is full.
///   block   wait for room, at most PipelineOptions::block_timeout
///   reject  return at once with what fitted
BOOST_DEFINE_ENUM_CLASS(FullPolicy, block, reject)

/// Called on the pipeline thread when a stage throws, with the batch as that stage left it.
/// `batch` is empty when flush() threw. Must not throw (an exception from it is swallowed).
using StageErrorHandler = std::function<void(std::string_view stage, std::exception_ptr error,
                                             std::span<const Sample> batch)>;

struct PipelineOptions {
  const Clock* clock = &system_clock();  // batch age and flush interval
  std::size_t batch_size = 4096;         // samples per batch: a full batch goes out at once
  std::size_t queue_batches = 16;        // capacity = queue_batches x batch_size samples
  /// A partly filled batch goes out once its first sample has waited this long (clock time).
  std::chrono::microseconds max_age = std::chrono::milliseconds(100);
  /// Stages are flushed at least this often (clock time) while samples keep coming.
  std::chrono::microseconds flush_interval = std::chrono::seconds(1);
  /// How often the idle pipeline thread looks at the clock for aged batches (wall time); wake()
  /// makes it look at once (tests advancing a ManualClock).
  std::chrono::milliseconds poll_interval{10};
  FullPolicy when_full = FullPolicy::block;
  std::chrono::milliseconds block_timeout{1000};
  StageErrorHandler on_error{};
};

/// The outcome of push().
///   accepted  every sample was accepted
///   full      the queue was full (reject, or block_timeout passed): only `accepted` samples (a
///             prefix of the span) were taken; push the rest again later
///   closed    the pipeline is closed: only `accepted` samples were taken
BOOST_DEFINE_ENUM_CLASS(PushStatus, accepted, full, closed)

struct PushResult {
  PushStatus status = PushStatus::accepted;
  std::size_t accepted = 0;
  /// The pipeline-wide sequence number of the last sample accepted so far (1-based): a ticket
  /// for wait_durable().
  std::uint64_t ticket = 0;
};

struct StageStats {
  std::string name;
  std::uint64_t batches = 0;
  std::uint64_t samples = 0;
  std::uint64_t errors = 0;          // process() or flush() threw
  std::uint64_t failed_samples = 0;  // samples in batches whose process() threw
  std::uint64_t flushes = 0;
  std::chrono::nanoseconds time{0};  // spent in process() and flush()
};
BOOST_DESCRIBE_STRUCT(StageStats, (),
                      (name, batches, samples, errors, failed_samples, flushes, time))

struct PipelineStats {
  std::uint64_t accepted = 0;        // samples taken by push()
  std::uint64_t rejected = 0;        // samples push() could not take (full or closed)
  std::uint64_t full_events = 0;     // pushes that met a full queue
  std::uint64_t processed = 0;       // samples through every stage
  std::uint64_t durable = 0;         // samples acknowledged (every durable stage flushed)
  std::uint64_t batches = 0;         // batches through every stage
  std::uint64_t aged_batches = 0;    // batches sent partly filled because of max_age
  std::size_t queued = 0;            // samples accepted and not yet processed
  std::size_t queue_high_water = 0;  // most samples ever queued at once
  std::size_t capacity = 0;          // queue_batches x batch_size
  std::vector<StageStats> stages;
};
BOOST_DESCRIBE_STRUCT(PipelineStats, (),
                      (accepted, rejected, full_events, processed, durable, batches, aged_batches,
                       queued, queue_high_water, capacity, stages))

class HOUQIN_EXPORT Pipeline {
 public:
  /// Allocates every batch up front and starts the pipeline thread.
  /// Error(invalid_argument) for a zero batch_size or queue_batches, or a slot without a stage.
  explicit Pipeline(std::vector<StageSlot> stages, PipelineOptions options = {});
  /// Closes (see close()).
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Copies samples into the queue; thread-safe, never allocates. Samples of one push keep their
  /// order and are accepted as a prefix; samples pushed by one thread are processed in push order.
  /// Under FullPolicy::block the wait is at most block_timeout in all. Never push from inside a
  /// stage: the pipeline thread would wait for itself (until block_timeout).
  PushResult push(std::span<const Sample> samples);

  /// Waits until every sample accepted before the call is durable (see StageSlot::durable):
  /// the open batch is sent at once, stages are flushed. Error(deadline_exceeded) after `timeout`;
  /// Error(unavailable) when a durable stage threw since the last sync (the error is then
  /// consumed: the samples it concerned went to on_error and are counted, not retried).
  void sync(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// As sync(), for the samples up to `ticket` (from PushResult).
  void wait_durable(std::uint64_t ticket,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// push() then wait_durable(): returns once these samples are acknowledged. Samples not accepted
  /// (PushResult::status other than accepted) are not waited for.
  PushResult push_and_wait(std::span<const Sample> samples,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Makes the pipeline thread check batch age now (after a ManualClock moved).
  void wake();

  /// Stops accepting, runs everything accepted through every stage, flushes every stage and
  /// joins the thread. Idempotent; blocked pushers return `closed`.
  void close();
  bool closed() const noexcept;

  PipelineStats stats() const;
  std::size_t capacity() const noexcept { return options_.batch_size * options_.queue_batches; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct Batch {
    std::vector<Sample> samples;  // capacity batch_size, reserved once
    std::uint64_t last_ticket = 0;
    Timestamp opened{};
  };
  struct Slot {
    StageSlot spec;
    StageStats stats;
  };

  void run();
  void process(Batch& batch);
  void flush_all();
  void seal_locked(bool aged);
  bool open_aged_locked() const;

  PipelineOptions options_;
  std::vector<Slot> slots_;  // touched by the pipeline thread; stats copied under mutex_
  std::vector<Batch> batches_;

  mutable std::mutex mutex_;
  std::condition_variable work_;     // pipeline thread: a batch is ready, a sync, close, wake
  std::condition_variable room_;     // pushers: a batch came free
  std::condition_variable durable_;  // sync waiters
  std::vector<std::size_t> free_;    // indexes of free batches (a stack)
  std::vector<std::size_t> ready_;   // sealed batches, a ring of queue_batches indexes
  std::size_t ready_head_ = 0;
  std::size_t ready_count_ = 0;
  std::size_t open_ = npos;  // the batch pushers fill
  bool closing_ = false;
  bool woken_ = false;
  std::uint64_t accepted_ = 0;         // tickets handed out
  std::uint64_t sealed_ = 0;           // last ticket in a sealed batch
  std::uint64_t processed_ = 0;        // last ticket through every stage
  std::uint64_t durable_through_ = 0;  // last ticket acknowledged
  std::uint64_t want_durable_ = 0;     // highest ticket a waiter wants
  std::string durable_error_;          // a durable stage's failure not yet reported by sync()
  Timestamp last_flush_{};
  PipelineStats counters_;
  std::mutex close_mutex_;  // one closer joins
  std::thread thread_;
};

}  // namespace houqin::telemetry
