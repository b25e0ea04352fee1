/*
 * ce.cuh: the pieces the CUDA cross-entropy files share: element types,
 * index reads, the device status block of the validation kernels and row
 * guards, and the host launchers of ce_validate.cu, ce_rows.cu and ce_reduce.cu, which
 * ce_cuda.cu strings together (see its header for the order of work).
 */
#ifndef REWEIGH_CUDA_CE_CUH
#define REWEIGH_CUDA_CE_CUH

#include <cuda_runtime.h>
#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif
#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "../common/fp16.h"
#include "ce_cuda.h"
#include "reweigh/reweigh.h"
#include "../common/sample_math.h"

namespace reweigh {
namespace cuda {

/* ---- element types: storage wrappers around the shared conversions ---- */

struct Bf16 {
    uint16_t bits;
};
struct F16 {
    uint16_t bits;
};

/* Widening and round-to-nearest-even narrowing: the hardware conversions on the device, the shared
 * integer versions (../common/bf16.h, fp16.h: bit-identical for finite values) elsewhere. */
__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(Bf16 x) {
#if defined(__CUDA_ARCH__)
    return __bfloat162float(__ushort_as_bfloat16(x.bits));
#else
    return bf16_to_float(x.bits);
#endif
}
__device__ __forceinline__ float to_float(F16 x) {
#if defined(__CUDA_ARCH__)
    return __half2float(__ushort_as_half(x.bits));
#else
    return half_to_float(x.bits);
#endif
}

template <class T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ Bf16 from_float<Bf16>(float x) {
#if defined(__CUDA_ARCH__)
    return Bf16{__bfloat16_as_ushort(__float2bfloat16_rn(x))};
#else
    return Bf16{float_to_bf16(x)};
#endif
}
template <>
__device__ __forceinline__ F16 from_float<F16>(float x) {
#if defined(__CUDA_ARCH__)
    return F16{__half_as_ushort(__float2half_rn(x))};
#else
    return F16{float_to_half(x)};
#endif
}

/* targets / offsets are I32 or I64, chosen at run time (a uniform branch). */
__device__ __forceinline__ int64_t load_index(const void* data, int32_t dtype, int64_t i) {
    return dtype == REWEIGH_DTYPE_I32 ? static_cast<int64_t>(static_cast<const int32_t*>(data)[i])
                                     : static_cast<const int64_t*>(data)[i];
}

/*
 * Row range [*lo, *hi) of sample s, clamped to [0, rows]: offsets are
 * validated before use, but the caller's memory may change during the call
 * (another stream), and an offset addresses per-row arrays.
 */
__device__ __forceinline__ void sample_rows(const void* offsets, int32_t dtype, int64_t s, int64_t rows, int64_t* lo,
                                            int64_t* hi) {
    int64_t a = load_index(offsets, dtype, s), b = load_index(offsets, dtype, s + 1);
    a = a < 0 ? 0 : (a > rows ? rows : a);
    b = b < a ? a : (b > rows ? rows : b);
    *lo = a;
    *hi = b;
}

/* The sample owning row r: the largest s in [0, samples) with offsets[s] <= r (offsets validated);
 * always in [0, samples) whatever the offsets hold. */
__device__ __forceinline__ int64_t find_sample(const void* offsets, int32_t dtype, int64_t samples, int64_t r) {
    int64_t lo = 0, hi = samples; /* invariant: offsets[lo] <= r < offsets[hi] */
    while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (load_index(offsets, dtype, mid) <= r) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* ---- device status of the validation kernels ---- */

/* One slot per check: the first bad index (atomicMin), kNone when the check passed. */
enum Check : int {
    kOffsetFirst = 0,     /* offsets[0] != 0 */
    kOffsetLast,          /* offsets[samples] != rows */
    kOffsetOrder,         /* index i >= 1 with offsets[i] < offsets[i-1] or > rows */
    kTarget,              /* row with target outside [0, V) and not ignore_index */
    kCoefficient,         /* sample with a non-finite coefficient */
    kNegativeCoefficient, /* WEIGHT_SUM: sample with a negative coefficient */
    kLse,                 /* counted row with non-finite rowLse (backward) */
    kNonFinite,           /* row * vocab + column of a NaN/+inf logit on a counted row (check_finite) */
    kRowWeight,           /* backward_rows: counted row with a non-finite rowWeights entry */
    kRowEntropyWeight,    /* backward_rows: counted row with a non-finite rowEntropyWeights entry */
    kRowEntropy,          /* backward_rows with beta: counted row with a non-finite rowEntropy entry */
    kCombinedLse,         /* sharded backward: counted row whose combined max + log(sumExp) is not finite */
    kGlobalMax,           /* partials rebase: row whose globalMax lies below its max */
    kOldLogp,             /* policy step (CLIPPED): counted row with a non-finite oldLogp entry */
    kAdvantages,          /* policy step (CLIPPED): counted row with a non-finite advantages entry */
    kRefLogp,             /* policy step with KL: counted row with a non-finite refLogp entry */
    kEntropyWeights,      /* policy step with entropy weights: counted row with a non-finite entry */
    kRowGuard,            /* a row kernel met a target outside [0, V) after validation (treated as ignored) */
    kNumChecks
};
constexpr unsigned long long kNone = ~0ull;

struct DeviceStatus {
    unsigned long long first_bad[kNumChecks];
    double normalizer; /* D, written by the normaliser kernel */
    double pad;
};

__device__ __forceinline__ bool labels_failed(const DeviceStatus* st) {
    return st->first_bad[kOffsetFirst] != kNone || st->first_bad[kOffsetLast] != kNone ||
           st->first_bad[kOffsetOrder] != kNone || st->first_bad[kTarget] != kNone;
}

/* Any validation failure (everything but the row guard, which row kernels set themselves). */
__device__ __forceinline__ bool validation_failed(const DeviceStatus* st) {
    for (int c = 0; c < kRowGuard; ++c) {
        if (st->first_bad[c] != kNone) return true;
    }
    return false;
}

__device__ __forceinline__ void record(DeviceStatus* st, Check check, int64_t index) {
    atomicMin(&st->first_bad[check], static_cast<unsigned long long>(index));
}

/* ce_cuda.cu: the batch's stream, and UNSUPPORTED / INVALID_ARGUMENT unless its device can run the kernels. */
cudaStream_t stream_of(const reweigh_ce_batch_t& b);
void check_device(const reweigh_ce_batch_t& b);

/* cuda_facts.cu: UNSUPPORTED (naming the capability) below compute capability 8.0. */
void check_compute_capability(int device);
/* ce_cuda.cu: the calling thread's validation mode. */
void set_validation_async(bool async);
bool validation_async();

/* ---- host launchers (all on `stream`, all checked) ---- */

struct LabelArgs {
    const void* targets;
    int32_t targets_dtype;
    const void* offsets;
    int32_t offsets_dtype;
    int64_t rows;
    int64_t vocab;
    int64_t samples;
    int64_t ignore_index;
};

/* ce_validate.cu. status must be reset by reset_status() first. */
LabelArgs make_label_args(const reweigh_ce_batch_t& b, int64_t ignore_index);
void reset_status(DeviceStatus* status, cudaStream_t stream);
void launch_check_labels(const LabelArgs& a, DeviceStatus* status, int64_t* counts, cudaStream_t stream);
/*
 * D and per-sample k_s (common/sample_math.h); coefficients may be NULL (then c_s = 1), sample_k may be
 * NULL (forward). Also checks the coefficients (finite; non-negative under WEIGHT_SUM) and writes D
 * to settings.normalizer when given.
 */
void launch_normalizer(const LabelArgs& a, const reweigh_ce_options_t& o, const CallSettings& settings,
                       const float* coefficients, const int64_t* counts, DeviceStatus* status, float* sample_k,
                       cudaStream_t stream);
void launch_check_lse(const LabelArgs& a, const float* row_lse, DeviceStatus* status, cudaStream_t stream);
void launch_check_finite(const reweigh_ce_batch_t& b, int64_t ignore_index, DeviceStatus* status,
                         cudaStream_t stream);
/* Counted rows r (target not ignore_index) with a non-finite values[r] record `check`. */
void launch_check_row_values(const LabelArgs& a, const float* values, Check check, DeviceStatus* status,
                             cudaStream_t stream);

/* Sharded backward: counted rows whose combined max + log(sumExp) is not finite record kCombinedLse. */
void launch_check_combined(const LabelArgs& a, const float* max, const float* sum_exp, DeviceStatus* status,
                           cudaStream_t stream);

/* What a report may need beyond the batch: per-row device arrays to read back for a message (NULL when the
 * call has none) and, for a vocabulary shard, the vocabulary the targets index (0: batch.vocab). */
struct ReportInputs {
    const float* row_weights;         /* kRowWeight */
    const float* row_entropy_weights; /* kRowEntropyWeight */
    const float* row_entropy;         /* kRowEntropy */
    const float* combined_max;        /* kCombinedLse */
    const float* combined_sum_exp;
    const float* old_logp;            /* kOldLogp ... kEntropyWeights (policy step) */
    const float* advantages;
    const float* ref_logp;
    const float* entropy_weights;
    int64_t vocab_total;
};

/*
 * Synchronous mode: one D2H copy + stream sync, then throws the first failed check with a
 * CPU-style message. Also reports (and clears) a deferred status left by an earlier call.
 */
void report_status(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const DeviceStatus* status,
                   const float* coefficients, const float* row_lse, cudaStream_t stream,
                   const ReportInputs* extra = nullptr);
/*
 * End of every call: the first failure of this call's status (validation in asynchronous mode,
 * the row guard in any mode) goes to the device's deferred status unless one is pending there.
 */
void launch_fold_status(const DeviceStatus* status, bool async, int64_t rows, int64_t vocab, int device,
                        cudaStream_t stream, int64_t label_vocab = 0);
/* Throws the pending deferred status of `device` (and clears it); no synchronisation. */
void raise_deferred(int device);

/* ce_rows.cu: the per-row kernels. */
enum class RowMode : int { Forward = 0, Backward = 1, ForwardBackward = 2 };

struct RowArgs {
    const void* logits;
    int64_t rows;
    int64_t vocab;
    int64_t stride;
    const void* targets;
    int32_t targets_dtype;
    int32_t offsets_dtype;
    const void* offsets;
    int64_t samples;
    int64_t ignore_index;
    RowParams params;
    float* lse; /* per-row outputs (forward modes) */
    float* logp;
    float* entropy;
    float* loss;
    const float* in_lse;   /* backward */
    const float* sample_k; /* backward modes */
    void* grad;
    int64_t grad_stride;
    DeviceStatus* status; /* the row guard records here; asynchronous mode reads it first */
    int32_t async;
};

/*
 * Row r's target read once, or -1 for a row treated as ignored: ignore_index, or a target outside
 * [0, vocab_total) that is recorded in the kRowGuard slot (the row guard of ce_rows.cu).
 */
__device__ __forceinline__ int64_t guarded_target(const RowArgs& a, int64_t vocab_total, int64_t r) {
    const int64_t y = load_index(a.targets, a.targets_dtype, r);
    if (y == a.ignore_index) return -1;
    if (y < 0 || y >= vocab_total) {
        record(a.status, kRowGuard, r);
        return -1;
    }
    return y;
}

/* guarded_target read by thread 0 and broadcast through `slot` (shared memory), so the whole block agrees on it. */
__device__ __forceinline__ int64_t block_target(const RowArgs& a, int64_t vocab_total, int64_t r, int64_t* slot) {
    if (threadIdx.x == 0) *slot = guarded_target(a, vocab_total, r);
    __syncthreads();
    return *slot;
}

/* Bytes of workspace launch_rows needs for `mode` (cross-block partials and group counters). */
size_t rows_workspace_bytes(RowMode mode, int32_t logits_dtype, const RowArgs& a);
/* `workspace` points at rows_workspace_bytes() bytes (256-byte aligned). */
void launch_rows(RowMode mode, int32_t logits_dtype, const RowArgs& a, void* workspace, cudaStream_t stream);

/* ---- ce_cuda.cu: pieces of the drivers that the sharded and per-row drivers share ---- */

class Workspace;
/* Workspace bytes of a forward pass's per-row outputs: the row loss, and every row array of `s` not given. */
size_t row_outputs_bytes(const reweigh_ce_stats_t& s, int64_t rows);
/*
 * Points a.loss at a workspace piece and a.lse, a.logp, a.entropy at the caller's arrays of `s` when
 * given, else at workspace pieces (taken in that order: row_outputs_bytes() of them in all).
 */
void take_row_outputs(Workspace& ws, const reweigh_ce_stats_t& s, int64_t rows, RowArgs& a);
/* The RowArgs of a batch and its options (per-row buffers, k_s, grad and status unset). */
RowArgs row_args(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p);
/*
 * Per-sample statistics from per-row loss, logp and entropy (ce_reduce.cu below); with
 * coefficients also weighted[s] = c_s loss_s, and *total = sum_s weighted[s] / D when total is given.
 */
void reduce_samples(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const int64_t* counts,
                    const float* loss, const float* logp, const float* entropy, const float* coefficients,
                    double* weighted, const DeviceStatus* status, bool async, const reweigh_ce_stats_t& stats,
                    double* total, cudaStream_t stream);

/* ce_reduce.cu: per-sample fp64 sums in a fixed order; weighted[s] = c_s * loss_s (if coefficients). */
struct SampleArgs {
    const void* offsets;
    int32_t offsets_dtype;
    int64_t samples;
    int32_t token_reduction;
    const int64_t* counts;
    const float* row_loss;
    const float* row_logp;
    const float* row_entropy;
    const float* coefficients; /* NULL in forward */
    double* weighted;          /* [samples], only with coefficients */
    const DeviceStatus* status; /* asynchronous mode: nothing is written after a failed check */
    int32_t async;
};

void launch_sample_reduce(const SampleArgs& a, int64_t rows, const reweigh_ce_stats_t& stats, cudaStream_t stream);
/* *total = sum_s weighted[s] / D (0 for D = 0), in a fixed order. */
void launch_total(const double* weighted, int64_t samples, const DeviceStatus* status, int32_t async,
                  double* total, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
