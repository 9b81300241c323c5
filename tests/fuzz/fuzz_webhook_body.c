/*
 * fuzz_webhook_body.c - the worker's parsers of untrusted bodies: decode a delivery body
 * (first byte selects json or form) and run the GitHub-JSON-to-facts translation and the
 * gates over whatever it yields. Nothing may crash, leak or read out of bounds.
 */
#include "bot/err.h"
#include "bot/evaluator_facts.h"
#include "bot/worker.h"
#include "policies/gates.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *kind = (data[0] & 1) ? "form" : "json";
    struct fb_error err = {0};
    json_t *v = worker_decode_body(kind, (const char *)data + 1, size - 1, &err);
    if (v == NULL)
        return 0;
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    json_t *pr = json_object_get(v, "pull_request");
    facts_from_pr(&f, &st, pr ? pr : v);
    facts_from_checks(&f, &st, json_object_get(v, "branch"), json_object_get(v, "rules"), v,
                      json_object_get(v, "status"));
    f.automerge_label = "fleetbot/automerge";
    f.hold_label = "fleetbot/hold";
    struct decision d;
    gates_evaluate(&f, 0, &d);
    facts_storage_free(&st);
    json_decref(v);
    return 0;
}
