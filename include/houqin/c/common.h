/* houqin C ABI, common part: status codes, the thread-local last error, freeing what the library
 * hands out, and the run-time version. Every other houqin C header includes this one.
 * Conventions (docs/c-abi.md): functions return hq_status with outputs first; handles are opaque
 * and have an _open/_free pair; strings the library returns are freed with hq_free. */
#ifndef HOUQIN_C_COMMON_H
#define HOUQIN_C_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "houqin/c/version.h"

#if defined(_WIN32)
#if defined(HQ_BUILDING_LIBRARY)
#define HQ_API __declspec(dllexport)
#else
#define HQ_API __declspec(dllimport)
#endif
#else
#define HQ_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What a houqin function reports. 0 is success; every failure is negative. The values are the
 * negated houqin::ErrorCode values, explicit and append-only: a value never changes meaning, and a
 * host must treat an unknown negative value as a failure (hq_last_error() still describes it).
 */
typedef enum hq_status {
  HQ_OK = 0,
  HQ_INVALID_ARGUMENT = -1,    /**< NULL or malformed input: bad JSON, unknown field, wrong type */
  HQ_NOT_FOUND = -2,           /**< the named entity, row or file does not exist */
  HQ_ALREADY_EXISTS = -3,      /**< a unique key (code, login, ...) is taken */
  HQ_CONFLICT = -4,            /**< optimistic version check failed: the row changed since read */
  HQ_PERMISSION_DENIED = -5,   /**< the actor lacks the permission */
  HQ_FAILED_PRECONDITION = -6, /**< illegal state transition, or a row still referenced */
  HQ_UNAUTHENTICATED = -7,     /**< no valid session or credentials */
  HQ_RESOURCE_EXHAUSTED = -8,  /**< out of memory, or a queue or quota is full */
  HQ_UNAVAILABLE = -9,         /**< a database, device or peer cannot be reached now; retry */
  HQ_DATA_LOSS = -10,          /**< stored data is corrupt or does not match its description */
  HQ_INTERNAL = -11,           /**< a bug in houqin */
  HQ_UNIMPLEMENTED = -12,      /**< not supported by this backend or build */
  HQ_DEADLINE_EXCEEDED = -13   /**< a timeout expired */
} hq_status;

/** The description of the last failure on the calling thread. */
typedef struct hq_error {
  hq_status code;      /**< HQ_OK when the last call succeeded */
  const char* message; /**< one line naming the argument, field or id at fault; never NULL */
} hq_error;

/**
 * An opaque store handle: one connection to SQLite or PostgreSQL (see houqin/c/store.h).
 * Created by hq_store_open(); must be destroyed with hq_store_free().
 */
typedef struct hq_store hq_store;

/**
 * An opaque actor: who is calling, with which permissions (see houqin/c/auth.h). Created by
 * hq_auth_login(), hq_auth_resume() or hq_actor_service(); destroyed with hq_actor_free(). It is
 * a snapshot, not tied to one store handle, and may be shared by threads.
 */
typedef struct hq_actor hq_actor;

/**
 * The last error of the calling thread.
 *
 * Every function that returns hq_status first resets the calling thread's last error, and sets it
 * when it fails, so after a success the code is HQ_OK and the message is empty. Threads never see
 * each other's errors.
 *
 * @return a pointer owned by the library, never NULL, valid until the next houqin call on the
 *         same thread. Copy the message if you need it longer.
 */
HQ_API const hq_error* hq_last_error(void);

/**
 * The stable lower-case name of a status, e.g. "not_found" for HQ_NOT_FOUND, "unknown" for a
 * value this library does not know.
 *
 * @return a static string owned by the library; never NULL.
 */
HQ_API const char* hq_status_name(hq_status status);

/**
 * Frees a string or buffer that a houqin function returned through an output parameter.
 * Destructor. Passing NULL does nothing. Never pass memory that houqin did not allocate.
 */
HQ_API void hq_free(void* ptr);

/**
 * The version of the loaded library as major * 10000 + minor * 100 + patch. A host compares it
 * with HQ_VERSION_NUMBER from the headers it was compiled with to detect a mismatch.
 */
HQ_API int hq_version_number(void);

/** The version of the loaded library, e.g. "0.1.0"; a static string, never NULL. */
HQ_API const char* hq_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_COMMON_H */
