/* houqin.h compiles as strict C99 (-std=c99 -pedantic -Werror) and links against libhouqin-c. */
#include "houqin/houqin.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_store* store = NULL;
  const hq_error* err = hq_last_error();
  int failed = 0;
  failed |= hq_version_number() != HQ_VERSION_NUMBER;
  failed |= strcmp(hq_version_string(), HQ_VERSION_STRING) != 0;
  failed |= opts.version != HQ_STORE_OPTIONS_VERSION;
  failed |= hq_store_open(&store, "sqlite::memory:", &opts) != HQ_OK;
  failed |= err->code != HQ_OK;
  hq_store_free(store);
  printf("C99: houqin %s (headers %s)%s\n", hq_version_string(), HQ_VERSION_STRING,
         failed ? ": FAILED" : "");
  return failed;
}
