#include "houqin/drivers/driver.hpp"

#include <algorithm>
#include <map>

#include "houqin/drivers/modbus.hpp"

namespace houqin::drivers {

Driver::~Driver() = default;

std::vector<std::vector<DeviceMap>> group_by_connection(const PointMap& map) {
  std::vector<std::vector<DeviceMap>> groups;
  std::map<std::string, std::size_t> index;
  std::map<Id, std::pair<std::size_t, std::size_t>> where;  // device id -> (group, position)
  for (const auto& d : map.devices) {
    auto key = d.transport == Transport::tcp ? "tcp:" + d.host + ":" + std::to_string(d.port)
                                             : "rtu:" + d.serial_device;
    auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) groups.emplace_back();
    auto& group = groups[it->second];
    where[d.id] = {it->second, group.size()};
    group.push_back(DeviceMap{d, {}});
  }
  for (const auto& p : map.points) {
    auto it = where.find(p.device_id);
    if (it != where.end()) groups[it->second.first][it->second.second].points.push_back(p);
  }
  return groups;
}

Acquisition::Acquisition(const PointMap& map, ReadingSink sink, AcquisitionOptions options)
    : sink_(std::move(sink)), options_(std::move(options)) {
  validate_map(map);
  if (!options_.factory) options_.factory = modbus_factory();
  for (auto& group : group_by_connection(map))
    threads_.emplace_back([this, g = std::move(group)]() mutable { run(std::move(g)); });
}

Acquisition::~Acquisition() {
  stop();
}

void Acquisition::stop() noexcept {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Acquisition::run(std::vector<DeviceMap> devices) {
  using steady = std::chrono::steady_clock;
  std::unique_ptr<Driver> driver;
  try {
    // Created on this thread: the driver's context never crosses threads.
    driver = options_.factory(devices, *options_.clock);
  } catch (...) {
    ++sink_errors_;
    return;
  }
  std::vector<steady::time_point> due(devices.size(), steady::now());
  std::vector<Reading> readings;
  while (!stopping_) {
    auto next = std::min_element(due.begin(), due.end());
    auto k = static_cast<std::size_t>(next - due.begin());
    // Sleep in short slices so stop() is prompt.
    for (auto now = steady::now(); now < *next && !stopping_; now = steady::now())
      std::this_thread::sleep_for(
          std::min<steady::duration>(*next - now, std::chrono::milliseconds(20)));
    if (stopping_) break;
    driver->poll(k, readings);
    try {
      sink_(devices[k].device, readings);
    } catch (...) {
      ++sink_errors_;
    }
    auto interval = std::chrono::milliseconds(devices[k].device.poll_interval_ms);
    due[k] += interval;
    if (auto now = steady::now(); due[k] < now) due[k] = now + interval;  // fell behind: skip
  }
}

}  // namespace houqin::drivers
