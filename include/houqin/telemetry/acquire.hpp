// Acquisition into the pipeline: runs the drivers' poll loop (one thread per connection, the
// Modbus driver by default) and pushes every poll's readings as Samples, so field devices and host
// programs feed the same queue. String points carry no number and are left out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "houqin/core/export.hpp"
#include "houqin/drivers/driver.hpp"
#include "houqin/telemetry/pipeline.hpp"

namespace houqin::telemetry {

/// A reading as a sample: quality is drivers::Quality's number, the value NaN unless good, the
/// flag not_evaluated (verification sets it).
HOUQIN_EXPORT Sample to_sample(const drivers::Reading& reading) noexcept;

/// Polls a point map into a pipeline until stopped. A poller blocked by back-pressure (a full
/// queue under FullPolicy::block) polls late; samples the pipeline did not take are counted as
/// dropped (full or closed), never queued elsewhere.
class HOUQIN_EXPORT PipelineAcquisition {
 public:
  /// The pipeline must outlive this object. Validates the map; polling starts at once.
  PipelineAcquisition(const drivers::PointMap& map, Pipeline& pipeline,
                      drivers::AcquisitionOptions options = {});
  ~PipelineAcquisition();  // stops
  PipelineAcquisition(const PipelineAcquisition&) = delete;
  PipelineAcquisition& operator=(const PipelineAcquisition&) = delete;

  void stop() noexcept;
  std::uint64_t pushed() const noexcept { return pushed_.load(); }    // samples accepted
  std::uint64_t dropped() const noexcept { return dropped_.load(); }  // samples not accepted
  /// Errors of the poll threads (driver factory failures), see drivers::Acquisition.
  std::size_t errors() const noexcept;

 private:
  void sink(std::span<const drivers::Reading> readings);

  Pipeline& pipeline_;
  std::vector<Id> string_points_;  // sorted
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::unique_ptr<drivers::Acquisition> acquisition_;
};

}  // namespace houqin::telemetry
