#include "houqin/drivers/modbus.hpp"

#include <modbus/modbus.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <thread>

#include "houqin/core/metrics.hpp"
#include "houqin/drivers/decode.hpp"

namespace houqin::drivers {

// ---- backoff ----------------------------------------------------------------------------------

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

std::chrono::microseconds Backoff::next() {
  using namespace std::chrono;
  double base = static_cast<double>(duration_cast<microseconds>(policy_.initial).count()) *
                std::pow(policy_.multiplier, std::min(failures_, 60));
  base = std::min(base, static_cast<double>(duration_cast<microseconds>(policy_.max).count()));
  ++failures_;
  std::uniform_real_distribution<double> factor(1 - policy_.jitter, 1 + policy_.jitter);
  return microseconds(static_cast<std::int64_t>(base * factor(rng_)));
}

// ---- error mapping ----------------------------------------------------------------------------

Quality quality_for_error(int e) noexcept {
  switch (e) {
    case EMBXILFUN:
    case EMBXILADD:
    case EMBXILVAL:
      return Quality::bad_config;
    case EMBXSBUSY:
      return Quality::device_busy;
    case EMBXSFAIL:
    case EMBXACK:
    case EMBXNACK:
    case EMBXMEMPAR:
      return Quality::device_failure;
    default:  // timeouts, lost connections, bad frames, gateway path / target failures
      return Quality::comm_fail;
  }
}

bool is_link_error(int e) noexcept {
  // An exception response is a well-formed answer: the link is in step.
  return e < EMBXILFUN || e > EMBXGTAR;
}

// ---- the driver -------------------------------------------------------------------------------

namespace {

char parity_char(Parity p) {
  switch (p) {
    case Parity::even:
      return 'E';
    case Parity::odd:
      return 'O';
    case Parity::none:
      break;
  }
  return 'N';
}

void check_same_connection(const std::vector<DeviceMap>& devices) {
  if (devices.empty()) fail(ErrorCode::invalid_argument, "ModbusDriver: no devices");
  PointMap map;
  for (const auto& dm : devices) {
    map.devices.push_back(dm.device);
    for (const auto& p : dm.points) {
      if (p.device_id != dm.device.id)
        fail(ErrorCode::invalid_argument, "point \"" + p.name + "\": device_id " +
                                              std::to_string(p.device_id) + " is not its device " +
                                              std::to_string(dm.device.id));
      map.points.push_back(p);
    }
  }
  validate_map(map);  // the planner and decoder rely on it: no overlaps, widths in range
  const auto& a = devices.front().device;
  for (const auto& dm : devices) {
    const auto& d = dm.device;
    bool same =
        d.transport == a.transport &&
        (d.transport == Transport::tcp
             ? d.host == a.host && d.port == a.port
             : d.serial_device == a.serial_device && d.baud == a.baud && d.parity == a.parity &&
                   d.data_bits == a.data_bits && d.stop_bits == a.stop_bits);
    if (!same)
      fail(ErrorCode::invalid_argument,
           "device \"" + d.name + "\": not on the same connection as \"" + a.name + "\"");
  }
}

}  // namespace

struct ModbusDriver::Impl {
  struct DeviceState {
    std::vector<ReadRequest> plan;
    Backoff backoff;
    Timestamp skip_until{};  // a device that timed out is left alone until then
    DeviceStatus status{};
  };

  const Clock& clock;
  ModbusOptions options;
  modbus_t* ctx = nullptr;
  bool tcp = true;
  bool is_connected = false;
  std::string connection;     // "tcp host:port" or "rtu device"
  std::string connect_error;  // why the last connect failed
  Backoff backoff;
  Timestamp next_connect{};
  int timeout_ms = -1;            // the response timeout currently set on ctx
  std::uint16_t transaction = 0;  // the last MBAP transaction id sent
  std::string refused;            // why the last answer was refused ("" when libmodbus said)
  std::vector<DeviceState> states;
  std::uint16_t regs[MODBUS_MAX_READ_REGISTERS];
  std::uint8_t bits[MODBUS_MAX_READ_BITS];

  /// The connection's health in the process's metrics (self-monitoring), published after each
  /// poll: the counters' growth since the last one, whether it is connected, the poll's time.
  struct Health {
    metrics::Counter *requests, *timeouts, *reconnects, *connect_failures, *resyncs, *bad_frames;
    metrics::Gauge* up;
    metrics::Histogram* poll_seconds;
    ModbusStats published{};
  };
  std::optional<Health> health;
  void publish(const ModbusStats& now) {
    if (!health) {
      const metrics::Labels l{{"connection", connection}};
      health = Health{
          &metrics::counter("houqin_modbus_requests_total", "Modbus read requests sent", l),
          &metrics::counter("houqin_modbus_timeouts_total", "Modbus requests not answered in time",
                            l),
          &metrics::counter("houqin_modbus_reconnects_total",
                            "Modbus connections made again after a loss", l),
          &metrics::counter("houqin_modbus_connect_failures_total", "Modbus connects that failed",
                            l),
          &metrics::counter("houqin_modbus_resyncs_total",
                            "Modbus flushes or reconnects after a timeout or garbled frame", l),
          &metrics::counter("houqin_modbus_bad_frames_total",
                            "Modbus answers refused as garbled or not the request's", l),
          &metrics::gauge("houqin_modbus_up", "1 when the Modbus connection is up", l),
          &metrics::histogram("houqin_modbus_poll_seconds", "Time to poll one Modbus device", l),
          {}};
    }
    auto& h = *health;
    h.requests->add(now.requests - h.published.requests);
    h.timeouts->add(now.timeouts - h.published.timeouts);
    h.reconnects->add(now.reconnects - h.published.reconnects);
    h.connect_failures->add(now.connect_failures - h.published.connect_failures);
    h.resyncs->add(now.resyncs - h.published.resyncs);
    h.bad_frames->add(now.bad_frames - h.published.bad_frames);
    h.up->set(is_connected ? 1.0 : 0.0);
    h.published = now;
  }

  Impl(const Clock& c, ModbusOptions o)
      : clock(c), options(std::move(o)), backoff(options.backoff, options.seed) {}
  ~Impl() {
    if (ctx) {
      modbus_close(ctx);
      modbus_free(ctx);
    }
  }

  void set_timeout(int ms) {
    if (ms == timeout_ms) return;
    modbus_set_response_timeout(ctx, static_cast<std::uint32_t>(ms / 1000),
                                static_cast<std::uint32_t>(ms % 1000) * 1000);
    // An answer cut off mid-frame on TCP holds the line no longer than one that never came
    // (libmodbus waits 500 ms for the rest by default). A serial line keeps that default: a
    // slow line's pauses between characters are no fault.
    if (tcp) {
      const int byte_ms = std::min(ms, 500);
      modbus_set_byte_timeout(ctx, static_cast<std::uint32_t>(byte_ms / 1000),
                              static_cast<std::uint32_t>(byte_ms % 1000) * 1000);
    }
    timeout_ms = ms;
  }

  /// Drops what may still be in flight so the next answer matches the next request. TCP gets a
  /// fresh connection (a late answer could otherwise be taken for the next one); a serial line
  /// waits out the answer's tail and discards it.
  void resync(ModbusStats& stats) {
    ++stats.resyncs;
    if (tcp) {
      modbus_close(ctx);
      is_connected = false;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 20)));
      modbus_flush(ctx);
    }
  }

  /// One read over TCP: the request is framed here and the answer read by libmodbus (its
  /// timeouts), then checked here in full. libmodbus 3.1.6 checks the transaction id, function
  /// and quantity but not the unit id nor the MBAP length, so a gateway's answer from another
  /// unit would be taken for ours. Sets errno as libmodbus does (EMBBADDATA for an answer that
  /// is not ours, with `refused` saying why).
  int read_tcp(const ReadRequest& r, int unit) {
    static constexpr std::uint8_t function[] = {
        MODBUS_FC_READ_COILS, MODBUS_FC_READ_DISCRETE_INPUTS, MODBUS_FC_READ_INPUT_REGISTERS,
        MODBUS_FC_READ_HOLDING_REGISTERS};
    const std::uint8_t fc = function[static_cast<int>(r.register_type)];
    const std::uint16_t tid = ++transaction;
    const auto hi = [](int v) { return static_cast<std::uint8_t>(v >> 8); };
    const auto lo = [](int v) { return static_cast<std::uint8_t>(v & 0xff); };
    const std::uint8_t req[12] = {
        hi(tid),       lo(tid),       0,           0,          0, 6, lo(unit), fc,
        hi(r.address), lo(r.address), hi(r.count), lo(r.count)};
    const int fd = modbus_get_socket(ctx);
    for (std::size_t sent = 0; sent < sizeof req;) {
      auto k = ::send(fd, req + sent, sizeof req - sent, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) return -1;  // EPIPE, ECONNRESET: the peer is gone
      sent += static_cast<std::size_t>(k);
    }
    std::uint8_t rsp[MODBUS_TCP_MAX_ADU_LENGTH];
    const int n = modbus_receive_confirmation(ctx, rsp);
    if (n < 0) return -1;
    auto refuse = [&](std::string why) {
      refused = std::move(why);
      errno = EMBBADDATA;
      return -1;
    };
    if (n < 9) return refuse(std::to_string(n) + " bytes");
    const int got_tid = (rsp[0] << 8) | rsp[1];
    if (got_tid != tid)
      return refuse("transaction id " + std::to_string(got_tid) + ", expected " +
                    std::to_string(tid));
    if (rsp[2] != 0 || rsp[3] != 0)
      return refuse("protocol id " + std::to_string((rsp[2] << 8) | rsp[3]));
    const int length = (rsp[4] << 8) | rsp[5];
    if (length != n - 6)
      return refuse("MBAP length " + std::to_string(length) + " for " + std::to_string(n - 6) +
                    " bytes");
    if (rsp[6] != unit)
      return refuse("from unit " + std::to_string(rsp[6]) + ", expected " + std::to_string(unit));
    if (rsp[7] == (fc | 0x80) && n == 9) {
      errno = rsp[8] > 0 && rsp[8] < MODBUS_EXCEPTION_MAX ? MODBUS_ENOBASE + rsp[8] : EMBBADEXC;
      return -1;
    }
    if (rsp[7] != fc)
      return refuse("function " + std::to_string(rsp[7]) + ", expected " + std::to_string(fc));
    const bool bit = is_bit(r.register_type);
    const int bytes = bit ? (r.count + 7) / 8 : 2 * r.count;
    if (rsp[8] != bytes || n != 9 + bytes)
      return refuse("byte count " + std::to_string(rsp[8]) + " with " + std::to_string(n - 9) +
                    " bytes of data, expected " + std::to_string(bytes));
    const std::uint8_t* data = rsp + 9;
    for (int i = 0; i < r.count; ++i) {
      if (bit)
        bits[i] = (data[i / 8] >> (i % 8)) & 1;
      else
        regs[i] = static_cast<std::uint16_t>((data[2 * i] << 8) | data[2 * i + 1]);
    }
    return r.count;
  }

  int read(const ReadRequest& r, int unit, ModbusStats& stats) {
    int attempts = 0;
    for (;;) {
      ++stats.requests;
      refused.clear();
      int rc = -1;
      if (tcp)
        rc = read_tcp(r, unit);
      else
        switch (r.register_type) {
          case RegisterType::coil:
            rc = modbus_read_bits(ctx, r.address, r.count, bits);
            break;
          case RegisterType::discrete_input:
            rc = modbus_read_input_bits(ctx, r.address, r.count, bits);
            break;
          case RegisterType::input_register:
            rc = modbus_read_input_registers(ctx, r.address, r.count, regs);
            break;
          case RegisterType::holding_register:
            rc = modbus_read_registers(ctx, r.address, r.count, regs);
            break;
        }
      if (rc < 0) {
        const int e = errno;
        if (e == EMBBADDATA || e == EMBBADCRC || e == EMBBADEXC) ++stats.bad_frames;
        errno = e;
      }
      if (rc >= 0 || errno != EMBXSBUSY || attempts++ >= options.busy_retries) return rc;
      std::this_thread::sleep_for(options.busy_delay);
    }
  }
};

ModbusDriver::ModbusDriver(std::vector<DeviceMap> devices, const Clock& clock,
                           ModbusOptions options)
    : devices_(std::move(devices)) {
  check_same_connection(devices_);
  // The read buffers hold what one request may return, no more.
  if (options.limits.max_registers < 1 || options.limits.max_registers > MODBUS_MAX_READ_REGISTERS)
    fail(ErrorCode::invalid_argument,
         "limits.max_registers: " + std::to_string(options.limits.max_registers) +
             " is outside 1..125");
  if (options.limits.max_bits < 1 || options.limits.max_bits > MODBUS_MAX_READ_BITS)
    fail(ErrorCode::invalid_argument,
         "limits.max_bits: " + std::to_string(options.limits.max_bits) + " is outside 1..2000");
  impl_ = std::make_unique<Impl>(clock, std::move(options));
  const auto& d = devices_.front().device;
  impl_->tcp = d.transport == Transport::tcp;
  impl_->ctx = impl_->tcp ? modbus_new_tcp_pi(d.host.c_str(), std::to_string(d.port).c_str())
                          : modbus_new_rtu(d.serial_device.c_str(), d.baud, parity_char(d.parity),
                                           d.data_bits, d.stop_bits);
  if (!impl_->ctx)
    fail(ErrorCode::invalid_argument,
         "device \"" + d.name + "\": cannot create a Modbus context: " + modbus_strerror(errno));
  impl_->connection =
      impl_->tcp ? "tcp " + d.host + ":" + std::to_string(d.port) : "rtu " + d.serial_device;
  std::uint64_t seed = impl_->options.seed;
  for (const auto& dm : devices_) {
    Impl::DeviceState st{{}, Backoff(impl_->options.backoff, ++seed), {}, {}};
    st.status.device_id = dm.device.id;
    st.status.device = dm.device.name;
    if (impl_->options.request_per_point) {
      for (std::uint32_t i = 0; i < dm.points.size(); ++i) {
        const auto& p = dm.points[i];
        st.plan.push_back(ReadRequest{p.register_type, p.address, point_width(p), {i}});
      }
    } else {
      st.plan = plan_reads(dm.device, dm.points, impl_->options.limits);
    }
    impl_->states.push_back(std::move(st));
  }
}

ModbusDriver::~ModbusDriver() = default;

const std::vector<ReadRequest>& ModbusDriver::plan(std::size_t device) const {
  return impl_->states.at(device).plan;
}

bool ModbusDriver::connected() const noexcept {
  return impl_->is_connected;
}

const DeviceStatus& ModbusDriver::status(std::size_t device) const {
  return impl_->states.at(device).status;
}

const std::string& ModbusDriver::connection() const noexcept {
  return impl_->connection;
}

void ModbusDriver::poll(std::size_t index, std::vector<Reading>& out) {
  auto& im = *impl_;
  if (!im.health) im.publish(stats_);
  // Published however the poll ends.
  struct Publish {
    Impl& im;
    const ModbusStats& stats;
    metrics::Timer timer;
    ~Publish() { im.publish(stats); }
  } publish{im, stats_, metrics::Timer(*im.health->poll_seconds)};
  const auto& dm = devices_.at(index);
  auto& st = im.states[index];
  const Timestamp start = im.clock.now();
  out.resize(dm.points.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].point_id = dm.points[i].id;
    out[i].time = start;
    out[i].value = std::nan("");
    out[i].text.clear();
    out[i].quality = Quality::comm_fail;
  }
  // The device's status is the first failure of this poll; each failure is also the
  // connection's last error.
  auto& status = st.status;
  const std::string previous = status.error;
  status.polled_at = start;
  status.quality = Quality::good;
  status.error.clear();
  auto failed = [&](Quality q, const std::string& what, Timestamp t) {
    stats_.last_error = what;
    stats_.last_error_time = t;
    if (status.quality == Quality::good) {
      status.quality = q;
      status.error = what;
    }
  };
  auto waiting = [&](const std::string& what) {  // not polled: no new failure
    status.quality = Quality::comm_fail;
    status.error = what;
  };
  auto connected = [&] {
    if (stats_.connects++ > 0) ++stats_.reconnects;
    im.is_connected = true;
  };
  auto request_error = [&](const ReadRequest& r, int err) {
    return "device \"" + dm.device.name + "\" (unit " + std::to_string(dm.device.unit_id) +
           "): reading " + std::to_string(r.count) + " " + std::string(enum_name(r.register_type)) +
           " from " + std::to_string(r.address) + ": " + modbus_strerror(err) +
           (err == EMBBADDATA && !im.refused.empty() ? " (" + im.refused + ")" : "");
  };

  if (start < st.skip_until) {
    waiting(previous.rfind("backing off after: ", 0) == 0 ? previous
                                                          : "backing off after: " + previous);
    return;
  }
  if (!im.is_connected) {
    if (start < im.next_connect) {
      waiting("waiting to reconnect after: " + im.connect_error);
      return;
    }
    im.set_timeout(dm.device.response_timeout_ms);
    if (modbus_connect(im.ctx) != 0) {
      im.connect_error = "connect to " + im.connection + ": " + modbus_strerror(errno);
      ++stats_.connect_failures;
      im.next_connect = start + im.backoff.next();
      failed(Quality::comm_fail, im.connect_error, start);
      return;
    }
    connected();
    im.backoff.reset();
  }
  modbus_set_slave(im.ctx, dm.device.unit_id);
  im.set_timeout(dm.device.response_timeout_ms);

  auto deliver = [&](const ReadRequest& r, Timestamp t) {
    for (auto i : r.points) {
      const auto& p = dm.points[i];
      auto& reading = out[i];
      reading.time = t;
      if (is_bit(p.register_type))
        decode_bit(im.bits[p.address - r.address], reading);
      else
        decode(p, im.regs + (p.address - r.address), reading);
    }
  };
  auto mark = [&](const ReadRequest& r, Timestamp t, Quality q) {
    for (auto i : r.points) {
      out[i].time = t;
      out[i].quality = q;
    }
  };

  bool reconnected = false;
  for (const auto& r : st.plan) {
    int rc = im.read(r, dm.device.unit_id, stats_);
    int err = rc < 0 ? errno : 0;
    if (rc < 0 && im.tcp && !reconnected && (err == ECONNRESET || err == EPIPE)) {
      // The peer closed the connection (gateways drop idle ones): reads are idempotent, so
      // one fresh connection and the same request again, before calling the device failed.
      reconnected = true;
      ++stats_.resyncs;
      modbus_close(im.ctx);
      im.is_connected = false;
      if (modbus_connect(im.ctx) == 0) {
        connected();
        rc = im.read(r, dm.device.unit_id, stats_);
        err = rc < 0 ? errno : 0;
      } else {
        im.connect_error = "reconnect to " + im.connection + ": " + modbus_strerror(errno);
        ++stats_.connect_failures;
        im.next_connect = start + im.backoff.next();
        const Timestamp t = im.clock.now();
        mark(r, t, Quality::comm_fail);
        failed(Quality::comm_fail, im.connect_error, t);
        return;
      }
    }
    const Timestamp t = im.clock.now();
    if (rc >= 0) {
      deliver(r, t);
      continue;
    }
    if (is_link_error(err)) {
      if (err == ETIMEDOUT) ++stats_.timeouts;
      failed(Quality::comm_fail, request_error(r, err), t);
      im.resync(stats_);
      // The rest of this device's requests would most likely time out as well: leave them
      // comm_fail and the device alone for a while, so it cannot hold up its line.
      mark(r, t, Quality::comm_fail);
      st.skip_until = t + st.backoff.next();
      return;
    }
    if (quality_for_error(err) == Quality::bad_config && r.points.size() > 1) {
      // One bad point (or a hole in the device's map inside a gap) must not cost the others
      // their readings: ask for each point alone.
      for (auto i : r.points) {
        const auto& p = dm.points[i];
        ReadRequest single{p.register_type, p.address, point_width(p), {i}};
        if (im.read(single, dm.device.unit_id, stats_) >= 0) {
          deliver(single, im.clock.now());
        } else {
          int e = errno;
          const Timestamp te = im.clock.now();
          mark(single, te, quality_for_error(e));
          failed(quality_for_error(e), request_error(single, e), te);
          if (is_link_error(e)) {
            if (e == ETIMEDOUT) ++stats_.timeouts;
            im.resync(stats_);
            return;
          }
        }
      }
      continue;
    }
    mark(r, t, quality_for_error(err));
    failed(quality_for_error(err), request_error(r, err), t);
  }
  // Read, but no number in the registers (a float NaN): the device's data, named by point.
  for (std::size_t i = 0; i < out.size() && status.quality == Quality::good; ++i)
    if (out[i].quality != Quality::good)
      failed(out[i].quality,
             "device \"" + dm.device.name + "\": point \"" + dm.points[i].name +
                 "\": " + std::string(enum_name(out[i].quality)),
             out[i].time);
  st.backoff.reset();
}

// ---- the poller -------------------------------------------------------------------------------

Poller::Poller(const PointMap& map, const Clock& clock, ModbusOptions options) {
  validate_map(map);
  for (auto& group : group_by_connection(map)) {
    options.seed += 1000;  // connections do not back off in lockstep
    drivers_.push_back(std::make_unique<ModbusDriver>(std::move(group), clock, options));
  }
}

Poller::~Poller() = default;

const std::vector<Reading>& Poller::poll() {
  readings_.clear();
  for (auto& d : drivers_) {
    for (std::size_t i = 0; i < d->devices().size(); ++i) {
      d->poll(i, device_readings_);
      readings_.insert(readings_.end(), device_readings_.begin(), device_readings_.end());
    }
  }
  return readings_;
}

std::vector<ConnectionStatus> Poller::status() const {
  std::vector<ConnectionStatus> out;
  for (const auto& d : drivers_) {
    ConnectionStatus c;
    c.connection = d->connection();
    c.connected = d->connected();
    c.stats = d->stats();
    for (std::size_t i = 0; i < d->devices().size(); ++i) c.devices.push_back(d->status(i));
    out.push_back(std::move(c));
  }
  return out;
}

std::uint64_t Poller::requests() const noexcept {
  std::uint64_t n = 0;
  for (const auto& d : drivers_) n += d->stats().requests;
  return n;
}

DriverFactory modbus_factory(ModbusOptions options) {
  return [options](std::vector<DeviceMap> devices, const Clock& clock) -> std::unique_ptr<Driver> {
    return std::make_unique<ModbusDriver>(std::move(devices), clock, options);
  };
}

}  // namespace houqin::drivers
