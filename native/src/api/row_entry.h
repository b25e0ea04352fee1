/*
 * row_entry.h: the first checks of the entry points that take per-row arrays
 * and write a gradient (token_api.cpp, policy_api.cpp), written once: the
 * batch, options and grad structs copied once, so every check and the
 * backend see one consistent description whatever the caller's memory does
 * meanwhile, then their metadata and memory-space checks (validate.h).
 */
#ifndef REWEIGH_API_ROW_ENTRY_H
#define REWEIGH_API_ROW_ENTRY_H

#include "../common/errors.h"
#include "reweigh/reweigh.h"
#include "validate.h"

namespace reweigh {

struct RowEntry {
    reweigh_ce_batch_t b;
    reweigh_ce_options_t o;
    reweigh_ce_grad_t g;
    RowParams params;
    bool probe; /* whether pointers get memory-space checks (needs_memory_probe) */
};

/* Copies and checks batch, options and grad, with the memory spaces of logits, targets, offsets and grad. */
inline RowEntry enter_rows(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                           const reweigh_ce_grad_t* grad) {
    REWEIGH_CHECK_ARG(batch != nullptr, "batch is NULL");
    REWEIGH_CHECK_ARG(options != nullptr, "options is NULL");
    REWEIGH_CHECK_ARG(grad != nullptr, "grad is NULL");
    RowEntry e{*batch, *options, *grad, {}, false};
    validate_batch(&e.b);
    require_cuda_build(e.b);
    e.params = validate_options(&e.o);
    validate_grad(e.b, &e.g);
    e.probe = needs_memory_probe(e.b);
    validate_memory_space(e.b, e.probe, e.b.logits, "logits");
    validate_memory_space(e.b, e.probe, e.b.targets, "targets");
    validate_memory_space(e.b, e.probe, e.b.offsets, "offsets");
    validate_memory_space(e.b, e.probe, e.g.data, "grad");
    return e;
}

}  // namespace reweigh

#endif
