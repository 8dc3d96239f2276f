/* Actors and service calls from C: bootstrap, login, resume, logout, service actors, describing
 * an actor, hq_call and hq_operations, permission checks and masking of personal data through
 * the entity API, and a key file given in the version 2 store options. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include "harness.h"

static const char* admins =
    "{\"system_admin\":{\"login\":\"sys\",\"display_name\":\"System\",\"password\":\"Tiger-8-kz\"},"
    "\"security_admin\":{\"login\":\"sec\",\"display_name\":\"Security\",\"password\":\"Lotus-7-"
    "qw\"},"
    "\"auditor\":{\"login\":\"aud\",\"display_name\":\"Auditor\",\"password\":\"River-6-mx\"}}";

static void sessions(hq_store* s) {
  hq_actor* sys = NULL;
  hq_actor* again = NULL;
  char* token = NULL;
  char* out = NULL;

  CHECK_ERROR(hq_auth_bootstrap(s, "{\"system_admin\":{}}"), HQ_INVALID_ARGUMENT, "");
  CHECK_OK(hq_auth_bootstrap(s, admins));
  CHECK_ERROR(hq_auth_bootstrap(s, admins), HQ_FAILED_PRECONDITION, "");

  CHECK_ERROR(hq_auth_login(&sys, NULL, s, "sys", "wrong"), HQ_UNAUTHENTICATED, "");
  CHECK(sys == NULL);
  CHECK_ERROR(hq_auth_login(NULL, NULL, s, "sys", "Tiger-8-kz"), HQ_INVALID_ARGUMENT,
              "hq_auth_login: out is NULL");
  CHECK_OK(hq_auth_login(&sys, &token, s, "sys", "Tiger-8-kz"));
  CHECK(sys != NULL && token != NULL && strlen(token) >= 32);

  CHECK_OK(hq_actor_describe(&out, sys));
  CHECK_CONTAINS(out, "\"label\":\"user:sys\"");
  CHECK_CONTAINS(out, "auth.manage_users");
  hq_free(out);
  out = NULL;

  CHECK_OK(hq_auth_resume(&again, s, token));
  CHECK(again != NULL);
  hq_actor_free(again);
  again = NULL;
  CHECK_OK(hq_auth_logout(s, token));
  CHECK_ERROR(hq_auth_resume(&again, s, token), HQ_UNAUTHENTICATED, "");
  CHECK(again == NULL);
  hq_free(token);
  hq_actor_free(sys); /* its permissions were a snapshot; freeing it is all that is left */
  hq_actor_free(NULL);
}

static void calls(hq_store* s) {
  hq_actor* sys = NULL;
  hq_actor* aud = NULL;
  hq_actor* svc = NULL;
  char* out = NULL;

  CHECK_OK(hq_operations(&out));
  CHECK_CONTAINS(out, "\"name\":\"audit.verify\",\"output\":{");
  CHECK_CONTAINS(out, "\"name\":\"auth.create_user\"");
  hq_free(out);
  out = NULL;
  /* one operation: what it needs and the schemas of what it takes and returns */
  CHECK_OK(hq_operation(&out, "auth.create_user"));
  CHECK_CONTAINS(out, "\"input\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"");
  CHECK_CONTAINS(out, "\"login\":{\"type\":\"string\"}");
  CHECK_CONTAINS(out, "\"permission\":\"auth.manage_users\"");
  CHECK_CONTAINS(out, "\"additionalProperties\":false");
  hq_free(out);
  out = NULL;
  CHECK_ERROR(hq_operation(&out, "auth.create_usr"), HQ_NOT_FOUND, "auth.create_user");
  CHECK(out == NULL);
  CHECK_ERROR(hq_operation(&out, NULL), HQ_INVALID_ARGUMENT, "hq_operation: operation is NULL");
  CHECK_ERROR(hq_operation(NULL, "auth.users"), HQ_INVALID_ARGUMENT,
              "hq_operation: out_json is NULL");

  CHECK_OK(hq_auth_login(&sys, NULL, s, "sys", "Tiger-8-kz"));
  CHECK_OK(hq_auth_login(&aud, NULL, s, "aud", "River-6-mx"));
  CHECK_OK(hq_call(&out, s, aud, "audit.verify", NULL));
  CHECK_CONTAINS(out, "\"ok\":true");
  hq_free(out);
  out = NULL;
  /* separated duties: the system administrator may not read the audit log */
  CHECK_ERROR(hq_call(&out, s, sys, "audit.verify", "{}"), HQ_PERMISSION_DENIED, "");
  CHECK(out == NULL);
  CHECK_ERROR(hq_call(&out, s, aud, "audit.verfy", "{}"), HQ_NOT_FOUND, "audit.verify");
  CHECK_ERROR(hq_call(&out, s, aud, "audit.query", "{\"limit\":"), HQ_INVALID_ARGUMENT,
              "malformed JSON");
  CHECK_ERROR(hq_call(&out, s, aud, "audit.query", "{\"who\":1}"), HQ_INVALID_ARGUMENT, "who");
  CHECK_ERROR(hq_call(&out, s, NULL, "audit.query", NULL), HQ_INVALID_ARGUMENT,
              "hq_call: actor is NULL");
  CHECK_ERROR(hq_call(&out, s, aud, NULL, NULL), HQ_INVALID_ARGUMENT, "hq_call: operation is NULL");
  CHECK_OK(
      hq_call(&out, s, aud, "audit.query", "{\"action\":\"audit.verify\",\"outcome\":\"denied\"}"));
  CHECK_CONTAINS(out, "\"actor\":\"user:sys\""); /* the denied attempt is on record */
  hq_free(out);
  out = NULL;

  /* an account made through hq_call can sign in */
  CHECK_OK(hq_call(&out, s, sys, "auth.create_user",
                   "{\"login\":\"li\",\"display_name\":\"Li\",\"password\":\"Maple-5-jp\"}"));
  CHECK(hq_json_int(out, "id") > 0);
  hq_free(out);
  out = NULL;

  CHECK_ERROR(hq_actor_service(&svc, "x", "[\"no.such\"]"), HQ_INVALID_ARGUMENT, "no.such");
  CHECK(svc == NULL);
  CHECK_ERROR(hq_actor_service(&svc, "", "[]"), HQ_INVALID_ARGUMENT, "name is empty");
  CHECK_OK(hq_actor_service(&svc, "his", "[\"site.edit\"]"));
  CHECK_OK(hq_actor_describe(&out, svc));
  CHECK_CONTAINS(out, "\"label\":\"service:his\"");
  CHECK_CONTAINS(out, "\"user_id\":null");
  hq_free(out);
  hq_actor_free(svc);
  hq_actor_free(sys);
  hq_actor_free(aud);
}

static int count_of(const char* text, const char* part) {
  int n = 0;
  for (const char* p = strstr(text, part); p; p = strstr(p + 1, part)) ++n;
  return n;
}

/* One strict parser at every entry: each refusal names what is wrong and changes nothing. */
static void strict_input(hq_store* s) {
  hq_actor* sys = NULL;
  char* out = NULL;
  char deep[200];
  int users, i;
  CHECK_OK(hq_auth_login(&sys, NULL, s, "sys", "Tiger-8-kz"));
  CHECK_OK(hq_call(&out, s, sys, "auth.users", "{}"));
  users = count_of(out, "\"login\":");
  hq_free(out);
  out = NULL;

  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user",
                      "{\"login\":\"wu\",\"login\":\"zhao\",\"display_name\":\"Wu\","
                      "\"password\":\"Maple-5-jp\"}"),
              HQ_INVALID_ARGUMENT, "auth.create_user: duplicate key 'login' at (document)");
  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user",
                      "{\"login\":\"wu\\u0000x\",\"display_name\":\"Wu\","
                      "\"password\":\"Maple-5-jp\"}"),
              HQ_INVALID_ARGUMENT, "auth.create_user: NUL character in a string at byte 12");
  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user",
                      "{\"login\":\"wu\xff\",\"display_name\":\"Wu\",\"password\":\"Maple-5-jp\"}"),
              HQ_INVALID_ARGUMENT, "auth.create_user: malformed JSON at byte 13");
  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user", "null"), HQ_INVALID_ARGUMENT,
              "auth.create_user: expected object, got null");
  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user", "[]"), HQ_INVALID_ARGUMENT,
              "auth.create_user: expected object, got array");
  /* 65 levels of nesting inside a field */
  strcpy(deep, "{\"login\":");
  for (i = 0; i < 64; ++i) strcat(deep, "[");
  for (i = 0; i < 64; ++i) strcat(deep, "]");
  strcat(deep, "}");
  CHECK_ERROR(hq_call(&out, s, sys, "auth.create_user", deep), HQ_INVALID_ARGUMENT,
              "auth.create_user: nesting deeper than 64 levels at login");
  CHECK(out == NULL);

  CHECK_OK(hq_call(&out, s, sys, "auth.users", "{}"));
  CHECK(count_of(out, "\"login\":") == users); /* nothing was created */
  hq_free(out);
  hq_actor_free(sys);
}

static void personal_data(hq_store* s) {
  hq_actor* editor = NULL;
  hq_actor* viewer = NULL;
  char* out = NULL;
  char body[256];
  long long dept, staff;

  CHECK_OK(hq_actor_service(&editor, "hr-sync", "[\"site.edit\"]"));
  CHECK_OK(hq_actor_service(&viewer, "reader", "[\"bi.read\"]"));
  CHECK_OK(hq_entity_put(&out, s, editor, "departments",
                         "{\"code\":\"ENG\",\"name\":\"Engineering\",\"kind\":\"logistics\"}"));
  dept = hq_json_int(out, "id");
  hq_free(out);
  snprintf(body, sizeof body,
           "{\"employee_no\":\"E7\",\"name\":\"Wang\",\"department_id\":%lld,\"phone\":"
           "\"13912345678\"}",
           dept);
  CHECK_ERROR(hq_entity_put(&out, s, viewer, "staff", body), HQ_PERMISSION_DENIED, "");
  CHECK_OK(hq_entity_put(&out, s, editor, "staff", body));
  staff = hq_json_int(out, "id");
  CHECK_CONTAINS(out, "\"phone\":\"139****5678\"");
  hq_free(out);
  CHECK_OK(hq_entity_get(&out, s, viewer, "staff", staff));
  CHECK_CONTAINS(out, "\"phone\":\"139****5678\"");
  hq_free(out);
  CHECK_OK(hq_entity_get(&out, s, hq_test_actor(), "staff", staff)); /* holds protect.unmask */
  CHECK_CONTAINS(out, "\"phone\":\"13912345678\"");
  hq_free(out);
  hq_actor_free(editor);
  hq_actor_free(viewer);
}

/* Version 2 options: keys from a file instead of the environment. */
static void key_file(void) {
  hq_store_options opts = HQ_STORE_OPTIONS_INIT;
  hq_store* s = NULL;
  char path[] = "/tmp/houqin-c-keys-XXXXXX";
  FILE* f;
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  f = fdopen(fd, "w");
  fputs("k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", f);
  fclose(f);
  CHECK(opts.version == 2 && opts.key_file == NULL);
  opts.key_file = "/nonexistent-houqin-dir/keys";
  CHECK(hq_store_open(&s, "sqlite::memory:", &opts) != HQ_OK);
  CHECK(s == NULL);
  opts.key_file = path;
  CHECK_OK(hq_store_open(&s, "sqlite::memory:", &opts));
  hq_store_free(s);
  remove(path);
}

int main(int argc, char** argv) {
  const char* url = hq_test_url(argc, argv);
  hq_store* s = NULL;
  CHECK_OK(hq_store_open(&s, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, s));
  sessions(s);
  calls(s);
  strict_input(s);
  personal_data(s);
  hq_store_free(s);
  key_file();
  return hq_test_done("auth");
}
