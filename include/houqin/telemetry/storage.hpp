// Telemetry storage: raw samples kept as compressed time blocks, one row per point and block in
// telemetry_block, with hourly rollups packed one row per point and day (telemetry_rollup). Each
// point's open block lives in memory as a BlockEncoder and is made durable by an append-only,
// checksummed write-ahead segment, so every sample append() accepted survives a crash of the
// process (and of the machine, with SyncPolicy::every_append). See docs/telemetry-storage.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/codec.hpp"
#include "houqin/telemetry/sample.hpp"

namespace houqin::telemetry {

/// The "telemetry" domain's storage migrations: telemetry_block (time-partitioned on
/// PostgreSQL) and telemetry_rollup (migration 2, which replaced the 1-minute and 1-hour rollup
/// tables of migration 1 and carried their hours over).
HOUQIN_EXPORT std::vector<store::Migration> storage_migrations();

/// How one point is stored.
struct PointStorage {
  Id point_id = 0;
  /// The step of the point's values (a Modbus register times its scale: 0.01, 0.1, 1 ...); values
  /// on that grid are stored as integer deltas. 0: no fixed resolution, values stored as XOR
  /// floats.
  double resolution = 0;
  /// The retention class (set_retention); points of no configured class are kept forever.
  std::string point_class = "default";
};
BOOST_DESCRIBE_STRUCT(PointStorage, (), (point_id, resolution, point_class))

/// When the write-ahead segment is forced to disk. Every policy survives a crash of the process
/// (the data is in the kernel once append() returns); only every_append survives a power cut
/// for everything acknowledged, interval for all but the last interval.
enum class SyncPolicy { none, interval, every_append };

/// How long the samples and rollups of one class of points are kept (SampleStore::set_retention).
struct ClassRetention {
  std::string point_class;  // "gas" and "power" (config_from_point_map), "default" ...
  std::chrono::hours keep{0};
};
BOOST_DESCRIBE_STRUCT(ClassRetention, (), (point_class, keep))

struct SampleStoreOptions {
  /// Directory of the write-ahead segments (created if missing). Empty: no write-ahead log, the
  /// open blocks are durable only after flush() (tests and benchmarks of the block path only).
  std::filesystem::path wal_dir;
  SyncPolicy sync = SyncPolicy::none;
  std::chrono::milliseconds sync_interval{200};
  /// A block closes when its encoding reaches this size ... (also what an open block reserves,
  /// so it bounds the memory per point).
  std::size_t max_block_bytes = 512;
  /// ... or when a sample arrives this long after the block's first.
  std::chrono::microseconds max_block_span = std::chrono::hours(1);
  /// The write-ahead log moves to a new segment file after this many bytes; old segments are
  /// deleted once every sample in them is in a stored block.
  std::uint64_t wal_segment_bytes = 64ull << 20;
  /// With a write-ahead log, closed blocks wait in memory (queries see them) until this many
  /// bytes of them are pending, then go to the database in one transaction with their rollups:
  /// a database page that several appends touch is written once, not once per append(). 0:
  /// every append() writes the blocks it closed. Without a write-ahead log blocks are always
  /// written by the append() that closed them.
  std::size_t write_batch_bytes = 1u << 20;
  /// With a write-ahead log, while the database cannot be reached the closed blocks keep waiting
  /// in memory (durable in the log) up to this many bytes; beyond it append() writes them first
  /// and, while the database is still away, refuses the samples (Error(unavailable), nothing
  /// accepted), so memory stays bounded during a long outage.
  std::size_t max_pending_bytes = 64u << 20;
  /// compact() reseals a point's stored blocks whose first samples fall in one window of this
  /// span (windows start at whole multiples of it since the epoch: 00:00, 04:00, 08:00 ... UTC
  /// by default) as one block; 1 minute .. 7 days.
  std::chrono::microseconds compact_span = std::chrono::hours(4);
  /// ... of at most this many samples (a fuller window becomes several blocks); at least 1024.
  std::uint32_t max_compact_samples = 1u << 16;
  /// The pipeline's storage stage (StoreStage) calls compact(compact_windows) this often at most,
  /// when it flushes (the queue ran empty, or every flush interval under load): a few
  /// milliseconds at a time, between batches. Zero: never (call compact() yourself).
  std::chrono::milliseconds compact_every{5000};
  std::size_t compact_windows = 16;
  /// How long the points of each class are kept: set_retention(class, keep) for each when the
  /// store opens.
  std::vector<ClassRetention> retention{};
  /// The storage stage calls apply_retention() this often at most while a class has a retention,
  /// the first time at its first flush. Zero: never (call apply_retention() yourself).
  std::chrono::milliseconds retention_every = std::chrono::hours(1);
};

/// What the store holds and has done, for monitoring and the benchmark.
struct SampleStoreStats {
  std::size_t points = 0;
  std::size_t open_samples = 0;  // samples in open blocks
  std::size_t memory_bytes = 0;  // heap held for the points and their open blocks
  std::uint64_t samples_appended = 0;
  std::uint64_t blocks_written = 0;
  std::uint64_t block_bytes_written = 0;  // blob bytes
  std::uint64_t samples_written = 0;      // samples in written blocks
  std::uint64_t wal_samples_replayed = 0;
  std::size_t pending_bytes = 0;     // closed blocks waiting to be written
  std::uint64_t write_failures = 0;  // writes of waiting blocks the database refused or missed
  std::string last_write_error;
  std::uint64_t windows_compacted = 0;  // by compact(), this process
  /// compact() calls of the storage stage that failed (the database away ...); it tries again.
  std::uint64_t compaction_failures = 0;
  std::string last_compaction_error;
  /// Stored rows of telemetry_rollup found damaged when new rollups were merged into them; each
  /// was replaced by the new hours alone (the blocks still hold every sample).
  std::uint64_t damaged_rollup_rows = 0;
  /// What apply_retention() deleted, this process.
  std::uint64_t blocks_expired = 0;
  std::uint64_t rollup_rows_expired = 0;
  /// apply_retention() calls of the storage stage that failed; it tries again at its next turn.
  std::uint64_t retention_failures = 0;
  std::string last_retention_error;
};
BOOST_DESCRIBE_STRUCT(SampleStoreStats, (),
                      (points, open_samples, memory_bytes, samples_appended, blocks_written,
                       block_bytes_written, samples_written, wal_samples_replayed, pending_bytes,
                       write_failures, last_write_error, windows_compacted, compaction_failures,
                       last_compaction_error, damaged_rollup_rows, blocks_expired,
                       rollup_rows_expired, retention_failures, last_retention_error))

/// One bucket of SampleStore::rollups(): the good, finite samples with
/// start <= time < start + step.
struct Rollup {
  Micros start = 0;
  double min = 0;
  double max = 0;
  double sum = 0;  // average = sum / count
  std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(Rollup, (), (start, min, max, sum, count))

/// What apply_retention() deleted.
struct RetentionResult {
  std::int64_t blocks = 0;       // including those in dropped partitions
  std::int64_t rollup_rows = 0;  // days of a point's hourly rollups
  /// PostgreSQL: partitions of telemetry_block detached and dropped whole (always 0 on SQLite).
  std::int64_t partitions_dropped = 0;
};

/// What compact() did.
struct CompactionResult {
  std::int64_t windows = 0;        // windows whose blocks were resealed
  std::int64_t blocks_before = 0;  // the rows they replaced ...
  std::int64_t blocks_after = 0;   // ... and the rows that replaced them
  std::int64_t bytes_before = 0;   // blob bytes, likewise
  std::int64_t bytes_after = 0;
  /// Windows left as they were because a block in them is damaged (Error(data_loss) when read);
  /// they are not tried again.
  std::int64_t damaged_windows = 0;
  /// false: it stopped at max_windows with windows left; call again for the rest.
  bool complete = true;
};
BOOST_DESCRIBE_STRUCT(CompactionResult, (),
                      (windows, blocks_before, blocks_after, bytes_before, bytes_after,
                       damaged_windows, complete))

/// The sample store of one Store. Like the Store it is used by one thread at a time (the
/// pipeline's storage stage); queries merge stored blocks with the open ones.
class HOUQIN_EXPORT SampleStore {
 public:
  /// Opens the store for these points: reads where each point's stored data ends, replays the
  /// write-ahead segments into the open blocks (a torn tail is cut off), writes them as blocks and
  /// starts a fresh segment. Needs the storage migrations applied (Error(failed_precondition));
  /// point ids are store ids, so one that is not positive is Error(invalid_argument).
  /// `store` must outlive the SampleStore, and nothing else may write telemetry_block meanwhile.
  SampleStore(store::Store& store, std::span<const PointStorage> points,
              SampleStoreOptions options = {});
  /// Flushes; errors are swallowed (the write-ahead log still holds the data).
  ~SampleStore();
  SampleStore(const SampleStore&) = delete;
  SampleStore& operator=(const SampleStore&) = delete;

  /// Adds (or reconfigures, taking effect with its next block) a point; Error(invalid_argument)
  /// for a point_id that is not positive.
  void configure(const PointStorage& point);

  /// Accepts samples (any mix of points; each point's in time order, equal times allowed, and
  /// after the point's last stored block). All or nothing: Error(not_found) for an unknown point,
  /// Error(invalid_argument) for a time before the point's previous sample, leaving the store as it
  /// was. Once it returns, the samples are in the write-ahead log (acknowledged). Blocks that fill
  /// up are written to the database once write_batch_bytes of them are pending (at once without
  /// a write-ahead log). With a write-ahead log a database that cannot be reached (a restart, a
  /// failover) or whose disk is full does not fail the append: the blocks wait, durable in the
  /// log, and a later append() tries again (stats().write_failures counts the misses) up to
  /// max_pending_bytes. Without one, that write's error is thrown, and the blocks are written by
  /// a later append() or flush(). When the log itself cannot take the samples (its disk is full:
  /// Error(resource_exhausted); another file-system error: Error(unavailable)) none of them is
  /// accepted, and the same samples may be appended again once there is room.
  void append(std::span<const Sample> samples);

  /// Writes every open block (and its rollups) to the database and empties the write-ahead log.
  void flush();

  /// The samples of `point` with from <= time < to, in time order, stored and open blocks merged.
  Series query(Id point, Micros from, Micros to);
  /// The same into caller buffers: writes the first out.capacity() samples and returns how many
  /// are in the range (like snprintf: more than the capacity means the result was cut).
  std::size_t query(Id point, Micros from, Micros to, const ColumnBuffers& out);

  /// The good, finite samples of `point` with from <= time < to, summed up in buckets
  /// [from + k * step, from + (k + 1) * step): one Rollup for each bucket holding any, in time
  /// order; stored, waiting and open blocks merged. When `from` is on a whole UTC hour and
  /// `step` a whole number of hours, the whole hours come from the stored hourly rollups (a
  /// year of a point is 365 rows) and only the last, partial hour and the blocks not yet written
  /// are decoded; otherwise every sample in range is decoded (a day of 1-s samples in well under
  /// a millisecond). When `from` is on a whole UTC day and `step` a whole number of days, the
  /// whole days come from each stored day's totals, without reading its hours.
  /// Error(invalid_argument) for step <= 0 or from >= to.
  std::vector<Rollup> rollups(Id point, Micros from, Micros to, Micros step);
  /// The same for several points, result i for points[i]; the stored day totals of all of them
  /// are read in one query (a dashboard's year of 100 points).
  std::vector<std::vector<Rollup>> rollups(std::span<const Id> points, Micros from, Micros to,
                                           Micros step);

  /// Reseals the stored blocks of each configured point window by window
  /// (SampleStoreOptions::compact_span): a window whose samples are all stored (the point's data
  /// goes on past its end) and that holds more than one block becomes one block (or a few, of
  /// max_compact_samples each), coded for the whole window -- one header and one row where there
  /// were dozens, and codes chosen over thousands of samples. What the database holds reads back
  /// the same, sample for sample; rollups are not touched. Each point's windows go in one
  /// transaction, and telemetry_compaction remembers how far each point is done, so a later call
  /// starts there. max_windows (0: no limit) bounds the windows looked at in one call, so a
  /// maintenance task can spread a large backlog over several calls. `final`: each point's last
  /// window too, though samples may still come into it (after a bulk import, before an archive,
  /// a point taken out of service); if they do, the window is resealed again once it is over.
  CompactionResult compact(std::size_t max_windows = 0, bool final = false);
  /// Counts a compact() that failed in stats() (the storage stage's, which carries on).
  void note_compaction_failure(std::string error);

  /// Keeps blocks and rollups of points of `point_class` for `keep` (measured back from
  /// store.clock()); apply_retention() deletes what is older.
  void set_retention(std::string_view point_class, std::chrono::hours keep);
  RetentionResult apply_retention();
  /// Whether any class has a retention (set_retention or SampleStoreOptions::retention).
  bool has_retention() const noexcept;
  /// Counts an apply_retention() the storage stage could not do (stats().retention_failures).
  void note_retention_failure(std::string error);

  SampleStoreStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace houqin::telemetry
