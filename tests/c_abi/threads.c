/* Two threads: each sees only its own last error, and both may share one hq_store (calls on a
 * handle are serialised by the library). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "harness.h"

static pthread_barrier_t step;
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;
static hq_store* shared_store;

/* CHECK from several threads: the harness counters are not atomic, so count under a lock. */
static void check(int ok, const char* what) {
  pthread_mutex_lock(&tally);
  hq_report(ok, __FILE__, __LINE__, what);
  pthread_mutex_unlock(&tally);
}

static void* fails_with_invalid_argument(void* arg) {
  (void)arg;
  hq_store_open(NULL, "sqlite::memory:", NULL);
  pthread_barrier_wait(&step); /* 1: my error is set */
  pthread_barrier_wait(&step); /* 2: the other thread has failed differently */
  check(hq_last_error()->code == HQ_INVALID_ARGUMENT, "thread A keeps HQ_INVALID_ARGUMENT");
  check(strstr(hq_last_error()->message, "hq_store_open: out is NULL") != NULL,
        "thread A keeps its message");
  pthread_barrier_wait(&step); /* 3: the other thread succeeds */
  pthread_barrier_wait(&step); /* 4 */
  check(hq_last_error()->code == HQ_INVALID_ARGUMENT, "thread A is not reset by thread B");
  return NULL;
}

static void* fails_with_not_found(void* arg) {
  char* out = NULL;
  (void)arg;
  pthread_barrier_wait(&step); /* 1 */
  check(hq_last_error()->code == HQ_OK, "thread B starts clean");
  hq_entity_get(&out, shared_store, hq_test_actor(), "campuses", 424242);
  check(hq_last_error()->code == HQ_NOT_FOUND, "thread B sees HQ_NOT_FOUND");
  check(strstr(hq_last_error()->message, "campuses 424242: not found") != NULL,
        "thread B has its message");
  pthread_barrier_wait(&step); /* 2 */
  pthread_barrier_wait(&step); /* 3 */
  check(hq_entity_find(&out, shared_store, hq_test_actor(), "campuses", NULL) == HQ_OK,
        "thread B succeeds");
  hq_free(out);
  pthread_barrier_wait(&step); /* 4 */
  check(hq_last_error()->code == HQ_OK, "thread B's success reset only its own error");
  return NULL;
}

struct writer {
  const char* prefix;
  int failures;
};

static void* write_many(void* arg) {
  struct writer* w = (struct writer*)arg;
  char body[128];
  char* out = NULL;
  int i;
  for (i = 0; i < 40; ++i) {
    snprintf(body, sizeof body, "{\"code\":\"%s%d\",\"name\":\"院区 %s%d\"}", w->prefix, i,
             w->prefix, i);
    if (hq_entity_put(NULL, shared_store, hq_test_actor(), "campuses", body) != HQ_OK)
      ++w->failures;
    if (hq_entity_find(&out, shared_store, hq_test_actor(), "campuses", "{\"limit\":3}") != HQ_OK)
      ++w->failures;
    hq_free(out);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* url = hq_test_url(argc, argv);
  pthread_t a, b;
  struct writer wa = {"A", 0}, wb = {"B", 0};
  char* out = NULL;

  CHECK_OK(hq_store_open(&shared_store, url, NULL));
  CHECK_OK(hq_store_migrate(NULL, shared_store));
  hq_test_actor(); /* made before the threads share it */

  pthread_barrier_init(&step, NULL, 2);
  pthread_create(&a, NULL, fails_with_invalid_argument, NULL);
  pthread_create(&b, NULL, fails_with_not_found, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  pthread_barrier_destroy(&step);
  CHECK(hq_last_error()->code == HQ_OK); /* the main thread saw neither */

  /* one handle, two writers at once */
  pthread_create(&a, NULL, write_many, &wa);
  pthread_create(&b, NULL, write_many, &wb);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK(wa.failures == 0);
  CHECK(wb.failures == 0);
  CHECK_OK(hq_entity_find(&out, shared_store, hq_test_actor(), "campuses", "{\"limit\":0}"));
  CHECK(hq_json_int(out, "total") == 80);
  hq_free(out);

  hq_store_free(shared_store);
  return hq_test_done("threads");
}
