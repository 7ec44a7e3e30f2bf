#ifndef RAPPORT_PLUGIN_H
#define RAPPORT_PLUGIN_H

/* Infrastructure plugins: channels that deliver messages (SMTP, SMS,
 * webhooks), authentication providers and attachment storage. A plugin is a
 * module (rapport/module.h: the same entry points, loader and ABI checks)
 * whose init calls host->register_plugin with one of the operation tables
 * below. Each table starts with its own size and, like the host table, only
 * grows at its end; the server calls a member only when the size it was
 * given covers it. */

#include "rapport/module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kinds of infrastructure a plugin may provide. */
typedef enum rp_plugin_kind {
    RP_PLUGIN_CHANNEL = 1, /* delivers outbound messages */
    RP_PLUGIN_AUTH = 2,    /* checks credentials against an outside directory */
    RP_PLUGIN_STORAGE = 3  /* keeps attachment bytes */
} rp_plugin_kind_t;

/* One outbound message: to and body are required, the rest may be NULL. */
typedef struct rp_message {
    uint32_t size;    /* sizeof(rp_message_t) */
    const char *to;   /* an address, a number or a URL, as the channel reads it */
    const char *from; /* NULL: the channel's default */
    const char *subject;
    const char *body;
    const char *content_type; /* "text/plain" when NULL */
} rp_message_t;

/* A channel (name "smtp", "sms", "webhook", ...). */
typedef struct rp_channel_ops {
    uint32_t size; /* sizeof(rp_channel_ops_t) */
    /* Sends msg for the tenant of ctx; writes the provider's message id (or
     * "") into id. Runs on a job worker, never on a request. */
    rp_mstatus_t (*send)(rp_mctx_t *ctx, const rp_message_t *msg, char *id, size_t idlen,
                         void *user);
} rp_channel_ops_t;

/* An authentication provider (name "ldap", "oidc", ...). */
typedef struct rp_auth_ops {
    uint32_t size; /* sizeof(rp_auth_ops_t) */
    /* Checks login and secret for the tenant of ctx: RP_M_OK and the user's
     * e-mail address in email, or RP_M_EFORBIDDEN. */
    rp_mstatus_t (*authenticate)(rp_mctx_t *ctx, const char *login, const char *secret, char *email,
                                 size_t emaillen, void *user);
} rp_auth_ops_t;

/* Attachment storage (name "fs", "s3", ...). Keys are chosen by the server
 * and start with the tenant id. */
typedef struct rp_storage_ops {
    uint32_t size; /* sizeof(rp_storage_ops_t) */
    /* Stores len bytes under key, replacing what was there. */
    rp_mstatus_t (*put)(rp_mctx_t *ctx, const char *key, const void *data, size_t len, void *user);
    /* Reads key into a buffer the plugin allocates with malloc; the server
     * frees it. RP_M_ENOTFOUND when absent. */
    rp_mstatus_t (*get)(rp_mctx_t *ctx, const char *key, void **data, size_t *len, void *user);
    /* Removes key; absent is fine. */
    rp_mstatus_t (*remove)(rp_mctx_t *ctx, const char *key, void *user);
} rp_storage_ops_t;

#ifdef __cplusplus
}
#endif

#endif
