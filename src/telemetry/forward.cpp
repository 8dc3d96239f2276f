#include "houqin/telemetry/forward.hpp"

#include <fcntl.h>
#include <mosquitto.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "houqin/core/error.hpp"
#include "houqin/core/metrics.hpp"

namespace houqin::telemetry {

static_assert(std::endian::native == std::endian::little,
              "messages and queue records are written in host order, which must be little-endian");

namespace {

constexpr std::array<std::uint8_t, 4> message_magic{'H', 'Q', 'F', '1'};
constexpr std::uint32_t record_magic = 0x52514748;    // "HGQR" on disk
constexpr std::size_t record_header = 4 + 4 + 8 + 4;  // magic, length, sequence, crc

std::uint32_t crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

template <class T>
void put(std::uint8_t*& p, T v) {
  std::memcpy(p, &v, sizeof v);
  p += sizeof v;
}
template <class T>
T get(const std::uint8_t*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

std::string segment_name(std::uint64_t first) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first));
  return name;
}

bool write_all(int fd, const void* data, std::size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void mosquitto_init_once() {
  static const int rc = mosquitto_lib_init();
  (void)rc;
}

}  // namespace

void encode_message(std::string_view source, std::uint64_t sequence,
                    std::span<const Sample> samples, std::vector<std::uint8_t>& out) {
  out.resize(4 + 8 + 2 + source.size() + 4 + samples.size() * message_sample_bytes);
  auto* p = out.data();
  std::memcpy(p, message_magic.data(), 4);
  p += 4;
  put(p, sequence);
  put(p, static_cast<std::uint16_t>(source.size()));
  std::memcpy(p, source.data(), source.size());
  p += source.size();
  put(p, static_cast<std::uint32_t>(samples.size()));
  for (const auto& s : samples) {
    put(p, s.point_id);
    put(p, s.time);
    put(p, s.value);
    put(p, s.quality);
    put(p, static_cast<std::uint8_t>(s.flag));
  }
}

ForwardMessage decode_message(std::span<const std::uint8_t> payload) {
  auto bad = [](const char* why) {
    fail(ErrorCode::data_loss, std::string("forwarder message: ") + why);
  };
  if (payload.size() < 18 ||
      !std::equal(message_magic.begin(), message_magic.end(), payload.data()))
    bad("bad magic");
  const auto* p = payload.data() + 4;
  ForwardMessage m;
  m.sequence = get<std::uint64_t>(p);
  auto n = get<std::uint16_t>(p);
  if (payload.size() < 18u + n) bad("short source");
  m.source.assign(reinterpret_cast<const char*>(p), n);
  p += n;
  auto count = get<std::uint32_t>(p);
  if (payload.size() != 18u + n + std::size_t{count} * message_sample_bytes) bad("wrong size");
  m.samples.resize(count);
  for (auto& s : m.samples) {
    s.point_id = get<Id>(p);
    s.time = get<Micros>(p);
    s.value = get<double>(p);
    s.quality = get<QualityCode>(p);
    auto flag = get<std::uint8_t>(p);
    if (flag > static_cast<std::uint8_t>(Flag::fail)) bad("bad flag");
    s.flag = static_cast<Flag>(flag);
  }
  return m;
}

bool DuplicateFilter::first_time(std::string_view source, std::uint64_t sequence) {
  auto it = sources_.find(source);
  if (it == sources_.end()) it = sources_.emplace(std::string(source), Seen{}).first;
  auto& seen = it->second;
  if (sequence + window_ <= seen.highest) return false;  // older than anything resent
  if (!seen.recent.insert(sequence).second) return false;
  if (sequence > seen.highest) {
    seen.highest = sequence;
    auto floor = seen.highest > window_ ? seen.highest - window_ : 0;
    seen.recent.erase(seen.recent.begin(), seen.recent.upper_bound(floor));
  }
  return true;
}

// ---- the queue
// -----------------------------------------------------------------------------------

Forwarder::Forwarder(ForwarderOptions options)
    : options_(std::move(options)), backoff_(options_.backoff) {
  if (options_.source_id.empty() || options_.source_id.size() > 65535)
    fail(ErrorCode::invalid_argument, "source_id must be 1 to 65535 bytes");
  if (options_.queue_dir.empty()) fail(ErrorCode::invalid_argument, "queue_dir must be set");
  if (options_.samples_per_message == 0)
    fail(ErrorCode::invalid_argument, "samples_per_message must be positive");
  if (options_.max_inflight < 1) fail(ErrorCode::invalid_argument, "max_inflight must be positive");
  if (options_.max_queue_bytes < 2 * options_.segment_bytes)
    fail(ErrorCode::invalid_argument, "max_queue_bytes must be at least two segments");
  if (options_.client_id.empty()) options_.client_id = "houqin-" + options_.source_id;
  up_ = &metrics::gauge("houqin_mqtt_up",
                        "1 when the MQTT forwarder is connected to its broker, -1 once it is gone",
                        {{"broker", options_.host + ":" + std::to_string(options_.port)}});
  mosquitto_init_once();
  open_queue();
  up_->set(0);  // from here on the destructor marks it gone
  thread_ = std::thread([this] { run(); });
}

Forwarder::~Forwarder() {
  stopping_ = true;
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  up_->set(-1);
  std::lock_guard lock(mutex_);
  save_acked_locked();
  for (auto& [first, s] : segments_) ::close(s.fd);
  if (acked_fd_ >= 0) ::close(acked_fd_);
}

void Forwarder::open_queue() {
  std::error_code ec;
  std::filesystem::create_directories(options_.queue_dir, ec);
  auto acked_path = options_.queue_dir / "acked";
  acked_fd_ = ::open(acked_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (acked_fd_ < 0)
    fail(ErrorCode::unavailable, "forwarder queue: cannot open " + acked_path.string());
  // One forwarder per folder: a second one (in this or another process) would interleave
  // sequences and delete segments under the first.
  if (::flock(acked_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(acked_fd_);
    acked_fd_ = -1;
    fail(ErrorCode::failed_precondition,
         "forwarder queue: " + options_.queue_dir.string() + " is in use by another forwarder");
  }
  // The acknowledgement cursor: u64 sequence + crc. A torn or missing one reads as 0, which only
  // means resending messages the receiver will drop as duplicates.
  std::uint8_t buf[12];
  if (::pread(acked_fd_, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf)) {
    std::uint32_t crc;
    std::memcpy(&crc, buf + 8, 4);
    if (crc == crc32(0, buf, 8)) std::memcpy(&removed_through_, buf, 8);
  }
  saved_through_ = removed_through_;

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(options_.queue_dir))
    if (e.path().extension() == ".seg") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  std::uint64_t last = removed_through_;  // the highest sequence ever used
  std::uint64_t previous = 0;             // records must come in increasing sequence
  std::vector<std::uint8_t> data;
  for (const auto& path : files) {
    std::uint64_t first = 0;
    try {
      first = std::stoull(path.stem().string());
    } catch (...) {
      continue;  // not one of ours
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) fail(ErrorCode::unavailable, "forwarder queue: cannot open " + path.string());
    auto size = std::filesystem::file_size(path);
    data.resize(size);
    if (size > 0 && ::pread(fd, data.data(), size, 0) != static_cast<ssize_t>(size)) {
      ::close(fd);
      fail(ErrorCode::unavailable, "forwarder queue: cannot read " + path.string());
    }
    Segment seg{fd, 0, 0, false};
    std::uint64_t at = 0;
    while (at < size) {
      // A record is good when whole, with its magic and checksum, and in sequence order; the
      // first bad one ends the segment (a torn append from a crash, or corruption).
      if (size - at < record_header) break;
      const auto* p = data.data() + at;
      auto magic = get<std::uint32_t>(p);
      auto length = get<std::uint32_t>(p);
      auto sequence = get<std::uint64_t>(p);
      auto crc = get<std::uint32_t>(p);
      if (magic != record_magic || size - at - record_header < length || sequence <= previous)
        break;
      if (crc != crc32(crc32(0, data.data() + at + 8, 8), p, length)) break;
      if (sequence > removed_through_) {
        entries_.push_back({sequence, first, at + record_header, length, false});
        ++stats_.recovered;
      }
      previous = sequence;
      last = std::max(last, sequence);
      seg.last_sequence = sequence;
      at += record_header + length;
    }
    if (at < size) {
      if (::ftruncate(fd, static_cast<off_t>(at)) != 0) {
        ::close(fd);
        fail(ErrorCode::unavailable, "forwarder queue: cannot truncate " + path.string());
      }
      ++stats_.truncations;
    }
    seg.size = at;
    segments_.emplace(first, seg);
  }
  next_sequence_ = last + 1;
  // Segments left with nothing unacknowledged are removed now; appends go to a new segment.
  remove_acked_segments_locked();
  stats_.queued = entries_.size();
}

std::deque<Forwarder::Entry>::iterator Forwarder::find_locked(std::uint64_t sequence) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), sequence,
                             [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
  return it;
}

void Forwarder::enqueue(std::span<const Sample> samples) {
  for (std::size_t i = 0; i < samples.size(); i += options_.samples_per_message) {
    auto chunk = samples.subspan(i, std::min(options_.samples_per_message, samples.size() - i));
    std::lock_guard lock(mutex_);
    encode_message(options_.source_id, next_sequence_, chunk, encode_buffer_);
    append_locked(encode_buffer_);
  }
  changed_.notify_all();
}

void Forwarder::append_locked(std::span<const std::uint8_t> payload) {
  auto bytes = record_header + payload.size();
  auto total = [&] {
    std::uint64_t t = 0;
    for (const auto& [f, s] : segments_) t += s.size;
    return t;
  };
  // Bounded disk: the oldest segment goes first (fresh readings matter more upstream, and the
  // sample store keeps the full history); every dropped message is counted.
  while (total() + bytes > options_.max_queue_bytes && !segments_.empty()) {
    if (segments_.size() == 1) active_ = 0;  // roll over, then drop the old one
    drop_oldest_segment_locked();
  }
  if (active_ == 0 || segments_.at(active_).size >= options_.segment_bytes) {
    auto path = options_.queue_dir / segment_name(next_sequence_);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) fail(ErrorCode::unavailable, "forwarder queue: cannot create " + path.string());
    active_ = next_sequence_;
    segments_[active_] = Segment{fd, 0, 0, false};
    dir_dirty_ = true;
  }
  auto& seg = segments_.at(active_);
  std::uint8_t header[record_header];
  auto* p = header;
  put(p, record_magic);
  put(p, static_cast<std::uint32_t>(payload.size()));
  put(p, next_sequence_);
  put(p, crc32(crc32(0, header + 8, 8), payload.data(), payload.size()));
  // One write per record keeps a torn record at the tail, where opening cuts it off.
  auto& buf = record_buffer_;
  buf.resize(bytes);
  std::memcpy(buf.data(), header, record_header);
  std::memcpy(buf.data() + record_header, payload.data(), payload.size());
  if (!write_all(seg.fd, buf.data(), buf.size())) {
    // Leave no partial record behind for the sender to trip on.
    auto err = errno;
    (void)!::ftruncate(seg.fd, static_cast<off_t>(seg.size));
    errno = err;
    fail(ErrorCode::unavailable, "forwarder queue: write failed: " + std::string(strerror(errno)));
  }
  entries_.push_back({next_sequence_, active_, seg.size + record_header,
                      static_cast<std::uint32_t>(payload.size()), false});
  seg.size += bytes;
  seg.last_sequence = next_sequence_;
  seg.dirty = true;
  ++next_sequence_;
  ++stats_.enqueued;
  stats_.queued = entries_.size();
}

void Forwarder::drop_oldest_segment_locked() {
  auto it = segments_.begin();
  auto first = it->first;
  while (!entries_.empty() && entries_.front().segment == first) {
    if (!entries_.front().acked) ++stats_.dropped;
    entries_.pop_front();
  }
  removed_through_ = std::max(removed_through_, it->second.last_sequence);
  ::close(it->second.fd);
  std::error_code ec;
  std::filesystem::remove(options_.queue_dir / segment_name(first), ec);
  if (active_ == first) active_ = 0;
  segments_.erase(it);
  stats_.queued = entries_.size();
}

void Forwarder::remove_acked_segments_locked() {
  // Acknowledged messages leave the queue from the front only, so the cursor and the files stay
  // simple; an acknowledgement that arrives out of order waits for the ones before it.
  while (!entries_.empty() && entries_.front().acked) {
    removed_through_ = entries_.front().sequence;
    entries_.pop_front();
  }
  if (entries_.empty()) removed_through_ = std::max(removed_through_, next_sequence_ - 1);
  while (!segments_.empty()) {
    auto it = segments_.begin();
    bool live = !entries_.empty() && entries_.front().segment == it->first;
    if (live || it->first == active_) break;
    ::close(it->second.fd);
    std::error_code ec;
    std::filesystem::remove(options_.queue_dir / segment_name(it->first), ec);
    segments_.erase(it);
  }
  stats_.queued = entries_.size();
  if (entries_.empty()) changed_.notify_all();
}

void Forwarder::save_acked_locked() {
  if (removed_through_ == saved_through_ || acked_fd_ < 0) return;
  std::uint8_t buf[12];
  std::memcpy(buf, &removed_through_, 8);
  auto crc = crc32(0, buf, 8);
  std::memcpy(buf + 8, &crc, 4);
  if (::pwrite(acked_fd_, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf))
    saved_through_ = removed_through_;
}

void Forwarder::flush() {
  std::lock_guard lock(mutex_);
  if (!options_.fsync_on_flush) return;
  // A rolled-over segment may still hold unsynced records: every dirty one is synced, not only
  // the active one.
  for (auto& [first, seg] : segments_) {
    if (!seg.dirty) continue;
    if (::fsync(seg.fd) != 0)
      fail(ErrorCode::unavailable,
           "forwarder queue: fsync failed: " + std::string(strerror(errno)));
    seg.dirty = false;
  }
  if (dir_dirty_) {
    int dir = ::open(options_.queue_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      (void)::fsync(dir);
      ::close(dir);
    }
    dir_dirty_ = false;
  }
}

bool Forwarder::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return entries_.empty(); });
}

ForwarderStats Forwarder::stats() const {
  std::lock_guard lock(mutex_);
  auto s = stats_;
  s.queue_bytes = 0;
  for (const auto& [f, seg] : segments_) s.queue_bytes += seg.size;
  s.segments = segments_.size();
  s.next_sequence = next_sequence_;
  return s;
}

// ---- the sender
// ----------------------------------------------------------------------------------

void Forwarder::on_connect(struct mosquitto*, void* self, int rc) {
  auto* f = static_cast<Forwarder*>(self);
  if (rc == 0)
    f->connected_ = true;
  else
    f->lost_ = true;
}

void Forwarder::on_disconnect(struct mosquitto*, void* self, int) {
  static_cast<Forwarder*>(self)->lost_ = true;
}

void Forwarder::on_publish(struct mosquitto*, void* self, int mid) {
  auto* f = static_cast<Forwarder*>(self);
  auto it = f->inflight_.find(mid);
  if (it == f->inflight_.end()) return;
  auto sequence = it->second;
  f->inflight_.erase(it);
  std::lock_guard lock(f->mutex_);
  auto e = f->find_locked(sequence);
  if (e == f->entries_.end() || e->sequence != sequence || e->acked) return;  // dropped meanwhile
  e->acked = true;
  ++f->stats_.acknowledged;
  f->remove_acked_segments_locked();
}

bool Forwarder::connect() {
  mosq_ = mosquitto_new(options_.client_id.c_str(), true, this);
  if (!mosq_) return false;
  mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, options_.max_inflight);
  mosquitto_connect_callback_set(mosq_, &Forwarder::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &Forwarder::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &Forwarder::on_publish);
  connected_ = false;
  lost_ = false;
  if (mosquitto_connect(mosq_, options_.host.c_str(), options_.port, options_.keepalive_seconds) !=
      MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    return false;
  }
  // Wait for CONNACK (bounded): publishing before it would only be queued by the library.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!connected_ && !lost_ && !stopping_ && std::chrono::steady_clock::now() < deadline)
    if (mosquitto_loop(mosq_, 50, 1) != MOSQ_ERR_SUCCESS) break;
  if (!connected_) {
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    return false;
  }
  // Everything not acknowledged goes again: what was in flight on the old connection may or may
  // not have reached the broker (the receiver drops what it already has).
  inflight_.clear();
  std::lock_guard lock(mutex_);
  next_send_ = entries_.empty() ? next_sequence_ : entries_.front().sequence;
  stats_.connected = true;
  ++stats_.connects;
  up_->set(1);
  return true;
}

void Forwarder::disconnect() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  connected_ = false;
  inflight_.clear();
  up_->set(0);
  std::lock_guard lock(mutex_);
  stats_.connected = false;
}

void Forwarder::publish_some() {
  while (static_cast<int>(inflight_.size()) < options_.max_inflight) {
    std::uint64_t sequence = 0;
    {
      std::lock_guard lock(mutex_);
      auto e = find_locked(next_send_);
      while (e != entries_.end() && e->acked) ++e;
      if (e == entries_.end()) return;
      sequence = e->sequence;
      send_buffer_.resize(e->length);
      auto fd = segments_.at(e->segment).fd;
      if (::pread(fd, send_buffer_.data(), e->length, static_cast<off_t>(e->offset)) !=
          static_cast<ssize_t>(e->length))
        return;  // cannot read now: retried on the next turn
      next_send_ = sequence + 1;
    }
    int mid = 0;
    if (mosquitto_publish(mosq_, &mid, options_.topic.c_str(),
                          static_cast<int>(send_buffer_.size()), send_buffer_.data(), 1,
                          false) != MOSQ_ERR_SUCCESS) {
      lost_ = true;
      return;
    }
    inflight_[mid] = sequence;
    std::lock_guard lock(mutex_);
    ++stats_.published;
  }
}

void Forwarder::run() {
  using steady = std::chrono::steady_clock;
  auto next_attempt = steady::now();
  while (!stopping_) {
    if (!mosq_) {
      if (steady::now() < next_attempt) {
        std::unique_lock lock(mutex_);
        changed_.wait_until(lock,
                            std::min(next_attempt, steady::now() + std::chrono::milliseconds(50)));
        continue;
      }
      if (connect()) {
        backoff_.reset();
      } else {
        std::lock_guard lock(mutex_);
        ++stats_.connect_failures;
        next_attempt = steady::now() + backoff_.next();
        continue;
      }
    }
    publish_some();
    if (!lost_ && mosquitto_loop(mosq_, 10, 1) != MOSQ_ERR_SUCCESS) lost_ = true;
    {
      std::lock_guard lock(mutex_);
      save_acked_locked();
    }
    if (lost_) {
      disconnect();
      {
        std::lock_guard lock(mutex_);
        ++stats_.disconnects;
      }
      next_attempt = steady::now() + backoff_.next();
    }
  }
  disconnect();
}

}  // namespace houqin::telemetry
