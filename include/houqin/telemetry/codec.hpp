// The block codec of telemetry storage: the samples of one point over a stretch of time, packed
// into one small blob (timestamps as delta-of-delta, values as integer deltas at the point's
// resolution or Gorilla-style XOR floats, quality and flag as runs). Round trips are exact, bit
// for bit, and decoding writes straight into caller-owned columns without allocating.
// The byte layout is described in docs/telemetry-storage.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/telemetry/sample.hpp"

namespace houqin::telemetry {

/// How a block stores values; the number is the block's second byte and the `encoding` column of
/// telemetry_block. Append-only.
///   scaled_divide    value = q / scale, q an integer (resolution 10^-k: scale = 10^k)
///   scaled_multiply  value = q * scale (any other resolution, scale = resolution)
///   xor_float        Gorilla-style XOR of consecutive doubles (points with no fixed resolution)
enum class Encoding : std::uint8_t { scaled_divide = 1, scaled_multiply = 2, xor_float = 3 };

/// The encoding a point with this resolution gets (0 or negative: no fixed resolution) and the
/// scale stored with it.
struct ValueScheme {
  Encoding encoding = Encoding::xor_float;
  double scale = 0;
};
HOUQIN_EXPORT ValueScheme value_scheme(double resolution) noexcept;

/// The fixed part of a block, read from its first bytes.
struct BlockHeader {
  std::uint8_t version = 1;  // 1: streamed by BlockEncoder; 2: sealed (seal_block)
  Encoding encoding = Encoding::xor_float;
  std::uint32_t count = 0;
  Micros start = 0;
  double scale = 0;
  std::size_t stream_offset = 0;  // where the bit stream starts in the blob
};

/// Caller-owned columns a decoder writes into, element i of each belonging to sample i.
struct HOUQIN_EXPORT ColumnBuffers {
  std::span<Micros> times;
  std::span<double> values;
  std::span<QualityCode> qualities;
  std::span<Flag> flags;
  std::size_t capacity() const noexcept;
};

/// Owned columns, e.g. a query result. Flags and qualities are per sample, like times and values.
struct HOUQIN_EXPORT Series {
  std::vector<Micros> times;
  std::vector<double> values;
  std::vector<QualityCode> qualities;
  std::vector<Flag> flags;
  std::size_t size() const noexcept { return times.size(); }
  void clear() noexcept;
  void resize(std::size_t n);
  ColumnBuffers buffers(std::size_t offset = 0) noexcept;
};

/// Builds one block sample by sample. The encoded stream grows in a byte vector reserved once per
/// block (reserve()), so appending never allocates while the block stays within its reservation.
/// A BlockEncoder is what an open block of the sample store is; it stays small (about 80 bytes
/// plus the stream).
class HOUQIN_EXPORT BlockEncoder {
 public:
  explicit BlockEncoder(double resolution = 0) noexcept;
  /// Starts an empty block (keeps the stream's capacity); `resolution` may change between blocks.
  void reset(double resolution) noexcept;
  void reserve(std::size_t bytes) { stream_.reserve(bytes); }

  /// Appends one sample. Error(invalid_argument) when `time` is before the previous sample's
  /// (equal times are allowed); the block is unchanged then.
  void append(Micros time, double value, QualityCode quality, Flag flag);
  void append(const Sample& s) { append(s.time, s.value, s.quality, s.flag); }

  std::uint32_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  Micros start() const noexcept { return start_; }
  Micros last_time() const noexcept { return prev_time_; }
  Encoding encoding() const noexcept { return scheme_.encoding; }
  /// The size finish() would produce.
  std::size_t encoded_size() const noexcept;
  /// Asks the CPU to fetch the end of the stream, where the next append() writes.
  void prefetch() const noexcept { __builtin_prefetch(stream_.data() + stream_.size(), 1); }
  /// Heap bytes held by the stream buffer (its capacity).
  std::size_t heap_bytes() const noexcept { return stream_.capacity(); }

  /// Appends the finished block (header and stream) to `out`; the encoder is unchanged.
  void finish(std::vector<std::uint8_t>& out) const;

 private:
  void put(std::uint64_t bits, unsigned width);
  void put_wide(std::uint64_t bits, unsigned width);
  void put_value(double value);

  std::vector<std::uint8_t> stream_;
  ValueScheme scheme_;
  Micros start_ = 0;
  Micros prev_time_ = 0;
  std::uint64_t prev_delta_ = 0;
  std::uint64_t prev_value_ = 0;  // the last integer (scaled) or the last value's bits (xor)
  std::uint64_t acc_ = 0;         // bits not yet in stream_ (the low `acc_bits_`, < 32)
  std::uint32_t count_ = 0;
  std::uint8_t acc_bits_ = 0;
  std::uint8_t lead_ = 0xff;  // the XOR window of the previous value (0xff: none yet)
  std::uint8_t trail_ = 0;
  QualityCode quality_ = quality_good;
  Flag flag_ = Flag::not_evaluated;
};

/// Encodes samples (all of one point, in time order) as one block. Error(invalid_argument) for
/// out-of-order times, mixed points or an empty span.
HOUQIN_EXPORT std::vector<std::uint8_t> encode_block(std::span<const Sample> samples,
                                                     double resolution);

/// Seals a closed block: the samples of one point (columns of equal length, times in order)
/// re-encoded in the compact format 2, chosen for the whole block in two passes -- the time unit,
/// the poll period and phase, the value predictor, each stream's code (docs/telemetry-storage.md,
/// "Sealed blocks"). Appends the block to `out` and returns true; returns false and leaves `out`
/// as it was when the format does not apply (points without a fixed resolution, out-of-order
/// times, empty or unequal columns) or when the result would not decode to the same samples bit
/// for bit, which is checked on every block.
/// `thorough` (compaction: thousands of samples, off the ingest path) also tries the long level
/// predictors and the tabled (rANS) stream, about 4 times the work.
HOUQIN_EXPORT bool seal_block(std::span<const Micros> times, std::span<const double> values,
                              std::span<const QualityCode> qualities, std::span<const Flag> flags,
                              double resolution, std::vector<std::uint8_t>& out,
                              bool thorough = false);

/// How hard seal_block() works: quick (closing a block), thorough (compaction), or thorough
/// with the adaptive range-coded stream the tabled one replaced (blocks compacted before it are
/// still read; this writes such blocks, for tests).
enum class Sealing : std::uint8_t { quick, thorough, thorough_adaptive };
HOUQIN_EXPORT bool seal_block(std::span<const Micros> times, std::span<const double> values,
                              std::span<const QualityCode> qualities, std::span<const Flag> flags,
                              double resolution, std::vector<std::uint8_t>& out, Sealing effort);

/// Reads the header (either format); Error(data_loss) when the blob is too short or of an unknown
/// format.
HOUQIN_EXPORT BlockHeader read_header(std::span<const std::uint8_t> blob);

/// Decodes the whole block into `out` (which must hold header.count samples:
/// Error(invalid_argument) otherwise); returns the count. Error(data_loss) for a damaged block.
/// Does not allocate.
HOUQIN_EXPORT std::size_t decode_block(std::span<const std::uint8_t> blob,
                                       const ColumnBuffers& out);

}  // namespace houqin::telemetry
