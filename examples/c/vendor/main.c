/* A vendor-style integration in plain C99: a building-management gateway that embeds houqin
 * through its C ABI. It opens a store, acts as a service account, imports the hospital, reports a
 * repair, registers its own meter, pushes the meter's readings as telemetry samples and reads
 * them back with a range query.
 *
 *   vendor_c HOSPITAL_JSON WORK_DIR      (WORK_DIR receives vendor.sqlite, replaced each run)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "houqin/houqin.h"

static int failed(const char* what) {
  const hq_error* e = hq_last_error();
  fprintf(stderr, "failed: %s: %s: %s\n", what, hq_status_name(e->code), e->message);
  return 1;
}

/* The integer after "key": in compact JSON from the library, or -1. */
static long long json_int(const char* json, const char* key) {
  char pattern[64];
  const char* at;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  at = json ? strstr(json, pattern) : NULL;
  return at ? strtoll(at + strlen(pattern), NULL, 10) : -1;
}

int main(int argc, char** argv) {
  char url[1024], json[1024];
  hq_store* store = NULL;
  hq_actor* gateway = NULL;
  hq_telemetry* telemetry = NULL;
  char* out = NULL;
  long long room, device, point, order;
  hq_sample samples[60];
  size_t accepted = 0, count = 0, i;
  int64_t times[60];
  double values[60];
  uint8_t qualities[60];
  int32_t flags[60];
  const int64_t start = 1767225600000000LL; /* 2026-01-01T00:00:00Z, UTC microseconds */
  int rc = 1;

  if (argc < 3) {
    fprintf(stderr, "usage: %s HOSPITAL_JSON WORK_DIR\n", argv[0]);
    return 2;
  }
  if (hq_version_number() != HQ_VERSION_NUMBER) {
    fprintf(stderr, "failed: headers %s, library %s\n", HQ_VERSION_STRING, hq_version_string());
    return 1;
  }
  snprintf(url, sizeof url, "%s/vendor.sqlite", argv[2]);
  remove(url);
  snprintf(url, sizeof url, "sqlite:%s/vendor.sqlite", argv[2]);

  /* 1. the store, its schema, and the gateway's service account */
  if (hq_store_open(&store, url, NULL) != HQ_OK) return failed("hq_store_open");
  if (hq_store_migrate(NULL, store) != HQ_OK) goto done_fail;
  if (hq_actor_service(&gateway, "bms-gateway",
                       "[\"site.edit\",\"repair.report\",\"telemetry.configure\","
                       "\"telemetry.read\"]") != HQ_OK)
    goto done_fail;
  printf("houqin %s, store %s\n", hq_version_string(), url);

  /* 2. the hospital */
  if (hq_site_import_hospital_file(&out, store, gateway, argv[1]) != HQ_OK) goto done_fail;
  printf("imported hospital: %lld rows\n", json_int(out, "total"));
  hq_free(out);
  out = NULL;

  /* 3. a repair for the first ICU room */
  if (hq_entity_find(&out, store, gateway, "rooms",
                     "{\"where\":[{\"column\":\"type\",\"op\":\"eq\",\"value\":\"icu\"}],"
                     "\"order_by\":[{\"column\":\"code\"}],\"limit\":1}") != HQ_OK)
    goto done_fail;
  room = json_int(out, "id");
  hq_free(out);
  out = NULL;
  snprintf(
      json, sizeof json,
      "{\"channel\":\"alarm\",\"room_id\":%lld,\"category\":\"electrical\",\"urgency\":\"high\","
      "\"description\":\"UPS panel reports phase A over-voltage\"}",
      room);
  if (hq_call(&out, store, gateway, "repair.report", json) != HQ_OK) goto done_fail;
  order = json_int(out, "id");
  printf("repair reported: work order %lld for room %lld\n", order, room);
  hq_free(out);
  out = NULL;

  /* 4. the gateway's meter and its phase A voltage point */
  if (hq_entity_put(&out, store, gateway, "devices",
                    "{\"name\":\"bms-meter-1\",\"transport\":\"tcp\",\"host\":\"10.20.0.5\","
                    "\"port\":502}") != HQ_OK)
    goto done_fail;
  device = json_int(out, "id");
  hq_free(out);
  out = NULL;
  snprintf(json, sizeof json,
           "{\"device_id\":%lld,\"name\":\"ua\",\"address\":0,\"data_type\":\"uint16\","
           "\"scale\":0.1,\"unit\":\"V\",\"kind\":\"phase_a_voltage\"}",
           device);
  if (hq_entity_put(&out, store, gateway, "points", json) != HQ_OK) goto done_fail;
  point = json_int(out, "id");
  hq_free(out);
  out = NULL;

  /* 5. telemetry: one minute of readings, one per second, pushed as plain structs */
  if (hq_telemetry_open(&telemetry, url, NULL, NULL) != HQ_OK) goto done_fail;
  for (i = 0; i < 60; ++i) {
    samples[i].point_id = point;
    samples[i].time_us = start + (int64_t)i * 1000000;
    samples[i].value = 229.0 + (double)(i % 5) * 0.5;
    samples[i].quality = HQ_QUALITY_GOOD;
    samples[i].flag = HQ_FLAG_NOT_EVALUATED;
  }
  if (hq_telemetry_push_and_wait(&accepted, telemetry, samples, 60, 10000) != HQ_OK) goto done_fail;
  printf("pushed %zu samples for point %lld\n", accepted, point);

  /* 6. read the first half minute back into our own buffers */
  if (hq_telemetry_query(&count, telemetry, point, start, start + 30 * 1000000LL, times, values,
                         qualities, flags, 60) != HQ_OK)
    goto done_fail;
  printf("read back %zu samples: first %.1f V at +%llds, last %.1f V at +%llds, flag %d\n", count,
         values[0], (long long)((times[0] - start) / 1000000), values[count - 1],
         (long long)((times[count - 1] - start) / 1000000), (int)flags[count - 1]);
  rc = 0;
  goto done;

done_fail:
  rc = failed("vendor integration");
done:
  hq_free(out);
  hq_telemetry_free(telemetry);
  hq_actor_free(gateway);
  hq_store_free(store);
  return rc;
}
