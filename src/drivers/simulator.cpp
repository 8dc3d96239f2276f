#include "houqin/drivers/simulator.hpp"

#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numbers>

#include "houqin/drivers/decode.hpp"

namespace houqin::drivers {

// ---- profiles ---------------------------------------------------------------------------------

namespace {

struct PointMaker {
  Id device_id;
  Id next_id;
  std::vector<Point> out;
  void add(const char* name, RegisterType rt, int address, DataType type, ByteOrder order,
           double scale, const char* unit, PointKind kind, int length = 0) {
    Point p;
    p.id = next_id++;
    p.device_id = device_id;
    p.name = name;
    p.register_type = rt;
    p.address = address;
    p.data_type = type;
    p.byte_order = order;
    p.scale = scale;
    p.unit = unit;
    p.kind = kind;
    p.length = length;
    out.push_back(std::move(p));
  }
};

}  // namespace

std::vector<Point> gas_panel_points(Id device_id, Id first_id) {
  using RT = RegisterType;
  using DT = DataType;
  using O = ByteOrder;
  using K = PointKind;
  PointMaker m{device_id, first_id, {}};
  const RT h = RT::holding_register;
  m.add("o2_pressure", h, 0, DT::float32, O::cdab, 1, "kPa", K::o2_pressure);
  m.add("air_pressure", h, 2, DT::float32, O::cdab, 1, "kPa", K::air_pressure);
  m.add("n2o_pressure", h, 4, DT::float32, O::cdab, 1, "kPa", K::n2o_pressure);
  m.add("co2_pressure", h, 6, DT::float32, O::cdab, 1, "kPa", K::co2_pressure);
  m.add("n2_pressure", h, 8, DT::float32, O::cdab, 1, "kPa", K::n2_pressure);
  m.add("vacuum_pressure", h, 10, DT::float32, O::cdab, 1, "kPa", K::vacuum_pressure);
  m.add("o2_purity", h, 12, DT::uint16, O::abcd, 0.01, "%", K::o2_purity);
  m.add("o2_flow", h, 13, DT::uint16, O::abcd, 0.1, "L/min", K::o2_flow);
  m.add("air_flow", h, 14, DT::uint16, O::abcd, 0.1, "L/min", K::air_flow);
  m.add("air_dew_point", h, 15, DT::int16, O::abcd, 0.1, "°C", K::air_dew_point);
  const char* alarms[] = {"o2_alarm",  "air_alarm", "n2o_alarm",
                          "co2_alarm", "n2_alarm",  "vacuum_alarm"};
  for (int i = 0; i < 6; ++i)
    m.add(alarms[i], RT::discrete_input, i, DT::boolean, O::abcd, 1, "", K::gas_alarm);
  m.add("model", RT::input_register, 0, DT::string, O::abcd, 1, "", K::other, 16);
  return std::move(m.out);
}

std::vector<Point> power_meter_points(Id device_id, Id first_id) {
  using RT = RegisterType;
  using DT = DataType;
  using O = ByteOrder;
  using K = PointKind;
  PointMaker m{device_id, first_id, {}};
  const RT in = RT::input_register;
  int a = 0;
  auto f32 = [&](const char* name, const char* unit, K kind) {
    m.add(name, in, a, DT::float32, O::abcd, 1, unit, kind);
    a += 2;
  };
  f32("ua", "V", K::phase_a_voltage);
  f32("ub", "V", K::phase_b_voltage);
  f32("uc", "V", K::phase_c_voltage);
  f32("uab", "V", K::line_voltage);
  f32("ubc", "V", K::line_voltage);
  f32("uca", "V", K::line_voltage);
  f32("ia", "A", K::phase_a_current);
  f32("ib", "A", K::phase_b_current);
  f32("ic", "A", K::phase_c_current);
  f32("in", "A", K::neutral_current);
  for (const char* n : {"pa", "pb", "pc", "p_total"}) f32(n, "kW", K::active_power);
  for (const char* n : {"qa", "qb", "qc", "q_total"}) f32(n, "kvar", K::reactive_power);
  for (const char* n : {"sa", "sb", "sc", "s_total"}) f32(n, "kVA", K::apparent_power);
  for (const char* n : {"pfa", "pfb", "pfc", "pf_total"})
    m.add(n, in, a++, DT::int16, O::abcd, 0.001, "", K::power_factor);
  m.add("frequency", in, a++, DT::uint16, O::abcd, 0.01, "Hz", K::frequency);
  for (const char* n : {"thd_ua", "thd_ub", "thd_uc"})
    m.add(n, in, a++, DT::uint16, O::abcd, 0.01, "%", K::voltage_thd);
  for (const char* n : {"thd_ia", "thd_ib", "thd_ic"})
    m.add(n, in, a++, DT::uint16, O::abcd, 0.01, "%", K::current_thd);
  m.add("voltage_unbalance", in, a++, DT::uint16, O::abcd, 0.01, "%", K::voltage_unbalance);
  m.add("residual_current", in, a++, DT::uint16, O::abcd, 1, "mA", K::residual_current);
  for (const char* n : {"temp_a", "temp_b", "temp_c", "temp_n"})
    m.add(n, in, a++, DT::int16, O::abcd, 0.1, "°C", K::cable_temperature);
  m.add("energy_import", in, a, DT::uint32, O::cdab, 0.1, "kWh", K::energy);
  m.add("energy_export", in, a + 2, DT::uint32, O::cdab, 0.1, "kWh", K::energy);
  m.add("energy_import_wh", in, a + 4, DT::uint64, O::dcba, 1, "Wh", K::energy);
  m.add("energy_total", in, a + 8, DT::float64, O::badc, 1, "kWh", K::energy);
  m.add("serial", in, a + 12, DT::string, O::abcd, 1, "", K::other, 12);
  for (int i = 0; i < 4; ++i) {
    std::string name = "breaker_" + std::to_string(i + 1);
    m.add(name.c_str(), RT::coil, i, DT::boolean, O::abcd, 1, "", K::breaker_state);
  }
  return std::move(m.out);
}

double simulated_value(const Point& p, int unit, Timestamp t) {
  const double s = static_cast<double>(t.time_since_epoch().count()) / 1e6;
  const double phase = unit * 0.7 + p.address * 0.13;
  auto wave = [&](double nominal, double amplitude, double period_s) {
    return nominal + amplitude * std::sin(2 * std::numbers::pi * s / period_s + phase);
  };
  const bool total = p.name.ends_with("_total");
  switch (p.kind) {
    case PointKind::o2_pressure:
      return wave(400, 8, 120);
    case PointKind::air_pressure:
      return wave(400, 6, 150);
    case PointKind::n2o_pressure:
    case PointKind::co2_pressure:
      return wave(380, 5, 180);
    case PointKind::n2_pressure:
      return wave(800, 10, 200);
    case PointKind::vacuum_pressure:
      return wave(50, 3, 90);  // kPa below atmosphere: above the 37 kPa area alarm
    case PointKind::o2_purity:
      return wave(99.5, 0.2, 600);
    case PointKind::o2_flow:
      return wave(120, 25, 300);
    case PointKind::air_flow:
      return wave(200, 30, 300);
    case PointKind::air_dew_point:
      return wave(-40, 2, 900);
    case PointKind::phase_a_voltage:
    case PointKind::phase_b_voltage:
    case PointKind::phase_c_voltage:
      return wave(230, 3, 60);
    case PointKind::line_voltage:
      return wave(398.4, 5, 60);
    case PointKind::phase_a_current:
    case PointKind::phase_b_current:
    case PointKind::phase_c_current:
      return wave(80, 20, 240);
    case PointKind::neutral_current:
      return wave(6, 2, 240);
    case PointKind::active_power:
      return wave(17, 4, 240) * (total ? 3 : 1);
    case PointKind::reactive_power:
      return wave(7, 2, 240) * (total ? 3 : 1);
    case PointKind::apparent_power:
      return wave(18.5, 4, 240) * (total ? 3 : 1);
    case PointKind::power_factor:
      return wave(0.92, 0.03, 240);
    case PointKind::frequency:
      return wave(50, 0.03, 30);
    case PointKind::voltage_thd:
      return wave(2.5, 0.5, 600);
    case PointKind::current_thd:
      return wave(8, 2, 600);
    case PointKind::voltage_unbalance:
      return wave(0.8, 0.3, 600);
    case PointKind::residual_current:
      return wave(45, 10, 900);
    case PointKind::cable_temperature:
      return wave(38, 4, 1800);
    case PointKind::energy:
      // A counter growing 100 kWh an hour, restarting every ~4 months to stay in uint32 * 0.1.
      return 100000 + unit * 1000 + std::fmod(s, 1e7) / 36 * (p.unit == "Wh" ? 1000 : 1);
    case PointKind::breaker_state:
      return 1;
    case PointKind::weight:
      // A bag on the platform: 1.5-3.5 kg, a new one every minute.
      return 2.5 + std::sin(std::floor(s / 60) + phase);
    case PointKind::gas_alarm:
    case PointKind::other:
      break;
  }
  return 0;
}

// ---- the server -------------------------------------------------------------------------------

namespace {

/// Counts down a "next n answers" fault (-1: until cleared); true when this answer is spoilt.
bool spoil(int& n) {
  if (n == 0) return false;
  if (n > 0) --n;
  return true;
}

bool is_read_function(int fc) {
  return fc >= MODBUS_FC_READ_COILS && fc <= MODBUS_FC_READ_INPUT_REGISTERS;
}

/// The answer libmodbus would give to a TCP read request `query` (header and PDU) that is in
/// range, built here so that it can be spoilt before it is sent.
std::vector<std::uint8_t> read_reply(const std::uint8_t* query, const modbus_mapping_t& m) {
  const int fc = query[7];
  const int address = (query[8] << 8) | query[9];
  const int count = (query[10] << 8) | query[11];
  std::vector<std::uint8_t> data;
  if (fc == MODBUS_FC_READ_COILS || fc == MODBUS_FC_READ_DISCRETE_INPUTS) {
    const std::uint8_t* bits = fc == MODBUS_FC_READ_COILS ? m.tab_bits : m.tab_input_bits;
    data.assign(static_cast<std::size_t>((count + 7) / 8), 0);
    for (int i = 0; i < count; ++i)
      if (bits[address + i]) data[static_cast<std::size_t>(i / 8)] |= std::uint8_t(1u << (i % 8));
  } else {
    const std::uint16_t* regs =
        fc == MODBUS_FC_READ_HOLDING_REGISTERS ? m.tab_registers : m.tab_input_registers;
    for (int i = 0; i < count; ++i) {
      data.push_back(static_cast<std::uint8_t>(regs[address + i] >> 8));
      data.push_back(static_cast<std::uint8_t>(regs[address + i] & 0xff));
    }
  }
  std::vector<std::uint8_t> out(query, query + 8);  // transaction, protocol, length, unit, fc
  out.push_back(static_cast<std::uint8_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

bool in_range(const std::uint8_t* query, const modbus_mapping_t& m) {
  const int fc = query[7];
  const int address = (query[8] << 8) | query[9];
  const int count = (query[10] << 8) | query[11];
  const int size = fc == MODBUS_FC_READ_COILS               ? m.nb_bits
                   : fc == MODBUS_FC_READ_DISCRETE_INPUTS   ? m.nb_input_bits
                   : fc == MODBUS_FC_READ_HOLDING_REGISTERS ? m.nb_registers
                                                            : m.nb_input_registers;
  const int max =
      fc <= MODBUS_FC_READ_DISCRETE_INPUTS ? MODBUS_MAX_READ_BITS : MODBUS_MAX_READ_REGISTERS;
  return count >= 1 && count <= max && address + count <= size;
}

void set_mbap_length(std::vector<std::uint8_t>& frame) {
  const auto length = frame.size() - 6;  // unit id and PDU
  frame[4] = static_cast<std::uint8_t>(length >> 8);
  frame[5] = static_cast<std::uint8_t>(length & 0xff);
}

bool send_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    auto sent = ::send(fd, p, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    p += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

/// Sends the answer to TCP read request `query` spoilt by the lies that are on in `f`. False
/// when the connection is to be closed (after a short frame, or when sending failed).
bool send_lie(int fd, const std::uint8_t* query, const modbus_mapping_t& m, const Fault& f) {
  auto frame = read_reply(query, m);
  if (f.wrong_transaction_id) {
    const auto tid = static_cast<std::uint16_t>(((query[0] << 8) | query[1]) - 1);
    frame[0] = static_cast<std::uint8_t>(tid >> 8);
    frame[1] = static_cast<std::uint8_t>(tid & 0xff);
  }
  if (f.wrong_unit_id) frame[6] = static_cast<std::uint8_t>(frame[6] + 1);
  if (f.wrong_function) {
    static constexpr std::uint8_t other[] = {0, 2, 1, 4, 3};  // coils <-> inputs, holding <-> input
    frame[7] = other[frame[7]];
  }
  if (f.wrong_byte_count) {
    const int count = std::clamp(frame[8] + f.byte_count_delta, 0, 255);
    frame[8] = static_cast<std::uint8_t>(count);
    if (!f.byte_count_only) frame.resize(9 + static_cast<std::size_t>(count), 0x5a);
  }
  set_mbap_length(frame);  // the header tells the truth about the bytes that follow it
  if (f.short_frames)
    frame.resize(
        std::min(frame.size(), static_cast<std::size_t>(std::max(f.short_frame_bytes, 0))));
  if (f.garbage_first) {
    std::vector<std::uint8_t> noise(static_cast<std::size_t>(std::max(f.garbage_bytes, 0)));
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(0xa5 ^ i);
    frame.insert(frame.begin(), noise.begin(), noise.end());
  }
  if (!send_all(fd, frame.data(), frame.size())) return false;
  return !(f.short_frames && f.close_after_short_frame);
}

}  // namespace

struct Simulator::Unit {
  int id = 0;
  std::vector<Point> points;
  modbus_mapping_t* mapping = nullptr;
  Fault fault;
  Timestamp refreshed{};
  bool dirty = true;  // holds a spike, or has never been filled
  ~Unit() {
    if (mapping) modbus_mapping_free(mapping);
  }
};

struct Simulator::Impl {
  modbus_t* ctx = nullptr;
  int listen_fd = -1;
  std::vector<int> clients;
  ~Impl() {
    for (int c : clients) ::close(c);
    if (listen_fd >= 0) ::close(listen_fd);
    if (ctx) {
      modbus_close(ctx);
      modbus_free(ctx);
    }
  }
};

Simulator::Simulator(SimulatorOptions options) : options_(std::move(options)) {}

Simulator::~Simulator() {
  stop();
}

void Simulator::add_unit(int unit_id, std::vector<Point> points) {
  if (impl_) fail(ErrorCode::failed_precondition, "Simulator: add units before start()");
  if (unit(unit_id))
    fail(ErrorCode::already_exists, "Simulator: unit " + std::to_string(unit_id) + " exists");
  auto u = std::make_unique<Unit>();
  u->id = unit_id;
  int ends[4] = {1, 1, 1, 1};
  for (const auto& p : points) {
    auto& e = ends[static_cast<int>(p.register_type)];
    e = std::max(e, p.address + point_width(p));
  }
  u->mapping = modbus_mapping_new(ends[0], ends[1], ends[3], ends[2]);
  if (!u->mapping) fail(ErrorCode::resource_exhausted, "Simulator: cannot allocate registers");
  u->points = std::move(points);
  units_.push_back(std::move(u));
}

Simulator::Unit* Simulator::unit(int unit_id) {
  for (auto& u : units_)
    if (u->id == unit_id) return u.get();
  return nullptr;
}

void Simulator::refresh(Unit& u, bool force) {
  const Timestamp now = options_.clock->now();
  if (!force && !u.dirty && (u.fault.stuck || now - u.refreshed < options_.update_interval)) return;
  const double factor = u.fault.spike_reads > 0 ? u.fault.spike_factor : 1;
  for (const auto& p : u.points) {
    switch (p.register_type) {
      case RegisterType::coil:
        u.mapping->tab_bits[p.address] = simulated_value(p, u.id, now) != 0;
        break;
      case RegisterType::discrete_input:
        u.mapping->tab_input_bits[p.address] = simulated_value(p, u.id, now) != 0;
        break;
      case RegisterType::input_register:
      case RegisterType::holding_register: {
        auto* regs = p.register_type == RegisterType::input_register
                         ? u.mapping->tab_input_registers
                         : u.mapping->tab_registers;
        if (p.data_type == DataType::string) {
          auto text =
              p.name == "model" ? std::string("HQ-GAS-6") : "HQ-PM-" + std::to_string(1000 + u.id);
          encode_string(p, text, regs + p.address);
        } else {
          encode(p, simulated_value(p, u.id, now) * factor, regs + p.address);
        }
        break;
      }
    }
  }
  u.refreshed = now;
  u.dirty = factor != 1;
}

void Simulator::start() {
  if (impl_) fail(ErrorCode::failed_precondition, "Simulator: already started");
  auto impl = std::make_unique<Impl>();
  if (options_.transport == Transport::tcp) {
    impl->ctx = modbus_new_tcp(options_.host.c_str(), options_.port);
    if (!impl->ctx)
      fail(ErrorCode::invalid_argument,
           "Simulator: host " + options_.host + ": " + modbus_strerror(errno));
    impl->listen_fd = modbus_tcp_listen(impl->ctx, 16);
    if (impl->listen_fd < 0)
      fail(ErrorCode::unavailable, "Simulator: cannot listen on " + options_.host + ":" +
                                       std::to_string(options_.port) + ": " +
                                       modbus_strerror(errno));
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  } else {
    if (units_.empty()) fail(ErrorCode::failed_precondition, "Simulator: no unit to serve");
    impl->ctx = modbus_new_rtu(options_.serial_device.c_str(), options_.baud, 'N', 8, 1);
    if (!impl->ctx || modbus_set_slave(impl->ctx, units_.front()->id) != 0 ||
        modbus_set_response_timeout(impl->ctx, 0, 5000) != 0 || modbus_connect(impl->ctx) != 0)
      fail(ErrorCode::unavailable,
           "Simulator: cannot open " + options_.serial_device + ": " + modbus_strerror(errno));
  }
  {
    std::lock_guard lock(mutex_);
    for (auto& u : units_) refresh(*u, true);
  }
  impl_ = std::move(impl);
  stopping_ = false;
  thread_ = std::thread([this] { serve(); });
}

void Simulator::stop() noexcept {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  impl_.reset();
}

void Simulator::set_fault(int unit_id, const Fault& fault) {
  std::lock_guard lock(mutex_);
  auto* u = unit(unit_id);
  if (!u) fail(ErrorCode::not_found, "Simulator: no unit " + std::to_string(unit_id));
  u->fault = fault;
  u->dirty = true;
}

void Simulator::clear_faults() {
  std::lock_guard lock(mutex_);
  for (auto& u : units_) {
    u->fault = Fault{};
    u->dirty = true;
  }
}

std::vector<std::uint16_t> Simulator::registers(int unit_id, RegisterType type, int address,
                                                int count) {
  std::lock_guard lock(mutex_);
  auto* u = unit(unit_id);
  if (!u) fail(ErrorCode::not_found, "Simulator: no unit " + std::to_string(unit_id));
  refresh(*u, false);
  const auto* m = u->mapping;
  int size = type == RegisterType::coil             ? m->nb_bits
             : type == RegisterType::discrete_input ? m->nb_input_bits
             : type == RegisterType::input_register ? m->nb_input_registers
                                                    : m->nb_registers;
  if (address < 0 || count < 0 || address + count > size)
    fail(ErrorCode::invalid_argument, "Simulator: registers out of range");
  std::vector<std::uint16_t> out(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto k = static_cast<std::size_t>(i);
    switch (type) {
      case RegisterType::coil:
        out[k] = m->tab_bits[address + i];
        break;
      case RegisterType::discrete_input:
        out[k] = m->tab_input_bits[address + i];
        break;
      case RegisterType::input_register:
        out[k] = m->tab_input_registers[address + i];
        break;
      case RegisterType::holding_register:
        out[k] = m->tab_registers[address + i];
        break;
    }
  }
  return out;
}

void Simulator::serve() {
  auto& im = *impl_;
  const bool tcp = options_.transport == Transport::tcp;
  const int header = modbus_get_header_length(im.ctx);
  std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  auto drop = [&](int fd) {
    ::close(fd);
    im.clients.erase(std::find(im.clients.begin(), im.clients.end(), fd));
  };
  auto sleep_ms = [&](int ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 10)));
  };

  while (!stopping_) {
    fd_set ready;
    FD_ZERO(&ready);
    int max_fd = -1;
    std::vector<int> watched = tcp ? im.clients : std::vector<int>{modbus_get_socket(im.ctx)};
    if (tcp) watched.push_back(im.listen_fd);
    for (int fd : watched) {
      FD_SET(fd, &ready);
      max_fd = std::max(max_fd, fd);
    }
    timeval tv{0, 50000};
    int n = ::select(max_fd + 1, &ready, nullptr, nullptr, &tv);
    if (n <= 0) continue;
    for (int fd : watched) {
      if (!FD_ISSET(fd, &ready) || stopping_) continue;
      if (tcp && fd == im.listen_fd) {
        int c = ::accept(im.listen_fd, nullptr, nullptr);
        if (c < 0) continue;
        if (static_cast<int>(im.clients.size()) >= options_.max_clients)
          ::close(c);
        else
          im.clients.push_back(c);
        continue;
      }
      if (tcp) modbus_set_socket(im.ctx, fd);
      int rc = modbus_receive(im.ctx, query);
      if (rc == 0) {
        // A request for another slave. libmodbus 3.1.6 then takes the next frame on the line
        // for that slave's answer and drops it; when that slave is silent, the frame it drops
        // is the master's next request to us. Wait out the answer briefly instead, so only a
        // real answer is ignored.
        if (!tcp) modbus_receive(im.ctx, query);
        continue;
      }
      if (rc < 0) {
        if (tcp)
          drop(fd);
        else
          modbus_flush(im.ctx);
        continue;
      }
      ++requests_;
      const int unit_id = query[header - 1];
      Fault f;
      Unit* u = nullptr;
      bool lie = false;
      {
        std::lock_guard lock(mutex_);
        u = unit(unit_id);
        if (u) {
          f = u->fault;
          u->fault.delay_once_ms = 0;
          u->fault.drop_connection = false;
          if (f.exception_code && u->fault.exception_count > 0 && --u->fault.exception_count == 0)
            u->fault.exception_code = 0;
          // The lies count the answers they spoil: only reads that get an answer spend them.
          auto& l = u->fault;
          const bool answered = !f.silent && !(f.drop_connection && tcp) && !f.exception_code &&
                                tcp && is_read_function(query[header]) &&
                                in_range(query, *u->mapping);
          if (answered)
            for (int* left : {&l.wrong_transaction_id, &l.wrong_unit_id, &l.wrong_function,
                              &l.short_frames, &l.wrong_byte_count, &l.garbage_first})
              lie = spoil(*left) || lie;
        }
      }
      if (!u) {
        if (tcp) modbus_reply_exception(im.ctx, query, MODBUS_EXCEPTION_GATEWAY_TARGET);
        continue;
      }
      if (f.silent) continue;
      if (f.drop_connection && tcp) {
        drop(fd);
        continue;
      }
      if (f.delay_ms + f.delay_once_ms > 0) sleep_ms(f.delay_ms + f.delay_once_ms);
      if (stopping_) break;
      if (f.exception_code) {
        modbus_reply_exception(im.ctx, query, static_cast<unsigned>(f.exception_code));
        continue;
      }
      std::lock_guard lock(mutex_);
      refresh(*u, false);
      if (u->fault.spike_reads > 0 && --u->fault.spike_reads == 0) u->dirty = true;
      if (lie) {
        if (!send_lie(fd, query, *u->mapping, f)) drop(fd);
        continue;
      }
      if (modbus_reply(im.ctx, query, rc, u->mapping) < 0 && tcp) drop(fd);
    }
  }
}

}  // namespace houqin::drivers
