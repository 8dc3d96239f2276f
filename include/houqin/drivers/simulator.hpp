// A Modbus device simulator on libmodbus, for tests, demos and benchmarks: a TCP server on
// loopback (or an RTU slave on a serial line, e.g. one end of a socat pseudo-terminal pair)
// serving medical gas panels and three-phase power meters with plausible waveforms, and faults
// injected on demand: a dropped connection, delays, exception codes, stuck values, spikes, and
// devices that lie on the wire (wrong transaction or unit ids, short or miscounted frames).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/clock.hpp"
#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"

namespace houqin::drivers {

/// The register layout of a medical gas panel: pressures of O2, medical air, N2O, CO2, N2 and
/// vacuum, O2 purity and flow, air flow and dew point (holding registers), one alarm bit per gas
/// (discrete inputs) and the model name (input registers). Points get ids first_id, first_id+1...
HOUQIN_EXPORT std::vector<Point> gas_panel_points(Id device_id, Id first_id = 1);
/// A three-phase power meter: phase and line voltages, currents, powers, power factors,
/// frequency, THD, unbalance, residual current, cable temperatures, energy counters and serial
/// number (input registers, in several types and byte orders), and breaker states (coils).
HOUQIN_EXPORT std::vector<Point> power_meter_points(Id device_id, Id first_id = 1);

/// The value the simulator serves for point p of unit `unit` at time t (before encoding): a slow
/// sine around the point kind's nominal value.
HOUQIN_EXPORT double simulated_value(const Point& p, int unit, Timestamp t);

/// Faults of one simulated unit. The server serves all its units from one thread, so a delay
/// holds up every unit of that simulator: give a slow device a simulator of its own.
struct Fault {
  int delay_ms = 0;              // slow device: every answer waits this long
  int delay_once_ms = 0;         // the next answer only waits this long (a late answer)
  bool silent = false;           // never answers (a dead device)
  bool drop_connection = false;  // closes the connection at the next request (then clears)
  int exception_code = 0;        // answers with this Modbus exception code
  int exception_count = -1;      // ... for this many requests (-1: until cleared)
  bool stuck = false;            // values stop changing
  int spike_reads = 0;           // the next n answers carry every value times spike_factor
  double spike_factor = 10;
  // Lies on the wire (TCP, answers to reads). Each spoils the next n answers (-1: until cleared).
  int wrong_transaction_id = 0;  // carry the transaction id of the request before
  int wrong_unit_id = 0;         // come from unit id + 1
  int wrong_function = 0;        // carry another read function's code (3 for 4, 1 for 2, ...)
  int short_frames = 0;          // are cut off after short_frame_bytes bytes ...
  int short_frame_bytes = 9;     // ... (9: the MBAP header, function code and byte count)
  bool close_after_short_frame = false;  // ... and the connection closed after each
  int wrong_byte_count = 0;      // have a byte count byte_count_delta off the values asked for
  int byte_count_delta = 2;      // ... (2: one register more; -2: one fewer)
  bool byte_count_only = false;  // ... with the data asked for (else data as the count says)
  int garbage_first = 0;         // follow garbage_bytes bytes of noise on the connection
  int garbage_bytes = 5;
};
BOOST_DESCRIBE_STRUCT(Fault, (),
                      (delay_ms, delay_once_ms, silent, drop_connection, exception_code,
                       exception_count, stuck, spike_reads, spike_factor, wrong_transaction_id,
                       wrong_unit_id, wrong_function, short_frames, short_frame_bytes,
                       close_after_short_frame, wrong_byte_count, byte_count_delta, byte_count_only,
                       garbage_first, garbage_bytes))

struct SimulatorOptions {
  Transport transport = Transport::tcp;
  std::string host = "127.0.0.1";  // tcp: the address to listen on
  int port = 0;                    // tcp: 0 picks a free port (see Simulator::port())
  std::string serial_device{};     // rtu: the slave's end of the line
  int baud = 19200;                // rtu
  const Clock* clock = &system_clock();
  /// Values are recomputed at most this often, like a device's own measuring cycle, so a read
  /// costs the same whether it asks for one register or many.
  std::chrono::milliseconds update_interval{100};
  int max_clients = 32;  // tcp: further connections are closed at once
};

class HOUQIN_EXPORT Simulator {
 public:
  explicit Simulator(SimulatorOptions options = {});
  ~Simulator();  // stops
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Adds a unit serving `points` (their device_id is ignored). Before start(). On RTU only the
  /// first unit answers: a serial slave has one address.
  void add_unit(int unit_id, std::vector<Point> points);
  /// Binds and starts serving on a thread of its own. Error(unavailable) when it cannot bind.
  void start();
  /// Stops serving and closes every connection; waits at most ~50 ms plus a running delay.
  void stop() noexcept;

  /// The TCP port listened on (after start()).
  int port() const noexcept { return port_; }

  void set_fault(int unit_id, const Fault& fault);
  void clear_faults();

  /// A copy of registers (or bits, one per element) as the unit currently holds them; refreshed
  /// to the clock's time first unless the unit is stuck.
  std::vector<std::uint16_t> registers(int unit_id, RegisterType type, int address, int count);
  /// Requests received (answered or not).
  std::uint64_t requests() const noexcept { return requests_.load(); }

 private:
  struct Unit;
  struct Impl;
  void serve();
  Unit* unit(int unit_id);
  void refresh(Unit& u, bool force);

  SimulatorOptions options_;
  std::vector<std::unique_ptr<Unit>> units_;
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;  // guards units' registers and faults against registers()/set_fault()
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> requests_{0};
  int port_ = 0;
};

}  // namespace houqin::drivers
