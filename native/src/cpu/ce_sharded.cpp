/*
 * ce_sharded.cpp: partial forward, combine, statistics and backward of a
 * vocabulary shard on the CPU.
 *
 * Rows run in parallel on the kernels' thread pool; per-sample sums run
 * serially in row order in float64, as in ce_cpu.cpp, so results do not
 * depend on the thread count. The partial forward takes a row's (lse,
 * entropy) from the active ISA's row kernel and re-expresses it as an
 * online-softmax state (softmax_from_lse); rows the kernel cannot summarise
 * with finite numbers (every logit masked, NaN or +inf) and rows that need
 * the logit sum (label smoothing) go through the scalar block loop instead.
 */
#include "ce_sharded.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "../common/ce_partial.h"
#include "../common/errors.h"
#include "../common/logit_io.h"
#include "../common/row_check.h"
#include "../common/sample_math.h"
#include "ce_cpu.h"
#include "isa.h"
#include "labels.h"
#include "thread_pool.h"

namespace reweigh {
namespace cpu {
namespace {

/* As in ce_cpu.cpp: calls below 2^18 logits run on the calling thread alone. */
constexpr int64_t kInlineLogits = int64_t{1} << 18;
/* Block length of the scalar online softmax (ce_scalar.cpp kBlock: bounds fp32 drift). */
constexpr int64_t kBlock = 512;

size_t elem_size(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

const void* row_ptr(const reweigh_ce_batch_t& b, int64_t r) {
    return static_cast<const char*>(b.logits) + static_cast<size_t>(r * b.logits_row_stride) * elem_size(b.logits_dtype);
}

int64_t row_grain(int64_t rows, int64_t vocab) {
    const int64_t by_vocab = 65536 / std::max<int64_t>(vocab, 1);
    const int64_t by_threads = rows / (8 * static_cast<int64_t>(pool_threads()));
    return std::max<int64_t>(1, std::max(by_vocab, by_threads));
}

void run_rows(int64_t rows, int64_t vocab, RangeFn fn, void* ctx) {
    if (rows * vocab < kInlineLogits) {
        fn(ctx, 0, rows);
    } else {
        parallel_for(rows, row_grain(rows, vocab), fn, ctx);
    }
}


/* The shard-local column of target y, or -1 when another shard owns it. */
int64_t local_target(int64_t y, const reweigh_ce_batch_t& b, ShardSpan span) {
    const int64_t v = y - span.offset;
    return v >= 0 && v < b.vocab ? v : -1;
}

/*
 * Targets and offsets read once, checked against the whole vocabulary and copied (labels.h):
 * every later step indexes through the copy, so caller memory changing during the call can
 * never produce an out-of-range index.
 */
Labels shard_labels(const reweigh_ce_batch_t& b, ShardSpan span, const reweigh_ce_options_t& o) {
    reweigh_ce_batch_t whole = b;
    whole.vocab = span.total;
    return copy_labels(whole, o);
}

/* NaN or +inf on a counted row (options.check_finite), first row then first column. */
void check_finite_logits(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const Labels& l) {
    if (!o.check_finite) return;
    for (int64_t r = 0; r < b.rows; ++r) {
        if (l.targets[static_cast<size_t>(r)] == kIgnoredRow) continue;
        const void* z = row_ptr(b, r);
        for (int64_t v = 0; v < b.vocab; ++v) {
            const float x = load_logit(z, b.logits_dtype, v);
            if (isnan(x) || x == INFINITY) {
                REWEIGH_FAIL(REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row %lld, column %lld] = %s on a counted row",
                             static_cast<long long>(r), static_cast<long long>(v), isnan(x) ? "NaN" : "+inf");
            }
        }
    }
}

/* ---- partial forward ---- */

/* (m, d, s) and the logit sum of one shard row by the scalar block loop of ce_scalar.cpp. */
RowPartial scalar_partial(const void* z, int32_t dtype, int64_t vocab, const RowParams& p) {
    RowPartial out = partial_init();
    for (int64_t v0 = 0; v0 < vocab; v0 += kBlock) {
        const int64_t v1 = std::min(v0 + kBlock, vocab);
        SoftmaxState block = softmax_init();
        float block_sum = 0.0f;
        for (int64_t v = v0; v < v1; ++v) {
            const float zp = transform_logit(load_logit(z, dtype, v), p);
            softmax_add(block, zp);
            block_sum += zp;
        }
        out.st = softmax_merge(out.st, block);
        out.logit_sum += block_sum;
    }
    return out;
}

/* What the partial forward and the backward rows both read: the shard, its labels and the row kernels. */
struct ShardRows {
    ShardRows(const reweigh_ce_batch_t& b, ShardSpan s, const Labels& l, const RowParams& p)
        : batch(&b), span(s), targets(l.targets.data()), params(p), kernels(&active_kernels()) {}
    const reweigh_ce_batch_t* batch;
    ShardSpan span;
    const int32_t* targets; /* the validated copy: each in [0, span.total) or kIgnoredRow */
    RowParams params;
    const CeRowKernels* kernels;
};

struct PartialJob : ShardRows {
    using ShardRows::ShardRows;
    reweigh_ce_partials_t out{};
    std::atomic<bool> out_of_memory{false};
};

void partial_rows(void* ctx, int64_t begin, int64_t end) {
    PartialJob& job = *static_cast<PartialJob*>(ctx);
    const reweigh_ce_batch_t& b = *job.batch;
    const RowParams& p = job.params;
    float* scratch = thread_scratch(2 * b.vocab);
    if (scratch == nullptr) {
        job.out_of_memory.store(true);
        return;
    }
    // The row kernel reports lse and entropy; loss terms are not wanted from it.
    RowParams stats_only = p;
    stats_only.eps = 0.0f;
    stats_only.zloss = 0.0f;
    for (int64_t r = begin; r < end; ++r) {
        const int64_t y = job.targets[r];
        if (y == kIgnoredRow) {
            job.out.max[r] = -INFINITY;
            job.out.sum_exp[r] = job.out.entropy_sum[r] = job.out.logit_sum[r] = job.out.target_logit[r] = 0.0f;
            continue;
        }
        const void* z = row_ptr(b, r);
        const int64_t yl = local_target(y, b, job.span);
        RowPartial part;
        bool done = false;
        if (p.eps == 0.0f) {
            const RowHints hints{r + 1 < end ? row_ptr(b, r + 1) : nullptr};
            const RowResult res =
                job.kernels->forward_row(z, b.logits_dtype, b.vocab, yl >= 0 ? yl : 0, stats_only, scratch, hints);
            if (isfinite(res.lse) && isfinite(res.entropy)) {
                part = partial_init();
                part.st = softmax_from_lse(res.lse, res.entropy);
                done = true;
            }
        }
        if (!done) part = scalar_partial(z, b.logits_dtype, b.vocab, p);
        part.target_logit = yl >= 0 ? transform_logit(load_logit(z, b.logits_dtype, yl), p) : 0.0f;
        job.out.max[r] = part.st.m;
        job.out.sum_exp[r] = part.st.d;
        job.out.entropy_sum[r] = part.st.s;
        job.out.logit_sum[r] = part.logit_sum;
        job.out.target_logit[r] = part.target_logit;
    }
}

/* ---- backward ---- */

struct BackwardJob : ShardRows {
    using ShardRows::ShardRows;
    const int64_t* row_sample = nullptr;
    const float* sample_k = nullptr;
    const float* lse = nullptr;
    void* grad = nullptr;
    int64_t grad_stride = 0;
};

void backward_rows(void* ctx, int64_t begin, int64_t end) {
    BackwardJob& job = *static_cast<BackwardJob*>(ctx);
    const reweigh_ce_batch_t& b = *job.batch;
    const RowParams& p = job.params;
    const size_t esize = elem_size(b.logits_dtype);
    for (int64_t r = begin; r < end; ++r) {
        void* g = static_cast<char*>(job.grad) + static_cast<size_t>(r * job.grad_stride) * esize;
        const int64_t y = job.targets[r];
        if (y == kIgnoredRow) {
            memset(g, 0, static_cast<size_t>(b.vocab) * esize);
            continue;
        }
        const void* z = row_ptr(b, r);
        const int64_t yl = local_target(y, b, job.span);
        const float k = job.sample_k[job.row_sample[r]];
        // eps / V uses the whole vocabulary, not the shard's.
        const GradEpilogue e = grad_epilogue(job.lse[r], k, job.span.total, p);
        if (p.eps == 0.0f) {
            // Without smoothing the row kernel's epilogue is the whole row's. It subtracts the
            // target term at the column it is given; when another shard owns the target that
            // column (0) is rewritten as a non-target afterwards, from z' read before g (possibly
            // z itself) is written.
            const int64_t col = yl >= 0 ? yl : 0;
            const float zp_col = transform_logit(load_logit(z, b.logits_dtype, col), p);
            const RowHints hints{r + 1 < end ? row_ptr(b, r + 1) : nullptr};
            job.kernels->backward_row(z, b.logits_dtype, b.vocab, col, job.lse[r], p, k, g, hints);
            if (yl < 0) store_grad_element(g, b.logits_dtype, 0, grad_element(e, zp_col, false, p));
            continue;
        }
        for (int64_t v = 0; v < b.vocab; ++v) {
            const float zp = transform_logit(load_logit(z, b.logits_dtype, v), p);
            store_grad_element(g, b.logits_dtype, v, grad_element(e, zp, v == yl, p));
        }
    }
}

void check_cpu_dtype(const reweigh_ce_batch_t& b) {
    if (b.logits_dtype == REWEIGH_DTYPE_F16) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "logits dtype F16 is supported on CUDA only (use F32 or BF16)");
    }
}

}  // namespace

void ce_partial_forward(const reweigh_ce_batch_t& b, ShardSpan span, const reweigh_ce_options_t& o,
                        const RowParams& p, const reweigh_ce_partials_t& out) {
    check_cpu_dtype(b);
    const Labels l = shard_labels(b, span, o);
    check_finite_logits(b, o, l);
    PartialJob job(b, span, l, p);
    job.out = out;
    run_rows(b.rows, b.vocab, partial_rows, &job);
    if (job.out_of_memory.load()) {
        REWEIGH_FAIL(REWEIGH_STATUS_OUT_OF_MEMORY, "could not allocate %lld floats of row scratch",
                     static_cast<long long>(2 * b.vocab));
    }
}

void ce_partials_merge(int64_t rows, const reweigh_ce_partials_t& from, const reweigh_ce_partials_t& into) {
    for (int64_t r = 0; r < rows; ++r) partial_merge_row(from, into, r);
}

void ce_partials_rebase(int64_t rows, const float* global_max, const reweigh_ce_partials_t& partials) {
    for (int64_t r = 0; r < rows; ++r) check_global_max(r, global_max[r], partials.max[r]);
    for (int64_t r = 0; r < rows; ++r) partial_rebase_row(global_max, partials, r);
}

double ce_sharded_stats(const reweigh_ce_batch_t& b, ShardSpan span, const reweigh_ce_options_t& o,
                        const RowParams& p, const reweigh_ce_partials_t& c, const float* coefficients,
                        const reweigh_ce_stats_t* stats) {
    const Labels l = shard_labels(b, span, o);
    std::vector<float> c_copy;
    if (coefficients != nullptr) c_copy = copy_coefficients(o, coefficients, b.samples);
    const double d = coefficients != nullptr ? normalizer(o, l, c_copy) : 1.0;
    const float* c_s = coefficients != nullptr ? c_copy.data() : nullptr;
    const double weighted = reduce_samples_of(o, l, c_s, stats, [&](int64_t r, SampleSums& sum) {
        RowResult res = {0.0f, 0.0f, 0.0f, 0.0f};
        if (l.targets[static_cast<size_t>(r)] != kIgnoredRow) {
            res = row_finish(partial_load(c, r).st, c.target_logit[r], c.logit_sum[r], span.total, p);
            sum.loss += res.loss;
            sum.logp += res.logp;
            sum.entropy += res.entropy;
        }
        if (stats != nullptr) {
            if (stats->row_lse) stats->row_lse[r] = res.lse;
            if (stats->row_logp) stats->row_logp[r] = res.logp;
            if (stats->row_entropy) stats->row_entropy[r] = res.entropy;
        }
    });
    return coefficients != nullptr ? objective_total(weighted, d) : 0.0;
}

void ce_sharded_backward(const reweigh_ce_batch_t& b, ShardSpan span, const reweigh_ce_options_t& o,
                         const RowParams& p, const reweigh_ce_partials_t& c, const float* coefficients,
                         const reweigh_ce_grad_t& grad) {
    check_cpu_dtype(b);
    const Labels l = shard_labels(b, span, o);
    const std::vector<float> c_copy = copy_coefficients(o, coefficients, b.samples);
    const double d = normalizer(o, l, c_copy);
    std::vector<float> lse(static_cast<size_t>(b.rows), 0.0f);
    for (int64_t r = 0; r < b.rows; ++r) {
        if (l.targets[static_cast<size_t>(r)] == kIgnoredRow) continue;
        // The row's lse from the combined partial; it must be finite or every gradient of the row is NaN.
        check_combined_lse(r, c.max[r], c.sum_exp[r]);
        lse[static_cast<size_t>(r)] = partial_lse(c.max[r], c.sum_exp[r]);
    }
    check_finite_logits(b, o, l);
    const std::vector<float> k = sample_scales(o, l, c_copy, d);
    BackwardJob job(b, span, l, p);
    job.row_sample = l.row_sample.data();
    job.sample_k = k.data();
    job.lse = lse.data();
    job.grad = grad.data;
    job.grad_stride = grad.row_stride;
    run_rows(b.rows, b.vocab, backward_rows, &job);
}

double ce_local_normalizer(const reweigh_ce_batch_t& b, ShardSpan span, const reweigh_ce_options_t& o,
                           const float* coefficients) {
    const Labels l = shard_labels(b, span, o);
    std::vector<float> c;
    if (coefficients != nullptr) c = copy_coefficients(o, coefficients, b.samples);
    return normalizer(o, l, c);
}

}  // namespace cpu
}  // namespace reweigh
