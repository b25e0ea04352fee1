/*
 * ce_validate.cu: content validation on the device, the token counts, the
 * normaliser D and the per-sample gradient scale k_s, before any output is
 * written (the CUDA counterpart of copy_labels / normalizer / sample_scales in
 * ../cpu/labels.cpp, and of check_finite_logits in ../cpu/ce_cpu.cpp); the
 * per-sample arithmetic itself is shared with the CPU (../common/sample_math.h).
 *
 * [Note: device validation and the one host sync] Targets, offsets,
 * coefficients and logits live on the device, so the checks run there: each
 * failed check records its first bad index in a DeviceStatus slot with an
 * integer atomicMin (order-independent, so the reported index is
 * deterministic). Kernels that need valid offsets (counts, D) read the slots
 * first and do nothing after a label error. report_status() then makes the
 * only host synchronisation of a call: one small D2H copy of DeviceStatus and
 * a cudaStreamSynchronize, needed because the call must return
 * INVALID_ARGUMENT *before* the main kernels write the gradient (which may be
 * the logits themselves). On the error path it copies the offending elements
 * back to print the same messages as the CPU path.
 *
 * Asynchronous mode (reweigh_cuda_set_validation_mode) skips that
 * synchronisation: the row and reduction kernels read the status block
 * first and write nothing after a failed check, and fold_status_kernel
 * moves the first failure to the device's deferred status (workspace.cuh),
 * which the next call or reweigh_cuda_deferred_status() reports.
 */
#include <math.h>
#include <stdint.h>

#include "../common/errors.h"
#include "../common/enum_names.h"
#include "../common/row_check.h"
#include "ce.cuh"
#include "launch.cuh"
#include "reduce.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;

/* Offsets well-formed and every target in [0, V) or ignore_index; one thread per row / offset. */
__global__ void check_labels_kernel(LabelArgs a, DeviceStatus* st) {
    const int64_t n = a.rows > a.samples + 1 ? a.rows : a.samples + 1;
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
        if (i <= a.samples) {
            const int64_t o = load_index(a.offsets, a.offsets_dtype, i);
            if (i == 0 && o != 0) record(st, kOffsetFirst, 0);
            if (i == a.samples && o != a.rows) record(st, kOffsetLast, i);
            if (i >= 1) {
                const int64_t prev = i == 1 ? 0 : load_index(a.offsets, a.offsets_dtype, i - 1);
                if (o < prev || o > a.rows) record(st, kOffsetOrder, i);
            }
        }
        if (i < a.rows) {
            const int64_t y = load_index(a.targets, a.targets_dtype, i);
            if (y != a.ignore_index && (y < 0 || y >= a.vocab)) record(st, kTarget, i);
        }
    }
}

/* Counted rows per sample: one warp per sample, integer sums (exact in any order). */
__global__ void count_tokens_kernel(LabelArgs a, const DeviceStatus* st, int64_t* counts) {
    if (labels_failed(st)) return;
    const int lane = static_cast<int>(threadIdx.x) % kWarp;
    const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
    for (int64_t s = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; s < a.samples;
         s += warps) {
        int64_t lo, hi;
        sample_rows(a.offsets, a.offsets_dtype, s, a.rows, &lo, &hi);
        long long n = 0;
        for (int64_t r = lo + lane; r < hi; r += kWarp) {
            n += load_index(a.targets, a.targets_dtype, r) != a.ignore_index ? 1 : 0;
        }
        n = warp_sum(n);
        if (lane == 0) counts[s] = n;
    }
}

struct NormArgs {
    int32_t normalization;
    int32_t token_reduction;
    double explicit_d;
    float grad_scale;
    double* d_out; /* receives D when not NULL */
};

/*
 * One block: coefficients finite (and non-negative under WEIGHT_SUM), D in
 * fp64 (fixed-order block sum), then k_s (common/sample_math.h) for every sample.
 */
__global__ void __launch_bounds__(kThreads) normalizer_kernel(LabelArgs a, NormArgs n, const float* coefficients,
                                                               const int64_t* counts, DeviceStatus* st,
                                                               float* sample_k) {
    REWEIGH_DYNAMIC_SMEM(double, partial);
    if (labels_failed(st)) return;
    double acc = 0.0;
    for (int64_t s = threadIdx.x; s < a.samples; s += blockDim.x) {
        const float c = coefficients != nullptr ? coefficients[s] : 1.0f;
        if (!isfinite(c)) record(st, kCoefficient, s);
        if (n.normalization == REWEIGH_NORMALIZATION_WEIGHT_SUM && c < 0.0f) record(st, kNegativeCoefficient, s);
        acc += normalizer_term(n.normalization, c, counts[s]);
    }
    const double d = normalizer_value(n.normalization, block_sum(acc, partial), n.explicit_d);
    if (threadIdx.x == 0) {
        st->normalizer = d;
        if (n.d_out != nullptr) *n.d_out = d;
    }
    if (sample_k == nullptr) return;
    for (int64_t s = threadIdx.x; s < a.samples; s += blockDim.x) {
        const float c = coefficients != nullptr ? coefficients[s] : 1.0f;
        sample_k[s] = sample_scale(c, d, counts[s], n.token_reduction, n.grad_scale);
    }
}

/* Moves this call's first failure to the device's deferred status (see [Note: deferred status]). */
__global__ void fold_status_kernel(const DeviceStatus* st, DeferredStatus* out, int32_t async, int64_t rows,
                                   int64_t vocab, int64_t label_vocab) {
    if (threadIdx.x != 0) return;
    int first = -1;
    for (int c = 0; c < kNumChecks && first < 0; ++c) {
        if ((async || c == kRowGuard) && st->first_bad[c] != kNone) first = c;
    }
    if (first < 0) return;
    if (atomicCAS(&out->claimed, 0u, 1u) != 0u) return; /* an earlier failure is still pending */
    out->check = first;
    out->mode = first == kRowGuard ? 0 : 1;
    out->index = static_cast<int64_t>(st->first_bad[first]);
    out->rows = rows;
    out->vocab = vocab;
    out->label_vocab = label_vocab;
    __threadfence_system();
    atomicExch(&out->ready, 1u);
}

/* Backward: rowLse finite on every counted row. */
__global__ void check_lse_kernel(LabelArgs a, const float* row_lse, DeviceStatus* st) {
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < a.rows; r += step) {
        if (load_index(a.targets, a.targets_dtype, r) == a.ignore_index) continue;
        if (!isfinite(row_lse[r])) record(st, kLse, r);
    }
}

/* A per-row input finite on every counted row (ignored rows are never read). */
__global__ void check_row_values_kernel(LabelArgs a, const float* values, int check, DeviceStatus* st) {
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < a.rows; r += step) {
        if (load_index(a.targets, a.targets_dtype, r) == a.ignore_index) continue;
        if (!isfinite(values[r])) record(st, static_cast<Check>(check), r);
    }
}

/* Sharded backward: the combined row's lse = max + log(sumExp) finite on every counted row. */
__global__ void check_combined_kernel(LabelArgs a, const float* max, const float* sum_exp, DeviceStatus* st) {
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < a.rows; r += step) {
        if (load_index(a.targets, a.targets_dtype, r) == a.ignore_index) continue;
        if (!isfinite(partial_lse(max[r], sum_exp[r]))) record(st, kCombinedLse, r);
    }
}

/* check_finite: NaN or +inf on a counted row; one block per row, key row * vocab + column. */
template <class T>
__global__ void check_finite_kernel(const T* logits, LabelArgs a, int64_t stride, DeviceStatus* st) {
    for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
        if (load_index(a.targets, a.targets_dtype, r) == a.ignore_index) continue;
        const T* z = logits + r * stride;
        for (int64_t v = threadIdx.x; v < a.vocab; v += blockDim.x) {
            const float x = to_float(z[v]);
            if (isnan(x) || x == INFINITY) {
                record(st, kNonFinite, r * a.vocab + v);
                break;
            }
        }
    }
}

/* ---- host side ---- */

/* The argument a per-row check names. */
const char* check_name(Check c) {
    switch (c) {
        case kLse: return "rowLse";
        case kRowWeight: return "rowWeights";
        case kRowEntropyWeight: return "rowEntropyWeights";
        case kRowEntropy: return "rowEntropy";
        case kOldLogp: return "oldLogp";
        case kAdvantages: return "advantages";
        case kRefLogp: return "refLogp";
        case kEntropyWeights: return "entropyWeights";
        default: return "?";
    }
}

template <class T>
T read_one(const void* base, int64_t index) {
    T value;
    REWEIGH_CUDA_CHECK(cudaMemcpy(&value, static_cast<const T*>(base) + index, sizeof value, cudaMemcpyDeviceToHost));
    return value;
}

int64_t read_index_on_device(const void* data, int32_t dtype, int64_t i) {
    return dtype == REWEIGH_DTYPE_I32 ? static_cast<int64_t>(read_one<int32_t>(data, i)) : read_one<int64_t>(data, i);
}

float read_logit(const reweigh_ce_batch_t& b, int64_t index) {
    if (b.logits_dtype == REWEIGH_DTYPE_F32) return read_one<float>(b.logits, index);
    const uint16_t bits = read_one<uint16_t>(b.logits, index);
    return b.logits_dtype == REWEIGH_DTYPE_BF16 ? bf16_to_float(bits) : half_to_float(bits);
}

void report_labels(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const DeviceStatus& h, int64_t vocab) {
    if (h.first_bad[kOffsetFirst] != kNone) {
        REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "offsets[0] = %lld must be 0",
                     static_cast<long long>(read_index_on_device(b.offsets, b.offsets_dtype, 0)));
    }
    if (h.first_bad[kOffsetLast] != kNone) {
        REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "offsets[%lld] = %lld must equal rows = %lld",
                     static_cast<long long>(b.samples),
                     static_cast<long long>(read_index_on_device(b.offsets, b.offsets_dtype, b.samples)),
                     static_cast<long long>(b.rows));
    }
    const unsigned long long bad_order = h.first_bad[kOffsetOrder];
    const unsigned long long bad_target = h.first_bad[kTarget];
    if (bad_order != kNone) {
        const int64_t i = static_cast<int64_t>(bad_order);
        const int64_t prev = i == 1 ? 0 : read_index_on_device(b.offsets, b.offsets_dtype, i - 1);
        /* The CPU walks samples in order: a bad target in rows before offsets[i-1] comes first. */
        if (bad_target == kNone || static_cast<int64_t>(bad_target) >= prev) {
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "offsets[%lld] = %lld must be nondecreasing and <= rows = %lld (offsets[%lld] = %lld)",
                         static_cast<long long>(i),
                         static_cast<long long>(read_index_on_device(b.offsets, b.offsets_dtype, i)),
                         static_cast<long long>(b.rows), static_cast<long long>(i - 1),
                         static_cast<long long>(prev));
        }
    }
    if (bad_target != kNone) {
        const int64_t r = static_cast<int64_t>(bad_target);
        REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                     "targets[%lld] = %lld is outside [0, vocab = %lld) and is not ignoreIndex (%lld)",
                     static_cast<long long>(r),
                     static_cast<long long>(read_index_on_device(b.targets, b.targets_dtype, r)),
                     static_cast<long long>(vocab), static_cast<long long>(o.ignore_index));
    }
}

/* The per-row checks of backward_rows, the sharded backward and the policy step, in the CPU drivers' order. */
void report_rows(const DeviceStatus& h, const ReportInputs& in) {
    const Check checks[7] = {kRowWeight, kRowEntropyWeight, kRowEntropy, kOldLogp, kAdvantages, kRefLogp,
                             kEntropyWeights};
    const float* arrays[7] = {in.row_weights, in.row_entropy_weights, in.row_entropy, in.old_logp,
                              in.advantages,  in.ref_logp,            in.entropy_weights};
    for (int i = 0; i < 7; ++i) {
        if (h.first_bad[checks[i]] == kNone || arrays[i] == nullptr) continue;
        const int64_t r = static_cast<int64_t>(h.first_bad[checks[i]]);
        check_row_finite(check_name(checks[i]), r, read_one<float>(arrays[i], r));
    }
    if (h.first_bad[kCombinedLse] != kNone && in.combined_max != nullptr) {
        const int64_t r = static_cast<int64_t>(h.first_bad[kCombinedLse]);
        check_combined_lse(r, read_one<float>(in.combined_max, r), read_one<float>(in.combined_sum_exp, r));
    }
}

}  // namespace

void reset_status(DeviceStatus* status, cudaStream_t stream) {
    /* All-ones bytes make every slot kNone (and D a NaN until the normaliser kernel writes it). */
    REWEIGH_CUDA_CHECK(cudaMemsetAsync(status, 0xff, sizeof(DeviceStatus), stream));
}

void launch_check_labels(const LabelArgs& a, DeviceStatus* status, int64_t* counts, cudaStream_t stream) {
    const int64_t n = a.rows > a.samples + 1 ? a.rows : a.samples + 1;
    launch("check_labels_kernel", check_labels_kernel, grid_for(n, kThreads), kThreads, 0, stream, a, status);
    launch("count_tokens_kernel", count_tokens_kernel, grid_for(a.samples, kThreads / kWarp), kThreads, 0, stream,
           a, status, counts);
}

void launch_normalizer(const LabelArgs& a, const reweigh_ce_options_t& o, const CallSettings& settings,
                       const float* coefficients, const int64_t* counts, DeviceStatus* status, float* sample_k,
                       cudaStream_t stream) {
    const NormArgs n = {o.normalization, o.token_reduction, o.normalizer, settings.grad_scale, settings.normalizer};
    /* One block even for samples == 0: D must still be written. */
    launch("normalizer_kernel", normalizer_kernel, 1, kThreads, sizeof(double) * kReduceSlots, stream, a, n,
           coefficients, counts, status, sample_k);
}

void launch_check_lse(const LabelArgs& a, const float* row_lse, DeviceStatus* status, cudaStream_t stream) {
    launch("check_lse_kernel", check_lse_kernel, grid_for(a.rows, kThreads), kThreads, 0, stream, a, row_lse,
           status);
}

void launch_check_row_values(const LabelArgs& a, const float* values, Check check, DeviceStatus* status,
                             cudaStream_t stream) {
    launch("check_row_values_kernel", check_row_values_kernel, grid_for(a.rows, kThreads), kThreads, 0, stream, a,
           values, static_cast<int>(check), status);
}

void launch_check_combined(const LabelArgs& a, const float* max, const float* sum_exp, DeviceStatus* status,
                           cudaStream_t stream) {
    launch("check_combined_kernel", check_combined_kernel, grid_for(a.rows, kThreads), kThreads, 0, stream, a, max,
           sum_exp, status);
}

void launch_check_finite(const reweigh_ce_batch_t& b, int64_t ignore_index, DeviceStatus* status,
                         cudaStream_t stream) {
    const LabelArgs a = make_label_args(b, ignore_index);
    const unsigned grid = grid_for(b.rows, 1);
    switch (b.logits_dtype) {
        case REWEIGH_DTYPE_F32:
            launch("check_finite_kernel<f32>", check_finite_kernel<float>, grid, kThreads, 0, stream,
                   static_cast<const float*>(b.logits), a, b.logits_row_stride, status);
            break;
        case REWEIGH_DTYPE_BF16:
            launch("check_finite_kernel<bf16>", check_finite_kernel<Bf16>, grid, kThreads, 0, stream,
                   static_cast<const Bf16*>(b.logits), a, b.logits_row_stride, status);
            break;
        default:
            launch("check_finite_kernel<f16>", check_finite_kernel<F16>, grid, kThreads, 0, stream,
                   static_cast<const F16*>(b.logits), a, b.logits_row_stride, status);
            break;
    }
}

void report_status(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const DeviceStatus* status,
                   const float* coefficients, const float* row_lse, cudaStream_t stream, const ReportInputs* extra) {
    DeviceStatus h;
    REWEIGH_CUDA_CHECK(cudaMemcpyAsync(&h, status, sizeof h, cudaMemcpyDeviceToHost, stream));
    REWEIGH_CUDA_CHECK(cudaStreamSynchronize(stream));
    report_labels(b, o, h, extra != nullptr && extra->vocab_total > 0 ? extra->vocab_total : b.vocab);
    if (coefficients != nullptr) {
        if (h.first_bad[kCoefficient] != kNone) {
            const int64_t s = static_cast<int64_t>(h.first_bad[kCoefficient]);
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "coefficients[%lld] = %g is not finite",
                         static_cast<long long>(s), static_cast<double>(read_one<float>(coefficients, s)));
        }
        if (h.first_bad[kNegativeCoefficient] != kNone) {
            const int64_t s = static_cast<int64_t>(h.first_bad[kNegativeCoefficient]);
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "coefficients[%lld] = %g is negative under normalization WEIGHT_SUM, whose D = sum of "
                         "coefficients is ill-defined for signed weights: use normalization NONE or an explicit "
                         "normalizer (e.g. for DPO)",
                         static_cast<long long>(s), static_cast<double>(read_one<float>(coefficients, s)));
        }
        REWEIGH_CHECK_ARG(isfinite(h.normalizer), "normalizer D = %g under normalization %s is not finite",
                          h.normalizer, normalization_name(o.normalization));
    }
    if (h.first_bad[kLse] != kNone) {
        const int64_t r = static_cast<int64_t>(h.first_bad[kLse]);
        REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "rowLse[%lld] = %g is not finite", static_cast<long long>(r),
                     static_cast<double>(read_one<float>(row_lse, r)));
    }
    if (extra != nullptr) report_rows(h, *extra);
    if (h.first_bad[kNonFinite] != kNone) {
        const int64_t key = static_cast<int64_t>(h.first_bad[kNonFinite]);
        const int64_t r = key / b.vocab, v = key % b.vocab;
        const float z = read_logit(b, r * b.logits_row_stride + v);
        REWEIGH_FAIL(REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row %lld, column %lld] = %s on a counted row",
                     static_cast<long long>(r), static_cast<long long>(v), isnan(z) ? "NaN" : "+inf");
    }
    raise_deferred(b.device_index);
}

void launch_fold_status(const DeviceStatus* status, bool async, int64_t rows, int64_t vocab, int device,
                        cudaStream_t stream, int64_t label_vocab) {
    launch("fold_status_kernel", fold_status_kernel, 1, kWarp, 0, stream, status, deferred_status_device(device),
           static_cast<int32_t>(async ? 1 : 0), rows, vocab, label_vocab > 0 ? label_vocab : vocab);
}

void raise_deferred(int device) {
    volatile DeferredStatus* h = deferred_status_host(device);
    if (h->ready == 0u) return;
    const int check = h->check, mode = h->mode;
    const long long index = static_cast<long long>(h->index), rows = static_cast<long long>(h->rows),
                    vocab = static_cast<long long>(h->vocab), label_vocab = static_cast<long long>(h->label_vocab);
    h->ready = 0u;
    h->claimed = 0u; /* the next failure may be recorded from here on */
    const char* when = mode == 1 ? "the asynchronous validation of an earlier call on this device (that call wrote no "
                                   "outputs)"
                                 : "a row kernel of an earlier call on this device (the row was treated as ignored: "
                                   "that call's results do not match its input)";
    switch (check) {
        case kOffsetFirst:
        case kOffsetLast:
        case kOffsetOrder:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "offsets[%lld] is out of order or does not end at rows = %lld: found by %s", index, rows,
                         when);
        case kTarget:
        case kRowGuard:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "targets[%lld] is outside [0, vocab = %lld) and is not ignoreIndex: found by %s", index,
                         label_vocab, when);
        case kCoefficient:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "coefficients[%lld] is not finite: found by %s", index, when);
        case kNegativeCoefficient:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "coefficients[%lld] is negative under normalization WEIGHT_SUM (use NONE or an explicit "
                         "normalizer for signed objectives such as DPO): found by %s",
                         index, when);
        case kLse:
        case kRowWeight:
        case kRowEntropyWeight:
        case kRowEntropy:
        case kOldLogp:
        case kAdvantages:
        case kRefLogp:
        case kEntropyWeights:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "%s[%lld] is not finite: found by %s",
                         check_name(static_cast<Check>(check)), index, when);
        case kGlobalMax:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "globalMax[%lld] is below max[%lld] (pass the MAX all-reduce of max): found by %s", index,
                         index, when);
        case kCombinedLse:
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "combined row %lld has lse = max + log(sumExp) not finite: found by %s", index, when);
        case kNonFinite:
            REWEIGH_FAIL(REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row %lld, column %lld] is NaN or +inf: found by %s",
                         index / (vocab > 0 ? vocab : 1), index % (vocab > 0 ? vocab : 1), when);
        default: REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "deferred status check %d", check);
    }
}

LabelArgs make_label_args(const reweigh_ce_batch_t& b, int64_t ignore_index) {
    return {b.targets, b.targets_dtype, b.offsets, b.offsets_dtype, b.rows, b.vocab, b.samples, ignore_index};
}

}  // namespace cuda
}  // namespace reweigh
