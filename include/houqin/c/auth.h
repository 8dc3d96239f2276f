/* houqin C ABI, auth: who is acting. Every call that changes data or reads personal data takes an
 * hq_actor. A person signs in with a login and password (hq_auth_login) and gets an actor plus a
 * session token to resume later; a trusted process acting on its own (an HIS interface, the
 * telemetry daemon) makes a service actor with exactly the permissions it needs. Accounts and
 * roles are managed through hq_call() ("auth.create_user", "auth.define_role", "auth.grant", ...).
 * Conventions: docs/c-abi.md; the rules (lockout, expiry, separated duties): docs/security.md. */
#ifndef HOUQIN_C_AUTH_H
#define HOUQIN_C_AUTH_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * First start of an empty store: creates the built-in roles system_admin, security_admin and
 * auditor and one account for each (the three separated administrator duties).
 *
 * @param store          a migrated store
 * @param accounts_json  `{"system_admin": {"login": ..., "display_name": ..., "password": ...},
 *                       "security_admin": {...}, "auditor": {...}}`
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument, malformed JSON or a password that breaks
 *         the password rules (the message names the rule); HQ_FAILED_PRECONDITION when any account
 *         exists already.
 */
HQ_API hq_status hq_auth_bootstrap(hq_store* store, const char* accounts_json);

/**
 * Checks a password and opens a session.
 *
 * @param out        receives the actor (free with hq_actor_free()); NULL on failure
 * @param out_token  receives the session token for hq_auth_resume() and hq_auth_logout() (caller
 *                   frees with hq_free()); may be NULL when not needed; NULL on failure. The
 *                   library keeps only its digest: this is the one copy.
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument; HQ_UNAUTHENTICATED for an unknown
 *         login, a wrong password, a locked or disabled account (every attempt is audited; the
 *         fifth failure in a row locks the account for 30 minutes by default).
 */
HQ_API hq_status hq_auth_login(hq_actor** out, char** out_token, hq_store* store, const char* login,
                               const char* password);

/**
 * The actor of a live session; refreshes its idle timer.
 *
 * @param out  receives the actor (free with hq_actor_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument; HQ_UNAUTHENTICATED when the token is
 *         unknown, revoked, idle too long or past its absolute limit.
 */
HQ_API hq_status hq_auth_resume(hq_actor** out, hq_store* store, const char* token);

/**
 * Ends a session; later hq_auth_resume() calls with its token fail. Actors already made from it
 * keep their permissions until freed.
 *
 * @return HQ_OK, also for a token that is already ended; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_auth_logout(hq_store* store, const char* token);

/**
 * A trusted in-process actor that holds exactly the listed permissions, globally, audited as
 * "service:<name>". For a host's own processes (an interface engine, a telemetry daemon), never
 * for people: anyone who can call this can act with any permission, so it is as powerful as
 * access to the database itself.
 *
 * @param out               receives the actor (free with hq_actor_free()); NULL on failure
 * @param name              e.g. "his-interface"; non-empty
 * @param permissions_json  a JSON array of permission names, e.g. `["repair.report"]`
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL or empty argument, malformed JSON or an unknown
 *         permission (named).
 */
HQ_API hq_status hq_actor_service(hq_actor** out, const char* name, const char* permissions_json);

/**
 * Describes an actor: `{"label": "user:li", "user_id": 7, "permissions": ["repair.work", ...]}`
 * (user_id is null for a service actor).
 *
 * @param out_json  receives the description (caller frees with hq_free()); NULL on failure
 * @return HQ_OK; HQ_INVALID_ARGUMENT for a NULL argument.
 */
HQ_API hq_status hq_actor_describe(char** out_json, const hq_actor* actor);

/** Destroys an actor. Destructor; NULL does nothing. Does not end the session (hq_auth_logout). */
HQ_API void hq_actor_free(hq_actor* actor);

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_AUTH_H */
