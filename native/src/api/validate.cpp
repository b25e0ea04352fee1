#include "validate.h"

#include <math.h>
#include <stdint.h>

#include "../common/enum_names.h"
#include "../common/errors.h"
#include "../cuda/ce_cuda.h"

namespace reweigh {

void validate_batch(const reweigh_ce_batch_t* batch) {
    REWEIGH_CHECK_ARG(batch != nullptr, "batch is NULL");
    const reweigh_ce_batch_t& b = *batch;
    REWEIGH_CHECK_ARG(b.device_type == REWEIGH_DEVICE_CPU || b.device_type == REWEIGH_DEVICE_CUDA,
                      "batch.device_type = %d is not CPU (0) or CUDA (1)", b.device_type);
    REWEIGH_CHECK_ARG(b.rows >= 0, "rows = %lld must be >= 0", static_cast<long long>(b.rows));
    REWEIGH_CHECK_ARG(b.vocab >= 1, "vocab = %lld must be >= 1", static_cast<long long>(b.vocab));
    REWEIGH_CHECK_ARG(b.vocab <= (int64_t{1} << 31) - 1, "vocab = %lld exceeds 2^31 - 1",
                      static_cast<long long>(b.vocab));
    REWEIGH_CHECK_ARG(b.samples >= 0, "samples = %lld must be >= 0", static_cast<long long>(b.samples));
    REWEIGH_CHECK_ARG(b.logits_dtype == REWEIGH_DTYPE_F32 || b.logits_dtype == REWEIGH_DTYPE_BF16 ||
                          b.logits_dtype == REWEIGH_DTYPE_F16,
                      "logits dtype %d (%s) is not F32, BF16 or F16", b.logits_dtype, dtype_name(b.logits_dtype));
    REWEIGH_CHECK_ARG(b.targets_dtype == REWEIGH_DTYPE_I32 || b.targets_dtype == REWEIGH_DTYPE_I64,
                      "targets dtype %d (%s) is not I32 or I64", b.targets_dtype, dtype_name(b.targets_dtype));
    REWEIGH_CHECK_ARG(b.offsets_dtype == REWEIGH_DTYPE_I32 || b.offsets_dtype == REWEIGH_DTYPE_I64,
                      "offsets dtype %d (%s) is not I32 or I64", b.offsets_dtype, dtype_name(b.offsets_dtype));
    REWEIGH_CHECK_ARG(b.logits_row_stride >= b.vocab, "logits row stride = %lld is smaller than vocab = %lld",
                      static_cast<long long>(b.logits_row_stride), static_cast<long long>(b.vocab));
    if (b.rows > 0) {
        REWEIGH_CHECK_ARG(b.logits != nullptr, "logits is NULL (rows = %lld)", static_cast<long long>(b.rows));
        REWEIGH_CHECK_ARG(b.targets != nullptr, "targets is NULL (rows = %lld)", static_cast<long long>(b.rows));
        REWEIGH_CHECK_ARG(b.logits_row_stride <= INT64_MAX / b.rows, "rows * logits row stride overflows int64");
    }
    REWEIGH_CHECK_ARG(b.offsets != nullptr, "offsets is NULL");
}

RowParams validate_options(const reweigh_ce_options_t* options) {
    REWEIGH_CHECK_ARG(options != nullptr, "options is NULL");
    const reweigh_ce_options_t& o = *options;
    REWEIGH_CHECK_ARG(o.label_smoothing >= 0.0f && o.label_smoothing <= 1.0f,
                      "labelSmoothing = %g must lie in [0, 1]", static_cast<double>(o.label_smoothing));
    REWEIGH_CHECK_ARG(o.z_loss >= 0.0f && isfinite(o.z_loss), "zLoss = %g must be finite and >= 0",
                      static_cast<double>(o.z_loss));
    REWEIGH_CHECK_ARG(o.softcap >= 0.0f && isfinite(o.softcap), "softcap = %g must be finite and >= 0 (0 = off)",
                      static_cast<double>(o.softcap));
    REWEIGH_CHECK_ARG(o.logit_scale > 0.0f && isfinite(o.logit_scale), "logitScale = %g must be finite and > 0",
                      static_cast<double>(o.logit_scale));
    REWEIGH_CHECK_ARG(o.grad_scale > 0.0f && isfinite(o.grad_scale), "gradScale = %g must be finite and > 0",
                      static_cast<double>(o.grad_scale));
    REWEIGH_CHECK_ARG(o.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN ||
                          o.token_reduction == REWEIGH_TOKEN_REDUCTION_SUM,
                      "tokenReduction = %d is not MEAN (0) or SUM (1)", o.token_reduction);
    REWEIGH_CHECK_ARG(o.normalization >= REWEIGH_NORMALIZATION_WEIGHT_SUM &&
                          o.normalization <= REWEIGH_NORMALIZATION_EXPLICIT,
                      "normalization = %d is not a reweigh_normalization_t", o.normalization);
    if (o.normalization == REWEIGH_NORMALIZATION_EXPLICIT) {
        REWEIGH_CHECK_ARG(isfinite(o.normalizer) && o.normalizer != 0.0,
                          "explicit normalizer D = %g must be finite and nonzero", o.normalizer);
    }
    RowParams p;
    p.scale = o.logit_scale;
    p.softcap = o.softcap;
    p.eps = o.label_smoothing;
    p.zloss = o.z_loss;
    return p;
}

void require_cuda_build(const reweigh_ce_batch_t& batch) {
    if (batch.device_type == REWEIGH_DEVICE_CUDA && !cuda::compiled()) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED,
                     "batch.device_type is CUDA but this libreweigh was built without CUDA kernels");
    }
}

bool needs_memory_probe(const reweigh_ce_batch_t& batch) {
    // A CPU batch probes only when this process already has a CUDA context (else no pointer can be
    // device memory): a CPU-only user of a GPU machine never initialises CUDA through this library.
    return batch.device_type == REWEIGH_DEVICE_CUDA || cuda::context_exists();
}

void validate_memory_space(const reweigh_ce_batch_t& batch, bool probe, const void* ptr, const char* name) {
    if (ptr == nullptr || !probe) return;
    int32_t type = REWEIGH_DEVICE_CPU, index = 0;
    cuda::pointer_device(ptr, &type, &index);
    if (batch.device_type == REWEIGH_DEVICE_CPU) {
        REWEIGH_CHECK_ARG(type == REWEIGH_DEVICE_CPU,
                          "%s is a CUDA device pointer (device %d) but the batch runs on the CPU", name, index);
    } else {
        REWEIGH_CHECK_ARG(type == REWEIGH_DEVICE_CUDA,
                          "%s is host memory but the batch runs on CUDA device %d", name, batch.device_index);
        REWEIGH_CHECK_ARG(index == batch.device_index, "%s lives on CUDA device %d but the batch runs on device %d",
                          name, index, batch.device_index);
    }
}

void validate_grad(const reweigh_ce_batch_t& b, const reweigh_ce_grad_t* grad) {
    REWEIGH_CHECK_ARG(grad != nullptr, "grad is NULL");
    REWEIGH_CHECK_ARG(grad->row_stride >= b.vocab, "grad row stride = %lld is smaller than vocab = %lld",
                      static_cast<long long>(grad->row_stride), static_cast<long long>(b.vocab));
    if (b.rows == 0) return;
    REWEIGH_CHECK_ARG(grad->data != nullptr, "grad is NULL (rows = %lld)", static_cast<long long>(b.rows));
    REWEIGH_CHECK_ARG(grad->row_stride <= INT64_MAX / b.rows, "rows * grad row stride overflows int64");
    REWEIGH_CHECK_ARG(grad->data != b.logits || grad->row_stride == b.logits_row_stride,
                      "grad aliases logits (in place) but its row stride %lld differs from the logits' %lld",
                      static_cast<long long>(grad->row_stride), static_cast<long long>(b.logits_row_stride));
}

namespace {

/* One buffer's byte interval [begin, end); empty when NULL or of no elements. */
struct Extent {
    const char* name;
    uintptr_t begin;
    uintptr_t end;
    bool output;
};

/* Bytes of (rows - 1) * stride + vocab elements (0 for no rows), checked against overflow. */
uint64_t strided_bytes(const char* name, int64_t rows, int64_t stride, int64_t vocab, int64_t elem) {
    if (rows <= 0) return 0;
    uint64_t n = 0, bytes = 0;
    const bool overflow =
        __builtin_mul_overflow(static_cast<uint64_t>(rows - 1), static_cast<uint64_t>(stride), &n) ||
        __builtin_add_overflow(n, static_cast<uint64_t>(vocab), &n) ||
        __builtin_mul_overflow(n, static_cast<uint64_t>(elem), &bytes);
    REWEIGH_CHECK_ARG(!overflow, "%s: %lld rows of stride %lld overflow 64-bit byte arithmetic", name,
                      static_cast<long long>(rows), static_cast<long long>(stride));
    return bytes;
}

Extent extent(const char* name, const void* p, uint64_t bytes, bool output) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(p);
    if (p == nullptr || bytes == 0) return Extent{name, begin, begin, output};
    uintptr_t end = 0;
    REWEIGH_CHECK_ARG(!__builtin_add_overflow(begin, static_cast<uintptr_t>(bytes), &end),
                      "%s: %llu bytes at %p run past the end of the address space", name,
                      static_cast<unsigned long long>(bytes), p);
    return Extent{name, begin, end, output};
}

uint64_t elems_bytes(const char* name, int64_t count, int64_t elem) {
    uint64_t bytes = 0;
    REWEIGH_CHECK_ARG(count >= 0 && !__builtin_mul_overflow(static_cast<uint64_t>(count), static_cast<uint64_t>(elem), &bytes),
                      "%s: %lld elements overflow 64-bit byte arithmetic", name, static_cast<long long>(count));
    return bytes;
}

bool overlaps(const Extent& a, const Extent& b) {
    return a.begin < a.end && b.begin < b.end && a.begin < b.end && b.begin < a.end;
}

/* Each output e[first_output..n) against every input and every earlier output; e[0] is the logits. */
void check_extents(const Extent* e, size_t n, size_t first_output, size_t in_place_grad) {
    for (size_t i = first_output; i < n; ++i) {
        // Every input and every earlier output: each pair once; inputs may share memory.
        for (size_t j = 0; j < i; ++j) {
            if ((i == in_place_grad && j == 0) || !overlaps(e[i], e[j])) continue;
            REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT,
                         "%s overlaps %s ([%p, +%llu) and [%p, +%llu) bytes): outputs may not alias inputs or "
                         "each other; only grad == logits with the logits' row stride (in place) is allowed",
                         e[i].name, e[j].name, reinterpret_cast<const void*>(e[i].begin),
                         static_cast<unsigned long long>(e[i].end - e[i].begin),
                         reinterpret_cast<const void*>(e[j].begin),
                         static_cast<unsigned long long>(e[j].end - e[j].begin));
        }
    }
}

}  // namespace

void validate_no_aliasing(const reweigh_ce_batch_t& b, const reweigh_ce_stats_t* stats, const float* row_lse_in,
                          const float* coefficients, const reweigh_ce_grad_t* grad, const double* total) {
    const int64_t lelem = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const int64_t telem = b.targets_dtype == REWEIGH_DTYPE_I32 ? 4 : 8;
    const int64_t oelem = b.offsets_dtype == REWEIGH_DTYPE_I32 ? 4 : 8;
    Extent e[16];
    size_t n = 0;
    e[n++] = extent("logits", b.logits, strided_bytes("logits", b.rows, b.logits_row_stride, b.vocab, lelem), false);
    e[n++] = extent("targets", b.targets, elems_bytes("targets", b.rows, telem), false);
    e[n++] = extent("offsets", b.offsets, elems_bytes("offsets", b.samples + 1, oelem), false);
    e[n++] = extent("coefficients", coefficients, elems_bytes("coefficients", b.samples, 4), false);
    e[n++] = extent("rowLse", row_lse_in, elems_bytes("rowLse", b.rows, 4), false);
    const size_t first_output = n;
    size_t in_place_grad = SIZE_MAX;  // index of grad when it is the documented in-place alias of logits (e[0])
    if (grad != nullptr) {
        if (grad->data == b.logits && grad->row_stride == b.logits_row_stride) in_place_grad = n;
        e[n++] = extent("grad", grad->data, strided_bytes("grad", b.rows, grad->row_stride, b.vocab, lelem), true);
    }
    if (stats != nullptr) {
        const uint64_t per_sample = elems_bytes("stats", b.samples, 4);
        const uint64_t per_row = elems_bytes("stats", b.rows, 4);
        e[n++] = extent("stats.loss", stats->loss, per_sample, true);
        e[n++] = extent("stats.logProbSum", stats->log_prob_sum, per_sample, true);
        e[n++] = extent("stats.tokenCount", stats->token_count, elems_bytes("stats.tokenCount", b.samples, 8), true);
        e[n++] = extent("stats.meanEntropy", stats->mean_entropy, per_sample, true);
        e[n++] = extent("stats.rowLse", stats->row_lse, per_row, true);
        e[n++] = extent("stats.rowLogp", stats->row_logp, per_row, true);
        e[n++] = extent("stats.rowEntropy", stats->row_entropy, per_row, true);
    }
    e[n++] = extent("total", total, 8, true);
    check_extents(e, n, first_output, in_place_grad);
}

void validate_no_aliasing_with(const reweigh_ce_batch_t& b, const reweigh_ce_grad_t& grad, const Buffer* extra,
                               size_t n_extra) {
    const int64_t lelem = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const int64_t telem = b.targets_dtype == REWEIGH_DTYPE_I32 ? 4 : 8;
    const int64_t oelem = b.offsets_dtype == REWEIGH_DTYPE_I32 ? 4 : 8;
    REWEIGH_CHECK_ARG(n_extra <= 16, "%zu extra buffers: at most 16", n_extra);
    Extent e[20];
    size_t n = 0;
    e[n++] = extent("logits", b.logits, strided_bytes("logits", b.rows, b.logits_row_stride, b.vocab, lelem), false);
    e[n++] = extent("targets", b.targets, elems_bytes("targets", b.rows, telem), false);
    e[n++] = extent("offsets", b.offsets, elems_bytes("offsets", b.samples + 1, oelem), false);
    // Inputs first, so every output is checked against all of them.
    for (size_t i = 0; i < n_extra; ++i) {
        const Buffer& x = extra[i];
        if (!x.output) e[n++] = extent(x.name, x.ptr, elems_bytes(x.name, x.count, x.elem), false);
    }
    const size_t first_output = n;
    const size_t in_place_grad = grad.data == b.logits && grad.row_stride == b.logits_row_stride ? n : SIZE_MAX;
    e[n++] = extent("grad", grad.data, strided_bytes("grad", b.rows, grad.row_stride, b.vocab, lelem), true);
    for (size_t i = 0; i < n_extra; ++i) {
        const Buffer& x = extra[i];
        if (x.output) e[n++] = extent(x.name, x.ptr, elems_bytes(x.name, x.count, x.elem), true);
    }
    check_extents(e, n, first_output, in_place_grad);
}

}  // namespace reweigh
