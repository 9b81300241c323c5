/*
 * gh_comment.h - posts a comment on an issue or pull request: the one place that turns
 * text into POST /repos/{o}/{r}/issues/{n}/comments. Replies to commands, opt-out
 * notices and Firewatch's word to an implicated PR all go through it.
 */
#ifndef FLEETBOT_GH_COMMENT_H
#define FLEETBOT_GH_COMMENT_H

#include "gh_client.h"

#include <stdint.h>

/* gh_request_send's contract: 0 and fn called once later, or nonzero and fn never called
 * (also when c is NULL or the text cannot be encoded). text is copied. */
int gh_comment_post(struct gh_client *c, int64_t installation, const char *repo, int64_t number,
                    const char *text, gh_done_fn fn, void *priv);

#endif
