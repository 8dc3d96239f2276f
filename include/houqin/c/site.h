/* houqin C ABI, site (基础档案): the hospital's digital model as one JSON document
 * ("houqin.hospital" format, docs/site.md): import it all or nothing, export it, summarise it.
 * Single campuses, rooms, staff, ... are read and written with the entity API (houqin/c/entity.h).
 */
#ifndef HOUQIN_C_SITE_H
#define HOUQIN_C_SITE_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Imports a hospital document. All or nothing: on any error the store is unchanged.
 *
 * @param out_report_json  receives `{"inserted": {"rooms": 292, ...}, "total": n}` (caller frees
 *                         with hq_free()); may be NULL when not needed; NULL on failure
 * @param store            a migrated store
 * @param actor            who imports; needs site.edit (the import is audited)
 * @param document_json    the document as UTF-8 JSON text
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, malformed JSON or a bad entry (the
 *         message names the entry and field, e.g. "rooms[3].type: unknown value 'lab' ...");
 *         HQ_ALREADY_EXISTS when a code is already stored; HQ_PERMISSION_DENIED without site.edit.
 */
HQ_API hq_status hq_site_import_hospital(char** out_report_json, hq_store* store,
                                         const hq_actor* actor, const char* document_json);

/**
 * Reads a hospital document from a file and imports it, as hq_site_import_hospital().
 *
 * @param path  the file's path (UTF-8)
 * @return as hq_site_import_hospital(), and HQ_NOT_FOUND when the file cannot be read.
 */
HQ_API hq_status hq_site_import_hospital_file(char** out_report_json, hq_store* store,
                                              const hq_actor* actor, const char* path);

/**
 * Exports the whole site model as a hospital document that hq_site_import_hospital() accepts.
 * Personal fields (staff phones) are masked unless the actor holds protect.unmask; every export
 * is audited, saying whether it was masked.
 *
 * @param out_json  receives the document (caller frees with hq_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_site_export_hospital(char** out_json, hq_store* store, const hq_actor* actor);

/**
 * Counts for an overview: `{"campuses": 1, "buildings": 6, "rooms": 292, "beds": ...,
 * "rooms_by_type": {"ward": 120, ...}, "departments_by_kind": {...}, "staff_by_skill": {...}}`.
 *
 * @param out_json  receives the summary (caller frees with hq_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_site_summary(char** out_json, hq_store* store);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_SITE_H */
