/*
 * reweigh_policy_jni.h: the flat-argument wrapper of
 * reweigh_policy_forward_backward (the one-pass policy step, reweigh.h) for
 * the JavaCPP glue of dev.reweigh.nativeapi.ReweighNative. Same conventions as
 * reweigh_jni.h (the batch packing of REWEIGH_JNI_BATCH_PARAMS, the ABI
 * structs built on the stack), no logic.
 */
#ifndef REWEIGH_POLICY_JNI_H
#define REWEIGH_POLICY_JNI_H

#include "reweigh_jni.h"

static inline int32_t reweigh_jni_policy_forward_backward(
    REWEIGH_JNI_BATCH_PARAMS, int32_t loss, int32_t level, double eps_low, double eps_high, double kl_coefficient,
    const float* old_logp, const float* advantages, const float* ref_logp, const float* entropy_weights,
    float* row_logp, float* row_entropy, float* row_weights, int8_t* row_clipped, double* objective,
    int64_t* clip_counts, void* grad, int64_t grad_row_stride) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_policy_options_t p = reweigh_policy_options_default();
    p.loss = loss;
    p.level = level;
    p.eps_low = eps_low;
    p.eps_high = eps_high;
    p.kl_coefficient = kl_coefficient;
    reweigh_policy_rows_t in = {old_logp, advantages, ref_logp, entropy_weights};
    reweigh_policy_result_t out = {row_logp, row_entropy, row_weights, row_clipped, objective, clip_counts};
    reweigh_ce_grad_t g;
    g.data = grad;
    g.row_stride = grad_row_stride;
    return (int32_t)reweigh_policy_forward_backward(&b, &o, &p, &in, &out, &g);
}

#endif
