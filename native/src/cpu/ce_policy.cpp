/*
 * ce_policy.cpp: the one-pass policy-gradient step on the CPU
 * (reweigh_policy_forward_backward, reweigh.h; docs/methods.md §8).
 *
 * Order of work, as in ce_token.cpp: validated private copies of the labels
 * and of every per-row input, the optional finite-logits scan, then rows in
 * parallel. Per counted row, in one read of the row:
 *
 *   1. lse, logp, entropy (the per-sample kernels' row statistics);
 *   2. the row's coefficient from its own logp (common/policy_row.h) times the
 *      level's weight n_r;
 *   3. the gradient with that coefficient (and beta_r's entropy term).
 *
 * On the SIMD variants 1 to 3 are token_simd.h's coefficient_row (statistics,
 * then the gradient from the exponentials cached in pass 2, with or without
 * the entropy term); on the scalar variant the row's forward kernel followed by
 * reweigh_ce_backward_rows' row kernel while the row is in cache. Each row writes only its own outputs; the
 * objective and the clip counts are summed afterwards in float64, serially in
 * row order, so every result is independent of the thread count.
 */
#include "ce_policy.h"

#include <math.h>
#include <string.h>

#include <atomic>
#include <vector>

#include "../common/errors.h"
#include "../common/policy_row.h"
#include "../common/token_row.h"
#include "ce_cpu.h"
#include "ce_kernels.h"
#include "ce_token.h"
#include "isa.h"
#include "labels.h"
#include "token_kernels.h"

namespace reweigh {
namespace cpu {
namespace {

struct PolicyJob {
    const reweigh_ce_batch_t* batch;
    RowParams params;
    reweigh_policy_options_t policy;
    const CeRowKernels* kernels;
    TokenRowFn token_row;
    CoefficientRowFn coefficient_row; /* NULL on the scalar variant */
    const int32_t* targets;           /* validated copy: [0, vocab) or kIgnoredRow */
    const double* scale;              /* n_r */
    const float* old_logp;            /* validated copies, [rows]; NULL when not read */
    const float* advantages;
    const float* ref_logp;
    const float* entropy_weights;
    float grad_scale;
    void* grad;
    int64_t grad_stride;
    /* per-row results */
    float* logp;
    float* entropy;
    float* weights;
    int8_t* clipped;
    double* loss;                     /* n_r * loss_r */
    std::atomic<bool> out_of_memory{false};
};

/* RowCoefficient::of: the policy coefficient of row r from its statistics; records the row's results. */
float policy_coefficient(void* ctx, int64_t r, const RowResult& stats) {
    PolicyJob& job = *static_cast<PolicyJob*>(ctx);
    const double old_logp = job.old_logp != nullptr ? job.old_logp[r] : 0.0;
    const double advantage = job.advantages != nullptr ? job.advantages[r] : 0.0;
    const double ref_logp = job.ref_logp != nullptr ? job.ref_logp[r] : 0.0;
    const PolicyTerm t = policy_term(job.policy, stats.logp, old_logp, advantage, ref_logp);
    const double n = job.scale[r];
    const float w = static_cast<float>(n * -t.dloss);
    job.logp[r] = stats.logp;
    job.entropy[r] = stats.entropy;
    job.weights[r] = w;
    job.clipped[r] = static_cast<int8_t>(t.clipped);
    job.loss[r] = n * t.loss;
    // The coefficient reweigh_ce_backward_rows applies with c_s = 1 and D = 1: k_s w_r.
    return job.grad_scale * w;
}

void policy_rows(void* ctx, int64_t begin, int64_t end) {
    PolicyJob& job = *static_cast<PolicyJob*>(ctx);
    const reweigh_ce_batch_t& b = *job.batch;
    const size_t esize = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    float* scratch = thread_scratch(2 * b.vocab);
    if (scratch == nullptr) {
        job.out_of_memory.store(true);
        return;
    }
    // The next row's first pass and this row's pending gradient ([Note: the gradient under the
    // next row's exp], ce_simd.h), for this chunk's rows (same dtype, vocab, params).
    RowCarry carry;
    carry.defer_grad = true;  // finish_rows below
    carry.recompute_p = !row_keeps_exponentials(b.logits_dtype, b.vocab);
    for (int64_t r = begin; r < end; ++r) {
        void* g = static_cast<char*>(job.grad) + static_cast<size_t>(r * job.grad_stride) * esize;
        const int32_t y = job.targets[r];
        if (y == kIgnoredRow) {
            job.logp[r] = job.entropy[r] = job.weights[r] = 0.0f;
            job.clipped[r] = 0;
            job.loss[r] = 0.0;
            memset(g, 0, static_cast<size_t>(b.vocab) * esize);
            continue;
        }
        const void* z = static_cast<const char*>(b.logits) + static_cast<size_t>(r * b.logits_row_stride) * esize;
        const RowHints hints = chunk_row_hints(z, r, end, b.logits_row_stride, esize, &carry);
        const RowCoefficient c{policy_coefficient, &job, r};
        const float kb = job.entropy_weights != nullptr ? job.grad_scale * job.entropy_weights[r] : 0.0f;
        if (job.coefficient_row != nullptr) {
            job.coefficient_row(z, b.logits_dtype, b.vocab, y, job.params, c, kb, g, scratch, hints);
            continue;
        }
        // Scalar: the forward row reads z from memory; the gradient row finds it in cache.
        const RowResult stats = job.kernels->forward_row(z, b.logits_dtype, b.vocab, y, job.params, scratch, hints);
        const float k = policy_coefficient(&job, r, stats);
        const GradEpilogue e = grad_epilogue(stats.lse, k, b.vocab, job.params);
        EntropyEpilogue h;
        h.kb = kb;
        h.entropy = stats.entropy;
        job.token_row(z, b.logits_dtype, b.vocab, y, job.params, e, h, g, hints);
    }
    finish_rows(carry);
}

/* n_r for every row (policy_row_scale), from the validated labels. */
std::vector<double> row_scales(const Labels& l, int32_t level) {
    int64_t tokens = 0, with_tokens = 0;
    for (const int64_t c : l.counts) {
        tokens += c;
        with_tokens += c > 0 ? 1 : 0;
    }
    std::vector<double> scale(l.targets.size(), 0.0);
    for (size_t r = 0; r < scale.size(); ++r) {
        if (l.targets[r] == kIgnoredRow) continue;
        scale[r] = policy_row_scale(level, l.counts[static_cast<size_t>(l.row_sample[r])], with_tokens, tokens);
    }
    return scale;
}

template <class T>
void copy_out(T* dst, const std::vector<T>& src) {
    if (dst != nullptr && !src.empty()) memcpy(dst, src.data(), src.size() * sizeof(T));
}

}  // namespace

void policy_forward_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                             const reweigh_policy_options_t& policy, const reweigh_policy_rows_t& in,
                             const reweigh_policy_result_t& out, const reweigh_ce_grad_t& grad) {
    if (b.logits_dtype == REWEIGH_DTYPE_F16) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "logits dtype F16 is supported on CUDA only (use F32 or BF16)");
    }
    const Labels l = copy_labels(b, o);
    const bool clipped = policy.loss == REWEIGH_POLICY_LOSS_CLIPPED;
    const bool kl = clipped && policy.kl_coefficient > 0.0;
    const std::vector<float> old_logp = clipped ? copy_row_values(l, in.old_logp, "oldLogp") : std::vector<float>();
    const std::vector<float> adv = clipped ? copy_row_values(l, in.advantages, "advantages") : std::vector<float>();
    const std::vector<float> ref = kl ? copy_row_values(l, in.ref_logp, "refLogp") : std::vector<float>();
    const bool with_entropy = in.entropy_weights != nullptr;
    const std::vector<float> beta =
        with_entropy ? copy_row_values(l, in.entropy_weights, "entropyWeights") : std::vector<float>();
    check_finite_logits(b, o, l);
    const std::vector<double> scale = row_scales(l, policy.level);
    const size_t rows = static_cast<size_t>(b.rows);
    std::vector<float> logp(rows), entropy(rows), weights(rows);
    std::vector<int8_t> row_clipped(rows);
    std::vector<double> loss(rows);

    PolicyJob job;
    job.batch = &b;
    job.params = p;
    job.policy = policy;
    job.kernels = &active_kernels();
    job.token_row = active_token_row();
    job.coefficient_row = active_coefficient_row();
    job.targets = l.targets.data();
    job.scale = scale.data();
    job.old_logp = clipped ? old_logp.data() : nullptr;
    job.advantages = clipped ? adv.data() : nullptr;
    job.ref_logp = kl ? ref.data() : nullptr;
    job.entropy_weights = with_entropy ? beta.data() : nullptr;
    job.grad_scale = o.grad_scale;
    job.grad = grad.data;
    job.grad_stride = grad.row_stride;
    job.logp = logp.data();
    job.entropy = entropy.data();
    job.weights = weights.data();
    job.clipped = row_clipped.data();
    job.loss = loss.data();
    run_token_rows(b.rows, b.vocab, policy_rows, &job);
    if (job.out_of_memory.load()) {
        REWEIGH_FAIL(REWEIGH_STATUS_OUT_OF_MEMORY, "could not allocate %lld floats of row scratch",
                     static_cast<long long>(2 * b.vocab));
    }

    // F = sum_r n_r loss_r + sum_r beta_r H_r, in row order (PolicyGradient's order for the first sum).
    double policy_sum = 0.0, entropy_sum = 0.0;
    int64_t below = 0, above = 0;
    for (size_t r = 0; r < rows; ++r) {
        if (l.targets[r] == kIgnoredRow) continue;
        policy_sum += loss[r];
        if (with_entropy) entropy_sum += static_cast<double>(beta[r]) * static_cast<double>(entropy[r]);
        below += row_clipped[r] < 0 ? 1 : 0;
        above += row_clipped[r] > 0 ? 1 : 0;
    }
    copy_out(out.row_logp, logp);
    copy_out(out.row_entropy, entropy);
    copy_out(out.row_weights, weights);
    copy_out(out.row_clipped, row_clipped);
    if (out.objective != nullptr) *out.objective = policy_sum + entropy_sum;
    if (out.clip_counts != nullptr) {
        out.clip_counts[0] = below;
        out.clip_counts[1] = above;
    }
}

}  // namespace cpu
}  // namespace reweigh
