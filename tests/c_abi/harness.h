/* A small test harness for the C ABI tests: checks that count and report failures, helpers that
 * read a number out of the library's JSON, and the store URL each program runs on (argv[1], given
 * by run.sh per backend). Plain C11, no dependencies. */
#ifndef HQ_TEST_HARNESS_H
#define HQ_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "houqin/houqin.h"

static int hq_checks = 0;
static int hq_failures = 0;

static inline void hq_report(int ok, const char* file, int line, const char* what) {
  ++hq_checks;
  if (!ok) {
    ++hq_failures;
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
  }
}

/** CHECK(cond): records a failure when cond is false, and goes on. */
#define CHECK(cond) hq_report((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/** CHECK_OK(call): the call returns HQ_OK; on failure prints the last error. */
#define CHECK_OK(call)                                                             \
  do {                                                                             \
    hq_status hq_s_ = (call);                                                      \
    hq_report(hq_s_ == HQ_OK, __FILE__, __LINE__, #call);                          \
    if (hq_s_ != HQ_OK)                                                            \
      fprintf(stderr, "  status %d (%s): %s\n", (int)hq_s_, hq_status_name(hq_s_), \
              hq_last_error()->message);                                           \
  } while (0)

/** CHECK_ERROR(call, status, text): the call fails with `status`, the last error has the same
 *  code, and its message contains `text`. */
#define CHECK_ERROR(call, status, text)                                                         \
  do {                                                                                          \
    hq_status hq_s_ = (call);                                                                   \
    const hq_error* hq_e_ = hq_last_error();                                                    \
    int hq_ok_ =                                                                                \
        hq_s_ == (status) && hq_e_->code == (status) && strstr(hq_e_->message, (text)) != NULL; \
    hq_report(hq_ok_, __FILE__, __LINE__, #call " -> " #status ": " text);                      \
    if (!hq_ok_)                                                                                \
      fprintf(stderr, "  got status %d (%s), last error %d: %s\n", (int)hq_s_,                  \
              hq_status_name(hq_s_), (int)hq_e_->code, hq_e_->message);                         \
  } while (0)

/** CHECK_CONTAINS(text, part): `text` is not NULL and contains `part`. */
#define CHECK_CONTAINS(text, part)                                              \
  do {                                                                          \
    const char* hq_t_ = (text);                                                 \
    int hq_ok_ = hq_t_ != NULL && strstr(hq_t_, (part)) != NULL;                \
    hq_report(hq_ok_, __FILE__, __LINE__, #text " contains " #part);            \
    if (!hq_ok_) fprintf(stderr, "  text: %.400s\n", hq_t_ ? hq_t_ : "(null)"); \
  } while (0)

/** The integer after `"key":` in a JSON text the library wrote (compact, no spaces), or -1. */
static inline long long hq_json_int(const char* json, const char* key) {
  char pattern[128];
  const char* at;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  at = json ? strstr(json, pattern) : NULL;
  return at ? strtoll(at + strlen(pattern), NULL, 10) : -1;
}

/** The store URL to test: argv[1], or a private in-memory SQLite database. */
static inline const char* hq_test_url(int argc, char** argv) {
  return argc > 1 ? argv[1] : "sqlite::memory:";
}

/** The actor the tests act as: a service actor that may edit and read everything exposed, made
 *  on first use (call it once before starting threads) and freed by hq_test_done(). */
static hq_actor* hq_test_actor_ = NULL;
static inline const hq_actor* hq_test_actor(void) {
  if (!hq_test_actor_ &&
      hq_actor_service(&hq_test_actor_, "c-abi-test",
                       "[\"site.edit\",\"protect.unmask\",\"telemetry.read\","
                       "\"telemetry.configure\",\"audit.verify\",\"audit.read\"]") != HQ_OK) {
    fprintf(stderr, "hq_actor_service failed: %s\n", hq_last_error()->message);
    exit(1);
  }
  return hq_test_actor_;
}

/** Prints the tally in the form CTest logs show and returns the exit code. */
static inline int hq_test_done(const char* name) {
  hq_actor_free(hq_test_actor_);
  hq_test_actor_ = NULL;
  printf("%s: %d checks, %d failed\n", name, hq_checks, hq_failures);
  return hq_failures == 0 ? 0 : 1;
}

#endif
