/*
 * ce_cpu.cpp: the CPU driver of forward, backward and forwardBackward.
 *
 * Order of work in every call:
 *   1. a validated private copy of targets, offsets, coefficients and row
 *      lse (labels.h), and the optional finite-logits scan: nothing is
 *      written before they pass, and nothing after them re-reads the
 *      caller's labels, so every index that addresses memory is the checked one;
 *   2. rows in parallel (thread_pool.h), each row through the active ISA's
 *      row kernel; per-row results go to per-row buffers;
 *   3. per-sample sums in float64, serially in row order, so results are
 *      bit-identical whatever the thread count.
 */
#include "ce_cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "../common/bf16.h"
#include "../common/errors.h"
#include "../common/sample_math.h"
#include "isa.h"
#include "l2_budget.h"
#include "labels.h"
#include "thread_pool.h"

namespace reweigh {
namespace cpu {
namespace {

/*
 * Rows per scheduling chunk: at least about 64k logits, so small vocabularies
 * still split well, and at least rows / (8 * threads), so a thread runs long
 * stretches of consecutive rows and can prefetch the next one (see [Note:
 * prefetching the next row] in ce_simd.h); 8 chunks per thread still balance
 * the load. Chunking never changes results (rows are independent).
 */
int64_t row_grain(int64_t rows, int64_t vocab) {
    const int64_t by_vocab = 65536 / std::max<int64_t>(vocab, 1);
    const int64_t by_threads = rows / (8 * static_cast<int64_t>(pool_threads()));
    return std::max<int64_t>(1, std::max(by_vocab, by_threads));
}


enum class Mode { Forward, Backward, ForwardBackward };

struct RowJob {
    const reweigh_ce_batch_t* batch;
    const int32_t* targets;     /* validated copy: [0, vocab) or kIgnoredRow */
    RowParams params;
    const CeRowKernels* kernels;
    Mode mode;
    const int64_t* row_sample;  /* sample of each row */
    const float* sample_k;      /* per-sample gradient scale (backward modes) */
    const float* in_lse;        /* backward only */
    void* grad;
    int64_t grad_stride;
    float* lse;                 /* per-row outputs (forward modes) */
    float* logp;
    float* entropy;
    float* loss;
    std::atomic<bool> out_of_memory{false};
};

size_t elem_size(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

void zero_grad_row(RowJob& job, int64_t r) {
    const reweigh_ce_batch_t& b = *job.batch;
    char* g = static_cast<char*>(job.grad) + static_cast<size_t>(r * job.grad_stride) * elem_size(b.logits_dtype);
    memset(g, 0, static_cast<size_t>(b.vocab) * elem_size(b.logits_dtype));
}

void run_rows(void* ctx, int64_t begin, int64_t end) {
    RowJob& job = *static_cast<RowJob*>(ctx);
    const reweigh_ce_batch_t& b = *job.batch;
    const size_t esize = elem_size(b.logits_dtype);
    float* scratch = nullptr;
    if (job.mode != Mode::Backward) {
        scratch = thread_scratch(2 * b.vocab);
        if (scratch == nullptr) {
            job.out_of_memory.store(true);
            return;
        }
    }
    RowCarry carry;  // the next row's first pass, for this chunk's rows (same dtype, vocab, params)
    carry.defer_grad = job.mode == Mode::ForwardBackward;  // finish_rows below
    // [Note: rows too long to keep e] in ce_simd.h: one decision for every row of the call.
    carry.recompute_p = !row_keeps_exponentials(b.logits_dtype, b.vocab);
    for (int64_t r = begin; r < end; ++r) {
        const int32_t y = job.targets[r];
        const void* z = static_cast<const char*>(b.logits) + static_cast<size_t>(r * b.logits_row_stride) * esize;
        const RowHints hints = chunk_row_hints(z, r, end, b.logits_row_stride, esize, &carry);
        if (y == kIgnoredRow) {
            if (job.mode != Mode::Backward) {
                job.lse[r] = job.logp[r] = job.entropy[r] = job.loss[r] = 0.0f;
            }
            if (job.mode != Mode::Forward) zero_grad_row(job, r);
            continue;
        }
        void* g = job.mode == Mode::Forward
                      ? nullptr
                      : static_cast<char*>(job.grad) + static_cast<size_t>(r * job.grad_stride) * esize;
        const float k = job.mode == Mode::Forward ? 0.0f : job.sample_k[job.row_sample[r]];
        RowResult res;
        switch (job.mode) {
            case Mode::Forward:
                res = job.kernels->forward_row(z, b.logits_dtype, b.vocab, y, job.params, scratch, hints);
                break;
            case Mode::ForwardBackward:
                res = job.kernels->forward_backward_row(z, b.logits_dtype, b.vocab, y, job.params, k, g, scratch,
                                                        hints);
                break;
            case Mode::Backward:
                job.kernels->backward_row(z, b.logits_dtype, b.vocab, y, job.in_lse[r], job.params, k, g, hints);
                continue;
        }
        job.lse[r] = res.lse;
        job.logp[r] = res.logp;
        job.entropy[r] = res.entropy;
        job.loss[r] = res.loss;
    }
    finish_rows(carry);  // the chunk's last gradient ([Note: the gradient under the next row's exp], ce_simd.h)
}

/* ---- optional finite-logits scan (options.check_finite) ---- */

struct FiniteScan {
    const reweigh_ce_batch_t* batch;
    const int32_t* targets;
    std::atomic<int64_t> first_bad_row;
    std::atomic<int64_t> first_bad_col;
};

void scan_rows(void* ctx, int64_t begin, int64_t end) {
    FiniteScan& scan = *static_cast<FiniteScan*>(ctx);
    const reweigh_ce_batch_t& b = *scan.batch;
    for (int64_t r = begin; r < end; ++r) {
        if (scan.targets[r] == kIgnoredRow) continue;
        for (int64_t v = 0; v < b.vocab; ++v) {
            const int64_t i = r * b.logits_row_stride + v;
            const float z = b.logits_dtype == REWEIGH_DTYPE_F32
                                ? static_cast<const float*>(b.logits)[i]
                                : bf16_to_float(static_cast<const uint16_t*>(b.logits)[i]);
            if (isnan(z) || z == INFINITY) {
                // Keep the smallest bad row (the chunks race; the minimum is deterministic).
                int64_t seen = scan.first_bad_row.load();
                while (r < seen && !scan.first_bad_row.compare_exchange_weak(seen, r)) {
                }
                if (scan.first_bad_row.load() == r) scan.first_bad_col.store(v);
                return;
            }
        }
    }
}

void check_finite_logits(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const Labels& l) {
    if (!o.check_finite || b.rows == 0) return;
    FiniteScan scan;
    scan.batch = &b;
    scan.targets = l.targets.data();
    scan.first_bad_row.store(INT64_MAX);
    scan.first_bad_col.store(-1);
    // One row per chunk so the first bad row found by each thread is exact.
    parallel_for(b.rows, 1, scan_rows, &scan);
    const int64_t r = scan.first_bad_row.load();
    if (r == INT64_MAX) return;
    // Rescan the winning row serially for its first bad column.
    for (int64_t v = 0; v < b.vocab; ++v) {
        const int64_t i = r * b.logits_row_stride + v;
        const float z = b.logits_dtype == REWEIGH_DTYPE_F32 ? static_cast<const float*>(b.logits)[i]
                                                            : bf16_to_float(static_cast<const uint16_t*>(b.logits)[i]);
        if (isnan(z) || z == INFINITY) {
            REWEIGH_FAIL(REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row %lld, column %lld] = %s on a counted row",
                         static_cast<long long>(r), static_cast<long long>(v), isnan(z) ? "NaN" : "+inf");
        }
    }
}

void check_cpu_dtype(const reweigh_ce_batch_t& b) {
    if (b.logits_dtype == REWEIGH_DTYPE_F16) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "logits dtype F16 is supported on CUDA only (use F32 or BF16)");
    }
}

/* Per-row buffers: the caller's when given, else internal. */
struct RowBuffers {
    std::vector<float> owned;
    float* lse;
    float* logp;
    float* entropy;
    float* loss;

    RowBuffers(const reweigh_ce_stats_t* stats, int64_t rows) {
        const size_t n = static_cast<size_t>(rows);
        int missing = 1;  // loss per row is never a caller buffer
        if (stats == nullptr || stats->row_lse == nullptr) ++missing;
        if (stats == nullptr || stats->row_logp == nullptr) ++missing;
        if (stats == nullptr || stats->row_entropy == nullptr) ++missing;
        owned.resize(n * static_cast<size_t>(missing));
        float* next = owned.data();
        auto take = [&](float* given) {
            if (given != nullptr) return given;
            float* p = next;
            next += n;
            return p;
        };
        loss = take(nullptr);
        lse = take(stats ? stats->row_lse : nullptr);
        logp = take(stats ? stats->row_logp : nullptr);
        entropy = take(stats ? stats->row_entropy : nullptr);
    }
};

/* Step 3: per-sample sums in float64, serially in row order. Returns sum_s c_s loss_s (unnormalised). */
double reduce_samples(const reweigh_ce_options_t& o, const Labels& l, const RowBuffers& rows,
                      const reweigh_ce_stats_t* stats, const float* coefficients) {
    return reduce_samples_of(o, l, coefficients, stats, [&rows](int64_t r, SampleSums& sum) {
        // Ignored rows hold exact zeros, so they add nothing.
        sum.loss += rows.loss[r];
        sum.logp += rows.logp[r];
        sum.entropy += rows.entropy[r];
    });
}

/*
 * Below this many logits a call runs on the calling thread alone: the work is then under about
 * 100 us on one core, the same order as waking a sleeping worker, whose cost on a loaded machine
 * varied from 0 to 300 us in the 8 x 32000 overhead benchmark (benchmarks/README.md).
 */
constexpr int64_t kInlineLogits = int64_t{1} << 18;

void run(RowJob& job) {
    const reweigh_ce_batch_t& b = *job.batch;
    if (b.rows * b.vocab < kInlineLogits) {
        run_rows(&job, 0, b.rows);
    } else {
        parallel_for(b.rows, row_grain(b.rows, b.vocab), run_rows, &job);
    }
    if (job.out_of_memory.load()) {
        REWEIGH_FAIL(REWEIGH_STATUS_OUT_OF_MEMORY, "could not allocate %lld floats of row scratch",
                     static_cast<long long>(2 * job.batch->vocab));
    }
}

/* A row job over validated labels; the caller sets the mode-specific fields. */
void init_job(RowJob& job, const reweigh_ce_batch_t& b, const Labels& l, const RowParams& p, Mode mode) {
    job.batch = &b;
    job.targets = l.targets.data();
    job.params = p;
    job.kernels = &active_kernels();
    job.mode = mode;
    job.row_sample = l.row_sample.data();
    job.sample_k = nullptr;
    job.in_lse = nullptr;
    job.grad = nullptr;
    job.grad_stride = 0;
    job.lse = job.logp = job.entropy = job.loss = nullptr;
}

void use_rows(RowJob& job, const RowBuffers& rows) {
    job.lse = rows.lse;
    job.logp = rows.logp;
    job.entropy = rows.entropy;
    job.loss = rows.loss;
}

}  // namespace

float* thread_scratch(int64_t floats) {
    struct Buffer {
        float* data = nullptr;
        int64_t size = 0;
        ~Buffer() { free(data); }
    };
    thread_local Buffer buffer;
    if (buffer.size < floats) {
        float* grown = static_cast<float*>(realloc(buffer.data, static_cast<size_t>(floats) * sizeof(float)));
        if (grown == nullptr) return nullptr;
        buffer.data = grown;
        buffer.size = floats;
    }
    return buffer.data;
}

void ce_forward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                const reweigh_ce_stats_t& stats) {
    check_cpu_dtype(b);
    const Labels l = copy_labels(b, o);
    check_finite_logits(b, o, l);
    RowBuffers rows(&stats, b.rows);
    RowJob job;
    init_job(job, b, l, p, Mode::Forward);
    use_rows(job, rows);
    run(job);
    reduce_samples(o, l, rows, &stats, nullptr);
}

namespace {

/*
 * What both gradient passes start from: the labels, the coefficients c_s and the
 * normaliser D of docs/design.md §3.
 */
struct SampleWeights {
    Labels l;
    std::vector<float> c;
    double d;
};

SampleWeights sample_weights(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const float* coefficients) {
    check_cpu_dtype(b);
    Labels l = copy_labels(b, o);
    std::vector<float> c = copy_coefficients(o, coefficients, b.samples);
    const double d = normalizer(o, l, c);
    return {std::move(l), std::move(c), d};
}

}  // namespace

void ce_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad) {
    const SampleWeights w = sample_weights(b, o, coefficients);
    const Labels& l = w.l;
    const std::vector<float> lse = copy_row_lse(l, row_lse);
    check_finite_logits(b, o, l);
    const std::vector<float> k = sample_scales(o, l, w.c, w.d);
    RowJob job;
    init_job(job, b, l, p, Mode::Backward);
    job.sample_k = k.data();
    job.in_lse = lse.data();
    job.grad = grad.data;
    job.grad_stride = grad.row_stride;
    run(job);
}

double ce_forward_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                           const float* coefficients, const reweigh_ce_stats_t* stats, const reweigh_ce_grad_t& grad) {
    const SampleWeights w = sample_weights(b, o, coefficients);
    const Labels& l = w.l;
    check_finite_logits(b, o, l);
    const std::vector<float> k = sample_scales(o, l, w.c, w.d);
    RowBuffers rows(stats, b.rows);
    RowJob job;
    init_job(job, b, l, p, Mode::ForwardBackward);
    job.sample_k = k.data();
    job.grad = grad.data;
    job.grad_stride = grad.row_stride;
    use_rows(job, rows);
    run(job);
    const double sum = reduce_samples(o, l, rows, stats, w.c.data());
    return objective_total(sum, w.d);
}

}  // namespace cpu
}  // namespace reweigh
