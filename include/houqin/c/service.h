/* houqin C ABI, services: every service operation of every domain by name, JSON in and JSON out,
 * e.g. hq_call(&out, store, actor, "repair.report", "{...}"). The operations are the ones the C++
 * services register (houqin::service::operations()); a new operation needs no C code.
 * hq_operations() lists them with the permission each needs, a one-line summary and the JSON
 * Schemas of input and output; hq_operation() gives one. */
#ifndef HOUQIN_C_SERVICE_H
#define HOUQIN_C_SERVICE_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Runs one service operation as `actor`. The operation checks permissions (with the scope of the
 * data it touches), changes data and writes its audit record in one transaction.
 *
 * @param out_json    receives the result as JSON, `{}` when the operation returns nothing
 *                    (caller frees with hq_free()); may be NULL when not needed; NULL on failure
 * @param store       a migrated store
 * @param actor       who acts
 * @param operation   "<domain>.<verb>", e.g. "audit.verify"
 * @param input_json  the operation's input object, or NULL for `{}`
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, malformed JSON, an unknown field or
 *         enum value or a wrong type (the message names the field); HQ_NOT_FOUND for an unknown
 *         operation (the message lists the domain's operations) or a missing entity;
 *         HQ_PERMISSION_DENIED when the actor may not (the attempt is audited);
 *         HQ_FAILED_PRECONDITION for an illegal state transition; the operation's own errors.
 *         On failure nothing is changed.
 */
HQ_API hq_status hq_call(char** out_json, hq_store* store, const hq_actor* actor,
                         const char* operation, const char* input_json);

/**
 * Every operation hq_call() knows, sorted by name, each as hq_operation() gives it:
 * `[{"name": "audit.verify", "permission": "audit.verify", "summary": "...", "input": {...},
 * "output": {...}}, ...]`.
 *
 * @param out_json  receives the list (caller frees with hq_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_operations(char** out_json);

/**
 * One operation: its name, the permission it needs ("" when any signed-in actor may call it), a
 * one-line summary, and the JSON Schemas (draft 2020-12) of its input ("input") and of what it
 * returns ("output"). The input schema lists the fields hq_call() accepts, their types, which
 * are required and the default of the others; see docs/operations.md.
 * Since HOUQIN_C_2.2.
 *
 * @param out_json   receives the object (caller frees with hq_free()); NULL on failure
 * @param operation  "<domain>.<verb>"
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument; HQ_NOT_FOUND for an unknown operation
 *         (the message lists the domain's operations).
 */
HQ_API hq_status hq_operation(char** out_json, const char* operation);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_SERVICE_H */
