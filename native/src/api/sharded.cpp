/*
 * sharded.cpp: the ABI entry points of vocabulary-sharded partials
 * (reweigh.h). Each one: metadata checks (shapes, the shard's place in the
 * vocabulary, pointer presence and memory space, overlap of outputs with
 * inputs), then the CPU driver (../cpu/ce_sharded.h) or, for a CUDA batch,
 * the CUDA one (../cuda/ce_cuda.h), inside guarded(). A CUDA batch's partials
 * live in its device memory, like every array of a CUDA call; merge and
 * rebase take host arrays, their _on forms arrays in a given place's memory.
 * This file holds no math.
 */
#include <stdint.h>

#include "../cpu/ce_sharded.h"
#include "../cuda/ce_cuda.h"
#include "../common/errors.h"
#include "reweigh/reweigh.h"
#include "validate.h"

using reweigh::guarded;

namespace {

/* A byte range [begin, end) of one argument, for overlap checks. */
struct Span {
    const char* name;
    uintptr_t begin;
    uintptr_t end;
};

Span rows_span(const char* name, const void* p, int64_t count, int64_t elem) {
    const uintptr_t b = reinterpret_cast<uintptr_t>(p);
    return Span{name, b, p == nullptr ? b : b + static_cast<uintptr_t>(count * elem)};
}

void check_disjoint(const Span& a, const Span& b) {
    if (a.begin == a.end || b.begin == b.end) return;
    REWEIGH_CHECK_ARG(a.end <= b.begin || b.end <= a.begin, "%s overlaps %s", a.name, b.name);
}

bool on_cuda(const reweigh_ce_batch_t& b) { return b.device_type == REWEIGH_DEVICE_CUDA; }

/* A shard batch, and its place in the vocabulary. */
reweigh::cpu::ShardSpan validate_shard(const reweigh_ce_batch_t* batch, int64_t vocab_offset, int64_t vocab_total) {
    reweigh::validate_batch(batch);
    reweigh::require_cuda_build(*batch);
    REWEIGH_CHECK_ARG(vocab_total >= 1 && vocab_total <= (int64_t{1} << 31) - 1,
                      "vocabTotal = %lld must lie in [1, 2^31 - 1]", static_cast<long long>(vocab_total));
    REWEIGH_CHECK_ARG(vocab_offset >= 0 && vocab_offset <= vocab_total - batch->vocab,
                      "shard [vocabOffset = %lld, + vocab = %lld) does not fit in vocabTotal = %lld",
                      static_cast<long long>(vocab_offset), static_cast<long long>(batch->vocab),
                      static_cast<long long>(vocab_total));
    const bool probe = reweigh::needs_memory_probe(*batch);
    reweigh::validate_memory_space(*batch, probe, batch->logits, "logits");
    reweigh::validate_memory_space(*batch, probe, batch->targets, "targets");
    reweigh::validate_memory_space(*batch, probe, batch->offsets, "offsets");
    return reweigh::cpu::ShardSpan{vocab_offset, vocab_total};
}

/* The memory space of merge and rebase: host arrays. */
reweigh_ce_batch_t host_space() {
    reweigh_ce_batch_t host = {};
    host.device_type = REWEIGH_DEVICE_CPU;
    return host;
}

/* A place (reweigh_place_t) as the memory space of a batch with no rows: device, index and stream. */
reweigh_ce_batch_t place_space(const reweigh_place_t* place) {
    REWEIGH_CHECK_ARG(place != nullptr, "place is NULL");
    REWEIGH_CHECK_ARG(place->device_type == REWEIGH_DEVICE_CPU || place->device_type == REWEIGH_DEVICE_CUDA,
                      "place.device_type = %d is not CPU (0) or CUDA (1)", place->device_type);
    reweigh_ce_batch_t space = {};
    space.device_type = place->device_type;
    space.device_index = place->device_index;
    space.stream = place->stream;
    reweigh::require_cuda_build(space);
    return space;
}

/* Five [rows] float arrays, present, in the memory of `space` (a shard's batch, or the host) and pairwise disjoint. */
void validate_partials(const char* what, const reweigh_ce_batch_t& space, int64_t rows,
                       const reweigh_ce_partials_t* p) {
    REWEIGH_CHECK_ARG(p != nullptr, "%s is NULL", what);
    REWEIGH_CHECK_ARG(rows >= 0, "rows = %lld must be >= 0", static_cast<long long>(rows));
    const void* arrays[5] = {p->max, p->sum_exp, p->entropy_sum, p->logit_sum, p->target_logit};
    const char* names[5] = {"max", "sumExp", "entropySum", "logitSum", "targetLogit"};
    const bool probe = reweigh::needs_memory_probe(space);
    for (int i = 0; i < 5; ++i) {
        REWEIGH_CHECK_ARG(arrays[i] != nullptr || rows == 0, "%s.%s is NULL (rows = %lld)", what, names[i],
                          static_cast<long long>(rows));
        reweigh::validate_memory_space(space, probe, arrays[i], names[i]);
    }
    for (int i = 0; i < 5; ++i) {
        for (int j = i + 1; j < 5; ++j) {
            check_disjoint(rows_span(names[i], arrays[i], rows, 4), rows_span(names[j], arrays[j], rows, 4));
        }
    }
}

/* Every partial array of `p` against one other range. */
void check_partials_disjoint(int64_t rows, const reweigh_ce_partials_t& p, const Span& other) {
    const void* arrays[5] = {p.max, p.sum_exp, p.entropy_sum, p.logit_sum, p.target_logit};
    const char* names[5] = {"partials.max", "partials.sumExp", "partials.entropySum", "partials.logitSum",
                            "partials.targetLogit"};
    for (int i = 0; i < 5; ++i) check_disjoint(rows_span(names[i], arrays[i], rows, 4), other);
}

Span logits_span(const reweigh_ce_batch_t& b) {
    const int64_t elem = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const int64_t n = b.rows == 0 ? 0 : (b.rows - 1) * b.logits_row_stride + b.vocab;
    return rows_span("logits", b.logits, n, elem);
}

Span index_span(const char* name, const void* p, int64_t n, int32_t dtype) {
    return rows_span(name, p, n, dtype == REWEIGH_DTYPE_I32 ? 4 : 8);
}

void check_partials_vs_batch(const reweigh_ce_batch_t& b, const reweigh_ce_partials_t& p) {
    check_partials_disjoint(b.rows, p, logits_span(b));
    check_partials_disjoint(b.rows, p, index_span("targets", b.targets, b.rows, b.targets_dtype));
    check_partials_disjoint(b.rows, p, index_span("offsets", b.offsets, b.samples + 1, b.offsets_dtype));
}

/* Coefficients, statistics and total in the shard batch's memory (device memory for a CUDA batch). */
void validate_sample_outputs(const reweigh_ce_batch_t& b, const float* coefficients, const reweigh_ce_stats_t* stats,
                             const double* total) {
    const bool probe = reweigh::needs_memory_probe(b);
    reweigh::validate_memory_space(b, probe, coefficients, "coefficients");
    reweigh::validate_memory_space(b, probe, total, "total");
    if (stats == nullptr) return;
    const void* arrays[7] = {stats->loss, stats->log_prob_sum, stats->token_count, stats->mean_entropy,
                             stats->row_lse, stats->row_logp, stats->row_entropy};
    const char* names[7] = {"stats.loss", "stats.logProbSum", "stats.tokenCount", "stats.meanEntropy",
                            "stats.rowLse", "stats.rowLogp", "stats.rowEntropy"};
    for (int i = 0; i < 7; ++i) reweigh::validate_memory_space(b, probe, arrays[i], names[i]);
}

/* reweigh_ce_partials_merge(_on) in `space`: checks, then the CPU loop or the CUDA kernel. */
void merge_in(const reweigh_ce_batch_t& space, int64_t rows, const reweigh_ce_partials_t* from,
              const reweigh_ce_partials_t* into) {
    validate_partials("from", space, rows, from);
    validate_partials("into", space, rows, into);
    const void* arrays[5] = {from->max, from->sum_exp, from->entropy_sum, from->logit_sum, from->target_logit};
    const char* names[5] = {"from.max", "from.sumExp", "from.entropySum", "from.logitSum", "from.targetLogit"};
    for (int i = 0; i < 5; ++i) check_partials_disjoint(rows, *into, rows_span(names[i], arrays[i], rows, 4));
    if (on_cuda(space)) {
        reweigh::cuda::ce_partials_merge(space, rows, *from, *into);
    } else {
        reweigh::cpu::ce_partials_merge(rows, *from, *into);
    }
}

/* reweigh_ce_partials_rebase(_on) in `space`. */
void rebase_in(const reweigh_ce_batch_t& space, int64_t rows, const float* global_max,
               const reweigh_ce_partials_t* partials) {
    validate_partials("partials", space, rows, partials);
    REWEIGH_CHECK_ARG(global_max != nullptr || rows == 0, "globalMax is NULL (rows = %lld)",
                      static_cast<long long>(rows));
    reweigh::validate_memory_space(space, reweigh::needs_memory_probe(space), global_max, "globalMax");
    // globalMax may be partials.max itself (the all-reduce done in place); the other four must not alias it.
    const reweigh_ce_partials_t rest = {nullptr, partials->sum_exp, partials->entropy_sum, partials->logit_sum,
                                        partials->target_logit};
    check_partials_disjoint(rows, rest, rows_span("globalMax", global_max, rows, 4));
    if (on_cuda(space)) {
        reweigh::cuda::ce_partials_rebase(space, rows, global_max, *partials);
    } else {
        reweigh::cpu::ce_partials_rebase(rows, global_max, *partials);
    }
}

}  // namespace

extern "C" {

reweigh_status_t reweigh_ce_partial_forward(const reweigh_ce_batch_t* shard, int64_t vocab_offset,
                                            int64_t vocab_total, const reweigh_ce_options_t* options,
                                            const reweigh_ce_partials_t* partials) {
    return guarded([&] {
        const reweigh::cpu::ShardSpan span = validate_shard(shard, vocab_offset, vocab_total);
        const reweigh::RowParams params = reweigh::validate_options(options);
        validate_partials("partials", *shard, shard->rows, partials);
        check_partials_vs_batch(*shard, *partials);
        if (on_cuda(*shard)) {
            reweigh::cuda::ce_partial_forward(*shard, vocab_offset, vocab_total, *options, params, *partials);
        } else {
            reweigh::cpu::ce_partial_forward(*shard, span, *options, params, *partials);
        }
    });
}

reweigh_status_t reweigh_ce_partials_merge(int64_t rows, const reweigh_ce_partials_t* from,
                                           const reweigh_ce_partials_t* into) {
    return guarded([&] { merge_in(host_space(), rows, from, into); });
}

reweigh_status_t reweigh_ce_partials_merge_on(const reweigh_place_t* place, int64_t rows,
                                              const reweigh_ce_partials_t* from, const reweigh_ce_partials_t* into) {
    return guarded([&] { merge_in(place_space(place), rows, from, into); });
}

reweigh_status_t reweigh_ce_partials_rebase(int64_t rows, const float* global_max,
                                            const reweigh_ce_partials_t* partials) {
    return guarded([&] { rebase_in(host_space(), rows, global_max, partials); });
}

reweigh_status_t reweigh_ce_partials_rebase_on(const reweigh_place_t* place, int64_t rows, const float* global_max,
                                               const reweigh_ce_partials_t* partials) {
    return guarded([&] { rebase_in(place_space(place), rows, global_max, partials); });
}

reweigh_status_t reweigh_ce_sharded_stats(const reweigh_ce_batch_t* shard, int64_t vocab_total,
                                          const reweigh_ce_options_t* options, const reweigh_ce_partials_t* combined,
                                          const float* coefficients, const reweigh_ce_stats_t* stats,
                                          double* total) {
    return guarded([&] {
        const reweigh::cpu::ShardSpan span = validate_shard(shard, 0, vocab_total);
        const reweigh::RowParams params = reweigh::validate_options(options);
        validate_partials("combined", *shard, shard->rows, combined);
        REWEIGH_CHECK_ARG(total == nullptr || coefficients != nullptr, "total needs coefficients (NULL given)");
        validate_sample_outputs(*shard, coefficients, stats, total);
        if (on_cuda(*shard)) {
            reweigh::cuda::ce_sharded_stats(*shard, vocab_total, *options, params, *combined, coefficients, stats,
                                            total);
            return;
        }
        const double t =
            reweigh::cpu::ce_sharded_stats(*shard, span, *options, params, *combined, coefficients, stats);
        if (total != nullptr) *total = t;
    });
}

reweigh_status_t reweigh_ce_sharded_backward(const reweigh_ce_batch_t* shard, int64_t vocab_offset,
                                             int64_t vocab_total, const reweigh_ce_options_t* options,
                                             const reweigh_ce_partials_t* combined, const float* coefficients,
                                             const reweigh_ce_grad_t* grad) {
    return guarded([&] {
        const reweigh::cpu::ShardSpan span = validate_shard(shard, vocab_offset, vocab_total);
        const reweigh::RowParams params = reweigh::validate_options(options);
        validate_partials("combined", *shard, shard->rows, combined);
        REWEIGH_CHECK_ARG(coefficients != nullptr || shard->samples == 0, "coefficients is NULL (samples = %lld)",
                          static_cast<long long>(shard->samples));
        reweigh::validate_grad(*shard, grad);
        reweigh::validate_memory_space(*shard, reweigh::needs_memory_probe(*shard), grad->data, "grad");
        const int64_t elem = shard->logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
        const int64_t n = shard->rows == 0 ? 0 : (shard->rows - 1) * grad->row_stride + shard->vocab;
        check_partials_disjoint(shard->rows, *combined, rows_span("grad", grad->data, n, elem));
        validate_sample_outputs(*shard, coefficients, nullptr, nullptr);
        if (on_cuda(*shard)) {
            reweigh::cuda::ce_sharded_backward(*shard, vocab_offset, vocab_total, *options, params, *combined,
                                               coefficients, *grad);
        } else {
            reweigh::cpu::ce_sharded_backward(*shard, span, *options, params, *combined, coefficients, *grad);
        }
    });
}

reweigh_status_t reweigh_ce_normalizer(const reweigh_ce_batch_t* batch, int64_t vocab_total,
                                       const reweigh_ce_options_t* options, const float* coefficients,
                                       double* normalizer) {
    return guarded([&] {
        const reweigh::cpu::ShardSpan span = validate_shard(batch, 0, vocab_total);
        reweigh::validate_options(options);
        REWEIGH_CHECK_ARG(normalizer != nullptr, "normalizer is NULL");
        validate_sample_outputs(*batch, coefficients, nullptr, normalizer);
        if (on_cuda(*batch)) {
            reweigh::cuda::ce_normalizer(*batch, vocab_total, *options, coefficients, normalizer);
            return;
        }
        *normalizer = reweigh::cpu::ce_local_normalizer(*batch, span, *options, coefficients);
    });
}

}  // extern "C"
