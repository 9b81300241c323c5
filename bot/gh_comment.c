/*
 * gh_comment.c - the comment body as JSON ({"body": text}), capped at GitHub's 65536
 * characters' worth of bytes and then some: a longer text is refused, not cut.
 */
#include "gh_comment.h"

#include "buf.h"
#include "err.h"

#include <stdio.h>

int gh_comment_post(struct gh_client *c, int64_t installation, const char *repo, int64_t number,
                    const char *text, gh_done_fn fn, void *priv)
{
    if (c == NULL)
        return FB_ERR_UNAVAILABLE;
    struct buf body = BUF_INIT(256 * 1024);
    int rc = buf_appends(&body, "{\"body\":\"");
    rc = rc ? rc : buf_append_json_escaped(&body, text);
    rc = rc ? rc : buf_appends(&body, "\"}");
    char path[600];
    int n = snprintf(path, sizeof(path), "/repos/%s/issues/%lld/comments", repo, (long long)number);
    if (rc == 0 && (n < 0 || (size_t)n >= sizeof(path)))
        rc = FB_ERR_TOO_LARGE;
    if (rc == 0) {
        struct gh_request req = {.method = "POST",
                                 .path = path,
                                 .installation_id = installation,
                                 .body = buf_cstr(&body)};
        rc = gh_request_send(c, &req, fn, priv);
    }
    buf_free(&body);
    return rc;
}
