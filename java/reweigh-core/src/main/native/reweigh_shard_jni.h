/*
 * reweigh_shard_jni.h: flat-argument wrappers over the vocabulary-sharded
 * entry points of reweigh.h for the JavaCPP glue (the companion of
 * reweigh_jni.h, whose batch and option packing they reuse). Partials travel
 * either as five [rows] float arrays on the heap (reweigh_jni_partial_forward
 * ...) or, for partials in native memory (host or device), as one packed
 * [6, rows] float32 array by address (reweigh_jni_packed_*): max, sum_exp,
 * entropy_sum, logit_sum, target_logit, then the global max a collective
 * combine reduces into. No logic beyond building the structs.
 */
#ifndef REWEIGH_SHARD_JNI_H
#define REWEIGH_SHARD_JNI_H

#include <stdint.h>

#include "reweigh/reweigh.h"
#include "reweigh_jni.h"

static inline reweigh_ce_partials_t reweigh_jni_partials(float* max, float* sum_exp, float* entropy_sum,
                                                         float* logit_sum, float* target_logit) {
    reweigh_ce_partials_t p = {max, sum_exp, entropy_sum, logit_sum, target_logit};
    return p;
}

static inline int32_t reweigh_jni_partial_forward(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_offset, int64_t vocab_total,
                                                  float* max, float* sum_exp, float* entropy_sum, float* logit_sum,
                                                  float* target_logit) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_partials(max, sum_exp, entropy_sum, logit_sum, target_logit);
    return (int32_t)reweigh_ce_partial_forward(&b, vocab_offset, vocab_total, &o, &p);
}

static inline int32_t reweigh_jni_partials_merge(int64_t rows, float* from_max, float* from_sum_exp,
                                                 float* from_entropy_sum, float* from_logit_sum,
                                                 float* from_target_logit, float* into_max, float* into_sum_exp,
                                                 float* into_entropy_sum, float* into_logit_sum,
                                                 float* into_target_logit) {
    reweigh_ce_partials_t from =
        reweigh_jni_partials(from_max, from_sum_exp, from_entropy_sum, from_logit_sum, from_target_logit);
    reweigh_ce_partials_t into =
        reweigh_jni_partials(into_max, into_sum_exp, into_entropy_sum, into_logit_sum, into_target_logit);
    return (int32_t)reweigh_ce_partials_merge(rows, &from, &into);
}

static inline int32_t reweigh_jni_partials_rebase(int64_t rows, const float* global_max, float* max, float* sum_exp,
                                                  float* entropy_sum, float* logit_sum, float* target_logit) {
    reweigh_ce_partials_t p = reweigh_jni_partials(max, sum_exp, entropy_sum, logit_sum, target_logit);
    return (int32_t)reweigh_ce_partials_rebase(rows, global_max, &p);
}

static inline int32_t reweigh_jni_sharded_stats(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_total, float* max,
                                                float* sum_exp, float* entropy_sum, float* logit_sum,
                                                float* target_logit, const float* coefficients, float* loss,
                                                float* log_prob_sum, int64_t* token_count, float* mean_entropy,
                                                float* row_lse, float* row_logp, float* row_entropy, double* total) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_partials(max, sum_exp, entropy_sum, logit_sum, target_logit);
    reweigh_ce_stats_t st = {loss, log_prob_sum, token_count, mean_entropy, row_lse, row_logp, row_entropy};
    return (int32_t)reweigh_ce_sharded_stats(&b, vocab_total, &o, &p, coefficients, &st, total);
}

static inline int32_t reweigh_jni_sharded_backward(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_offset,
                                                   int64_t vocab_total, float* max, float* sum_exp,
                                                   float* entropy_sum, float* logit_sum, float* target_logit,
                                                   const float* coefficients, void* grad, int64_t grad_row_stride) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_partials(max, sum_exp, entropy_sum, logit_sum, target_logit);
    reweigh_ce_grad_t g = {grad, grad_row_stride};
    return (int32_t)reweigh_ce_sharded_backward(&b, vocab_offset, vocab_total, &o, &p, coefficients, &g);
}

static inline int32_t reweigh_jni_normalizer(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_total, const float* coefficients,
                                             double* normalizer) {
    REWEIGH_JNI_BATCH_ARGS;
    return (int32_t)reweigh_ce_normalizer(&b, vocab_total, &o, coefficients, normalizer);
}

/* The batch and options as every binding of reweigh_jni.h takes them, plus the row count. */
#define REWEIGH_JNI_PACKED_BATCH_ARGS \
    REWEIGH_JNI_BATCH_ARGS;           \
    const int64_t rows = b.rows

static inline reweigh_ce_partials_t reweigh_jni_packed_partials(float* base, int64_t rows) {
    reweigh_ce_partials_t p = {base, base + rows, base + 2 * rows, base + 3 * rows, base + 4 * rows};
    return p;
}

static inline reweigh_place_t reweigh_jni_place(int32_t device_type, int32_t device_index, int64_t stream) {
    reweigh_place_t place = {device_type, device_index, (uint64_t)stream};
    return place;
}

static inline int32_t reweigh_jni_packed_partial_forward(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_offset,
                                                         int64_t vocab_total, float* partials) {
    REWEIGH_JNI_PACKED_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_packed_partials(partials, rows);
    return (int32_t)reweigh_ce_partial_forward(&b, vocab_offset, vocab_total, &o, &p);
}

static inline int32_t reweigh_jni_packed_partials_merge_on(int32_t device_type, int32_t device_index, int64_t stream,
                                                           int64_t rows, float* from, float* into) {
    reweigh_place_t place = reweigh_jni_place(device_type, device_index, stream);
    reweigh_ce_partials_t f = reweigh_jni_packed_partials(from, rows);
    reweigh_ce_partials_t i = reweigh_jni_packed_partials(into, rows);
    return (int32_t)reweigh_ce_partials_merge_on(&place, rows, &f, &i);
}

/* Rebase to the global max held in the packed array's sixth row. */
static inline int32_t reweigh_jni_packed_partials_rebase_on(int32_t device_type, int32_t device_index,
                                                            int64_t stream, int64_t rows, float* partials) {
    reweigh_place_t place = reweigh_jni_place(device_type, device_index, stream);
    reweigh_ce_partials_t p = reweigh_jni_packed_partials(partials, rows);
    return (int32_t)reweigh_ce_partials_rebase_on(&place, rows, partials + 5 * rows, &p);
}

static inline int32_t reweigh_jni_packed_sharded_stats(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_total,
                                                       float* partials, const float* coefficients, float* loss,
                                                       float* log_prob_sum, int64_t* token_count, float* mean_entropy,
                                                       float* row_lse, float* row_logp, float* row_entropy,
                                                       double* total) {
    REWEIGH_JNI_PACKED_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_packed_partials(partials, rows);
    reweigh_ce_stats_t st = {loss, log_prob_sum, token_count, mean_entropy, row_lse, row_logp, row_entropy};
    return (int32_t)reweigh_ce_sharded_stats(&b, vocab_total, &o, &p, coefficients, &st, total);
}

static inline int32_t reweigh_jni_packed_sharded_backward(REWEIGH_JNI_BATCH_PARAMS, int64_t vocab_offset,
                                                          int64_t vocab_total, float* partials,
                                                          const float* coefficients, void* grad,
                                                          int64_t grad_row_stride) {
    REWEIGH_JNI_PACKED_BATCH_ARGS;
    reweigh_ce_partials_t p = reweigh_jni_packed_partials(partials, rows);
    reweigh_ce_grad_t g = {grad, grad_row_stride};
    return (int32_t)reweigh_ce_sharded_backward(&b, vocab_offset, vocab_total, &o, &p, coefficients, &g);
}

#endif
