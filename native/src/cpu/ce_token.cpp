/*
 * ce_token.cpp: backward with per-row coefficients on the CPU: the driver and
 * the scalar row kernel (element by element through ../common/token_row.h);
 * the AVX2 and AVX-512 row kernels are token_simd.h, picked by the ISA that
 * isa.h selected. Same order of work as ce_cpu.cpp: validated private copies of every
 * label, coefficient and per-row input first (labels.h), the optional
 * finite-logits scan, then rows in parallel, each writing only its own
 * gradient row, so results do not depend on the thread count.
 */
#include "ce_token.h"

#include <math.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "../common/bf16.h"
#include "../common/errors.h"
#include "../common/logit_io.h"
#include "../common/row_check.h"
#include "../common/token_row.h"
#include "isa.h"
#include "labels.h"
#include "thread_pool.h"
#include "token_kernels.h"

namespace reweigh {
namespace cpu {
std::vector<float> copy_row_values(const Labels& l, const float* values, const char* name) {
    std::vector<float> out(l.targets.size(), 0.0f);
    for (size_t r = 0; r < out.size(); ++r) {
        if (l.targets[r] == kIgnoredRow) continue;
        out[r] = values[r];
        check_row_finite(name, static_cast<int64_t>(r), out[r]);
    }
    return out;
}

void check_finite_logits(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const Labels& l) {
    if (!o.check_finite) return;
    for (int64_t r = 0; r < b.rows; ++r) {
        if (l.targets[static_cast<size_t>(r)] == kIgnoredRow) continue;
        for (int64_t v = 0; v < b.vocab; ++v) {
            const float z = load_logit(b.logits, b.logits_dtype, r * b.logits_row_stride + v);
            if (isnan(z) || z == INFINITY) {
                REWEIGH_FAIL(REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row %lld, column %lld] = %s on a counted row",
                             static_cast<long long>(r), static_cast<long long>(v), isnan(z) ? "NaN" : "+inf");
            }
        }
    }
}

namespace {

/* One dtype; local copies of the row constants, so stores to g (which may alias anything) never force a reload. */
template <int32_t Dtype>
void scalar_token_row_of(const void* z, int64_t vocab, int64_t y, const RowParams& params,
                         const GradEpilogue& epilogue, const EntropyEpilogue& entropy, void* g) {
    const RowParams p = params;
    const GradEpilogue e = epilogue;
    const EntropyEpilogue h = entropy;
    // Read before write: g may be the logits row itself (in place).
    for (int64_t v = 0; v < vocab; ++v) {
        const float zp = transform_logit(load_logit(z, Dtype, v), p);
        store_grad_element(g, Dtype, v, token_grad_element(e, h, zp, v == y, p));
    }
}

void scalar_token_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                      const GradEpilogue& e, const EntropyEpilogue& h, void* g, const RowHints&) {
    if (dtype == REWEIGH_DTYPE_F32) {
        scalar_token_row_of<REWEIGH_DTYPE_F32>(z, vocab, y, p, e, h, g);
    } else {
        scalar_token_row_of<REWEIGH_DTYPE_BF16>(z, vocab, y, p, e, h, g);
    }
}

struct TokenJob {
    TokenRowFn row;
    const reweigh_ce_batch_t* batch;
    RowParams params;
    const int32_t* targets;     /* validated copy: [0, vocab) or kIgnoredRow */
    const int64_t* row_sample;
    const float* sample_k;      /* k_s */
    const float* lse;           /* validated copies, [rows] */
    const float* weights;       /* w_r */
    const float* entropy;       /* H_r, NULL without beta */
    const float* entropy_weights; /* beta_r, NULL without beta */
    void* grad;
    int64_t grad_stride;
};

void token_rows(void* ctx, int64_t begin, int64_t end) {
    const TokenJob& job = *static_cast<const TokenJob*>(ctx);
    const reweigh_ce_batch_t& b = *job.batch;
    const size_t esize = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    for (int64_t r = begin; r < end; ++r) {
        void* g = static_cast<char*>(job.grad) + static_cast<size_t>(r * job.grad_stride) * esize;
        const int32_t y = job.targets[r];
        if (y == kIgnoredRow) {
            memset(g, 0, static_cast<size_t>(b.vocab) * esize);
            continue;
        }
        const void* z = static_cast<const char*>(b.logits) + static_cast<size_t>(r * b.logits_row_stride) * esize;
        const RowHints hints = chunk_row_hints(z, r, end, b.logits_row_stride, esize);
        const float k = job.sample_k[job.row_sample[r]];
        const GradEpilogue e = grad_epilogue(job.lse[r], k * job.weights[r], b.vocab, job.params);
        EntropyEpilogue h;
        h.kb = job.entropy_weights != nullptr ? k * job.entropy_weights[r] : 0.0f;
        h.entropy = job.entropy != nullptr ? job.entropy[r] : 0.0f;
        job.row(z, b.logits_dtype, b.vocab, y, job.params, e, h, g, hints);
    }
}

/* Below this many logits the call stays on the calling thread (see kInlineLogits in ce_cpu.cpp). */
constexpr int64_t kInlineLogits = int64_t{1} << 18;

}  // namespace

TokenRowFn active_token_row() {
    const char* isa = active_kernels().isa;
    if (strcmp(isa, "avx512") == 0) return token_row_avx512();
    if (strcmp(isa, "avx2") == 0) return token_row_avx2();
    return scalar_token_row;
}

CoefficientRowFn active_coefficient_row() {
    const char* isa = active_kernels().isa;
    if (strcmp(isa, "avx512") == 0) return coefficient_row_avx512();
    if (strcmp(isa, "avx2") == 0) return coefficient_row_avx2();
    return nullptr;
}

void run_token_rows(int64_t rows, int64_t vocab, void (*fn)(void*, int64_t, int64_t), void* ctx) {
    if (rows * vocab < kInlineLogits) {
        fn(ctx, 0, rows);
    } else {
        const int64_t grain = std::max<int64_t>(1, std::max<int64_t>(65536 / vocab, rows / (8 * pool_threads())));
        parallel_for(rows, grain, fn, ctx);
    }
}

void ce_backward_rows(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad) {
    if (b.logits_dtype == REWEIGH_DTYPE_F16) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "logits dtype F16 is supported on CUDA only (use F32 or BF16)");
    }
    const Labels l = copy_labels(b, o);
    const std::vector<float> c = copy_coefficients(o, coefficients, b.samples);
    const double d = normalizer(o, l, c);
    const std::vector<float> lse = copy_row_lse(l, row_lse);
    const std::vector<float> w = copy_row_values(l, row_weights, "rowWeights");
    const bool with_entropy = row_entropy_weights != nullptr;
    const std::vector<float> beta = with_entropy ? copy_row_values(l, row_entropy_weights, "rowEntropyWeights")
                                                 : std::vector<float>();
    const std::vector<float> h = with_entropy ? copy_row_values(l, row_entropy, "rowEntropy") : std::vector<float>();
    check_finite_logits(b, o, l);
    const std::vector<float> k = sample_scales(o, l, c, d);
    TokenJob job;
    job.row = active_token_row();
    job.batch = &b;
    job.params = p;
    job.targets = l.targets.data();
    job.row_sample = l.row_sample.data();
    job.sample_k = k.data();
    job.lse = lse.data();
    job.weights = w.data();
    job.entropy = with_entropy ? h.data() : nullptr;
    job.entropy_weights = with_entropy ? beta.data() : nullptr;
    job.grad = grad.data;
    job.grad_stride = grad.row_stride;
    run_token_rows(b.rows, b.vocab, token_rows, &job);
}

}  // namespace cpu
}  // namespace reweigh
