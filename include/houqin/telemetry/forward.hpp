// Upstream forwarding (通讯传输): a pipeline sink that packs samples into compact binary messages,
// appends them to an on-disk store-and-forward queue and publishes them to an MQTT broker
// (libmosquitto, QoS 1). A message leaves the queue only when the broker has acknowledged it
// (PUBACK), so a broker outage or a process restart loses nothing; every message carries its
// source id and a sequence number so receivers drop the duplicates that at-least-once delivery
// brings. Format, queue and limits: docs/telemetry-pipeline.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/drivers/modbus.hpp"
#include "houqin/telemetry/pipeline.hpp"

struct mosquitto;  // libmosquitto's client, private to the forwarder

namespace houqin::metrics {
class Gauge;
}

namespace houqin::telemetry {

/// Bytes of one sample in a message: point_id i64, time i64, value f64, quality u8, flag u8.
inline constexpr std::size_t message_sample_bytes = 26;

/// A decoded forwarder message.
struct ForwardMessage {
  std::string source;
  std::uint64_t sequence = 0;
  std::vector<Sample> samples;
};

/// Writes one message (little-endian): "HQF1", u64 sequence, u16 source length, source bytes,
/// u32 sample count, then count x 26-byte samples. `out` is overwritten (and reused: no allocation
/// once it has grown).
HOUQIN_EXPORT void encode_message(std::string_view source, std::uint64_t sequence,
                                  std::span<const Sample> samples, std::vector<std::uint8_t>& out);
/// Reads a message; Error(data_loss) when it is not one (bad magic, short, wrong count).
HOUQIN_EXPORT ForwardMessage decode_message(std::span<const std::uint8_t> payload);

/// The receiver's half of at-least-once delivery: remembers, per source, the highest sequence
/// and the sequences seen within `window` below it. A sequence already seen, or more than
/// `window` below the highest, is a duplicate. window must be at least the forwarder's
/// max_inflight (resends never reach further back).
class HOUQIN_EXPORT DuplicateFilter {
 public:
  explicit DuplicateFilter(std::uint64_t window = 4096) : window_(window) {}
  /// True the first time (source, sequence) is seen.
  bool first_time(std::string_view source, std::uint64_t sequence);

 private:
  struct Seen {
    std::uint64_t highest = 0;
    std::set<std::uint64_t> recent;
  };
  std::uint64_t window_;
  std::map<std::string, Seen, std::less<>> sources_;
};

struct ForwarderOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string topic = "houqin/telemetry";
  std::string source_id{};                 // required: unique per forwarder, goes in every message
  std::string client_id{};                 // MQTT client id; empty: "houqin-" + source_id
  std::filesystem::path queue_dir{};       // required: the forwarder's own folder
  std::size_t samples_per_message = 1000;  // ~26 kB messages
  std::uint64_t segment_bytes = 4 << 20;   // a queue segment file rolls over at this size
  std::uint64_t max_queue_bytes = 256 << 20;  // when full, the oldest segment is dropped
  int max_inflight = 32;                      // messages published and not yet acknowledged
  int keepalive_seconds = 30;
  drivers::BackoffPolicy backoff{std::chrono::milliseconds(100), std::chrono::seconds(10), 2, 0.2};
  bool fsync_on_flush = true;  // flush() makes appended messages survive a power cut
};

struct ForwarderStats {
  std::uint64_t enqueued = 0;      // messages appended to the queue (this process)
  std::uint64_t published = 0;     // publishes sent, resends included
  std::uint64_t acknowledged = 0;  // messages acknowledged by the broker and removed
  std::uint64_t dropped = 0;       // unacknowledged messages dropped because the queue was full
  std::uint64_t queued = 0;        // messages in the queue, not yet acknowledged
  std::uint64_t queue_bytes = 0;   // bytes of segment files
  std::uint64_t segments = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t recovered = 0;      // messages found in the queue when it was opened
  std::uint64_t truncations = 0;    // corrupt or torn segment tails cut off when opened
  std::uint64_t next_sequence = 0;  // the sequence the next message gets
  bool connected = false;
};

/// The MQTT forwarder. Also usable outside a pipeline (enqueue()). Thread-safe.
class HOUQIN_EXPORT Forwarder final : public Stage {
 public:
  /// Opens (or creates) the queue in queue_dir, recovering what a previous process left, and
  /// starts the sender thread, which connects with backoff and keeps reconnecting.
  /// Error(invalid_argument) for a missing source_id or queue_dir; Error(unavailable) when the
  /// folder cannot be used; Error(failed_precondition) when another forwarder has it open (an
  /// exclusive flock on queue_dir/acked).
  explicit Forwarder(ForwarderOptions options);
  ~Forwarder() override;  // stops the sender; the queue stays on disk for the next process
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Packs the batch into messages of samples_per_message and appends them to the queue.
  void process(std::span<Sample> batch) override { enqueue(batch); }
  /// fsyncs every segment appended to since the last flush, and the folder when a segment was
  /// created (when fsync_on_flush).
  void flush() override;
  void enqueue(std::span<const Sample> samples);

  /// Waits until the broker has acknowledged every queued message; false after `timeout`.
  bool wait_drained(std::chrono::milliseconds timeout);
  ForwarderStats stats() const;

 private:
  struct Segment {
    int fd = -1;
    std::uint64_t size = 0;
    std::uint64_t last_sequence = 0;
    bool dirty = false;  // appended to since the last fsync
  };
  struct Entry {
    std::uint64_t sequence;
    std::uint64_t segment;  // the segment's first sequence (its key in segments_)
    std::uint64_t offset;   // of the payload
    std::uint32_t length;
    bool acked;
  };

  void open_queue();
  void append_locked(std::span<const std::uint8_t> payload);
  void drop_oldest_segment_locked();
  void remove_acked_segments_locked();
  void save_acked_locked();
  std::deque<Entry>::iterator find_locked(std::uint64_t sequence);
  void run();
  bool connect();
  void disconnect();
  void publish_some();

  // libmosquitto callbacks (on the sender thread, inside mosquitto_loop)
  static void on_connect(::mosquitto*, void* self, int rc);
  static void on_disconnect(::mosquitto*, void* self, int rc);
  static void on_publish(::mosquitto*, void* self, int mid);

  ForwarderOptions options_;
  std::vector<std::uint8_t> encode_buffer_;  // enqueue() side, under mutex_
  std::vector<std::uint8_t> record_buffer_;  // enqueue() side, under mutex_
  std::vector<std::uint8_t> send_buffer_;    // sender side

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Segment> segments_;  // by first sequence
  std::uint64_t active_ = 0;                   // key of the segment appended to; 0: none yet
  std::deque<Entry> entries_;                  // unremoved messages, by sequence
  std::uint64_t next_sequence_ = 1;
  std::uint64_t removed_through_ = 0;  // every sequence up to here is acknowledged or dropped
  std::uint64_t saved_through_ = 0;    // what the `acked` file holds
  int acked_fd_ = -1;
  bool dir_dirty_ = false;  // a segment file was created since the last fsync of the folder
  ForwarderStats stats_;

  // sender thread only
  ::mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  bool lost_ = false;
  std::uint64_t next_send_ = 0;
  std::unordered_map<int, std::uint64_t> inflight_;  // mid -> sequence
  drivers::Backoff backoff_;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  /// houqin_mqtt_up{broker="host:port"}: 1 connected, 0 not, -1 once the forwarder is gone
  /// (self-monitoring; the availability monitor's mqtt source reads it).
  metrics::Gauge* up_ = nullptr;
};

}  // namespace houqin::telemetry
