/*
 * reweigh_shard_jni.h: flat-argument wrappers over the vocabulary-sharded
 * entry points of reweigh.h for the JavaCPP glue (the companion of
 * reweigh_jni.h, whose batch and option packing they reuse). Partials travel
 * as five [rows] float arrays. No logic beyond building the structs.
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

#endif
