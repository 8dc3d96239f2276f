// houqin.h compiles as C++ (strict warnings, no C++ in the header) and its declarations have C
// linkage: this links against libhouqin-c, which exports only unmangled hq_ symbols.
#include "houqin/houqin.h"

#include <cstdio>
#include <cstring>

int main() {
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_store* store = nullptr;
  char* names = nullptr;
  bool failed = hq_version_number() != HQ_VERSION_NUMBER;
  failed |= hq_store_open(&store, "sqlite::memory:", &opts) != HQ_OK;
  failed |= hq_entity_names(&names, store) != HQ_OK || std::strstr(names, "rooms") == nullptr;
  hq_free(names);
  failed |= hq_entity_get(&names, nullptr, nullptr, "rooms", 1) != HQ_INVALID_ARGUMENT;
  failed |= names != nullptr;  // outputs are NULL after a failure
  static_assert(sizeof(hq_sample) == 32, "hq_sample is telemetry::Sample's 32 bytes");
  hq_telemetry_options topts = HQ_TELEMETRY_OPTIONS_INIT;
  hq_telemetry* telemetry = nullptr;
  hq_sample sample = {1, 0, 230.0, HQ_QUALITY_GOOD, HQ_FLAG_NOT_EVALUATED};
  size_t accepted = 1;
  failed |=
      hq_telemetry_open(&telemetry, "sqlite::memory:", &topts, nullptr) != HQ_INVALID_ARGUMENT;
  failed |= hq_telemetry_push(&accepted, telemetry, &sample, 1) != HQ_INVALID_ARGUMENT;
  failed |= accepted != 0;
  hq_store_free(store);
  std::printf("C++: houqin %s%s\n", hq_version_string(), failed ? ": FAILED" : "");
  return failed ? 1 : 0;
}
