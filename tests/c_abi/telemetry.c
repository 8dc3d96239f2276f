/* The telemetry C ABI from plain C: the runtime's lifecycle, pushing sample structs (also from two
 * threads at once), range queries into caller and library buffers, stats, alarm callbacks that
 * call back into the API (query, stats, hq_call acknowledging the alarm, a refused push), a C
 * driver plug-in whose readings end up in the store, every NULL argument and free(NULL).
 * Runs on the file and PostgreSQL backends (the runtime opens its own handles). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "harness.h"

static const char* url;
static hq_store* store;
static hq_actor* operator_actor;
static int64_t meter_id, vendor_id, p_volt, p_a, p_b, p_drv1, p_drv2;
static const int64_t base_us = 1767225600000000LL; /* 2026-01-01T00:00:00Z */
static const int64_t second = 1000000;

static void sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static int near(double a, double b) {
  return fabs(a - b) < 1e-6;
}

static int64_t put(const char* entity, const char* json) {
  char* out = NULL;
  int64_t id;
  CHECK_OK(hq_entity_put(&out, store, hq_test_actor(), entity, json));
  id = hq_json_int(out, "id");
  hq_free(out);
  return id;
}

static int64_t put_point(int64_t device, const char* name, int address, const char* kind) {
  char json[512];
  snprintf(json, sizeof json,
           "{\"device_id\":%lld,\"name\":\"%s\",\"register_type\":\"holding_register\","
           "\"address\":%d,\"data_type\":\"uint16\",\"scale\":0.1,\"unit\":\"V\",\"kind\":\"%s\"}",
           (long long)device, name, address, kind);
  return put("points", json);
}

static void make_point_map(void) {
  meter_id = put("devices",
                 "{\"name\":\"meter-1\",\"transport\":\"tcp\",\"host\":\"meter.invalid\","
                 "\"port\":502,\"poll_interval_ms\":20}");
  vendor_id = put("devices",
                  "{\"name\":\"vendor-1\",\"transport\":\"tcp\",\"host\":\"vendor.invalid\","
                  "\"port\":1502,\"poll_interval_ms\":10}");
  p_volt = put_point(meter_id, "ua", 0, "phase_a_voltage");
  p_a = put_point(meter_id, "a", 1, "other");
  p_b = put_point(meter_id, "b", 2, "other");
  p_drv1 = put_point(vendor_id, "d1", 0, "other");
  p_drv2 = put_point(vendor_id, "d2", 1, "other");
}

static hq_telemetry* open_runtime(void) {
  hq_telemetry* t = NULL;
  hq_telemetry_options opts = HQ_TELEMETRY_OPTIONS_INIT;
  opts.batch_size = 64;
  opts.max_age_ms = 5;
  opts.block_timeout_ms = 20000;                     /* slow sanitizer builds */
  CHECK_OK(hq_telemetry_open(&t, url, &opts, NULL)); /* configuration from the point map */
  return t;
}

/* ---- lifecycle: push, sync, both queries, stats ---------------------------------------------- */

static void test_push_and_query(hq_telemetry* t) {
  hq_sample samples[100];
  size_t accepted = 0, count = 0, i;
  int64_t times[10];
  double values[10];
  uint8_t qualities[10];
  int32_t flags[10];
  hq_sample* all = NULL;
  char* stats = NULL;
  for (i = 0; i < 100; ++i) {
    samples[i].point_id = p_a;
    samples[i].time_us = base_us + (int64_t)i * second;
    samples[i].value = 10.0 + (double)i;
    samples[i].quality = HQ_QUALITY_GOOD;
    samples[i].flag = HQ_FLAG_NOT_EVALUATED;
  }
  samples[7].quality = HQ_QUALITY_COMM_FAIL;
  samples[7].value = NAN;
  CHECK_OK(hq_telemetry_push(&accepted, t, samples, 50));
  CHECK(accepted == 50);
  CHECK_OK(hq_telemetry_push_and_wait(&accepted, t, samples + 50, 50, 10000));
  CHECK(accepted == 50);
  CHECK_OK(hq_telemetry_push(&accepted, t, NULL, 0)); /* nothing to push is fine */
  CHECK(accepted == 0);
  CHECK_OK(hq_telemetry_sync(t, 10000));

  /* snprintf-like: the size first, then a cut result, then a window */
  CHECK_OK(hq_telemetry_query(&count, t, p_a, base_us, base_us + 1000 * second, NULL, NULL, NULL,
                              NULL, 0));
  CHECK(count == 100);
  CHECK_OK(hq_telemetry_query(&count, t, p_a, base_us, base_us + 1000 * second, times, values,
                              qualities, flags, 10));
  CHECK(count == 100);
  CHECK(times[0] == base_us && near(values[0], 10.0) && qualities[0] == HQ_QUALITY_GOOD);
  CHECK(times[9] == base_us + 9 * second && near(values[9], 19.0));
  CHECK(qualities[7] == HQ_QUALITY_COMM_FAIL && isnan(values[7]));
  CHECK(flags[0] >= HQ_FLAG_NOT_EVALUATED && flags[0] <= HQ_FLAG_FAIL);
  CHECK_OK(hq_telemetry_query(&count, t, p_a, base_us + 95 * second, base_us + 97 * second, times,
                              values, qualities, flags, 10));
  CHECK(count == 2 && near(values[0], 105.0) && near(values[1], 106.0)); /* from <= time < to */

  CHECK_OK(hq_telemetry_query_samples(&all, &count, t, p_a, base_us, base_us + 1000 * second));
  CHECK(count == 100 && all != NULL);
  if (all && count == 100) {
    CHECK(all[99].point_id == p_a && all[99].time_us == base_us + 99 * second);
    CHECK(near(all[99].value, 109.0) && all[99].quality == HQ_QUALITY_GOOD);
    CHECK(all[7].quality == HQ_QUALITY_COMM_FAIL);
  }
  hq_free(all);
  CHECK_OK(hq_telemetry_query_samples(&all, &count, t, p_a, 0, 1)); /* an empty range */
  CHECK(all == NULL && count == 0);

  CHECK_OK(hq_telemetry_stats(&stats, t));
  CHECK_CONTAINS(stats, "\"pipeline\":{");
  CHECK_CONTAINS(stats, "\"storage\":{");
  CHECK(hq_json_int(stats, "accepted") >= 100);
  CHECK(hq_json_int(stats, "durable") >= 100);
  /* the member names of telemetry::RuntimeStats, as Python's Runtime.stats() has them */
  CHECK_CONTAINS(stats, "\"name\":\"verify\"");
  CHECK_CONTAINS(stats, "\"failed_samples\":0,");
  CHECK_CONTAINS(stats, "\"time\":\"PT"); /* an ISO-8601 duration, not a number */
  CHECK(strstr(stats, "time_ns") == NULL);
  CHECK(hq_json_int(stats, "queue_high_water") >= 1);
  CHECK(hq_json_int(stats, "samples_appended") >= 100);
  CHECK(hq_json_int(stats, "wal_samples_replayed") == 0);
  CHECK(hq_json_int(stats, "alarm_callback_errors") == 0);
  hq_free(stats);
}

/* ---- two threads pushing into one runtime --------------------------------------------------- */

struct pusher {
  hq_telemetry* t;
  int64_t point;
  int failures;
};

static void* push_thread(void* arg) {
  struct pusher* p = arg;
  hq_sample batch[50];
  int round, i;
  for (round = 0; round < 20; ++round) {
    size_t accepted = 0;
    for (i = 0; i < 50; ++i) {
      int64_t k = round * 50 + i;
      batch[i].point_id = p->point;
      batch[i].time_us = base_us + k * second;
      batch[i].value = (double)k;
      batch[i].quality = HQ_QUALITY_GOOD;
      batch[i].flag = HQ_FLAG_NOT_EVALUATED;
    }
    if (hq_telemetry_push(&accepted, p->t, batch, 50) != HQ_OK || accepted != 50) ++p->failures;
    if (hq_last_error()->code != HQ_OK && accepted == 50) ++p->failures; /* per-thread error */
  }
  return NULL;
}

static void test_two_threads(hq_telemetry* t) {
  struct pusher a = {NULL, 0, 0}, b = {NULL, 0, 0};
  pthread_t ta, tb;
  size_t count = 0;
  a.t = b.t = t;
  a.point = p_b;
  b.point = p_drv2; /* the driver test below reads p_drv1 only until it starts */
  CHECK(pthread_create(&ta, NULL, push_thread, &a) == 0);
  CHECK(pthread_create(&tb, NULL, push_thread, &b) == 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a.failures == 0 && b.failures == 0);
  CHECK_OK(hq_telemetry_sync(t, 10000));
  CHECK_OK(hq_telemetry_query(&count, t, p_b, base_us, base_us + 2000 * second, NULL, NULL, NULL,
                              NULL, 0));
  CHECK(count == 1000);
  CHECK_OK(hq_telemetry_query(&count, t, p_drv2, base_us, base_us + 2000 * second, NULL, NULL, NULL,
                              NULL, 0));
  CHECK(count == 1000);
}

/* ---- alarm callbacks that call back in ------------------------------------------------------ */

struct alarm_log {
  hq_telemetry* t;
  int raised, cleared, transitions;
  int queried;      /* hq_telemetry_query from the callback returned HQ_OK */
  int stats_ok;     /* hq_telemetry_stats from the callback */
  int acknowledged; /* hq_call("telemetry.acknowledge_alarm") from the callback */
  int push_refused; /* hq_telemetry_push from the callback: HQ_FAILED_PRECONDITION */
  int sync_refused;
  int bad_size;
  int64_t point;
  int kind;
  double value;
};

static void on_alarm(void* payload, const hq_alarm_event* e) {
  struct alarm_log* log = payload;
  if (e->size < sizeof(hq_alarm_event)) ++log->bad_size;
  if (e->type == HQ_ALARM_TRANSITION) {
    ++log->transitions;
    return;
  }
  if (e->type == HQ_ALARM_CLEARED) {
    ++log->cleared;
    return;
  }
  if (e->type == HQ_ALARM_RAISED) {
    char json[160];
    char* out = NULL;
    size_t count = 0, accepted = 7;
    hq_sample s;
    ++log->raised;
    log->point = e->point_id;
    log->kind = e->kind;
    log->value = e->value;
    /* the stored samples of another point (this point's batch is not stored yet: alarms run
     * before storage) */
    if (hq_telemetry_query(&count, log->t, p_a, 0, INT64_MAX, NULL, NULL, NULL, NULL, 0) == HQ_OK &&
        count == 100)
      ++log->queried;
    if (hq_telemetry_stats(&out, log->t) == HQ_OK && out) ++log->stats_ok;
    hq_free(out);
    out = NULL;
    snprintf(json, sizeof json, "{\"point_id\":%lld,\"kind\":\"%s\",\"comment\":\"from C\"}",
             (long long)e->point_id, e->kind == HQ_ALARM_HI ? "hi" : "lo");
    if (hq_call(&out, store, operator_actor, "telemetry.acknowledge_alarm", json) == HQ_OK &&
        strstr(out, "\"state\":\"acknowledged\"") != NULL)
      ++log->acknowledged;
    else
      fprintf(stderr, "  acknowledge from the callback: %s %s\n", hq_last_error()->message,
              out ? out : "");
    hq_free(out);
    memset(&s, 0, sizeof s);
    s.point_id = e->point_id;
    if (hq_telemetry_push(&accepted, log->t, &s, 1) == HQ_FAILED_PRECONDITION && accepted == 0 &&
        strstr(hq_last_error()->message, "alarm callback") != NULL)
      ++log->push_refused;
    if (hq_telemetry_sync(log->t, 100) == HQ_FAILED_PRECONDITION) ++log->sync_refused;
  }
}

static int self_freed_calls = 0;
static hq_subscription* self_freeing = NULL;
static void free_myself(void* payload, const hq_alarm_event* e) {
  (void)payload;
  (void)e;
  ++self_freed_calls;
  hq_subscription_free(self_freeing); /* a callback may end its own subscription */
  self_freeing = NULL;
}

static void test_alarms(hq_telemetry* t) {
  struct alarm_log log;
  hq_subscription *all = NULL, *once = NULL, *gone = NULL;
  hq_sample s[60];
  size_t accepted = 0;
  int i;
  char* standing = NULL;
  memset(&log, 0, sizeof log);
  log.t = t;
  CHECK_OK(hq_telemetry_on_alarm(&all, t, 0, on_alarm, &log));
  CHECK_OK(hq_telemetry_on_alarm(&once, t, 1u << HQ_ALARM_TRANSITION, free_myself, NULL));
  self_freeing = once;
  CHECK_OK(hq_telemetry_on_alarm(&gone, t, 0, on_alarm, &log));
  hq_subscription_free(gone); /* freed before any event: never called */

  /* 230 V, a slow rise to 260 V (above hi = 246.1 V), and back to 230 V: one raise, one clear */
  for (i = 0; i < 60; ++i) {
    double v = 230.0;
    if (i >= 10 && i < 40) v = 230.0 + (i - 10) * 2.0 > 260.0 ? 260.0 : 230.0 + (i - 10) * 2.0;
    if (i >= 40 && i < 50) v = 260.0 - (i - 39) * 3.0;
    s[i].point_id = p_volt;
    s[i].time_us = base_us + (int64_t)i * second;
    s[i].value = v;
    s[i].quality = HQ_QUALITY_GOOD;
    s[i].flag = HQ_FLAG_NOT_EVALUATED;
  }
  /* the rise first: the callback acknowledges the raised alarm; then the return to normal, which
   * clears the acknowledged alarm */
  CHECK_OK(hq_telemetry_push_and_wait(&accepted, t, s, 30, 10000));
  CHECK(accepted == 30);
  CHECK(log.raised == 1 && log.cleared == 0);
  CHECK(self_freed_calls == 1); /* freed itself at the first transition: never called again */
  CHECK_OK(hq_telemetry_push_and_wait(&accepted, t, s + 30, 30, 10000));
  CHECK(accepted == 30);
  CHECK_OK(hq_telemetry_sync(t, 10000));

  CHECK(log.raised == 1);
  /* The acknowledgement through hq_call wrote the alarm's row on another store handle; the
   * pipeline's next write of it (back to normal: the episode ends) still goes through. */
  CHECK(log.cleared == 1);
  CHECK(log.transitions >= 1);
  CHECK(log.bad_size == 0);
  CHECK(log.point == p_volt && log.kind == HQ_ALARM_HI && log.value > 246.0);
  CHECK(log.queried == 1);
  CHECK(log.stats_ok == 1);
  CHECK(log.acknowledged == 1);
  CHECK(log.push_refused == 1);
  CHECK(log.sync_refused == 1);
  CHECK(self_freed_calls == 1);
  CHECK(self_freeing == NULL);

  /* the acknowledgement went through hq_call to the runtime's engine */
  CHECK_OK(hq_call(&standing, store, operator_actor, "telemetry.standing_alarms", NULL));
  CHECK_CONTAINS(standing, "\"alarms\":");
  hq_free(standing);
  hq_subscription_free(all);
}

/* ---- a driver plug-in in C ------------------------------------------------------------------ */

struct vendor {
  pthread_mutex_t mutex;
  int opens, closes, reads;
  int saw_vendor_device, saw_meter_device;
  int fail_open;
};

static int vendor_open(void** out_state, const char* devices_json, void* payload) {
  struct vendor* v = payload;
  pthread_mutex_lock(&v->mutex);
  ++v->opens;
  if (strstr(devices_json, "\"vendor-1\"")) ++v->saw_vendor_device;
  if (strstr(devices_json, "\"meter-1\"")) ++v->saw_meter_device;
  pthread_mutex_unlock(&v->mutex);
  *out_state = v;
  return v->fail_open;
}

static int vendor_read(void* state, size_t device, hq_reading* readings, size_t count,
                       void* payload) {
  struct vendor* v = state;
  size_t i;
  int reads;
  (void)device;
  if (payload != state) return 1;
  pthread_mutex_lock(&v->mutex);
  reads = ++v->reads;
  pthread_mutex_unlock(&v->mutex);
  for (i = 0; i < count; ++i) {
    /* the library presets every reading: no value, no time, no answer */
    if (readings[i].quality != HQ_QUALITY_COMM_FAIL || readings[i].time_us != 0) return 1;
    readings[i].value = 100.0 + (double)reads;
    readings[i].quality = readings[i].point_id == p_drv1 ? HQ_QUALITY_GOOD : HQ_QUALITY_DEVICE_BUSY;
  }
  return 0;
}

static void vendor_close(void* state, void* payload) {
  struct vendor* v = payload;
  (void)state;
  pthread_mutex_lock(&v->mutex);
  ++v->closes;
  pthread_mutex_unlock(&v->mutex);
}

static void test_driver(hq_telemetry* t) {
  struct vendor v;
  hq_driver_vtable vt = {HQ_DRIVER_VTABLE_VERSION, vendor_open, vendor_read, vendor_close};
  hq_acquisition* acq = NULL;
  uint64_t pushed = 0, dropped = 0, errors = 0;
  hq_sample* got = NULL;
  size_t count = 0, i;
  int waited, good = 0, busy = 0;
  char map[1024];
  memset(&v, 0, sizeof v);
  pthread_mutex_init(&v.mutex, NULL);
  /* only the vendor's device, with the store's ids */
  snprintf(map, sizeof map,
           "{\"format\":\"houqin.point_map\",\"devices\":[{\"id\":%lld,\"name\":\"vendor-1\","
           "\"host\":\"vendor.invalid\",\"port\":1502,\"poll_interval_ms\":10}],\"points\":["
           "{\"id\":%lld,\"device_id\":%lld,\"name\":\"d1\",\"address\":0},"
           "{\"id\":%lld,\"device_id\":%lld,\"name\":\"d2\",\"address\":1}]}",
           (long long)vendor_id, (long long)p_drv1, (long long)vendor_id, (long long)p_drv2,
           (long long)vendor_id);
  CHECK_OK(hq_acquisition_start(&acq, t, map, &vt, &v));
  for (waited = 0; waited < 10000 && pushed < 20; waited += 20) {
    sleep_ms(20);
    CHECK_OK(hq_acquisition_stats(&pushed, &dropped, &errors, acq));
  }
  CHECK(pushed >= 20);
  CHECK(errors == 0);
  hq_acquisition_free(acq);
  CHECK(v.opens == 1 && v.closes == 1 && v.saw_vendor_device == 1 && v.saw_meter_device == 0);
  CHECK_OK(hq_telemetry_sync(t, 10000));
  CHECK_OK(hq_telemetry_query_samples(&got, &count, t, p_drv1, 0, INT64_MAX));
  CHECK(count >= 10);
  for (i = 0; i < count; ++i) good += got[i].quality == HQ_QUALITY_GOOD && got[i].value > 100.0;
  CHECK(good == (int)count);
  hq_free(got);
  /* the busy point's readings are stored with their quality and no value (after the pushes of
   * the thread test, which used earlier times) */
  CHECK_OK(hq_telemetry_query_samples(&got, &count, t, p_drv2, base_us + 2000 * second, INT64_MAX));
  for (i = 0; i < count; ++i)
    busy += got[i].quality == HQ_QUALITY_DEVICE_BUSY && isnan(got[i].value);
  CHECK(count >= 10 && busy == (int)count);
  hq_free(got);

  /* the store's own point map (NULL): every device, grouped by connection; a failing open() is
   * counted as an error and close() is not called for it */
  v.opens = v.closes = v.reads = v.saw_vendor_device = v.saw_meter_device = 0;
  v.fail_open = 1;
  CHECK_OK(hq_acquisition_start(&acq, t, NULL, &vt, &v));
  for (waited = 0; waited < 10000 && errors < 2; waited += 20) {
    sleep_ms(20);
    CHECK_OK(hq_acquisition_stats(NULL, NULL, &errors, acq));
  }
  hq_acquisition_free(acq);
  CHECK(errors == 2 && v.opens == 2 && v.closes == 0);
  CHECK(v.saw_vendor_device == 1 && v.saw_meter_device == 1);
  pthread_mutex_destroy(&v.mutex);
}

/* ---- NULLs, bad arguments, free(NULL) ------------------------------------------------------- */

static void noop_alarm(void* payload, const hq_alarm_event* e) {
  (void)payload;
  (void)e;
}
static int noop_read(void* s, size_t d, hq_reading* r, size_t n, void* p) {
  (void)s, (void)d, (void)r, (void)n, (void)p;
  return 0;
}

static void test_errors(hq_telemetry* t) {
  hq_telemetry* none = (hq_telemetry*)1;
  hq_telemetry_options opts = HQ_TELEMETRY_OPTIONS_INIT;
  hq_sample s;
  size_t n = 99;
  char* out = (char*)1;
  hq_sample* samples = (hq_sample*)1;
  hq_subscription* sub = (hq_subscription*)1;
  hq_acquisition* acq = (hq_acquisition*)1;
  hq_driver_vtable vt = {HQ_DRIVER_VTABLE_VERSION, NULL, noop_read, NULL};
  int64_t times[1];
  double values[1];
  uint8_t qualities[1];
  int32_t flags[1];
  memset(&s, 0, sizeof s);

  CHECK_ERROR(hq_telemetry_options_init(NULL, 1), HQ_INVALID_ARGUMENT, "opts is NULL");
  CHECK_ERROR(hq_telemetry_options_init(&opts, 0), HQ_INVALID_ARGUMENT, "options version 0");
  CHECK_ERROR(hq_telemetry_options_init(&opts, HQ_TELEMETRY_OPTIONS_VERSION + 1),
              HQ_INVALID_ARGUMENT, "is not supported");
  CHECK_OK(hq_telemetry_options_init(&opts, HQ_TELEMETRY_OPTIONS_VERSION));
  CHECK(opts.batch_size == 4096 && opts.serve_alarm_operations == 1);

  CHECK_ERROR(hq_telemetry_open(NULL, url, NULL, NULL), HQ_INVALID_ARGUMENT, "out is NULL");
  CHECK_ERROR(hq_telemetry_open(&none, NULL, NULL, NULL), HQ_INVALID_ARGUMENT, "url is NULL");
  CHECK(none == NULL);
  CHECK_ERROR(hq_telemetry_open(&none, "sqlite::memory:", NULL, NULL), HQ_INVALID_ARGUMENT,
              "in-memory");
  CHECK_ERROR(hq_telemetry_open(&none, "sqlite::memory:", NULL, "{}"), HQ_INVALID_ARGUMENT,
              "in-memory");
  opts.version = 0;
  CHECK_ERROR(hq_telemetry_open(&none, url, &opts, "{}"), HQ_INVALID_ARGUMENT, "options version 0");
  opts = (hq_telemetry_options)HQ_TELEMETRY_OPTIONS_INIT;
  opts.batch_size = 0;
  CHECK_ERROR(hq_telemetry_open(&none, url, &opts, "{}"), HQ_INVALID_ARGUMENT, "batch_size 0");
  opts = (hq_telemetry_options)HQ_TELEMETRY_OPTIONS_INIT;
  opts.when_full = 7;
  CHECK_ERROR(hq_telemetry_open(&none, url, &opts, "{}"), HQ_INVALID_ARGUMENT, "when_full 7");
  opts = (hq_telemetry_options)HQ_TELEMETRY_OPTIONS_INIT;
  opts.serve_alarm_operations = 0;
  CHECK_ERROR(hq_telemetry_open(&none, url, &opts, "{\"alarms\": [}"), HQ_INVALID_ARGUMENT,
              "config");
  CHECK_ERROR(hq_telemetry_open(&none, url, &opts, "{\"alarm\": []}"), HQ_INVALID_ARGUMENT,
              "alarm");
  CHECK(none == NULL);

  CHECK_ERROR(hq_telemetry_config_from_point_map(NULL, store, 230), HQ_INVALID_ARGUMENT,
              "out_json is NULL");
  CHECK_ERROR(hq_telemetry_config_from_point_map(&out, NULL, 230), HQ_INVALID_ARGUMENT,
              "store is NULL");
  CHECK(out == NULL);
  CHECK_ERROR(hq_telemetry_config_from_point_map(&out, store, 0), HQ_INVALID_ARGUMENT,
              "nominal_voltage");
  CHECK_OK(hq_telemetry_config_from_point_map(&out, store, 230));
  CHECK_CONTAINS(out, "\"alarms\":[{");
  CHECK_CONTAINS(out, "\"storage\":[{");
  hq_free(out);

  CHECK_ERROR(hq_telemetry_push(&n, NULL, &s, 1), HQ_INVALID_ARGUMENT, "telemetry is NULL");
  CHECK(n == 0);
  CHECK_ERROR(hq_telemetry_push(&n, t, NULL, 1), HQ_INVALID_ARGUMENT, "samples is NULL");
  CHECK_ERROR(hq_telemetry_push_and_wait(&n, NULL, &s, 1, 10), HQ_INVALID_ARGUMENT,
              "telemetry is NULL");
  CHECK_ERROR(hq_telemetry_push_and_wait(&n, t, &s, 1, -1), HQ_INVALID_ARGUMENT, "timeout_ms -1");
  CHECK_ERROR(hq_telemetry_sync(NULL, 10), HQ_INVALID_ARGUMENT, "telemetry is NULL");
  CHECK_ERROR(hq_telemetry_sync(t, -5), HQ_INVALID_ARGUMENT, "timeout_ms -5");

  CHECK_ERROR(hq_telemetry_query(NULL, t, p_a, 0, 1, NULL, NULL, NULL, NULL, 0),
              HQ_INVALID_ARGUMENT, "out_count is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, NULL, p_a, 0, 1, NULL, NULL, NULL, NULL, 0),
              HQ_INVALID_ARGUMENT, "telemetry is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, t, p_a, 0, 1, NULL, values, qualities, flags, 1),
              HQ_INVALID_ARGUMENT, "times is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, t, p_a, 0, 1, times, NULL, qualities, flags, 1),
              HQ_INVALID_ARGUMENT, "values is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, t, p_a, 0, 1, times, values, NULL, flags, 1),
              HQ_INVALID_ARGUMENT, "qualities is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, t, p_a, 0, 1, times, values, qualities, NULL, 1),
              HQ_INVALID_ARGUMENT, "flags is NULL");
  CHECK_ERROR(hq_telemetry_query(&n, t, 987654, 0, 1, NULL, NULL, NULL, NULL, 0), HQ_NOT_FOUND,
              "point 987654");
  CHECK(n == 0);
  CHECK_ERROR(hq_telemetry_query_samples(NULL, &n, t, p_a, 0, 1), HQ_INVALID_ARGUMENT,
              "out_samples is NULL");
  CHECK_ERROR(hq_telemetry_query_samples(&samples, NULL, t, p_a, 0, 1), HQ_INVALID_ARGUMENT,
              "out_count is NULL");
  CHECK(samples == NULL);
  samples = (hq_sample*)1;
  CHECK_ERROR(hq_telemetry_query_samples(&samples, &n, NULL, p_a, 0, 1), HQ_INVALID_ARGUMENT,
              "telemetry is NULL");
  CHECK(samples == NULL);
  CHECK_ERROR(hq_telemetry_query_samples(&samples, &n, t, 987654, 0, 1), HQ_NOT_FOUND,
              "not configured");
  out = (char*)1;
  CHECK_ERROR(hq_telemetry_stats(NULL, t), HQ_INVALID_ARGUMENT, "out_json is NULL");
  CHECK_ERROR(hq_telemetry_stats(&out, NULL), HQ_INVALID_ARGUMENT, "telemetry is NULL");
  CHECK(out == NULL);

  CHECK_ERROR(hq_telemetry_on_alarm(NULL, t, 0, noop_alarm, NULL), HQ_INVALID_ARGUMENT,
              "out is NULL");
  CHECK_ERROR(hq_telemetry_on_alarm(&sub, NULL, 0, noop_alarm, NULL), HQ_INVALID_ARGUMENT,
              "telemetry is NULL");
  CHECK(sub == NULL);
  CHECK_ERROR(hq_telemetry_on_alarm(&sub, t, 0, NULL, NULL), HQ_INVALID_ARGUMENT,
              "callback is NULL");
  CHECK_ERROR(hq_telemetry_on_alarm(&sub, t, 1u, noop_alarm, NULL), HQ_INVALID_ARGUMENT, "types 1");

  CHECK_ERROR(hq_acquisition_start(NULL, t, NULL, &vt, NULL), HQ_INVALID_ARGUMENT, "out is NULL");
  CHECK_ERROR(hq_acquisition_start(&acq, NULL, NULL, &vt, NULL), HQ_INVALID_ARGUMENT,
              "telemetry is NULL");
  CHECK(acq == NULL);
  CHECK_ERROR(hq_acquisition_start(&acq, t, NULL, NULL, NULL), HQ_INVALID_ARGUMENT,
              "driver is NULL");
  vt.version = 0;
  CHECK_ERROR(hq_acquisition_start(&acq, t, NULL, &vt, NULL), HQ_INVALID_ARGUMENT,
              "driver version 0");
  vt.version = HQ_DRIVER_VTABLE_VERSION + 1;
  CHECK_ERROR(hq_acquisition_start(&acq, t, NULL, &vt, NULL), HQ_INVALID_ARGUMENT,
              "is not supported");
  vt.version = HQ_DRIVER_VTABLE_VERSION;
  vt.read_points = NULL;
  CHECK_ERROR(hq_acquisition_start(&acq, t, NULL, &vt, NULL), HQ_INVALID_ARGUMENT,
              "driver->read_points is NULL");
  vt.read_points = noop_read;
  CHECK_ERROR(
      hq_acquisition_start(&acq, t, "{\"format\":\"houqin.point_map\",\"devices\":[}", &vt, NULL),
      HQ_INVALID_ARGUMENT, "point_map");
  CHECK_ERROR(hq_acquisition_start(&acq, t, "{\"format\":\"other\"}", &vt, NULL),
              HQ_INVALID_ARGUMENT, "format");
  CHECK(acq == NULL);
  CHECK_ERROR(hq_acquisition_stats(NULL, NULL, NULL, NULL), HQ_INVALID_ARGUMENT,
              "acquisition is NULL");

  hq_telemetry_free(NULL);
  hq_subscription_free(NULL);
  hq_acquisition_free(NULL);
}

int main(int argc, char** argv) {
  hq_telemetry* t;
  hq_subscription* outlives = NULL;
  url = hq_test_url(argc, argv);
  CHECK_OK(hq_store_open(&store, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, store));
  CHECK_OK(hq_actor_service(&operator_actor, "c-abi-operator",
                            "[\"telemetry.read\",\"telemetry.ack\",\"telemetry.shelve\"]"));
  make_point_map();

  t = open_runtime();
  if (t) {
    test_push_and_query(t);
    test_two_threads(t);
    test_alarms(t);
    test_driver(t);
    test_errors(t);
    /* a subscription may outlive its runtime */
    CHECK_OK(hq_telemetry_on_alarm(&outlives, t, 0, noop_alarm, NULL));
  }
  hq_telemetry_free(t);
  hq_subscription_free(outlives);

  /* reopening finds the stored samples (the open blocks were written at free) */
  t = open_runtime();
  if (t) {
    size_t count = 0;
    CHECK_OK(hq_telemetry_query(&count, t, p_a, base_us, base_us + 1000 * second, NULL, NULL, NULL,
                                NULL, 0));
    CHECK(count == 100);
  }
  hq_telemetry_free(t);

  hq_actor_free(operator_actor);
  hq_store_free(store);
  return hq_test_done("telemetry");
}
