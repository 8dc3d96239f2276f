#include "telemetry/storage/wal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "houqin/core/error.hpp"

namespace houqin::telemetry::storage {
namespace {

// A segment is a sequence of records: a 16-byte header (payload bytes u32, sample count u32,
// checksum u64 of count and payload, in this machine's byte order) followed by 26 bytes per
// sample (point_id, time, value bits, quality, flag). One record per append() call.

constexpr std::size_t record_header = 16;
constexpr std::size_t record_sample = 26;  // point_id, time, value (8 each), quality, flag
// Compact records (the count's top bit set): per sample the point_id and the time as zig-zag
// LEB128 deltas from the previous sample of the record (usually 1 and 0: one byte each), then
// value, quality and flag as above: about 12 bytes a sample instead of 26.
constexpr std::uint32_t compact_record = 0x80000000u;
constexpr std::size_t compact_sample_min = 12;  // two one-byte deltas and 10 bytes
constexpr std::size_t compact_sample_max = 10 + 10 + 8 + 2;

inline std::uint8_t* put_varint(std::uint8_t* out, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *out++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(v);
  return out;
}
/// Reads one varint; false when it runs past `end` or is longer than 64 bits.
inline bool get_varint(const std::uint8_t*& in, const std::uint8_t* end,
                       std::uint64_t& v) noexcept {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (in == end) return false;
    std::uint8_t b = *in++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}
inline std::uint64_t zig(std::uint64_t v) noexcept {
  return (v << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(v) >> 63);
}
inline std::uint64_t unzig(std::uint64_t z) noexcept {
  return (z >> 1) ^ (0 - (z & 1));
}

std::uint64_t checksum(const void* data, std::size_t bytes, std::uint64_t seed) noexcept {
  // A multiply-xor hash over 8-byte words: fast, and any torn or damaged record fails it.
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint64_t h = seed ^ (bytes * 0x9E3779B97F4A7C15ull);
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h ^ (h >> 32);
}

std::string segment_name(std::uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "telemetry-%016llx.wal", static_cast<unsigned long long>(seq));
  return buf;
}

/// A full disk (or a quota, or a file size limit) is `resource_exhausted`: someone must make room,
/// waiting does not help. Any other failure of the file system is `unavailable`.
[[noreturn]] void fail_errno(const std::string& what) {
  const int err = errno;
  const bool full = err == ENOSPC || err == EDQUOT || err == EFBIG;
  fail(full ? ErrorCode::resource_exhausted : ErrorCode::unavailable,
       "telemetry write-ahead log: " + what + ": " + std::strerror(err));
}

/// A segment opened for replay, closed however replay leaves.
struct ReplayFile {
  int fd = -1;
  ~ReplayFile() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

WriteAheadLog::WriteAheadLog(const SampleStoreOptions& options)
    : dir_(options.wal_dir),
      sync_(options.sync),
      sync_interval_(options.sync_interval),
      segment_bytes_(options.wal_segment_bytes) {}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path WriteAheadLog::segment_path(std::uint64_t seq) const {
  return dir_ / segment_name(seq);
}

std::vector<std::uint64_t> WriteAheadLog::segments() const {
  std::vector<std::uint64_t> out;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    auto name = e.path().filename().string();
    if (name.size() == 30 && name.rfind("telemetry-", 0) == 0 && name.ends_with(".wal"))
      out.push_back(std::stoull(name.substr(10, 16), nullptr, 16));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void WriteAheadLog::open_segment(std::uint64_t seq) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  auto path = segment_path(seq);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) fail_errno("open " + path.string());
  seq_ = seq;
  size_ = static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_END));
  // The new file's name must survive a power cut too.
  int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void WriteAheadLog::open_next() {
  open_segment(seq_ + 1);
}

void WriteAheadLog::remove_before(std::uint64_t needed) {
  for (auto seq : segments())
    if (seq < needed) std::filesystem::remove(segment_path(seq));
}

void WriteAheadLog::restart() {
  auto old = segments();
  open_segment(seq_ + 1);
  for (auto seq : old)
    if (seq != seq_) std::filesystem::remove(segment_path(seq));
}

void WriteAheadLog::append(std::span<const Sample> samples) {
  if (samples.size() >= compact_record)
    fail(ErrorCode::invalid_argument, "samples: more than 2^31 in one append()");
  std::uint32_t count = static_cast<std::uint32_t>(samples.size()) | compact_record;
  std::size_t most = record_header + samples.size() * compact_sample_max;
  if (buffer_.size() < most) buffer_.resize(most);  // grows to the largest batch once
  std::uint8_t* out = buffer_.data() + record_header;
  std::uint64_t prev_id = 0, prev_time = 0;
  for (const auto& smp : samples) {  // field by field: no padding bytes reach the file
    auto id = static_cast<std::uint64_t>(smp.point_id);
    auto time = static_cast<std::uint64_t>(smp.time);
    out = put_varint(out, zig(id - prev_id));
    out = put_varint(out, zig(time - prev_time));
    prev_id = id;
    prev_time = time;
    std::memcpy(out, &smp.value, 8);
    out[8] = smp.quality;
    out[9] = static_cast<std::uint8_t>(smp.flag);
    out += 10;
  }
  auto bytes = static_cast<std::uint32_t>(out - (buffer_.data() + record_header));
  std::size_t total = record_header + bytes;
  std::uint64_t sum = checksum(buffer_.data() + record_header, bytes, count);
  std::memcpy(buffer_.data(), &bytes, 4);
  std::memcpy(buffer_.data() + 4, &count, 4);
  std::memcpy(buffer_.data() + 8, &sum, 8);
  std::size_t done = 0;
  while (done < total) {
    ssize_t n = ::write(fd_, buffer_.data() + done, total - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) refuse("write");
    done += static_cast<std::size_t>(n);
  }
  bool sync = sync_ == SyncPolicy::every_append;
  if (sync_ == SyncPolicy::interval) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_sync_ >= sync_interval_) {
      sync = true;
      last_sync_ = now;
    }
  }
  if (sync && ::fdatasync(fd_) != 0) refuse("fdatasync");
  size_ += total;
}

void WriteAheadLog::refuse(const char* what) {
  const int err = errno;
  // The caller is told the record was refused, so it must not be in the log: a torn record would
  // end replay there (hiding every later record in the segment, such as the caller's retry), and
  // a whole one would bring back samples the caller was told were refused (tests: DiskFull*).
  // When the file cannot be cut, later records go to a new segment: replay reads each segment to
  // its first damaged record and then goes on with the next.
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    try {
      open_next();
    } catch (const Error&) {  // reported below; the next append() tries the file again
    }
  }
  errno = err;
  fail_errno(what);
}

void WriteAheadLog::replay(const std::function<void(std::span<const Sample>)>& apply) {
  std::vector<std::uint8_t> data;
  std::uint64_t last = 0;
  for (auto seq : segments()) {
    last = seq;
    seq_ = seq;
    auto path = segment_path(seq);
    ReplayFile file{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
    if (file.fd < 0) fail_errno("open " + path.string());
    off_t size = ::lseek(file.fd, 0, SEEK_END);
    data.resize(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::pread(file.fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    std::size_t at = 0;
    std::vector<Sample> samples;
    while (data.size() - at >= record_header) {
      std::uint32_t bytes, count;
      std::uint64_t sum;
      std::memcpy(&bytes, data.data() + at, 4);
      std::memcpy(&count, data.data() + at + 4, 4);
      std::memcpy(&sum, data.data() + at + 8, 8);
      bool compact = count & compact_record;
      std::uint32_t n = count & ~compact_record;
      // A compact sample takes at least two one-byte varints and its 10 bytes: a header that
      // claims more samples than its payload can hold is damage (found by tests/fuzz/wal_fuzz:
      // an empty record claiming 2^31 samples made replay allocate 64 GiB), not a record.
      if ((!compact && static_cast<std::uint64_t>(n) * record_sample != bytes) ||
          (compact && static_cast<std::uint64_t>(n) * compact_sample_min > bytes) ||
          data.size() - at - record_header < bytes ||
          checksum(data.data() + at + record_header, bytes, count) != sum)
        break;
      samples.resize(n);
      const std::uint8_t* in = data.data() + at + record_header;
      const std::uint8_t* end = in + bytes;
      bool whole = true;
      std::uint64_t prev_id = 0, prev_time = 0;
      for (auto& smp : samples) {
        if (compact) {
          std::uint64_t d_id, d_time;
          if (!get_varint(in, end, d_id) || !get_varint(in, end, d_time) || end - in < 10) {
            whole = false;
            break;
          }
          prev_id += unzig(d_id);
          prev_time += unzig(d_time);
          smp.point_id = static_cast<Id>(prev_id);
          smp.time = static_cast<Micros>(prev_time);
          std::memcpy(&smp.value, in, 8);
          smp.quality = in[8];
          smp.flag = static_cast<Flag>(in[9]);
          in += 10;
          continue;
        }
        std::memcpy(&smp.point_id, in, 8);
        std::memcpy(&smp.time, in + 8, 8);
        std::memcpy(&smp.value, in + 16, 8);
        smp.quality = in[24];
        smp.flag = static_cast<Flag>(in[25]);
        in += record_sample;
      }
      if (!whole || in != end) break;  // a damaged record that passed its checksum
      apply(samples);
      at += record_header + bytes;
    }
    if (at < data.size() && ::ftruncate(file.fd, static_cast<off_t>(at)) != 0)
      fail_errno("truncating the torn tail of " + path.string());
  }
  seq_ = last;
}

}  // namespace houqin::telemetry::storage
