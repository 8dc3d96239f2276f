// The MQTT forwarder against a real mosquitto broker on a free loopback port: delivery through the
// pipeline, a broker outage, a forwarder restart with a non-empty queue, a corrupt queue tail,
// bounded disk use, and the message format and duplicate filter on their own.
#include "houqin/telemetry/forward.hpp"

#include <gtest/gtest.h>
#include <mosquitto.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "../../support/expect.hpp"
#include "../../support/net.hpp"
#include "houqin/core/metrics.hpp"
#include "houqin/host/availability.hpp"

namespace houqin {
namespace {

using namespace houqin::telemetry;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const Micros t0 = to_micros(parse_timestamp("2026-11-25T08:00:00Z"));

template <class F>
bool eventually(F&& f, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!f()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// A throwaway folder, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hq-forward-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// mosquitto on 127.0.0.1, persistent so the subscriber's session (and the messages queued for
/// it) survive a broker restart.
class Broker : public testing::Mosquitto {
 public:
  explicit Broker(const fs::path& dir) : Mosquitto(dir, true) {}
  void start() { ASSERT_NO_THROW(Mosquitto::start()); }
};

/// A libmosquitto subscriber with a persistent session, decoding every message.
class Subscriber {
 public:
  Subscriber(int port, std::string topic) : topic_(std::move(topic)) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new("houqin-test-subscriber", false, this);
    mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
      if (rc == 0)
        mosquitto_subscribe(m, nullptr, static_cast<Subscriber*>(self)->topic_.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      ++static_cast<Subscriber*>(self)->subscribed;
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* s = static_cast<Subscriber*>(self);
      auto msg = decode_message(
          {static_cast<const std::uint8_t*>(m->payload), static_cast<std::size_t>(m->payloadlen)});
      std::lock_guard lock(s->mutex);
      ++s->received;
      if (s->filter.first_time(msg.source, msg.sequence)) s->messages.push_back(std::move(msg));
    });
    EXPECT_EQ(mosquitto_connect(mosq_, "127.0.0.1", port, 10), MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
    EXPECT_TRUE(eventually([&] { return subscribed.load() > 0; }, 5s));
  }
  ~Subscriber() {
    mosquitto_disconnect(mosq_);
    // Not forced: a cancelled loop thread can leave a mutex of the handle locked, which
    // mosquitto_destroy then destroys (found by ThreadSanitizer).
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  std::size_t unique() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  /// Sequences in arrival order after dedup.
  std::vector<std::uint64_t> sequences() {
    std::lock_guard lock(mutex);
    std::vector<std::uint64_t> v;
    for (const auto& m : messages) v.push_back(m.sequence);
    return v;
  }

  std::atomic<int> subscribed{0};
  std::mutex mutex;
  std::size_t received = 0;  // duplicates included
  DuplicateFilter filter;
  std::vector<ForwardMessage> messages;

 private:
  std::string topic_;
  mosquitto* mosq_ = nullptr;
};

std::vector<Sample> samples(std::size_t n, std::size_t offset = 0) {
  std::vector<Sample> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i].point_id = 1 + static_cast<Id>((offset + i) % 3);
    v[i].time = t0 + static_cast<Micros>(offset + i);
    v[i].value = static_cast<double>(offset + i) / 4;
    v[i].flag = Flag::pass;
  }
  return v;
}

ForwarderOptions options(const fs::path& queue, int port) {
  ForwarderOptions o;
  o.port = port;
  o.topic = "houqin/test/telemetry";
  o.source_id = "site-a/gateway-1";
  o.queue_dir = queue;
  o.samples_per_message = 10;
  o.backoff = {20ms, 200ms, 2, 0.2};
  return o;
}

std::vector<std::uint64_t> one_to(std::uint64_t n) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

TEST(ForwardFormatTest, MessagesRoundTripAndBadOnesAreDataLoss) {
  auto in = samples(7);
  in[3].flag = Flag::fail;
  in[4].quality = 2;
  std::vector<std::uint8_t> buf;
  encode_message("src", 42, in, buf);
  EXPECT_EQ(buf.size(), 4 + 8 + 2 + 3 + 4 + 7 * message_sample_bytes);
  auto m = decode_message(buf);
  EXPECT_EQ(m.source, "src");
  EXPECT_EQ(m.sequence, 42u);
  ASSERT_EQ(m.samples.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(m.samples[i].point_id, in[i].point_id);
    EXPECT_EQ(m.samples[i].time, in[i].time);
    EXPECT_EQ(m.samples[i].value, in[i].value);
    EXPECT_EQ(m.samples[i].quality, in[i].quality);
    EXPECT_EQ(m.samples[i].flag, in[i].flag);
  }
  auto shorter = buf;
  shorter.pop_back();
  testing::expect_error([&] { decode_message(shorter); }, ErrorCode::data_loss,
                        "forwarder message: wrong size");
  buf[0] = 'X';
  testing::expect_error([&] { decode_message(buf); }, ErrorCode::data_loss,
                        "forwarder message: bad magic");
}

TEST(ForwardFormatTest, DuplicateFilterDropsRepeatsPerSource) {
  DuplicateFilter f(4);
  EXPECT_TRUE(f.first_time("a", 1));
  EXPECT_TRUE(f.first_time("a", 3));
  EXPECT_FALSE(f.first_time("a", 1));
  EXPECT_TRUE(f.first_time("a", 2));  // late, but new
  EXPECT_TRUE(f.first_time("b", 1));  // another source
  EXPECT_TRUE(f.first_time("a", 9));
  EXPECT_FALSE(f.first_time("a", 5));  // window passed: taken as seen
  EXPECT_TRUE(f.first_time("a", 6));
  EXPECT_FALSE(f.first_time("a", 6));
}

TEST(ForwardTest, ABrokerOutageLosesNothingAndDeliversEachMessageOnceAfterDedup) {
  TempDir dir;
  Broker broker(dir.path);
  broker.start();
  Subscriber sub(broker.port(), "houqin/test/telemetry");
  auto forwarder = std::make_shared<Forwarder>(options(dir.path / "queue", broker.port()));
  {
    Pipeline p({{"forward", forwarder, true}}, PipelineOptions{.batch_size = 50});
    p.push(samples(100));
    p.sync();
  }
  ASSERT_TRUE(forwarder->wait_drained(10s));
  ASSERT_TRUE(eventually([&] { return sub.unique() == 10; }));

  // Its connection in the self-monitoring metrics, as the availability monitor reads them.
  auto& up = metrics::gauge("houqin_mqtt_up", "",
                            {{"broker", "127.0.0.1:" + std::to_string(broker.port())}});
  EXPECT_EQ(up.value(), 1.0);
  auto broker_seen = [&] {
    for (const auto& o : host::mqtt_source()())
      if (o.component == "mqtt 127.0.0.1:" + std::to_string(broker.port())) return std::optional(o);
    return std::optional<host::Observation>();
  };
  ASSERT_TRUE(broker_seen());
  EXPECT_FALSE(broker_seen()->failure);

  broker.stop();
  ASSERT_TRUE(eventually([&] { return !forwarder->stats().connected; }));
  EXPECT_EQ(up.value(), 0.0);
  ASSERT_TRUE(broker_seen());
  EXPECT_EQ(broker_seen()->kind, host::ComponentKind::broker);
  EXPECT_EQ(broker_seen()->failure, "not connected to the broker");
  forwarder->enqueue(samples(150, 100));
  std::this_thread::sleep_for(100ms);  // a few reconnect attempts fail meanwhile
  auto st = forwarder->stats();
  EXPECT_EQ(st.queued, 15u);  // on disk, waiting
  EXPECT_GT(st.queue_bytes, 15 * 10 * message_sample_bytes);
  EXPECT_GE(st.connect_failures, 1u);

  broker.start();
  ASSERT_TRUE(forwarder->wait_drained(15s));
  ASSERT_TRUE(eventually([&] { return sub.unique() == 25; }));
  std::this_thread::sleep_for(100ms);  // any late duplicate would arrive now
  auto seqs = sub.sequences();
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(seqs, one_to(25));
  std::lock_guard lock(sub.mutex);
  std::size_t n = 0;
  for (const auto& m : sub.messages)
    for (const auto& s : m.samples) {
      EXPECT_EQ(s.value, static_cast<double>(s.time - t0) / 4);
      ++n;
    }
  EXPECT_EQ(n, 250u);
  EXPECT_EQ(forwarder->stats().acknowledged, 25u);
  EXPECT_EQ(forwarder->stats().segments, 1u);  // acknowledged segments are deleted
  EXPECT_EQ(up.value(), 1.0);
  forwarder.reset();
  EXPECT_EQ(up.value(), -1.0);
  EXPECT_FALSE(broker_seen());  // gone: no longer a component
}

TEST(ForwardTest, ABrokerKilledMidBurstLosesNothingTheForwarderWasNotToldWasDelivered) {
  TempDir dir;
  // Saved every second, so the subscriber's session (and its subscription) outlives a SIGKILL
  // and messages resent while the subscriber is still reconnecting are kept for it.
  testing::Mosquitto broker(dir.path, true, 1);
  ASSERT_NO_THROW(broker.start());
  Subscriber sub(broker.port(), "houqin/test/telemetry");
  // The session is on the broker's disk once its first save after the subscription is there.
  ASSERT_TRUE(eventually([&] { return fs::exists(dir.path / "mosquitto.db"); }, 5s));
  auto o = options(dir.path / "queue", broker.port());
  Forwarder forwarder(o);
  constexpr std::size_t messages = 2000;
  forwarder.enqueue(samples(messages * 10));  // the burst: 2,000 messages of 10 samples
  // Killed once part of the burst is acknowledged and the rest is not.
  ASSERT_TRUE(eventually([&] { return forwarder.stats().acknowledged >= 200; }, 10s));
  broker.kill();
  ASSERT_TRUE(eventually([&] { return !forwarder.stats().connected; }));
  const auto at_kill = forwarder.stats();
  EXPECT_LT(at_kill.acknowledged, messages) << "the burst was over before the kill";
  EXPECT_EQ(at_kill.acknowledged + at_kill.queued, messages);  // nothing given up meanwhile
  EXPECT_EQ(at_kill.dropped, 0u);

  ASSERT_NO_THROW(broker.start());
  ASSERT_TRUE(forwarder.wait_drained(20s));
  EXPECT_GE(forwarder.stats().connects, 2u);
  EXPECT_EQ(forwarder.stats().acknowledged, messages);
  EXPECT_EQ(forwarder.stats().queued, 0u);
  // What the forwarder had not seen acknowledged at the kill is its own to deliver: every such
  // message arrives (resent after the restart), whole. What the broker had acknowledged is the
  // broker's: mosquitto keeps the messages waiting for a subscriber (20 in flight to it by
  // default, the rest queued) in memory between saves, and a SIGKILL loses them -- runs here lost
  // 0 to ~330 of the first ~340. No publisher can do better against a broker without durable
  // storage (docs/reliability.md, "The MQTT broker killed mid-burst").
  const std::uint64_t acked = at_kill.acknowledged;
  auto unacked_delivered = [&] {
    std::size_t n = 0;
    for (auto q : sub.sequences()) n += q > acked;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return unacked_delivered() == messages - acked; }, 20s))
      << unacked_delivered() << " of the " << messages - acked << " unacknowledged at the kill";
  std::lock_guard lock(sub.mutex);
  EXPECT_LE(sub.messages.size(), messages);
  for (const auto& m : sub.messages) {
    EXPECT_GE(m.sequence, 1u);
    EXPECT_LE(m.sequence, messages);
    ASSERT_EQ(m.samples.size(), 10u);
    for (const auto& s : m.samples) {
      EXPECT_EQ(s.time - t0, static_cast<Micros>((m.sequence - 1) * 10) + (&s - m.samples.data()));
      EXPECT_EQ(s.value, static_cast<double>(s.time - t0) / 4);
    }
  }
}

TEST(ForwardTest, ARestartedForwarderDeliversWhatThePreviousProcessQueued) {
  TempDir dir;
  Broker broker(dir.path);  // not started yet: nothing can be delivered
  auto queue = dir.path / "queue";
  {
    Forwarder f(options(queue, broker.port()));
    f.enqueue(samples(500));
    f.flush();
    EXPECT_EQ(f.stats().queued, 50u);
  }
  broker.start();
  Subscriber sub(broker.port(), "houqin/test/telemetry");
  {
    Forwarder f(options(queue, broker.port()));
    EXPECT_EQ(f.stats().recovered, 50u);
    EXPECT_EQ(f.stats().next_sequence, 51u);
    ASSERT_TRUE(f.wait_drained(15s));
  }
  ASSERT_TRUE(eventually([&] { return sub.unique() == 50; }));
  auto seqs = sub.sequences();
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(seqs, one_to(50));
  // An empty queue still remembers the sequence: a new process never reuses one.
  Forwarder again(options(queue, broker.port()));
  EXPECT_EQ(again.stats().recovered, 0u);
  EXPECT_EQ(again.stats().next_sequence, 51u);
  again.enqueue(samples(10));
  ASSERT_TRUE(again.wait_drained(10s));
  ASSERT_TRUE(eventually([&] { return sub.unique() == 51; }));
  EXPECT_EQ(sub.sequences().back(), 51u);
}

TEST(ForwardTest, AForwarderKilledMidStreamLosesNothingItFlushed) {
  TempDir dir;
  Broker broker(dir.path);
  broker.start();
  auto queue = dir.path / "queue";
  // The subscriber's persistent session keeps collecting while it is away, so nothing but the
  // forwarder runs in this process when it forks.
  { Subscriber first(broker.port(), "houqin/test/telemetry"); }
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(report[0]);
    {
      Forwarder f(options(queue, broker.port()));
      for (std::uint32_t i = 1; i <= 100'000; ++i) {
        f.enqueue(samples(10, 10 * i));
        f.flush();  // durable: from here on the message must arrive
        if (::write(report[1], &i, sizeof i) != sizeof i) break;
      }
    }
    ::_exit(0);
  }
  ::close(report[1]);
  std::uint32_t flushed = 0;
  while (flushed < 300) {  // some delivered, some in flight, some queued when it dies
    std::uint32_t i = 0;
    if (::read(report[0], &i, sizeof i) != sizeof i) break;
    flushed = i;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(report[0]);
  ASSERT_GE(flushed, 300u);

  Forwarder f(options(queue, broker.port()));
  auto written = f.stats().next_sequence - 1;  // whole messages on disk, flushed or not
  EXPECT_GE(written, flushed);
  ASSERT_TRUE(f.wait_drained(15s));
  Subscriber sub(broker.port(), "houqin/test/telemetry");
  ASSERT_TRUE(eventually([&] { return sub.unique() >= written; }));
  std::this_thread::sleep_for(100ms);
  auto seqs = sub.sequences();
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(seqs, one_to(written));
}

fs::path only_segment(const fs::path& queue) {
  std::vector<fs::path> segs;
  for (const auto& e : fs::directory_iterator(queue))
    if (e.path().extension() == ".seg") segs.push_back(e.path());
  EXPECT_EQ(segs.size(), 1u);
  return segs.at(0);
}

TEST(ForwardTest, ATornOrCorruptQueueTailIsCutOffWhenOpened) {
  TempDir dir;
  Broker broker(dir.path);
  auto queue = dir.path / "queue";
  {
    Forwarder f(options(queue, broker.port()));
    f.enqueue(samples(50));  // 5 messages
  }
  {
    Forwarder f(options(queue, broker.port()));
    testing::expect_error([&] { Forwarder second(options(queue, broker.port())); },
                          ErrorCode::failed_precondition, "forwarder queue: ");
  }
  auto seg = only_segment(queue);
  auto record = fs::file_size(seg) / 5;
  fs::resize_file(seg, fs::file_size(seg) - record / 2);  // a torn last append
  {
    Forwarder f(options(queue, broker.port()));
    auto st = f.stats();
    EXPECT_EQ(st.recovered, 4u);
    EXPECT_EQ(st.truncations, 1u);
    EXPECT_EQ(st.next_sequence, 5u);  // the torn message was never whole: its number is reused
  }
  EXPECT_EQ(fs::file_size(seg), 4 * record);
  {
    std::fstream file(seg, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(2 * record + 40));  // inside message 3's payload
    file.put('\x7f');
  }
  broker.start();
  Subscriber sub(broker.port(), "houqin/test/telemetry");
  Forwarder f(options(queue, broker.port()));
  EXPECT_EQ(f.stats().recovered, 2u);  // the checksum stops at message 3
  EXPECT_EQ(f.stats().truncations, 1u);
  ASSERT_TRUE(f.wait_drained(10s));
  f.enqueue(samples(10));
  ASSERT_TRUE(f.wait_drained(10s));
  ASSERT_TRUE(eventually([&] { return sub.unique() == 3; }));
  EXPECT_EQ(sub.sequences(), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(ForwardTest, AFullQueueDropsItsOldestSegmentAndCountsTheLoss) {
  TempDir dir;
  auto o = options(dir.path / "queue", testing::free_port());  // no broker there
  // A queue record: 20-byte header, then the message (its source id is 16 bytes).
  std::uint64_t message = 20 + 4 + 8 + 2 + 16 + 4 + 10 * message_sample_bytes;
  o.segment_bytes = 4 * message;     // 4 messages per segment
  o.max_queue_bytes = 12 * message;  // 3 segments
  Forwarder f(o);
  f.enqueue(samples(200));  // 20 messages
  auto st = f.stats();
  EXPECT_LE(st.queue_bytes, o.max_queue_bytes);
  EXPECT_EQ(st.dropped, 8u);  // the first two segments
  EXPECT_EQ(st.queued, 12u);
  EXPECT_EQ(st.segments, 3u);
  EXPECT_EQ(st.next_sequence, 21u);
}

}  // namespace
}  // namespace houqin
