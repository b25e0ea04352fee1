/*
 * ce_scalar.cpp: the portable CPU variant, element by element through the
 * shared row math of ../common/ce_row.h (the same functions the CUDA kernels
 * call). It is the fallback on CPUs without AVX2 and the reference the
 * vectorised variants are tested against.
 */
#include <math.h>
#include <stdint.h>

#include "../common/ce_row.h"
#include "../common/logit_io.h"
#include "ce_kernels.h"

namespace reweigh {
namespace cpu {
namespace {

/*
 * Logits per block of the online softmax. One running fp32 sum over a whole
 * row drifts once the sum dwarfs its terms: at V = 2^20 the lse came out
 * 1.7e-3 (about 1e-4 relative in d) below float64, biased, not random
 * (test_ce_robustness MillionWideRows). Each block of kBlock logits keeps its
 * own (m, d, s) and blocks merge through softmax_merge (Algorithm 3's
 * reduction), so no running sum is longer than kBlock or V / kBlock terms.
 */
constexpr int64_t kBlock = 512;

RowResult scalar_forward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                             float* scratch, const RowHints& hints) {
    (void)scratch;
    (void)hints;
    SoftmaxState st = softmax_init();
    float sum_zp = 0.0f;
    for (int64_t v0 = 0; v0 < vocab; v0 += kBlock) {
        const int64_t v1 = v0 + kBlock < vocab ? v0 + kBlock : vocab;
        SoftmaxState block = softmax_init();
        float block_sum = 0.0f;
        for (int64_t v = v0; v < v1; ++v) {
            float zp = transform_logit(load_logit(z, dtype, v), p);
            softmax_add(block, zp);
            block_sum += zp;
        }
        st = softmax_merge(st, block);
        sum_zp += block_sum;
    }
    float zp_target = transform_logit(load_logit(z, dtype, y), p);
    return row_finish(st, zp_target, sum_zp, vocab, p);
}

void scalar_backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, float lse, const RowParams& p,
                         float k, void* g, const RowHints& hints) {
    (void)hints;
    GradEpilogue e = grad_epilogue(lse, k, vocab, p);
    for (int64_t v = 0; v < vocab; ++v) {
        float zp = transform_logit(load_logit(z, dtype, v), p);
        store_grad_element(g, dtype, v, grad_element(e, zp, v == y, p));
    }
}

RowResult scalar_forward_backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                                      float k, void* g, float* scratch, const RowHints& hints) {
    RowResult r = scalar_forward_row(z, dtype, vocab, y, p, scratch, hints);
    scalar_backward_row(z, dtype, vocab, y, r.lse, p, k, g, hints);
    return r;
}

float scalar_exp_sum(const float* x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += expf(x[i]);
    return sum;
}

}  // namespace

const CeRowKernels& scalar_kernels() {
    static const CeRowKernels table = {"scalar", scalar_forward_row, scalar_forward_backward_row,
                                       scalar_backward_row, scalar_exp_sum};
    return table;
}

}  // namespace cpu
}  // namespace reweigh
