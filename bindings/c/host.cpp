// hq_host_*: the platform host (houqin::make_host) behind an opaque handle, on a store connection
// of its own. The configuration and the results cross as the JSON of their descriptions.
#include "capi.hpp"
#include "houqin/platform.hpp"

using namespace houqin;
using capi::guard;
using capi::require;

namespace {

struct HostHandle {
  std::unique_ptr<PlatformHost> platform;
  host::Host* host = nullptr;
  std::mutex mutex;  // run_once, start and stop one at a time
  bool started = false;
};

HostHandle& handle(hq_host* h, const char* function) {
  if (!h) fail(ErrorCode::invalid_argument, std::string(function) + ": host is NULL");
  return *reinterpret_cast<HostHandle*>(h);
}

}  // namespace

extern "C" {

hq_status hq_host_open(hq_host** out, const char* url, const hq_store_options* store_opts,
                       const char* config_json) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_host_open", "out");
    require(url, "hq_host_open", "url");
    HostConfig config;
    if (config_json)
      config = json::from_json<HostConfig>(json::parse(config_json, "hq_host_open config"),
                                           "hq_host_open config");
    auto h = std::make_unique<HostHandle>();
    h->platform = std::make_unique<PlatformHost>(
        url, capi::store_options(store_opts, "hq_host_open"), config);
    h->host = &h->platform->host();
    *out = reinterpret_cast<hq_host*>(h.release());
  });
}

void hq_host_free(hq_host* host) {
  // ~PlatformHost stops the telemetry and the host (releasing its leases); it swallows what a
  // lost store throws, the leases then expire by themselves.
  delete reinterpret_cast<HostHandle*>(host);
}

hq_status hq_host_start(hq_host* host) {
  return guard([&] {
    auto& h = handle(host, "hq_host_start");
    std::lock_guard lock(h.mutex);
    h.host->start();
    h.started = true;
  });
}

hq_status hq_host_stop(hq_host* host) {
  return guard([&] {
    auto& h = handle(host, "hq_host_stop");
    std::lock_guard lock(h.mutex);
    h.started = false;
    h.host->stop();
  });
}

hq_status hq_host_run_once(char** out_json, hq_host* host) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    auto& h = handle(host, "hq_host_run_once");
    std::lock_guard lock(h.mutex);
    if (h.started)
      fail(ErrorCode::failed_precondition,
           "hq_host_run_once: the host's own thread runs its rounds (hq_host_stop first)");
    auto round = h.host->run_once();
    if (out_json) *out_json = capi::copy_out(capi::dump(json::to_json(round)));
  });
}

hq_status hq_host_status(char** out_json, hq_host* host) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_host_status", "out_json");
    auto& h = handle(host, "hq_host_status");
    *out_json = capi::copy_out(capi::dump(json::to_json(h.host->status())));
  });
}

}  // extern "C"
