/* A vendor-style C program: open a store, create the schema, act as a service, import the
 * hospital, read a summary, find the ICU rooms, add a bed to one of them, and show how a failed
 * call reports itself.
 *   hello_c HOSPITAL.json [STORE_URL]      (the URL defaults to a private in-memory database) */
#include <houqin/houqin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the failed call's status and message and returns 1, for `if (status) return fail(...)`. */
static int fail(const char* what, hq_status status) {
  fprintf(stderr, "%s failed: %s (%d): %s\n", what, hq_status_name(status), (int)status,
          hq_last_error()->message);
  return 1;
}

/* The integer after "key": in compact JSON from houqin; a real host would use its JSON parser. */
static long long json_int(const char* json, const char* key) {
  char pattern[64];
  const char* at;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  at = strstr(json, pattern);
  return at ? strtoll(at + strlen(pattern), NULL, 10) : -1;
}

int main(int argc, char** argv) {
  const char* url = argc > 2 ? argv[2] : "sqlite::memory:";
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_store* store = NULL;
  hq_actor* actor = NULL;
  char* json = NULL;
  char* room = NULL;
  char* stale = NULL;
  hq_status status;
  long long id;
  int applied = 0;
  int rc = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s HOSPITAL.json [STORE_URL]\n", argv[0]);
    return 2;
  }
  if (hq_version_number() != HQ_VERSION_NUMBER)
    fprintf(stderr, "warning: headers %s, library %s\n", HQ_VERSION_STRING, hq_version_string());

  opts.busy_timeout_ms = 2000;
  if ((status = hq_store_open(&store, url, &opts)) != HQ_OK) return fail("hq_store_open", status);
  if ((status = hq_store_migrate(&applied, store)) != HQ_OK) {
    rc = fail("hq_store_migrate", status);
    goto done;
  }
  /* The interface engine acts as a service with just the permission it needs; every change it
   * makes is audited as "service:his-interface". People sign in with hq_auth_login() instead. */
  if ((status = hq_actor_service(&actor, "his-interface", "[\"site.edit\"]")) != HQ_OK) {
    rc = fail("hq_actor_service", status);
    goto done;
  }
  if ((status = hq_site_import_hospital_file(NULL, store, actor, argv[1])) != HQ_OK) {
    rc = fail("hq_site_import_hospital_file", status);
    goto done;
  }
  if ((status = hq_site_summary(&json, store)) != HQ_OK) {
    rc = fail("hq_site_summary", status);
    goto done;
  }
  printf("houqin %s: rooms: %lld, beds: %lld, staff: %lld\n", hq_version_string(),
         json_int(json, "rooms"), json_int(json, "beds"), json_int(json, "staff"));
  hq_free(json);
  json = NULL;

  status =
      hq_entity_find(&json, store, actor, "rooms",
                     "{\"where\": [{\"column\": \"type\", \"op\": \"eq\", \"value\": \"icu\"}],"
                     " \"order_by\": [{\"column\": \"code\"}], \"limit\": 1}");
  if (status != HQ_OK) {
    rc = fail("hq_entity_find", status);
    goto done;
  }
  printf("ICU rooms: %lld\n", json_int(json, "total"));
  id = json_int(json, "id");
  hq_free(json);
  json = NULL;

  /* read, change, write back: the version in the JSON guards against lost updates */
  if ((status = hq_entity_get(&room, store, actor, "rooms", id)) != HQ_OK) {
    rc = fail("hq_entity_get", status);
    goto done;
  }
  {
    char* beds = strstr(room, "\"beds\":");
    long long n = beds ? strtoll(beds + 7, NULL, 10) : 0;
    size_t len = strlen(room) + 32;
    char* changed = (char*)malloc(len);
    if (!changed || !beds) {
      free(changed);
      rc = 1;
      goto done;
    }
    snprintf(changed, len, "%.*s\"beds\":%lld%s", (int)(beds - room), room, n + 1,
             strpbrk(beds + 7, ",}"));
    status = hq_entity_put(&json, store, actor, "rooms", changed);
    free(changed);
  }
  if (status != HQ_OK) {
    rc = fail("hq_entity_put", status);
    goto done;
  }
  printf("updated: %s\n", json);

  /* putting the copy read before the update again is refused, and says why */
  status = hq_entity_put(&stale, store, actor, "rooms", room);
  printf("stale put: %s: %s\n", hq_status_name(status), hq_last_error()->message);
  if (status != HQ_CONFLICT) rc = 1;

done:
  hq_free(json);
  hq_free(room);
  hq_free(stale);
  hq_actor_free(actor);
  hq_store_free(store);
  return rc;
}
