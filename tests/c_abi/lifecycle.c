/* The life of an hq_store and of everything handed out through it: open with and without
 * options, migrate (twice), the entity API on site entities, the hospital document, callbacks
 * that call back into the same store, and freeing. */
#include "harness.h"

static const char* hospital_path = HOUQIN_SAMPLE_HOSPITAL;

struct each_state {
  hq_store* store;
  int seen;
  int stop_after;
  int nested_ok;
};

/* Reads and writes the same store from inside the callback: the store's lock is not held. */
static int touch_each_floor(const char* item_json, void* payload) {
  struct each_state* st = (struct each_state*)payload;
  char* again = NULL;
  char body[256];
  long long id = hq_json_int(item_json, "id");
  ++st->seen;
  if (hq_entity_get(&again, st->store, hq_test_actor(), "floors", id) == HQ_OK && again != NULL &&
      strcmp(again, item_json) == 0)
    ++st->nested_ok;
  hq_free(again);
  snprintf(body, sizeof body, "{\"code\":\"T-NEW-%d\",\"name\":\"from a callback\"}", st->seen);
  if (hq_entity_put(NULL, st->store, hq_test_actor(), "campuses", body) == HQ_OK) ++st->nested_ok;
  return st->seen == st->stop_after;
}

static void entities(hq_store* store) {
  char* out = NULL;
  char body[512];
  long long campus, building, floor_id, version;
  int level;
  struct each_state st;

  CHECK_OK(hq_entity_names(&out, store));
  CHECK_CONTAINS(out, "\"campuses\"");
  CHECK_CONTAINS(out, "\"rooms\"");
  CHECK_CONTAINS(out, "\"knowledge_articles\"");
  hq_free(out);

  CHECK_OK(hq_entity_put(&out, store, hq_test_actor(), "campuses",
                         "{\"code\":\"T-MAIN\",\"name\":\"本部\"}"));
  CHECK_CONTAINS(out, "\"name\":\"本部\"");
  CHECK(hq_json_int(out, "version") == 1);
  campus = hq_json_int(out, "id");
  CHECK(campus > 0);
  hq_free(out);

  snprintf(body, sizeof body,
           "{\"campus_id\":%lld,\"code\":\"TA\",\"name\":\"门诊楼\",\"floors_above\":5}", campus);
  CHECK_OK(hq_entity_put(&out, store, hq_test_actor(), "buildings", body));
  building = hq_json_int(out, "id");
  hq_free(out);
  for (level = 1; level <= 3; ++level) {
    snprintf(body, sizeof body,
             "{\"building_id\":%lld,\"level\":%d,\"code\":\"TA-%d\",\"name\":\"%dF\"}", building,
             level, level, level);
    CHECK_OK(hq_entity_put(NULL, store, hq_test_actor(), "floors",
                           body)); /* the stored form is not wanted */
  }

  /* get -> change -> put: an update with the version read */
  CHECK_OK(hq_entity_get(&out, store, hq_test_actor(), "buildings", building));
  CHECK_CONTAINS(out, "\"name\":\"门诊楼\"");
  CHECK(hq_json_int(out, "version") == 1);
  hq_free(out);
  snprintf(body, sizeof body,
           "{\"id\":%lld,\"version\":1,\"campus_id\":%lld,\"code\":\"TA\",\"name\":\"门诊医技楼\","
           "\"floors_above\":5}",
           building, campus);
  CHECK_OK(hq_entity_put(&out, store, hq_test_actor(), "buildings", body));
  CHECK(hq_json_int(out, "version") == 2);
  CHECK(hq_json_int(out, "id") == building);
  hq_free(out);
  CHECK_OK(hq_entity_get(&out, store, hq_test_actor(), "buildings", building));
  CHECK_CONTAINS(out, "门诊医技楼");
  hq_free(out);

  /* find with where, order, limit; total ignores paging */
  CHECK_OK(
      hq_entity_find(&out, store, hq_test_actor(), "floors",
                     "{\"where\":[{\"column\":\"level\",\"op\":\"ge\",\"value\":2}],"
                     "\"order_by\":[{\"column\":\"level\",\"descending\":true}],\"limit\":1}"));
  CHECK(hq_json_int(out, "total") == 2);
  CHECK_CONTAINS(out, "\"code\":\"TA-3\"");
  CHECK(strstr(out, "\"code\":\"TA-2\"") == NULL);
  hq_free(out);
  CHECK_OK(
      hq_entity_find(&out, store, hq_test_actor(), "floors", NULL)); /* NULL query: everything */
  CHECK(hq_json_int(out, "total") == 3);
  floor_id = hq_json_int(out, "id"); /* the first item, in id order */
  hq_free(out);

  /* each: callbacks in order, may call back into this store, can stop early */
  st.store = store;
  st.seen = 0;
  st.stop_after = 2;
  st.nested_ok = 0;
  CHECK_OK(hq_entity_each(store, hq_test_actor(), "floors",
                          "{\"order_by\":[{\"column\":\"level\"}]}", touch_each_floor, &st));
  CHECK(st.seen == 2);
  CHECK(st.nested_ok == 4);
  CHECK(hq_last_error()->code == HQ_OK);
  CHECK_OK(hq_entity_find(&out, store, hq_test_actor(), "campuses", NULL));
  CHECK(hq_json_int(out, "total") == 3);
  hq_free(out);

  /* remove: with the version read, then with any version */
  CHECK_OK(hq_entity_get(&out, store, hq_test_actor(), "floors", floor_id));
  version = hq_json_int(out, "version");
  hq_free(out);
  CHECK_OK(hq_entity_remove(store, hq_test_actor(), "floors", floor_id, version));
  CHECK_ERROR(hq_entity_get(&out, store, hq_test_actor(), "floors", floor_id), HQ_NOT_FOUND,
              "not found");
  CHECK(out == NULL);
  CHECK_OK(hq_entity_find(&out, store, hq_test_actor(), "floors", "{\"limit\":1}"));
  CHECK(hq_json_int(out, "total") == 2);
  floor_id = hq_json_int(out, "id");
  hq_free(out);
  CHECK_OK(hq_entity_remove(store, hq_test_actor(), "floors", floor_id, HQ_ANY_VERSION));
  CHECK_OK(hq_entity_find(&out, store, hq_test_actor(), "floors", "{}"));
  CHECK(hq_json_int(out, "total") == 1);
  hq_free(out);
}

static void hospital(const char* url) {
  hq_store* store = NULL;
  hq_store* copy = NULL;
  char* out = NULL;
  char* document = NULL;

  CHECK_OK(hq_store_open(&store, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, store));
  CHECK_OK(hq_site_import_hospital_file(&out, store, hq_test_actor(), hospital_path));
  CHECK_CONTAINS(out, "\"rooms\":292");
  CHECK(hq_json_int(out, "total") > 292);
  hq_free(out);

  CHECK_OK(hq_site_summary(&out, store));
  CHECK(hq_json_int(out, "rooms") == 292);
  /* the six of the document, and "TA" from entities() unless this is a new memory database */
  CHECK(hq_json_int(out, "buildings") == (strcmp(url, "sqlite::memory:") == 0 ? 6 : 7));
  CHECK_CONTAINS(out, "\"rooms_by_type\":{");
  hq_free(out);

  CHECK_OK(hq_entity_find(&out, store, hq_test_actor(), "rooms",
                          "{\"where\":[{\"column\":\"type\",\"op\":\"eq\",\"value\":\"icu\"}]}"));
  CHECK(hq_json_int(out, "total") > 0);
  CHECK_CONTAINS(out, "\"type\":\"icu\"");
  hq_free(out);

  /* export, then import the document into a second, empty store: same summary */
  CHECK_OK(hq_site_export_hospital(&document, store, hq_test_actor()));
  CHECK_CONTAINS(document, "\"format\":\"houqin.hospital\"");
  hq_store_free(store);
  store = NULL;
  CHECK_OK(hq_store_open(&copy, "sqlite::memory:", NULL));
  CHECK_OK(hq_store_migrate(NULL, copy));
  CHECK_OK(hq_site_import_hospital(NULL, copy, hq_test_actor(), document));
  CHECK_OK(hq_site_summary(&out, copy));
  CHECK(hq_json_int(out, "rooms") == 292);
  CHECK(hq_json_int(out, "departments") == 46);
  hq_free(out);
  hq_free(document);
  hq_store_free(copy);
}

int main(int argc, char** argv) {
  const char* url = hq_test_url(argc, argv);
  hq_store* store = NULL;
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_store_options from_init;
  int applied = -1;

  /* versions: the headers and the loaded library agree */
  CHECK(hq_version_number() == HQ_VERSION_NUMBER);
  CHECK(strcmp(hq_version_string(), HQ_VERSION_STRING) == 0);
  CHECK(HQ_ABI_VERSION >= 1);

  /* freeing nothing is safe */
  hq_free(NULL);
  hq_store_free(NULL);

  /* options: the macro and the function agree */
  memset(&from_init, 0xff, sizeof from_init);
  CHECK_OK(hq_store_options_init(&from_init, HQ_STORE_OPTIONS_VERSION));
  CHECK(from_init.version == opts.version && from_init.busy_timeout_ms == opts.busy_timeout_ms);
  CHECK(opts.busy_timeout_ms == 5000);

  /* open with options, migrate, migrate again (nothing left to do), close, reopen */
  opts.busy_timeout_ms = 250;
  CHECK_OK(hq_store_open(&store, url, &opts));
  CHECK(store != NULL);
  CHECK_OK(hq_store_migrate(&applied, store));
  CHECK(applied > 0);
  CHECK_OK(hq_store_migrate(&applied, store));
  CHECK(applied == 0);
  CHECK(hq_last_error()->code == HQ_OK && hq_last_error()->message[0] == '\0');
  entities(store);
  hq_store_free(store);

  if (strcmp(url, "sqlite::memory:") != 0) { /* the data outlives the handle */
    char* out = NULL;
    store = NULL;
    CHECK_OK(hq_store_open(&store, url, NULL));
    CHECK_OK(hq_store_migrate(&applied, store));
    CHECK(applied == 0);
    CHECK_OK(hq_entity_find(&out, store, hq_test_actor(), "floors", NULL));
    CHECK(hq_json_int(out, "total") == 1);
    hq_free(out);
    hq_store_free(store);
  }

  hospital(url);
  return hq_test_done("lifecycle");
}
