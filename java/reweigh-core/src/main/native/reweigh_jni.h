/*
 * reweigh_jni.h: flat-argument wrappers over reweigh.h for the JavaCPP glue.
 *
 * JavaCPP passes Java arrays (pinned with GetPrimitiveArrayCritical) and raw
 * addresses as plain pointers, but cannot fill a C struct from them in the
 * same call. These wrappers take the data pointers as arguments and the
 * batch's scalars and the options as small int64/double arrays, build the ABI
 * structs on the stack and call the real entry point: one JNI transition per
 * kernel call, no native allocation. They hold no logic beyond that.
 */
#ifndef REWEIGH_JNI_H
#define REWEIGH_JNI_H

#include <stdint.h>

#include "reweigh/reweigh.h"

/*
 * The batch's scalar fields travel as one int64 array, built once per NativeBatch
 * (per call for heap arrays) on the Java side, in the order of this enum; the
 * three data pointers travel apart (pinned heap arrays or raw addresses).
 */
enum {
    REWEIGH_JNI_LOGITS_DTYPE,
    REWEIGH_JNI_ROWS,
    REWEIGH_JNI_VOCAB,
    REWEIGH_JNI_ROW_STRIDE,
    REWEIGH_JNI_TARGETS_DTYPE,
    REWEIGH_JNI_OFFSETS_DTYPE,
    REWEIGH_JNI_SAMPLES,
    REWEIGH_JNI_DEVICE_TYPE,
    REWEIGH_JNI_DEVICE_INDEX,
    REWEIGH_JNI_STREAM,
    REWEIGH_JNI_BATCH_FIELDS
};

static inline reweigh_ce_batch_t reweigh_jni_batch(const void* logits, const void* targets, const void* offsets,
                                                   const int64_t* fields) {
    reweigh_ce_batch_t b;
    b.logits = logits;
    b.logits_dtype = (int32_t)fields[REWEIGH_JNI_LOGITS_DTYPE];
    b.targets_dtype = (int32_t)fields[REWEIGH_JNI_TARGETS_DTYPE];
    b.rows = fields[REWEIGH_JNI_ROWS];
    b.vocab = fields[REWEIGH_JNI_VOCAB];
    b.logits_row_stride = fields[REWEIGH_JNI_ROW_STRIDE];
    b.targets = targets;
    b.offsets = offsets;
    b.offsets_dtype = (int32_t)fields[REWEIGH_JNI_OFFSETS_DTYPE];
    b.device_type = (int32_t)fields[REWEIGH_JNI_DEVICE_TYPE];
    b.samples = fields[REWEIGH_JNI_SAMPLES];
    b.device_index = (int32_t)fields[REWEIGH_JNI_DEVICE_INDEX];
    b.reserved0 = 0;
    b.stream = (uint64_t)fields[REWEIGH_JNI_STREAM];
    return b;
}

/*
 * Options travel as two small arrays built once per LossSpec on the Java side:
 *   float_options = {label_smoothing, z_loss, softcap, logit_scale, normalizer}
 *   int_options   = {ignore_index, token_reduction, normalization, check_finite}
 */
static inline reweigh_ce_options_t reweigh_jni_options(const double* float_options, const int64_t* int_options) {
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.label_smoothing = (float)float_options[0];
    o.z_loss = (float)float_options[1];
    o.softcap = (float)float_options[2];
    o.logit_scale = (float)float_options[3];
    o.normalizer = float_options[4];
    o.ignore_index = int_options[0];
    o.token_reduction = (int32_t)int_options[1];
    o.normalization = (int32_t)int_options[2];
    o.check_finite = (int32_t)int_options[3];
    return o;
}

#define REWEIGH_JNI_BATCH_PARAMS                                                                            \
    const void *logits, const void *targets, const void *offsets, const int64_t *batch_fields,              \
        const double *float_options, const int64_t *int_options

#define REWEIGH_JNI_BATCH_ARGS                                                                              \
    reweigh_ce_batch_t b = reweigh_jni_batch(logits, targets, offsets, batch_fields);                      \
    reweigh_ce_options_t o = reweigh_jni_options(float_options, int_options)

static inline int32_t reweigh_jni_forward(REWEIGH_JNI_BATCH_PARAMS, float* loss, float* log_prob_sum,
                                          int64_t* token_count, float* mean_entropy, float* row_lse,
                                          float* row_logp, float* row_entropy) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_stats_t st = {loss, log_prob_sum, token_count, mean_entropy, row_lse, row_logp, row_entropy};
    return (int32_t)reweigh_ce_forward(&b, &o, &st);
}

static inline int32_t reweigh_jni_backward(REWEIGH_JNI_BATCH_PARAMS, const float* row_lse,
                                           const float* coefficients, void* grad, int64_t grad_row_stride) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_grad_t g = {grad, grad_row_stride};
    return (int32_t)reweigh_ce_backward(&b, &o, row_lse, coefficients, &g);
}

static inline int32_t reweigh_jni_forward_backward(REWEIGH_JNI_BATCH_PARAMS, const float* coefficients,
                                                   void* grad, int64_t grad_row_stride, float* loss,
                                                   float* log_prob_sum, int64_t* token_count, float* mean_entropy,
                                                   float* row_lse, float* row_logp, float* row_entropy,
                                                   double* total) {
    REWEIGH_JNI_BATCH_ARGS;
    reweigh_ce_stats_t st = {loss, log_prob_sum, token_count, mean_entropy, row_lse, row_logp, row_entropy};
    reweigh_ce_grad_t g = {grad, grad_row_stride};
    return (int32_t)reweigh_ce_forward_backward(&b, &o, coefficients, &st, &g, total);
}

#endif
