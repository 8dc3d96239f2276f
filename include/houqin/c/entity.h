/* houqin C ABI, entities: every exposed entity (rooms, departments, staff, devices, ...) by its
 * collection name, with JSON in and out. The JSON form is derived from the C++ type's description,
 * so a new entity or field needs no C code: see hq_entity_names() and docs/c-abi.md.
 * Every call takes the actor it acts for (houqin/c/auth.h): reads and writes need the type's
 * permissions, every change is audited, personal fields (a staff member's phone) come back masked
 * ("138****1234") unless the actor holds protect.unmask or the type's read-personal permission,
 * and every read that returns personal data is audited.
 * Strings are UTF-8 and NUL-terminated. JSON handed out is allocated by the library and freed by
 * the caller with hq_free(). */
#ifndef HOUQIN_C_ENTITY_H
#define HOUQIN_C_ENTITY_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** For hq_entity_remove(): delete whatever the stored version is. Stored versions start at 1. */
#define HQ_ANY_VERSION 0

/**
 * The collection names the library exposes, as a JSON array of strings in alphabetical order, e.g.
 * `["buildings","campuses",...]`.
 *
 * @param out_json  receives the array; the caller frees it with hq_free(); NULL on failure
 * @param store     the store
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_entity_names(char** out_json, hq_store* store);

/**
 * Stores an entity: inserts it when `json` has no "id" (or id 0), otherwise updates the stored
 * entity with that id if its "version" is still the stored one. An update replaces the whole
 * entity: read it with hq_entity_get(), change it, put it back. Fields left out take their
 * defaults; unknown fields are rejected.
 *
 * @param out_json  receives the stored entity with its id and new version (caller frees with
 *                  hq_free()); may be NULL when not needed; NULL on failure
 * @param store     the store
 * @param actor     who acts (needs the type's write permission, e.g. site.edit)
 * @param entity    a collection name from hq_entity_names(), e.g. "rooms"
 * @param json      one JSON object
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, malformed JSON, an unknown field, a wrong
 *         type or a failed validation (the message names the field); HQ_NOT_FOUND for an unknown
 *         entity name or an update of an id that does not exist; HQ_CONFLICT when the version is
 *         stale; HQ_ALREADY_EXISTS when a unique key is taken; HQ_FAILED_PRECONDITION when a
 *         referenced row does not exist; HQ_PERMISSION_DENIED when the actor may not write this
 *         type (the attempt is audited). On failure nothing is stored.
 */
HQ_API hq_status hq_entity_put(char** out_json, hq_store* store, const hq_actor* actor,
                               const char* entity, const char* json);

/**
 * Reads one entity by id.
 *
 * @param out_json  receives the entity as a JSON object (caller frees with hq_free()); NULL on
 *                  failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument; HQ_NOT_FOUND for an unknown entity name
 *         or an id that does not exist; HQ_PERMISSION_DENIED when the actor may not read the type.
 */
HQ_API hq_status hq_entity_get(char** out_json, hq_store* store, const hq_actor* actor,
                               const char* entity, int64_t id);

/**
 * Finds entities with a JSON query:
 * `{"where": [{"column": "type", "op": "eq", "value": "ward"}],
 *   "order_by": [{"column": "code", "descending": false}], "limit": 20, "offset": 0}`.
 * Every key is optional; ops are eq ne lt le gt ge in contains is_null not_null.
 *
 * @param out_json    receives `{"items": [...], "total": n}` where total counts every match
 *                    regardless of limit and offset (caller frees with hq_free()); NULL on failure
 * @param query_json  the query, or NULL for every entity in id order
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, malformed JSON, an unknown column or op
 *         or a value of the wrong type, or a filter on a personal (sealed) field; HQ_NOT_FOUND for
 *         an unknown entity name; HQ_PERMISSION_DENIED when the actor may not read the type.
 */
HQ_API hq_status hq_entity_find(char** out_json, hq_store* store, const hq_actor* actor,
                                const char* entity, const char* query_json);

/**
 * Called by hq_entity_each() with one entity as a JSON object. `item_json` is owned by the
 * library and valid only during the call. Return 0 to go on, anything else to stop. The callback
 * may call any houqin function, on this store too; it must not throw or longjmp.
 */
typedef int (*hq_entity_each_cb)(const char* item_json, void* payload);

/**
 * Calls `callback` for every entity that `query_json` finds (see hq_entity_find()), in order.
 * The matches are read first and the store's lock is released before the first callback, so a
 * callback may read and write the store; it sees the result as it was when the call began.
 *
 * @param callback  called once per entity, in the calling thread
 * @param payload   passed to every callback untouched
 * @return HQ_OK, also when the callback stopped early; the errors of hq_entity_find().
 */
HQ_API hq_status hq_entity_each(hq_store* store, const hq_actor* actor, const char* entity,
                                const char* query_json, hq_entity_each_cb callback, void* payload);

/**
 * Deletes one entity by id.
 *
 * @param expected_version  the version you read, to refuse deleting a row someone changed since;
 *                          HQ_ANY_VERSION to delete whatever is stored
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument or a negative version; HQ_NOT_FOUND for
 *         an unknown entity name or an id that does not exist; HQ_CONFLICT when the stored version
 *         differs; HQ_FAILED_PRECONDITION when other rows still refer to it;
 *         HQ_PERMISSION_DENIED when the actor may not write the type. On failure nothing is
 * deleted.
 */
HQ_API hq_status hq_entity_remove(hq_store* store, const hq_actor* actor, const char* entity,
                                  int64_t id, int64_t expected_version);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_ENTITY_H */
