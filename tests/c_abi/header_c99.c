/* houqin.h compiles as strict C99 (-std=c99 -pedantic -Werror) and links against libhouqin-c. */
#include "houqin/houqin.h"

#include <stdio.h>
#include <string.h>

/* The telemetry sample is the 32-byte C++ layout; the other structs initialise from their macros.
 */
typedef char hq_sample_is_32_bytes[sizeof(hq_sample) == 32 ? 1 : -1];

static int read_nothing(void* state, size_t device, hq_reading* readings, size_t count,
                        void* payload) {
  (void)state, (void)device, (void)readings, (void)count, (void)payload;
  return 0;
}

int main(void) {
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_telemetry_options topts = HQ_TELEMETRY_OPTIONS_INIT;
  hq_driver_vtable driver = {HQ_DRIVER_VTABLE_VERSION, NULL, read_nothing, NULL};
  hq_telemetry* telemetry = NULL;
  hq_store* store = NULL;
  const hq_error* err = hq_last_error();
  int failed = 0;
  failed |= hq_version_number() != HQ_VERSION_NUMBER;
  failed |= strcmp(hq_version_string(), HQ_VERSION_STRING) != 0;
  failed |= opts.version != HQ_STORE_OPTIONS_VERSION;
  failed |= hq_store_open(&store, "sqlite::memory:", &opts) != HQ_OK;
  failed |= err->code != HQ_OK;
  failed |= topts.version != HQ_TELEMETRY_OPTIONS_VERSION || driver.version != 1;
  failed |= hq_telemetry_open(&telemetry, "sqlite::memory:", &topts, NULL) != HQ_INVALID_ARGUMENT;
  hq_telemetry_free(telemetry);
  hq_store_free(store);
  printf("C99: houqin %s (headers %s)%s\n", hq_version_string(), HQ_VERSION_STRING,
         failed ? ": FAILED" : "");
  return failed;
}
