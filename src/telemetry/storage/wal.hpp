// The SampleStore's write-ahead log: append-only, checksummed segment files in wal_dir that make
// every accepted sample durable before it reaches a stored block. It knows records and segments,
// not points or blocks: replay hands each whole record back to the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "houqin/telemetry/sample.hpp"
#include "houqin/telemetry/storage.hpp"

namespace houqin::telemetry::storage {

class WriteAheadLog {
 public:
  /// Takes the directory, sync policy and segment size from `options`; opens nothing yet.
  explicit WriteAheadLog(const SampleStoreOptions& options);
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  /// Whether there is a directory at all (SampleStoreOptions::wal_dir not empty).
  bool enabled() const noexcept { return !dir_.empty(); }
  /// Whether a segment is open for append(): from the first restart() on.
  bool is_open() const noexcept { return fd_ >= 0; }
  /// The current segment's sequence number (during replay: the segment being replayed).
  std::uint64_t seq() const noexcept { return seq_; }
  /// Whether the current segment has reached wal_segment_bytes.
  bool full() const noexcept { return size_ >= segment_bytes_; }

  /// Writes `samples` as one record, then syncs as the policy says. When the write or the sync
  /// fails, the record is cut off again (nothing of it stays in the log) and the error is
  /// Error(resource_exhausted) for a full disk, Error(unavailable) otherwise;
  /// Error(invalid_argument) for 2^31 samples or more.
  void append(std::span<const Sample> samples);

  /// Reads every segment in order and calls `apply` with each whole record's samples; a record
  /// that is short or fails its checksum ends its segment, which is truncated there.
  void replay(const std::function<void(std::span<const Sample>)>& apply);

  /// Opens the segment after the current one.
  void open_next();
  /// Deletes the segments numbered below `needed`.
  void remove_before(std::uint64_t needed);
  /// Opens the segment after the current one and deletes every other (after a flush: the log
  /// holds nothing that is not in a stored block).
  void restart();

 private:
  std::filesystem::path segment_path(std::uint64_t seq) const;
  std::vector<std::uint64_t> segments() const;
  void open_segment(std::uint64_t seq);
  /// Takes the record being written out of the log again and throws for `what`'s errno.
  [[noreturn]] void refuse(const char* what);

  std::filesystem::path dir_;
  SyncPolicy sync_;
  std::chrono::milliseconds sync_interval_;
  std::uint64_t segment_bytes_;

  int fd_ = -1;
  std::uint64_t seq_ = 0;
  std::uint64_t size_ = 0;
  std::vector<std::uint8_t> buffer_;  // the record being written
  std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace houqin::telemetry::storage
