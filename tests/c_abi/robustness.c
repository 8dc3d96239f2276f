/* The JSON entry points on damaged input: every prefix of a valid request and every request with
 * one byte replaced goes through hq_entity_put, hq_entity_find and hq_site_import_hospital. Each
 * call must return HQ_OK or a known failure whose last error matches it and says something, and
 * the store must stay usable. Under the asan preset this also checks memory safety. */
#include "harness.h"

static const char* const requests[][2] = {
    {"campuses", "{\"code\":\"C1\",\"name\":\"本部\",\"address\":\"建设路88号\"}"},
    {"rooms",
     "{\"floor_id\":1,\"code\":\"A-1-01\",\"name\":\"x\",\"type\":\"icu\",\"beds\":2,"
     "\"area_m2\":12.5,\"department_id\":null}"},
};
static const char* const queries[] = {
    "{\"where\":[{\"column\":\"code\",\"op\":\"in\",\"value\":[\"C1\",\"C2\"]}],"
    "\"order_by\":[{\"column\":\"name\",\"descending\":true}],\"limit\":5,\"offset\":0}",
};
static const char* const documents[] = {
    "{\"format\":\"houqin.hospital\",\"format_version\":1,\"campuses\":[{\"id\":7,\"code\":\"D\","
    "\"name\":\"d\"}],\"buildings\":[{\"id\":1,\"campus_id\":7,\"code\":\"DB\",\"name\":\"b\"}]}",
};
static const char replacements[] = {'"', '}', '[', ',', '0', ' ', '\\', (char)0xff, (char)0xe4};

static int calls = 0;

/* The status is HQ_OK or a known failure, and the last error agrees with it. */
static void check_outcome(hq_status s, char* out) {
  const hq_error* e = hq_last_error();
  ++calls;
  if (s == HQ_OK) {
    CHECK(e->code == HQ_OK);
  } else {
    CHECK(s < 0 && s >= HQ_DEADLINE_EXCEEDED);
    CHECK(e->code == s);
    CHECK(e->message[0] != '\0');
    CHECK(s != HQ_INTERNAL); /* damaged input is the caller's problem, not a bug */
    if (s == HQ_INTERNAL) fprintf(stderr, "  internal: %s\n", e->message);
    CHECK(out == NULL);
  }
  hq_free(out);
}

static void feed(hq_store* store, int kind, const char* entity, const char* text) {
  char* out = NULL;
  hq_status s;
  if (kind == 0)
    s = hq_entity_put(&out, store, hq_test_actor(), entity, text);
  else if (kind == 1)
    s = hq_entity_find(&out, store, hq_test_actor(), "campuses", text);
  else
    s = hq_site_import_hospital(&out, store, hq_test_actor(), text);
  check_outcome(s, out);
}

/* Every prefix and every one-byte replacement of `text`. */
static void damage(hq_store* store, int kind, const char* entity, const char* text) {
  size_t len = strlen(text), i, r;
  char* buf = (char*)malloc(len + 1);
  if (!buf) return;
  for (i = 0; i <= len; ++i) {
    memcpy(buf, text, i);
    buf[i] = '\0';
    feed(store, kind, entity, buf);
  }
  for (i = 0; i < len; ++i) {
    for (r = 0; r < sizeof replacements; ++r) {
      memcpy(buf, text, len + 1);
      buf[i] = replacements[r];
      feed(store, kind, entity, buf);
    }
  }
  free(buf);
}

int main(int argc, char** argv) {
  const char* url = hq_test_url(argc, argv);
  hq_store* store = NULL;
  char* out = NULL;
  size_t i;

  CHECK_OK(hq_store_open(&store, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, store));
  for (i = 0; i < sizeof requests / sizeof requests[0]; ++i)
    damage(store, 0, requests[i][0], requests[i][1]);
  for (i = 0; i < sizeof queries / sizeof queries[0]; ++i) damage(store, 1, NULL, queries[i]);
  for (i = 0; i < sizeof documents / sizeof documents[0]; ++i) damage(store, 2, NULL, documents[i]);

  /* still usable */
  CHECK_OK(hq_entity_put(&out, store, hq_test_actor(), "campuses",
                         "{\"code\":\"AFTER\",\"name\":\"after\"}"));
  CHECK(hq_json_int(out, "id") > 0);
  hq_free(out);
  printf("robustness: %d calls on damaged input\n", calls);
  hq_store_free(store);
  return hq_test_done("robustness");
}
