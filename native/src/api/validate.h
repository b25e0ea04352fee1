/*
 * validate.h: every check the entry points make before touching memory.
 *
 * Metadata checks (shapes, dtypes, options, pointer presence, memory space
 * and aliasing) that hold for any device. The content of labels and
 * coefficients is checked by each backend on its own copy or device
 * (cpu/labels.h, cuda/ce_validate.cu).
 * Every message names the argument and, where there is one, the first bad
 * index, so the Java layer can pass it on verbatim.
 */
#ifndef REWEIGH_API_VALIDATE_H
#define REWEIGH_API_VALIDATE_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {

/* Shapes, dtypes and pointer presence of a batch. */
void validate_batch(const reweigh_ce_batch_t* batch);
/* Ranges of every option; returns the row-math parameters. */
RowParams validate_options(const reweigh_ce_options_t* options);
/* Gradient buffer: presence, stride, and no partial overlap with the logits. */
void validate_grad(const reweigh_ce_batch_t& batch, const reweigh_ce_grad_t* grad);
/*
 * UNSUPPORTED for a CUDA batch in a CPU-only build, before any memory-space check: there every
 * pointer reads as host memory, and "built without CUDA" is the actionable answer.
 */
void require_cuda_build(const reweigh_ce_batch_t& batch);

/*
 * Whether the pointers of this batch can be checked for their memory space:
 * always for CUDA batches, for CPU batches only when a CUDA context exists.
 */
bool needs_memory_probe(const reweigh_ce_batch_t& batch);
/* Every non-null pointer lives in the batch's memory space (detectable only with CUDA; skipped unless probe). */
void validate_memory_space(const reweigh_ce_batch_t& batch, bool probe, const void* ptr, const char* name);

/*
 * No output overlaps an input or another output (docs/design.md §3). Byte
 * extents are computed with overflow checks: an extent that wraps the address
 * space is itself an INVALID_ARGUMENT. The one allowed overlap is the
 * documented in-place gradient, grad->data == logits with the logits' row
 * stride. Interleaved strided layouts count as overlapping (the check is on
 * each buffer's [first, last] byte interval). NULL buffers take no part.
 */
void validate_no_aliasing(const reweigh_ce_batch_t& batch, const reweigh_ce_stats_t* stats, const float* row_lse_in,
                          const float* coefficients, const reweigh_ce_grad_t* grad, const double* total);

/* A buffer of `count` elements of `elem` bytes for validate_no_aliasing_with (NULL takes no part). */
struct Buffer {
    const char* name;
    const void* ptr;
    int64_t count;
    int64_t elem;
    bool output;
};

/* The same rule over logits, targets, offsets, grad and up to 16 more buffers. */
void validate_no_aliasing_with(const reweigh_ce_batch_t& batch, const reweigh_ce_grad_t& grad, const Buffer* extra,
                               size_t n_extra);

}  // namespace reweigh

#endif
