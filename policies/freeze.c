/*
 * freeze.c - the freeze gate: no automerge inside a freeze window (org-wide or the
 * repo's own). WAITs until the last overlapping window that holds now has ended.
 */
#include "gates.h"

void gate_freeze(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct freeze_fact *hit = NULL;
    int64_t until = now_ms;
    /* windows may chain (one ends as the next starts): follow them to the real end */
    for (bool moved = true; moved;) {
        moved = false;
        for (size_t i = 0; i < f->nfreezes; i++) {
            const struct freeze_fact *z = &f->freezes[i];
            if (z->from_ms <= until && until < z->to_ms) {
                if (hit == NULL)
                    hit = z;
                until = z->to_ms;
                moved = true;
            }
        }
    }
    if (hit == NULL) {
        gate_set(out, VERDICT_PASS, 0, "no freeze in effect");
        return;
    }
    gate_set(out, VERDICT_WAIT, until, "%s freeze in effect: %s", hit->scope, hit->reason);
}
