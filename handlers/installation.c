/*
 * installation.c - the App was installed, removed, suspended or given new permissions:
 * keep the set of installations and the repositories each one serves.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <string.h>

int handle_installation(struct handler_ctx *ctx, struct fb_error *err)
{
    const char *action = json_path_str(ctx->payload, "action");
    int64_t id = json_path_int(ctx->payload, "installation.id", 0);
    if (action == NULL || id <= 0)
        return fb_error_set(err, FB_ERR_INVALID,
                            "installation payload lacks action or installation.id");
    if (strcmp(action, "deleted") == 0) {
        store_installation_delete(ctx->batch, id);
        return 0;
    }
    bool suspended = strcmp(action, "suspend") == 0;
    if (!suspended && strcmp(action, "created") != 0 && strcmp(action, "unsuspend") != 0 &&
        strcmp(action, "new_permissions_accepted") != 0)
        return HANDLER_NOT_MINE;
    store_installation_upsert(ctx->batch, id,
                              json_path_str(ctx->payload, "installation.account.login"),
                              json_path_str(ctx->payload, "installation.target_type"), suspended);
    size_t i;
    json_t *r;
    json_array_foreach(json_path(ctx->payload, "repositories"), i, r)
    {
        const char *name = json_path_str(r, "full_name");
        if (name && strchr(name, '/'))
            store_installation_repo(ctx->batch, id, name, true);
    }
    return 0;
}

int handle_installation_repositories(struct handler_ctx *ctx, struct fb_error *err)
{
    const char *action = json_path_str(ctx->payload, "action");
    int64_t id = json_path_int(ctx->payload, "installation.id", 0);
    if (action == NULL || id <= 0)
        return fb_error_set(err, FB_ERR_INVALID,
                            "installation_repositories payload lacks action or installation.id");
    bool added = strcmp(action, "added") == 0;
    if (!added && strcmp(action, "removed") != 0)
        return HANDLER_NOT_MINE;
    json_t *list = json_path(ctx->payload, added ? "repositories_added" : "repositories_removed");
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        const char *name = json_path_str(r, "full_name");
        if (name && strchr(name, '/'))
            store_installation_repo(ctx->batch, id, name, added);
    }
    return 0;
}
