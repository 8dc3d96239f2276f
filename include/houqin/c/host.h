/* houqin C ABI, host: runs the platform's reactions to the durable event log (the "wiring"
 * consumer: reminders, equipment faults, stock releases, alarm work orders) and its timed jobs
 * (the SLA check, event retention) in a process of the vendor's choosing. Several hosts may run
 * against one store: for each consumer and for the scheduler one of them is active (a lease in the
 * store) and the others stand by and take over within the lease's ttl (6 s by default). A change
 * made through hq_call in any process is reacted to once, by the active host, after it commits. */
#ifndef HOUQIN_C_HOST_H
#define HOUQIN_C_HOST_H

#include "houqin/c/common.h"
#include "houqin/c/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque host: its own store connection, consumers, jobs and (once started) thread. Created
 *  by hq_host_open(); destroyed with hq_host_free(). Its functions may be called from any thread.
 */
typedef struct hq_host hq_host;

/**
 * Opens a host on a connection of its own. Constructor. Not started: call hq_host_start() for
 * its own thread, or hq_host_run_once() from a loop of yours.
 *
 * @param out          receives the new handle, owned by the caller, who must destroy it with
 *                     hq_host_free(); set to NULL on failure
 * @param url          the store, as for hq_store_open(); migrated already (hq_store_migrate())
 * @param store_opts   options of the host's connection (keys, lock timeout), or NULL
 * @param config_json  NULL or "{}" for the defaults, or a JSON object
 *                     {"host": {"holder", "lease_ttl", "idle", "event_retention"},
 *                      "wiring": {"release_reservations", "equipment_faults", "reminders",
 *                                 "alarm_orders_from", "sla_tick", "retry"},
 *                      "delivery": {"every", "channels": {"sms", "call", "webhook"}},
 *                      "telemetry": {"wal_dir", "acquire", "nominal_voltage"}}
 *                     ("telemetry" present: the host also runs the telemetry runtime from the
 *                     stored point map and polls its devices; a file or server URL only)
 *                     with durations as ISO-8601 text ("PT6S"); hq_operation-style schema in
 *                     docs/c-abi.md. Unknown fields are refused.
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL `out` or `url`, malformed or unknown config
 *         (naming the field) or a bad option; HQ_UNAVAILABLE when the store cannot be reached.
 */
HQ_API hq_status hq_host_open(hq_host** out, const char* url, const hq_store_options* store_opts,
                              const char* config_json);

/** Stops the host (hq_host_stop()) and frees it. Destructor. NULL does nothing. */
HQ_API void hq_host_free(hq_host* host);

/**
 * Starts the host's own thread: it takes the leases it can, reacts to what other processes
 * commit (woken by PostgreSQL's NOTIFY or SQLite's commit signal), runs the due jobs, and keeps
 * its leases renewed. Starting a started host does nothing.
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL host.
 */
HQ_API hq_status hq_host_start(hq_host* host);

/**
 * Stops the thread (after its current round) and releases the leases held, so a standby host
 * takes over at once. Stopping a stopped host does nothing.
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL host.
 */
HQ_API hq_status hq_host_stop(hq_host* host);

/**
 * One round on the calling thread (for hosts with a loop of their own; not while started): take
 * or renew leases, react to the events that follow each held consumer's checkpoint, replay the
 * dead letters an operator asked for, run the due jobs.
 *
 * @param out_json  receives {"handled", "replayed", "ran", "more"} (free with hq_free()), or
 *                  NULL when not wanted; "more" asks for another round at once
 * @return HQ_OK; HQ_FAILED_PRECONDITION while the host's thread runs; HQ_UNAVAILABLE when the
 *         store cannot be reached.
 */
HQ_API hq_status hq_host_run_once(char** out_json, hq_host* host);

/**
 * The host's status as of its last round: {"holder", "last_event", "consumers": [{"name",
 * "active", "lease_holder", "position", "lag", "attempts", "last_error", "dead_letters"}],
 * "scheduler_active", "scheduler_holder", "rounds"}. Free with hq_free(). The same for the whole
 * store, seen from any process, is the operation "host.status" (hq_call).
 */
HQ_API hq_status hq_host_status(char** out_json, hq_host* host);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_HOST_H */
