// Self-monitoring through the registry: the metrics snapshot (described, so the C ABI and Python
// get it member for member) and its Prometheus text, for a scraper or the daemon's /metrics.
#include "houqin/core/metrics.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::service {
namespace {

[[maybe_unused]] const bool operations_registered[] = {
    define<NoInput>(
        "monitor.metrics", "monitor.read",
        "The library's own metrics: operation and store latency histograms, errors "
        "by code, pipeline queues, consumer lag, Modbus connection health",
        [](Context& c, const NoInput&) { return metrics::snapshot(c.store.clock().now()); }),
    define<NoInput>("monitor.prometheus", "monitor.read",
                    "The same metrics in the Prometheus text format (text/plain; version=0.0.4)",
                    [](Context& c, const NoInput&) {
                      return Document{
                          "text/plain; version=0.0.4; charset=utf-8", "utf-8",
                          metrics::prometheus(metrics::snapshot(c.store.clock().now()))};
                    }),
};

}  // namespace
}  // namespace houqin::service
