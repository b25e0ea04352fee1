/*
 * token_api.cpp: the entry point with per-row coefficients,
 * reweigh_ce_backward_rows (reweigh.h). Same shape as the entry points of
 * reweigh.cpp: snapshot the structs and check them (row_entry.h), dispatch,
 * every failure a status (errors.h). This file holds no math.
 */
#include <stdint.h>

#include "../common/errors.h"
#include "../cpu/ce_token.h"
#include "../cuda/ce_cuda.h"
#include "reweigh/reweigh.h"
#include "row_entry.h"
#include "validate.h"

using reweigh::guarded;

namespace {

/* [begin, end) bytes of a buffer; empty for NULL. Byte counts were overflow-checked by validate_no_aliasing. */
struct Span {
    uintptr_t begin;
    uintptr_t end;
};

Span span_of(const void* p, uint64_t bytes) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(p);
    return Span{begin, p == nullptr ? begin : begin + static_cast<uintptr_t>(bytes)};
}

/* A [rows] fp32 input that may not overlap the gradient (the aliasing rule of reweigh.h). */
void check_not_in_grad(const reweigh_ce_batch_t& b, const reweigh_ce_grad_t& g, const float* input, const char* name) {
    if (input == nullptr || b.rows == 0) return;
    const uint64_t elem = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const Span grad = span_of(g.data, (static_cast<uint64_t>(b.rows - 1) * static_cast<uint64_t>(g.row_stride) +
                                       static_cast<uint64_t>(b.vocab)) * elem);
    uint64_t bytes = 0;
    uintptr_t end = 0;
    REWEIGH_CHECK_ARG(!__builtin_mul_overflow(static_cast<uint64_t>(b.rows), uint64_t{4}, &bytes) &&
                          !__builtin_add_overflow(reinterpret_cast<uintptr_t>(input), static_cast<uintptr_t>(bytes), &end),
                      "%s: %lld floats run past the end of the address space", name, static_cast<long long>(b.rows));
    const Span in = span_of(input, bytes);
    const bool overlap = grad.begin < grad.end && in.begin < grad.end && grad.begin < in.end;
    REWEIGH_CHECK_ARG(!overlap, "grad overlaps %s: outputs may not alias inputs", name);
}

}  // namespace

extern "C" {

reweigh_status_t reweigh_ce_backward_rows(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                                          const float* row_lse, const float* row_entropy, const float* coefficients,
                                          const float* row_weights, const float* row_entropy_weights,
                                          const reweigh_ce_grad_t* grad) {
    return guarded([&] {
        const reweigh::RowEntry e = reweigh::enter_rows(batch, options, grad);
        const reweigh_ce_batch_t& b = e.b;
        const reweigh_ce_grad_t& g = e.g;
        const bool probe = e.probe;
        const long long rows = static_cast<long long>(b.rows);
        REWEIGH_CHECK_ARG(row_lse != nullptr || b.rows == 0, "rowLse is NULL (rows = %lld)", rows);
        REWEIGH_CHECK_ARG(row_weights != nullptr || b.rows == 0, "rowWeights is NULL (rows = %lld)", rows);
        REWEIGH_CHECK_ARG(row_entropy_weights == nullptr || row_entropy != nullptr || b.rows == 0,
                          "rowEntropy is NULL but rowEntropyWeights is given (rows = %lld)", rows);
        REWEIGH_CHECK_ARG(coefficients != nullptr || b.samples == 0, "coefficients is NULL (samples = %lld)",
                          static_cast<long long>(b.samples));
        reweigh::validate_memory_space(b, probe, row_lse, "rowLse");
        reweigh::validate_memory_space(b, probe, row_weights, "rowWeights");
        reweigh::validate_memory_space(b, probe, row_entropy, "rowEntropy");
        reweigh::validate_memory_space(b, probe, row_entropy_weights, "rowEntropyWeights");
        reweigh::validate_memory_space(b, probe, coefficients, "coefficients");
        reweigh::validate_no_aliasing(b, nullptr, row_lse, coefficients, &g, nullptr);
        check_not_in_grad(b, g, row_weights, "rowWeights");
        const float* entropy_in = row_entropy_weights != nullptr ? row_entropy : nullptr;
        check_not_in_grad(b, g, entropy_in, "rowEntropy");
        check_not_in_grad(b, g, row_entropy_weights, "rowEntropyWeights");
        if (b.device_type == REWEIGH_DEVICE_CUDA) {
            reweigh::cuda::ce_backward_rows(b, e.o, e.params, row_lse, entropy_in, coefficients, row_weights,
                                            row_entropy_weights, g);
        } else {
            reweigh::cpu::ce_backward_rows(b, e.o, e.params, row_lse, entropy_in, coefficients, row_weights,
                                           row_entropy_weights, g);
        }
    });
}

}  // extern "C"
