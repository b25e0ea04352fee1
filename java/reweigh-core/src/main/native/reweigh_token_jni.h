/*
 * reweigh_token_jni.h: the flat-argument wrapper of reweigh_ce_backward_rows
 * (per-row coefficients, reweigh.h) for the JavaCPP glue of
 * dev.reweigh.nativeapi.ReweighNative. Same conventions as reweigh_jni.h (the
 * batch packing of REWEIGH_JNI_BATCH_PARAMS, the ABI structs built on the
 * stack), no logic.
 */
#ifndef REWEIGH_TOKEN_JNI_H
#define REWEIGH_TOKEN_JNI_H

#include "reweigh_jni.h"

static inline int32_t reweigh_jni_backward_rows(REWEIGH_JNI_BATCH_PARAMS, const float* row_lse,
                                                const float* row_entropy, const float* coefficients,
                                                const float* row_weights, const float* row_entropy_weights,
                                                void* grad, int64_t grad_row_stride) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_grad_t g;
    g.data = grad;
    g.row_stride = grad_row_stride;
    return (int32_t)reweigh_ce_backward_rows(&b, &o, row_lse, row_entropy, coefficients, row_weights,
                                             row_entropy_weights, &g);
}

#endif
