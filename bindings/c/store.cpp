// hq_store_*: opening, migrating and closing a store.
#include <chrono>

#include "capi.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/store/migration.hpp"

#include <cstdlib>

using namespace houqin;
using capi::guard;
using capi::require;

namespace houqin::capi {

store::StoreOptions store_options(const hq_store_options* opts, const char* function) {
  store::StoreOptions options;
  if (opts) {
    // Fields are read up to the version the host set; newer fields keep their defaults.
    if (opts->version == 0 || opts->version > HQ_STORE_OPTIONS_VERSION)
      fail(ErrorCode::invalid_argument,
           std::string(function) + ": options version " + std::to_string(opts->version) +
               " is not supported (1.." + std::to_string(HQ_STORE_OPTIONS_VERSION) + ")");
    if (opts->busy_timeout_ms < 0)
      fail(ErrorCode::invalid_argument, std::string(function) + ": busy_timeout_ms " +
                                            std::to_string(opts->busy_timeout_ms) + " is negative");
    options.busy_timeout = std::chrono::milliseconds(opts->busy_timeout_ms);
    if (opts->version >= 2 && opts->key_file)
      options.keys = protect::Keyring::from_file(opts->key_file);
  }
  // Personal data is sealed at rest: keys from the key file, else from HOUQIN_KEYS.
  if (!options.keys)
    if (const char* keys = std::getenv("HOUQIN_KEYS"); keys && *keys)
      options.keys = protect::Keyring::from_env();
  return options;
}

}  // namespace houqin::capi

extern "C" {

hq_status hq_store_options_init(hq_store_options* opts, unsigned int version) {
  return guard([&] {
    require(opts, "hq_store_options_init", "opts");
    if (version == 0 || version > HQ_STORE_OPTIONS_VERSION)
      fail(ErrorCode::invalid_argument, "hq_store_options_init: options version " +
                                            std::to_string(version) + " is not supported (1.." +
                                            std::to_string(HQ_STORE_OPTIONS_VERSION) + ")");
    *opts = hq_store_options HQ_STORE_OPTIONS_INIT;
    opts->version = version;
  });
}

hq_status hq_store_open(hq_store** out, const char* url, const hq_store_options* opts) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_store_open", "out");
    require(url, "hq_store_open", "url");
    auto options = capi::store_options(opts, "hq_store_open");
    auto handle = std::make_unique<capi::StoreHandle>();
    handle->store = store::Store::open(url, options);
    *out = capi::to_c(handle.release());
  });
}

void hq_store_free(hq_store* store) {
  // Deleting NULL does nothing; ~Store is noexcept, so nothing can escape here.
  delete reinterpret_cast<capi::StoreHandle*>(store);
}

hq_status hq_store_migrate(int* out_applied, hq_store* store) {
  if (out_applied) *out_applied = 0;
  return guard([&] {
    auto& h = capi::handle(store, "hq_store_migrate");
    std::lock_guard lock(h.mutex);
    int applied = store::migrate(*h.store, capi::migrations());
    if (out_applied) *out_applied = applied;
  });
}

}  // extern "C"
