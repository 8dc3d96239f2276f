/* houqin C ABI, telemetry: one process's telemetry runtime behind an opaque hq_telemetry handle
 * (the C++ houqin::telemetry::Runtime). Samples go in as arrays of plain C structs (no JSON on the
 * hot path), run through verify -> alarm -> store on the runtime's pipeline thread, and come back
 * with range queries into caller buffers or library buffers. Alarm events reach the host through
 * callbacks; vendor drivers (houqin/c/driver.h) feed readings in through hq_acquisition_start().
 * Threads and callbacks: docs/c-abi.md ("Telemetry"). */
#ifndef HOUQIN_C_TELEMETRY_H
#define HOUQIN_C_TELEMETRY_H

#include "houqin/c/common.h"
#include "houqin/c/driver.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An opaque telemetry runtime: its own store handles, the alarm engine, the pipeline and its
 * thread. Created by hq_telemetry_open(); destroyed with hq_telemetry_free(). Every function on it
 * may be called from any thread.
 */
typedef struct hq_telemetry hq_telemetry;

/** An opaque callback registration; destroyed with hq_subscription_free(). */
typedef struct hq_subscription hq_subscription;

/** An opaque running acquisition (a driver polling a point map); hq_acquisition_free() stops it. */
typedef struct hq_acquisition hq_acquisition;

/** The verification flag of a sample (houqin::telemetry::Flag), append-only. */
typedef enum hq_flag {
  HQ_FLAG_NOT_EVALUATED = 0, /**< no test could run */
  HQ_FLAG_PASS = 1,          /**< every test that ran passed */
  HQ_FLAG_SUSPECT = 2,       /**< a test found it doubtful (rate of change, flat line, ...) */
  HQ_FLAG_FAIL = 3           /**< a test found it wrong (gross range, spike, bad reading) */
} hq_flag;

/**
 * One measurement of one point: 32 bytes, the same layout as the C++ houqin::telemetry::Sample,
 * so arrays of it pass into the pipeline without conversion. Padding after `quality` is ignored.
 */
typedef struct hq_sample {
  int64_t point_id; /**< the store id of the point (houqin "points" entity) */
  int64_t time_us;  /**< UTC microseconds since 1970-01-01T00:00:00Z */
  double value;     /**< engineering units; NaN when the reading was not good */
  uint8_t quality;  /**< an hq_quality (houqin/c/driver.h); HQ_QUALITY_GOOD is 0 */
  int32_t flag;     /**< an hq_flag; set by verification, pass HQ_FLAG_NOT_EVALUATED */
} hq_sample;

/** What hq_telemetry_push() does when the queue is full. */
typedef enum hq_full_policy {
  HQ_FULL_BLOCK = 0, /**< wait for room, at most block_timeout_ms */
  HQ_FULL_REJECT = 1 /**< return at once with what fitted */
} hq_full_policy;

/** The newest hq_telemetry_options version this header describes. */
#define HQ_TELEMETRY_OPTIONS_VERSION 1

/**
 * Options for hq_telemetry_open(); versioned like hq_store_options (docs/c-abi.md): initialise
 * with HQ_TELEMETRY_OPTIONS_INIT or hq_telemetry_options_init(), then change what you need.
 */
typedef struct hq_telemetry_options {
  unsigned int version; /**< HQ_TELEMETRY_OPTIONS_VERSION of the headers you compiled with */
  /** Key file for personal data, as hq_store_options.key_file; NULL: HOUQIN_KEYS. */
  const char* key_file;
  /** Directory of the write-ahead log (created if missing): acknowledged samples survive a crash.
   *  NULL or "": no log, samples are durable only once their blocks are written. */
  const char* wal_dir;
  size_t batch_size;    /**< samples per pipeline batch (default 4096; not 0) */
  size_t queue_batches; /**< queue capacity in batches (default 16; not 0) */
  int when_full;        /**< an hq_full_policy (default HQ_FULL_BLOCK) */
  int block_timeout_ms; /**< HQ_FULL_BLOCK: the longest a push waits for room (default 1000) */
  int max_age_ms;       /**< a partly filled batch goes out after this long (default 100) */
  int busy_timeout_ms;  /**< the runtime's SQLite lock timeout (default 5000) */
  /** Non-zero (default): while open, the runtime serves the telemetry.* alarm operations of
   *  hq_call() (telemetry.acknowledge_alarm, telemetry.shelve_alarm, ...). One runtime per
   *  process may serve them. */
  int serve_alarm_operations;
  /** Nominal phase voltage for a configuration built from the point map (default 230). */
  double nominal_voltage;
} hq_telemetry_options;

/** The defaults, for `hq_telemetry_options opts = HQ_TELEMETRY_OPTIONS_INIT;`. */
#define HQ_TELEMETRY_OPTIONS_INIT \
  { HQ_TELEMETRY_OPTIONS_VERSION, NULL, NULL, 4096, 16, HQ_FULL_BLOCK, 1000, 100, 5000, 1, 230.0 }

/**
 * Fills `opts` with the defaults of options version `version` (for FFIs without macros).
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL `opts` or a version of 0 or newer than known.
 */
HQ_API hq_status hq_telemetry_options_init(hq_telemetry_options* opts, unsigned int version);

/**
 * The telemetry configuration (verification, alarm limits, storage) that houqin's medical gas and
 * electricity profiles give the store's point map, as JSON:
 * `{"alarms": [...], "checks": [...], "storage": [...], "verify": [...]}`. Change it and pass it
 * to hq_telemetry_open(), or pass NULL there to use it as it is.
 *
 * @param out_json         receives the configuration (caller frees with hq_free()); NULL on
 *                         failure
 * @param store            a migrated store holding a point map (devices and points)
 * @param nominal_voltage  nominal phase voltage of electricity points, e.g. 230 (> 0)
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument or a voltage that is not > 0, or a
 *         stored map that does not validate (the message names the entry).
 */
HQ_API hq_status hq_telemetry_config_from_point_map(char** out_json, hq_store* store,
                                                    double nominal_voltage);

/**
 * Opens a telemetry runtime on a store and starts its pipeline thread. Constructor.
 *
 * @param out          receives the handle (caller destroys it with hq_telemetry_free()); NULL on
 *                     failure
 * @param url          a SQLite file or PostgreSQL URL (as hq_store_open(); the runtime opens its
 *                     own handles, so `sqlite::memory:` is refused); migrations must be applied
 * @param opts         options, or NULL for the defaults; read during the call only
 * @param config_json  a TelemetryConfig as JSON (see hq_telemetry_config_from_point_map()), or
 *                     NULL to build it from the store's point map
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL `out` or `url`, an in-memory URL, bad options,
 *         malformed JSON or a bad configuration (the message names the field or point);
 *         HQ_FAILED_PRECONDITION when the store's migrations are missing; HQ_UNAVAILABLE when the
 *         database cannot be opened.
 */
HQ_API hq_status hq_telemetry_open(hq_telemetry** out, const char* url,
                                   const hq_telemetry_options* opts, const char* config_json);

/**
 * Stops accepting samples, runs everything accepted through every stage, writes the open blocks,
 * stops the pipeline thread and frees the handle. Destructor. NULL does nothing. Callbacks
 * registered on it are not called any more; their hq_subscription handles must still be freed.
 * No other thread may use the handle meanwhile, and it must not be called from a callback.
 */
HQ_API void hq_telemetry_free(hq_telemetry* telemetry);

/**
 * Copies samples into the pipeline's queue; never allocates. Thread-safe. The samples of one call
 * keep their order and are accepted as a prefix.
 *
 * @param out_accepted  receives how many samples (a prefix) were accepted; may be NULL
 * @param telemetry     the runtime
 * @param samples       `count` samples (flags are ignored: verification sets them); copied
 * @param count         may be 0 (then `samples` may be NULL)
 * @return HQ_OK when all were accepted; HQ_RESOURCE_EXHAUSTED when the queue was full (under
 *         HQ_FULL_BLOCK: for block_timeout_ms): push the rest again later; HQ_FAILED_PRECONDITION
 *         when called from an alarm callback (the pipeline thread would wait for itself) or
 *         after the runtime was closed; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_telemetry_push(size_t* out_accepted, hq_telemetry* telemetry,
                                   const hq_sample* samples, size_t count);

/**
 * hq_telemetry_push(), then waits until the accepted samples are durable (verified, alarmed and in
 * the write-ahead log or in stored blocks).
 *
 * @param timeout_ms  the longest wait for durability (>= 0)
 * @return as hq_telemetry_push(); HQ_DEADLINE_EXCEEDED when the samples were not durable in
 *         time; HQ_UNAVAILABLE when storing failed (the samples are counted as failed in the
 *         stats).
 */
HQ_API hq_status hq_telemetry_push_and_wait(size_t* out_accepted, hq_telemetry* telemetry,
                                            const hq_sample* samples, size_t count, int timeout_ms);

/**
 * Waits until every sample accepted so far is durable.
 * @return HQ_OK; HQ_DEADLINE_EXCEEDED after `timeout_ms`; HQ_UNAVAILABLE when storing failed
 *         since the last sync; HQ_FAILED_PRECONDITION from an alarm callback;
 *         HQ_INVALID_ARGUMENT for a NULL handle or a negative timeout.
 */
HQ_API hq_status hq_telemetry_sync(hq_telemetry* telemetry, int timeout_ms);

/**
 * The samples of one point with from_us <= time < to_us, in time order, into the caller's column
 * buffers, like snprintf: at most `capacity` samples are written, and the number in the range is
 * returned, so a result larger than `capacity` was cut. Call with capacity 0 (and NULL buffers)
 * to learn the size. Samples still queued are not included (hq_telemetry_sync() first).
 *
 * @param out_count  receives the number of samples in the range (possibly > capacity)
 * @param times      `capacity` UTC microsecond times; NULL only when capacity is 0
 * @param values     `capacity` values; NULL only when capacity is 0
 * @param qualities  `capacity` hq_quality values; NULL only when capacity is 0
 * @param flags      `capacity` hq_flag values; NULL only when capacity is 0
 * @return HQ_OK; HQ_NOT_FOUND for a point the runtime does not store; HQ_INVALID_ARGUMENT for a
 *         NULL argument. Safe from an alarm callback.
 */
HQ_API hq_status hq_telemetry_query(size_t* out_count, hq_telemetry* telemetry, int64_t point_id,
                                    int64_t from_us, int64_t to_us, int64_t* times, double* values,
                                    uint8_t* qualities, int32_t* flags, size_t capacity);

/**
 * As hq_telemetry_query(), into one array the library allocates.
 *
 * @param out_samples  receives `*out_count` samples (caller frees with hq_free()); NULL when
 *                     there are none and on failure
 * @param out_count    receives the number of samples
 * @return as hq_telemetry_query(); HQ_RESOURCE_EXHAUSTED when out of memory.
 */
HQ_API hq_status hq_telemetry_query_samples(hq_sample** out_samples, size_t* out_count,
                                            hq_telemetry* telemetry, int64_t point_id,
                                            int64_t from_us, int64_t to_us);

/**
 * The pipeline's and the sample store's counters as JSON, for monitoring: the C++
 * houqin::telemetry::RuntimeStats, member for member (Python's Runtime.stats() has the same
 * names): `{"pipeline": {"accepted", "rejected", "full_events", "processed", "durable",
 * "batches", "aged_batches", "queued", "queue_high_water", "capacity", "stages": [{"name",
 * "batches", "samples", "errors", "failed_samples", "flushes", "time"}]}, "storage": {"points",
 * "open_samples", "memory_bytes", "samples_appended", "blocks_written", "block_bytes_written",
 * "samples_written", "wal_samples_replayed"}, "alarm_callback_errors"}`; a stage's "time" (spent
 * in it) is an ISO-8601 duration ("PT0.0125S"). Safe from an alarm callback.
 * @param out_json  receives the JSON (caller frees with hq_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_telemetry_stats(char** out_json, hq_telemetry* telemetry);

/** What an hq_alarm_event reports. */
typedef enum hq_alarm_event_type {
  HQ_ALARM_RAISED = 1,    /**< an alarm episode is first annunciated */
  HQ_ALARM_CLEARED = 2,   /**< an annunciated episode ended */
  HQ_ALARM_TRANSITION = 3 /**< any state change (raise and clear included), with from/to/cause */
} hq_alarm_event_type;

/** Which alarm of a point (houqin::telemetry::AlarmKind), append-only. */
typedef enum hq_alarm_kind {
  HQ_ALARM_HIHI = 0,
  HQ_ALARM_HI = 1,
  HQ_ALARM_LO = 2,
  HQ_ALARM_LOLO = 3,
  HQ_ALARM_DIGITAL = 4
} hq_alarm_kind;

/** ISA-18.2 priority (houqin::telemetry::Priority), append-only. */
typedef enum hq_alarm_priority {
  HQ_PRIORITY_LOW = 0,
  HQ_PRIORITY_MEDIUM = 1,
  HQ_PRIORITY_HIGH = 2,
  HQ_PRIORITY_CRITICAL = 3
} hq_alarm_priority;

/** ISA-18.2 alarm state (houqin::telemetry::AlarmState), append-only. */
typedef enum hq_alarm_state {
  HQ_ALARM_STATE_NORMAL = 0,
  HQ_ALARM_STATE_UNACKNOWLEDGED = 1,
  HQ_ALARM_STATE_ACKNOWLEDGED = 2,
  HQ_ALARM_STATE_RETURNED_UNACKNOWLEDGED = 3,
  HQ_ALARM_STATE_LATCHED = 4,
  HQ_ALARM_STATE_SHELVED = 5,
  HQ_ALARM_STATE_SUPPRESSED = 6,
  HQ_ALARM_STATE_OUT_OF_SERVICE = 7
} hq_alarm_state;

/**
 * One alarm event, as a callback receives it. `size` is the size of the library's struct: a
 * newer library may append fields, which a host built against older headers simply does not read.
 */
typedef struct hq_alarm_event {
  size_t size;        /**< sizeof(hq_alarm_event) of the library; always first */
  int32_t type;       /**< an hq_alarm_event_type */
  int32_t kind;       /**< an hq_alarm_kind */
  int32_t priority;   /**< an hq_alarm_priority */
  int32_t from_state; /**< HQ_ALARM_TRANSITION: an hq_alarm_state; otherwise 0 */
  int32_t to_state;   /**< HQ_ALARM_TRANSITION: an hq_alarm_state; otherwise 0 */
  int32_t cause;      /**< HQ_ALARM_TRANSITION: houqin::telemetry::AlarmCause; otherwise 0 */
  int64_t point_id;   /**< the point */
  uint64_t episode;   /**< stable id of the episode (activation .. back to normal) */
  int64_t time_us;    /**< sample time (UTC microseconds) of the change */
  double value;       /**< the value that caused it */
} hq_alarm_event;

/**
 * An alarm callback: the transitions the runtime's pipeline makes (alarm operations run through
 * hq_call() act on the caller's store and are not reported here). Called on the pipeline thread,
 * after the change is committed, with no store handle's lock held; the thread holds the runtime's
 * own (recursive) stage lock, so the callback may call hq_telemetry_query(),
 * hq_telemetry_stats(), hq_call(), hq_entity_*() and hq_subscription_free() (even on its own
 * subscription), but must not wait for another thread that queries the same runtime.
 * hq_telemetry_push(), _push_and_wait() and _sync() fail there with HQ_FAILED_PRECONDITION.
 * `event` is valid during the call only. Keep it short: samples wait meanwhile.
 */
typedef void (*hq_alarm_cb)(void* payload, const hq_alarm_event* event);

/**
 * Calls `callback` for every alarm event of the runtime from now on.
 *
 * @param out        receives the subscription (caller frees it with hq_subscription_free(),
 *                   which ends the calls); NULL on failure
 * @param types      a bit set of (1 << hq_alarm_event_type) for the events wanted, or 0 for all
 * @param payload    passed to every call untouched
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument or unknown bits in `types`.
 */
HQ_API hq_status hq_telemetry_on_alarm(hq_subscription** out, hq_telemetry* telemetry,
                                       unsigned int types, hq_alarm_cb callback, void* payload);

/**
 * Ends a subscription and frees it. Destructor. NULL does nothing. When it returns, the callback
 * is not running on any other thread and is never called again (called from the callback itself,
 * the current call finishes normally). May be called after the runtime was freed.
 */
HQ_API void hq_subscription_free(hq_subscription* subscription);

/**
 * Starts acquisition with a vendor driver: every device of the point map is polled at its
 * poll_interval_ms through `driver`, one thread per connection (devices sharing a TCP endpoint or
 * a serial line), and the readings of numeric points are pushed into `telemetry` as samples.
 *
 * @param out             receives the acquisition (hq_acquisition_free() stops it); NULL on
 *                        failure
 * @param telemetry       the runtime the samples go to; must outlive the acquisition
 * @param point_map_json  a point-map document (`{"format": "houqin.point_map", ...}`,
 *                        docs/drivers.md) whose point ids are the ones the runtime stores, or
 *                        NULL for the store's own point map
 * @param driver          the driver's table; copied (only the fields of its version are read)
 * @param payload         passed to every driver function untouched
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, an unknown vtable version, a missing
 *         read_points, malformed JSON or a map that does not validate.
 */
HQ_API hq_status hq_acquisition_start(hq_acquisition** out, hq_telemetry* telemetry,
                                      const char* point_map_json, const hq_driver_vtable* driver,
                                      void* payload);

/**
 * Counters of a running acquisition; each output may be NULL.
 * @param out_pushed   samples the pipeline accepted
 * @param out_dropped  samples it did not (a full or closed queue)
 * @param out_errors   connections whose open() failed, and other poll-thread errors
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL acquisition.
 */
HQ_API hq_status hq_acquisition_stats(uint64_t* out_pushed, uint64_t* out_dropped,
                                      uint64_t* out_errors, hq_acquisition* acquisition);

/**
 * Stops polling (waiting for each connection's current read to return; the driver's close() is
 * called on each connection's thread) and frees the acquisition. Destructor. NULL does nothing.
 */
HQ_API void hq_acquisition_free(hq_acquisition* acquisition);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_TELEMETRY_H */
