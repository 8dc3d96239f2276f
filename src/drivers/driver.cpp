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

ReadingQueue::ReadingQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void ReadingQueue::push(const Device& device, std::span<const Reading> readings) {
  ReadingBatch batch{device.id, {readings.begin(), readings.end()}};
  {
    std::lock_guard lock(mutex_);
    if (batches_.size() >= capacity_) {
      batches_.pop_front();
      ++dropped_;
    }
    batches_.push_back(std::move(batch));
  }
  ready_.notify_one();
}

std::optional<ReadingBatch> ReadingQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !batches_.empty(); })) return std::nullopt;
  auto batch = std::move(batches_.front());
  batches_.pop_front();
  return batch;
}

ReadingSink ReadingQueue::sink() {
  return [this](const Device& d, std::span<const Reading> r) { push(d, r); };
}

std::size_t ReadingQueue::size() const {
  std::lock_guard lock(mutex_);
  return batches_.size();
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
