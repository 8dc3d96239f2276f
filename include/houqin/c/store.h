/* houqin C ABI, store: open a database by URL (SQLite file or memory, PostgreSQL), bring its
 * schema up to date, and close it. Every entity and site function works on an hq_store. */
#ifndef HOUQIN_C_STORE_H
#define HOUQIN_C_STORE_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The newest hq_store_options version this header describes. */
#define HQ_STORE_OPTIONS_VERSION 2

/**
 * Options for hq_store_open(). Fields are only ever appended, each new field raising
 * HQ_STORE_OPTIONS_VERSION; the library reads only the fields of the version you set, so a host
 * built against older headers keeps working. Initialise with HQ_STORE_OPTIONS_INIT or
 * hq_store_options_init() and then change what you need.
 */
typedef struct hq_store_options {
  unsigned int version; /**< HQ_STORE_OPTIONS_VERSION of the headers you compiled with */
  /** How long SQLite waits for a lock held by another connection before the call fails with
   *  HQ_UNAVAILABLE, in milliseconds (default 5000; 0 fails at once). Ignored by PostgreSQL. */
  int busy_timeout_ms;
  /* ---- version 2 ---- */
  /** A key file for personal data: one "<key id> <base64 32-byte key>" per line, the last line
   *  the active key (docs/security.md). NULL (the default) reads the HOUQIN_KEYS environment
   *  variable instead. Read during hq_store_open() only. */
  const char* key_file;
} hq_store_options;

/** The defaults, for `hq_store_options opts = HQ_STORE_OPTIONS_INIT;`. */
#define HQ_STORE_OPTIONS_INIT \
  { HQ_STORE_OPTIONS_VERSION, 5000, NULL }

/**
 * Fills `opts` with the defaults of options version `version`; for hosts that cannot use the
 * HQ_STORE_OPTIONS_INIT macro (most FFIs).
 *
 * @param opts     the caller's struct to fill
 * @param version  HQ_STORE_OPTIONS_VERSION (or an older version)
 * @return HQ_OK, or HQ_INVALID_ARGUMENT when `opts` is NULL or `version` is 0 or newer than the
 *         library knows.
 */
HQ_API hq_status hq_store_options_init(hq_store_options* opts, unsigned int version);

/**
 * Opens a store. Constructor.
 *
 * @param out   receives the new handle, owned by the caller, who must destroy it with
 *              hq_store_free(); set to NULL on failure
 * @param url   `sqlite:PATH`, `sqlite::memory:`, `postgresql://user@host/db?...` (any libpq URI)
 *              or `postgresql:` followed by a libpq key=value string; UTF-8, copied
 * @param opts  options, or NULL for the defaults; read during the call only
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL `out` or `url`, an unknown URL scheme or a bad
 *         options version or value; HQ_UNAVAILABLE when the database cannot be opened or reached.
 *
 * A handle may be used from any thread; calls on one handle are serialised (each call takes the
 * handle's lock and releases it before returning or calling back into host code). For work in
 * parallel, open one handle per thread. The schema is not created: call hq_store_migrate().
 *
 * Personal data (staff phones) is sealed at rest with keys read from opts->key_file, or else from
 * the HOUQIN_KEYS environment variable ("<key id> <base64 32-byte key>" entries separated by ";");
 * without keys, storing or reading personal data fails with HQ_FAILED_PRECONDITION. A key file
 * that cannot be read or holds a malformed line fails with HQ_INVALID_ARGUMENT or HQ_NOT_FOUND.
 */
HQ_API hq_status hq_store_open(hq_store** out, const char* url, const hq_store_options* opts);

/**
 * Closes the connection and frees the handle. Destructor. NULL does nothing. The handle must not
 * be in use by another thread, and must not be used afterwards.
 */
HQ_API void hq_store_free(hq_store* store);

/**
 * Creates or upgrades the schema of every domain this library knows (today: site), applying each
 * pending numbered migration in its own transaction. Safe to repeat: a second call applies none.
 *
 * @param out_applied  receives how many migrations ran; may be NULL
 * @param store        the store
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL store; HQ_UNAVAILABLE or HQ_INTERNAL when the
 *         database refuses (the failed migration leaves nothing behind).
 */
HQ_API hq_status hq_store_migrate(int* out_applied, hq_store* store);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_STORE_H */
