/* A process for the multi-process host tests (tests/integration/host_process_test.cpp), using only
 * the C ABI, as a vendor's tool would:
 *
 *   host_child host URL HOLDER SECONDS
 *       runs a platform host (hq_host_open, hq_host_start) with a 2 s lease, prints
 *       "started HOLDER", then its status as one JSON line every 100 ms; stops by itself after
 *       SECONDS (the tests kill it sooner).
 *   host_child report URL ROOM_ID ASSET_ID TECHNICIAN_ID
 *       reports a repair of the asset through hq_call("repair.report") and dispatches it to the
 *       technician ("repair.dispatch"), as a service actor; prints the order's id and exits.
 *
 * Exit status 0 on success, 1 with the last error on stderr otherwise. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "houqin/houqin.h"

static int failed(const char* what) {
  fprintf(stderr, "host_child: %s: %s\n", what, hq_last_error()->message);
  return 1;
}

static void sleep_ms(long ms) {
  struct timespec t;
  t.tv_sec = ms / 1000;
  t.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&t, NULL);
}

static int run_host(const char* url, const char* holder, int seconds) {
  char config[512];
  hq_host* host = NULL;
  long waited = 0;
  snprintf(config, sizeof config,
           "{\"host\":{\"holder\":\"%s\",\"lease_ttl\":\"PT2S\",\"idle\":\"PT0.2S\"}}", holder);
  if (hq_host_open(&host, url, NULL, config) != HQ_OK) return failed("hq_host_open");
  if (hq_host_start(host) != HQ_OK) return failed("hq_host_start");
  printf("started %s\n", holder);
  fflush(stdout);
  for (waited = 0; waited < seconds * 1000L; waited += 100) {
    char* status = NULL;
    sleep_ms(100);
    if (hq_host_status(&status, host) != HQ_OK) return failed("hq_host_status");
    printf("%s\n", status);
    fflush(stdout);
    hq_free(status);
  }
  hq_host_free(host);
  return 0;
}

static int report(const char* url, const char* room, const char* asset, const char* technician) {
  hq_store* store = NULL;
  hq_actor* desk = NULL;
  char input[512];
  char* order = NULL;
  char* dispatched = NULL;
  const char* id_at = NULL;
  long long id = 0;
  if (hq_store_open(&store, url, NULL) != HQ_OK) return failed("hq_store_open");
  if (hq_actor_service(&desk, "his-gateway", "[\"repair.report\",\"repair.dispatch\"]") != HQ_OK)
    return failed("hq_actor_service");
  snprintf(input, sizeof input,
           "{\"channel\":\"phone\",\"room_id\":%s,\"asset_id\":%s,\"category\":\"electrical\","
           "\"description\":\"reported through the C ABI\"}",
           room, asset);
  if (hq_call(&order, store, desk, "repair.report", input) != HQ_OK) return failed("repair.report");
  id_at = strstr(order, "\"id\":");
  if (!id_at) return failed("repair.report returned no id");
  id = atoll(id_at + 5);
  snprintf(input, sizeof input, "{\"work_order_id\":%lld,\"technician_id\":%s}", id, technician);
  if (hq_call(&dispatched, store, desk, "repair.dispatch", input) != HQ_OK)
    return failed("repair.dispatch");
  printf("%lld\n", id);
  hq_free(order);
  hq_free(dispatched);
  hq_actor_free(desk);
  hq_store_free(store);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && strcmp(argv[1], "host") == 0) return run_host(argv[2], argv[3], atoi(argv[4]));
  if (argc == 6 && strcmp(argv[1], "report") == 0)
    return report(argv[2], argv[3], argv[4], argv[5]);
  fprintf(stderr, "usage: host_child host URL HOLDER SECONDS | report URL ROOM ASSET TECHNICIAN\n");
  return 2;
}
