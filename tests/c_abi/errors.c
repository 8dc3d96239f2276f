/* Every error path of the C ABI: NULL arguments, bad URLs and options, malformed JSON, unknown
 * entities and fields, failed validation, version conflicts, missing rows, taken codes, bad
 * documents. Each gives the right hq_status and a message naming the problem, sets outputs to
 * NULL, and leaves the stored data as it was. */
#include "harness.h"

static char sentinel_text[] = "not touched";
#define SENTINEL sentinel_text

static int never_called(const char* item_json, void* payload) {
  (void)item_json;
  *(int*)payload += 1;
  return 0;
}

static void status_names(void) {
  CHECK(strcmp(hq_status_name(HQ_OK), "ok") == 0);
  CHECK(strcmp(hq_status_name(HQ_INVALID_ARGUMENT), "invalid_argument") == 0);
  CHECK(strcmp(hq_status_name(HQ_NOT_FOUND), "not_found") == 0);
  CHECK(strcmp(hq_status_name(HQ_ALREADY_EXISTS), "already_exists") == 0);
  CHECK(strcmp(hq_status_name(HQ_CONFLICT), "conflict") == 0);
  CHECK(strcmp(hq_status_name(HQ_PERMISSION_DENIED), "permission_denied") == 0);
  CHECK(strcmp(hq_status_name(HQ_FAILED_PRECONDITION), "failed_precondition") == 0);
  CHECK(strcmp(hq_status_name(HQ_UNAUTHENTICATED), "unauthenticated") == 0);
  CHECK(strcmp(hq_status_name(HQ_RESOURCE_EXHAUSTED), "resource_exhausted") == 0);
  CHECK(strcmp(hq_status_name(HQ_UNAVAILABLE), "unavailable") == 0);
  CHECK(strcmp(hq_status_name(HQ_DATA_LOSS), "data_loss") == 0);
  CHECK(strcmp(hq_status_name(HQ_INTERNAL), "internal") == 0);
  CHECK(strcmp(hq_status_name(HQ_UNIMPLEMENTED), "unimplemented") == 0);
  CHECK(strcmp(hq_status_name(HQ_DEADLINE_EXCEEDED), "deadline_exceeded") == 0);
  CHECK(strcmp(hq_status_name((hq_status)-14), "unknown") == 0);
  CHECK(strcmp(hq_status_name((hq_status)1), "unknown") == 0);
}

static void opening(const char* url) {
  hq_store* store = (hq_store*)SENTINEL;
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;

  CHECK_ERROR(hq_store_options_init(NULL, HQ_STORE_OPTIONS_VERSION), HQ_INVALID_ARGUMENT,
              "hq_store_options_init: opts is NULL");
  CHECK_ERROR(hq_store_options_init(&opts, 0), HQ_INVALID_ARGUMENT, "options version 0");
  CHECK_ERROR(hq_store_options_init(&opts, HQ_STORE_OPTIONS_VERSION + 1), HQ_INVALID_ARGUMENT,
              "is not supported");

  CHECK_ERROR(hq_store_open(NULL, url, NULL), HQ_INVALID_ARGUMENT, "hq_store_open: out is NULL");
  CHECK_ERROR(hq_store_open(&store, NULL, NULL), HQ_INVALID_ARGUMENT, "hq_store_open: url is NULL");
  CHECK(store == NULL);
  store = (hq_store*)SENTINEL;
  CHECK_ERROR(hq_store_open(&store, "mysql://db/houqin", NULL), HQ_INVALID_ARGUMENT,
              "unknown store URL 'mysql://db/houqin'");
  CHECK(store == NULL);
  CHECK_ERROR(hq_store_open(&store, "sqlite:", NULL), HQ_INVALID_ARGUMENT, "needs a path");
  CHECK_ERROR(hq_store_open(&store, "sqlite:/nonexistent-houqin-dir/sub/x.db", NULL),
              HQ_UNAVAILABLE, "cannot open sqlite:/nonexistent-houqin-dir/sub/x.db");
  CHECK(store == NULL);

  opts.version = 0;
  CHECK_ERROR(hq_store_open(&store, url, &opts), HQ_INVALID_ARGUMENT,
              "hq_store_open: options version 0 is not supported");
  opts.version = HQ_STORE_OPTIONS_VERSION + 1;
  CHECK_ERROR(hq_store_open(&store, url, &opts), HQ_INVALID_ARGUMENT, "is not supported");
  opts.version = HQ_STORE_OPTIONS_VERSION;
  opts.busy_timeout_ms = -1;
  CHECK_ERROR(hq_store_open(&store, url, &opts), HQ_INVALID_ARGUMENT,
              "busy_timeout_ms -1 is negative");
  CHECK(store == NULL);

  CHECK_ERROR(hq_store_migrate(NULL, NULL), HQ_INVALID_ARGUMENT, "hq_store_migrate: store is NULL");
}

static void null_arguments(hq_store* s) {
  char* out = SENTINEL;
  int calls = 0;

  CHECK_ERROR(hq_entity_names(NULL, s), HQ_INVALID_ARGUMENT, "hq_entity_names: out_json is NULL");
  CHECK_ERROR(hq_entity_names(&out, NULL), HQ_INVALID_ARGUMENT, "hq_entity_names: store is NULL");
  CHECK(out == NULL);

  out = SENTINEL;
  CHECK_ERROR(hq_entity_put(&out, NULL, hq_test_actor(), "campuses", "{}"), HQ_INVALID_ARGUMENT,
              "hq_entity_put: store is NULL");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), NULL, "{}"), HQ_INVALID_ARGUMENT,
              "hq_entity_put: entity is NULL");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", NULL), HQ_INVALID_ARGUMENT,
              "hq_entity_put: json is NULL");

  CHECK_ERROR(hq_entity_get(NULL, s, hq_test_actor(), "campuses", 1), HQ_INVALID_ARGUMENT,
              "hq_entity_get: out_json is NULL");
  CHECK_ERROR(hq_entity_get(&out, NULL, hq_test_actor(), "campuses", 1), HQ_INVALID_ARGUMENT,
              "hq_entity_get: store is NULL");
  CHECK_ERROR(hq_entity_get(&out, s, hq_test_actor(), NULL, 1), HQ_INVALID_ARGUMENT,
              "hq_entity_get: entity is NULL");

  CHECK_ERROR(hq_entity_find(NULL, s, hq_test_actor(), "campuses", NULL), HQ_INVALID_ARGUMENT,
              "hq_entity_find: out_json is NULL");
  CHECK_ERROR(hq_entity_find(&out, NULL, hq_test_actor(), "campuses", NULL), HQ_INVALID_ARGUMENT,
              "hq_entity_find: store is NULL");
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), NULL, NULL), HQ_INVALID_ARGUMENT,
              "hq_entity_find: entity is NULL");

  CHECK_ERROR(hq_entity_each(NULL, hq_test_actor(), "campuses", NULL, never_called, &calls),
              HQ_INVALID_ARGUMENT, "hq_entity_each: store is NULL");
  CHECK_ERROR(hq_entity_each(s, hq_test_actor(), NULL, NULL, never_called, &calls),
              HQ_INVALID_ARGUMENT, "hq_entity_each: entity is NULL");
  CHECK_ERROR(hq_entity_each(s, hq_test_actor(), "campuses", NULL, NULL, &calls),
              HQ_INVALID_ARGUMENT, "hq_entity_each: callback is NULL");
  CHECK(calls == 0);

  CHECK_ERROR(hq_entity_remove(NULL, hq_test_actor(), "campuses", 1, HQ_ANY_VERSION),
              HQ_INVALID_ARGUMENT, "hq_entity_remove: store is NULL");
  CHECK_ERROR(hq_entity_remove(s, hq_test_actor(), NULL, 1, HQ_ANY_VERSION), HQ_INVALID_ARGUMENT,
              "hq_entity_remove: entity is NULL");
  CHECK_ERROR(hq_entity_remove(s, hq_test_actor(), "campuses", 1, -3), HQ_INVALID_ARGUMENT,
              "expected_version -3 is negative");

  CHECK_ERROR(hq_site_import_hospital(&out, NULL, hq_test_actor(), "{}"), HQ_INVALID_ARGUMENT,
              "hq_site_import_hospital: store is NULL");
  CHECK_ERROR(hq_site_import_hospital(&out, s, hq_test_actor(), NULL), HQ_INVALID_ARGUMENT,
              "hq_site_import_hospital: document_json is NULL");
  CHECK_ERROR(hq_site_import_hospital_file(&out, NULL, hq_test_actor(), "x.json"),
              HQ_INVALID_ARGUMENT, "hq_site_import_hospital_file: store is NULL");
  CHECK_ERROR(hq_site_import_hospital_file(&out, s, hq_test_actor(), NULL), HQ_INVALID_ARGUMENT,
              "hq_site_import_hospital_file: path is NULL");
  CHECK_ERROR(hq_site_export_hospital(NULL, s, hq_test_actor()), HQ_INVALID_ARGUMENT,
              "hq_site_export_hospital: out_json is NULL");
  CHECK_ERROR(hq_site_export_hospital(&out, NULL, hq_test_actor()), HQ_INVALID_ARGUMENT,
              "hq_site_export_hospital: store is NULL");
  /* every call that acts for someone names a missing actor */
  CHECK_ERROR(hq_entity_put(&out, s, NULL, "campuses", "{}"), HQ_INVALID_ARGUMENT,
              "hq_entity_put: actor is NULL");
  CHECK_ERROR(hq_entity_get(&out, s, NULL, "campuses", 1), HQ_INVALID_ARGUMENT,
              "hq_entity_get: actor is NULL");
  CHECK_ERROR(hq_entity_find(&out, s, NULL, "campuses", NULL), HQ_INVALID_ARGUMENT,
              "hq_entity_find: actor is NULL");
  CHECK_ERROR(hq_entity_each(s, NULL, "campuses", NULL, never_called, &calls), HQ_INVALID_ARGUMENT,
              "hq_entity_each: actor is NULL");
  CHECK_ERROR(hq_entity_remove(s, NULL, "campuses", 1, HQ_ANY_VERSION), HQ_INVALID_ARGUMENT,
              "hq_entity_remove: actor is NULL");
  CHECK_ERROR(hq_site_import_hospital(&out, s, NULL, "{}"), HQ_INVALID_ARGUMENT,
              "hq_site_import_hospital: actor is NULL");
  CHECK_ERROR(hq_site_import_hospital_file(&out, s, NULL, "x.json"), HQ_INVALID_ARGUMENT,
              "hq_site_import_hospital_file: actor is NULL");
  CHECK_ERROR(hq_site_export_hospital(&out, s, NULL), HQ_INVALID_ARGUMENT,
              "hq_site_export_hospital: actor is NULL");
  CHECK(calls == 0);

  CHECK_ERROR(hq_site_summary(NULL, s), HQ_INVALID_ARGUMENT, "hq_site_summary: out_json is NULL");
  CHECK_ERROR(hq_site_summary(&out, NULL), HQ_INVALID_ARGUMENT, "hq_site_summary: store is NULL");
  CHECK(out == NULL);
}

static void bad_requests(hq_store* s) {
  char* out = NULL;
  char* before = NULL;
  char* after = NULL;
  char body[512];
  long long campus;
  int calls = 0;

  CHECK_OK(
      hq_entity_put(&out, s, hq_test_actor(), "campuses", "{\"code\":\"MAIN\",\"name\":\"本部\"}"));
  campus = hq_json_int(out, "id");
  hq_free(out);
  snprintf(body, sizeof body, "{\"id\":%lld,\"version\":1,\"code\":\"MAIN\",\"name\":\"总院\"}",
           campus);
  CHECK_OK(hq_entity_put(NULL, s, hq_test_actor(), "campuses", body)); /* now at version 2 */
  CHECK_OK(hq_entity_find(&before, s, hq_test_actor(), "campuses", NULL));

  out = SENTINEL;
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", "{\"code\":\"X\",\"name\":"),
              HQ_INVALID_ARGUMENT, "campuses: malformed JSON at byte");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", "[1,2]"), HQ_INVALID_ARGUMENT,
              "campuses: expected object, got array");
  /* a number beyond double's range is bad input, not an internal error (found by fuzzing) */
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses",
                            "{\"code\":\"X\",\"name\":\"x\",\"version\":1e400}"),
              HQ_INVALID_ARGUMENT, "campuses: number overflow parsing '1e400'");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "campuses", "{\"limit\":-1e999}"),
              HQ_INVALID_ARGUMENT, "query: number overflow");
  /* a message that starts with a name from the input keeps its text past a leading line break
   * (found by fuzzing: the message was empty) */
  CHECK_ERROR(hq_call(&out, s, hq_test_actor(), "\rrepair.report", "{\"room_id\":"),
              HQ_INVALID_ARGUMENT, "repair.report: malformed JSON at byte");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "lifts", "{\"code\":\"L1\"}"), HQ_NOT_FOUND,
              "unknown entity 'lifts' (known: alarm_events, alarm_orders, alarm_targets, alarms,");
  CHECK_ERROR(hq_entity_get(&out, s, hq_test_actor(), "lifts", 1), HQ_NOT_FOUND,
              "unknown entity 'lifts'");
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "lifts", NULL), HQ_NOT_FOUND,
              "unknown entity 'lifts'");
  CHECK_ERROR(hq_entity_each(s, hq_test_actor(), "lifts", NULL, never_called, &calls), HQ_NOT_FOUND,
              "unknown entity 'lifts'");
  CHECK_ERROR(hq_entity_remove(s, hq_test_actor(), "lifts", 1, HQ_ANY_VERSION), HQ_NOT_FOUND,
              "unknown entity 'lifts'");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses",
                            "{\"code\":\"X\",\"name\":\"x\",\"owner\":1}"),
              HQ_INVALID_ARGUMENT, "campuses.owner: unknown field");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", "{\"code\":7,\"name\":\"x\"}"),
              HQ_INVALID_ARGUMENT, "campuses.code: expected string, got number");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", "{\"code\":\"X\"}"),
              HQ_INVALID_ARGUMENT, "name: must not be empty");
  CHECK_ERROR(
      hq_entity_put(&out, s, hq_test_actor(), "campuses", "{\"code\":\"MAIN\",\"name\":\"重复\"}"),
      HQ_ALREADY_EXISTS, "site_campus");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "buildings",
                            "{\"campus_id\":999999,\"code\":\"Q\",\"name\":\"无主楼\"}"),
              HQ_FAILED_PRECONDITION, "site_building");

  /* a stale version: someone else's copy of version 1 */
  snprintf(body, sizeof body, "{\"id\":%lld,\"version\":1,\"code\":\"MAIN\",\"name\":\"旧的\"}",
           campus);
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses", body), HQ_CONFLICT,
              "version 1 is stale (stored version 2)");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_remove(s, hq_test_actor(), "campuses", campus, 1), HQ_CONFLICT,
              "version 1 is stale");

  /* rows that do not exist */
  CHECK_ERROR(hq_entity_get(&out, s, hq_test_actor(), "campuses", 999999), HQ_NOT_FOUND,
              "campuses 999999: not found");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_remove(s, hq_test_actor(), "campuses", 999999, HQ_ANY_VERSION),
              HQ_NOT_FOUND, "campuses 999999: not found");
  CHECK_ERROR(hq_entity_put(&out, s, hq_test_actor(), "campuses",
                            "{\"id\":999999,\"version\":1,\"code\":\"N\",\"name\":\"n\"}"),
              HQ_NOT_FOUND, "999999: not found");

  /* bad queries */
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "campuses", "{\"where\":"),
              HQ_INVALID_ARGUMENT, "query: malformed JSON at byte");
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "campuses",
                             "{\"where\":[{\"column\":\"colour\",\"op\":\"eq\",\"value\":1}]}"),
              HQ_INVALID_ARGUMENT, "no column 'colour'");
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "campuses",
                             "{\"where\":[{\"column\":\"code\",\"op\":\"like\",\"value\":\"M\"}]}"),
              HQ_INVALID_ARGUMENT, "query.where[0].op: unknown value 'like'");
  CHECK_ERROR(hq_entity_find(&out, s, hq_test_actor(), "campuses", "{\"limit\":\"ten\"}"),
              HQ_INVALID_ARGUMENT, "query.limit: expected integer, got string");
  CHECK(out == NULL);
  CHECK_ERROR(hq_entity_each(s, hq_test_actor(), "campuses", "{\"sort\":1}", never_called, &calls),
              HQ_INVALID_ARGUMENT, "query.sort: unknown field");
  CHECK(calls == 0);

  /* bad hospital documents import nothing */
  CHECK_ERROR(hq_site_import_hospital(&out, s, hq_test_actor(), "{\"rooms\":"), HQ_INVALID_ARGUMENT,
              "document: malformed JSON");
  CHECK_ERROR(
      hq_site_import_hospital(&out, s, hq_test_actor(),
                              "{\"format\":\"houqin.hospital\",\"format_version\":1,"
                              "\"campuses\":[{\"id\":1,\"code\":\"EAST\",\"name\":\"东院\"}],"
                              "\"lifts\":[]}"),
      HQ_INVALID_ARGUMENT, "lifts: unknown collection");
  CHECK_ERROR(hq_site_import_hospital_file(&out, s, hq_test_actor(),
                                           "/nonexistent-houqin-dir/hospital.json"),
              HQ_NOT_FOUND, "/nonexistent-houqin-dir/hospital.json");
  CHECK(out == NULL);

  /* every message is one line */
  CHECK(strchr(hq_last_error()->message, '\n') == NULL);

  /* nothing above changed what is stored */
  CHECK_OK(hq_entity_find(&after, s, hq_test_actor(), "campuses", NULL));
  CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
  CHECK(hq_json_int(after, "total") == 1);
  CHECK(hq_json_int(after, "version") == 2);
  CHECK_CONTAINS(after, "\"name\":\"总院\"");
  hq_free(before);
  hq_free(after);
  CHECK_OK(hq_entity_find(&out, s, hq_test_actor(), "buildings", NULL));
  CHECK(hq_json_int(out, "total") == 0);
  hq_free(out);

  /* a success clears the last error */
  CHECK(hq_last_error()->code == HQ_OK);
  CHECK(strcmp(hq_last_error()->message, "") == 0);
}

int main(int argc, char** argv) {
  const char* url = hq_test_url(argc, argv);
  hq_store* store = NULL;

  CHECK(hq_last_error() != NULL && hq_last_error()->code == HQ_OK);
  status_names();
  opening(url);
  CHECK_OK(hq_store_open(&store, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, store));
  null_arguments(store);
  bad_requests(store);
  hq_store_free(store);
  return hq_test_done("errors");
}
