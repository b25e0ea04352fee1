#include "validate.h"

#include <math.h>
#include <stdint.h>

#include "../cuda/ce_cuda.h"
#include "errors.h"

namespace reweigh {

const char* dtype_name(int32_t dtype) {
    switch (dtype) {
        case REWEIGH_DTYPE_F32: return "F32";
        case REWEIGH_DTYPE_BF16: return "BF16";
        case REWEIGH_DTYPE_F16: return "F16";
        case REWEIGH_DTYPE_I32: return "I32";
        case REWEIGH_DTYPE_I64: return "I64";
        default: return "unknown";
    }
}

const char* normalization_name(int32_t normalization) {
    switch (normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: return "WEIGHT_SUM";
        case REWEIGH_NORMALIZATION_TOKENS: return "TOKENS";
        case REWEIGH_NORMALIZATION_SAMPLES: return "SAMPLES";
        case REWEIGH_NORMALIZATION_NONE: return "NONE";
        case REWEIGH_NORMALIZATION_EXPLICIT: return "EXPLICIT";
        default: return "unknown";
    }
}

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

void validate_memory_space(const reweigh_ce_batch_t& batch, const void* ptr, const char* name) {
    if (ptr == nullptr) return;
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
    if (grad->data == b.logits) {
        REWEIGH_CHECK_ARG(grad->row_stride == b.logits_row_stride,
                          "grad aliases logits (in place) but its row stride %lld differs from the logits' %lld",
                          static_cast<long long>(grad->row_stride), static_cast<long long>(b.logits_row_stride));
        return;
    }
    const int64_t elem = b.logits_dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const uintptr_t l0 = reinterpret_cast<uintptr_t>(b.logits);
    const uintptr_t l1 = l0 + static_cast<uintptr_t>(((b.rows - 1) * b.logits_row_stride + b.vocab) * elem);
    const uintptr_t g0 = reinterpret_cast<uintptr_t>(grad->data);
    const uintptr_t g1 = g0 + static_cast<uintptr_t>(((b.rows - 1) * grad->row_stride + b.vocab) * elem);
    REWEIGH_CHECK_ARG(g1 <= l0 || l1 <= g0,
                      "grad overlaps logits without being the same buffer: pass grad == logits for in place");
}

int64_t read_index(const void* data, int32_t dtype, int64_t i) {
    return dtype == REWEIGH_DTYPE_I32 ? static_cast<const int32_t*>(data)[i] : static_cast<const int64_t*>(data)[i];
}

std::vector<int64_t> validate_labels_cpu(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o) {
    const int64_t first = read_index(b.offsets, b.offsets_dtype, 0);
    REWEIGH_CHECK_ARG(first == 0, "offsets[0] = %lld must be 0", static_cast<long long>(first));
    const int64_t last = read_index(b.offsets, b.offsets_dtype, b.samples);
    REWEIGH_CHECK_ARG(last == b.rows, "offsets[%lld] = %lld must equal rows = %lld",
                      static_cast<long long>(b.samples), static_cast<long long>(last), static_cast<long long>(b.rows));
    std::vector<int64_t> counts(static_cast<size_t>(b.samples), 0);
    int64_t prev = 0;
    for (int64_t s = 0; s < b.samples; ++s) {
        const int64_t end = read_index(b.offsets, b.offsets_dtype, s + 1);
        REWEIGH_CHECK_ARG(end >= prev && end <= b.rows,
                          "offsets[%lld] = %lld must be nondecreasing and <= rows = %lld (offsets[%lld] = %lld)",
                          static_cast<long long>(s + 1), static_cast<long long>(end), static_cast<long long>(b.rows),
                          static_cast<long long>(s), static_cast<long long>(prev));
        int64_t n = 0;
        for (int64_t r = prev; r < end; ++r) {
            const int64_t y = read_index(b.targets, b.targets_dtype, r);
            if (y == o.ignore_index) continue;
            REWEIGH_CHECK_ARG(y >= 0 && y < b.vocab,
                              "targets[%lld] = %lld is outside [0, vocab = %lld) and is not ignoreIndex (%lld)",
                              static_cast<long long>(r), static_cast<long long>(y), static_cast<long long>(b.vocab),
                              static_cast<long long>(o.ignore_index));
            ++n;
        }
        counts[static_cast<size_t>(s)] = n;
        prev = end;
    }
    return counts;
}

double normalizer_cpu(const reweigh_ce_options_t& o, const std::vector<int64_t>& counts, const float* coefficients) {
    const int64_t samples = static_cast<int64_t>(counts.size());
    if (coefficients != nullptr) {
        for (int64_t s = 0; s < samples; ++s) {
            REWEIGH_CHECK_ARG(isfinite(coefficients[s]), "coefficients[%lld] = %g is not finite",
                              static_cast<long long>(s), static_cast<double>(coefficients[s]));
        }
    }
    double d = 0.0;
    switch (o.normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM:
            for (int64_t s = 0; s < samples; ++s)
                if (counts[static_cast<size_t>(s)] > 0) d += coefficients ? coefficients[s] : 1.0;
            break;
        case REWEIGH_NORMALIZATION_TOKENS:
            for (int64_t n : counts) d += static_cast<double>(n);
            break;
        case REWEIGH_NORMALIZATION_SAMPLES:
            for (int64_t n : counts) d += n > 0 ? 1.0 : 0.0;
            break;
        case REWEIGH_NORMALIZATION_NONE: d = 1.0; break;
        default: d = o.normalizer; break;
    }
    REWEIGH_CHECK_ARG(isfinite(d) && d != 0.0,
                      "normalizer D = %g under normalization %s must be finite and nonzero "
                      "(WEIGHT_SUM: coefficients of samples with tokens; TOKENS/SAMPLES: counted rows)",
                      d, normalization_name(o.normalization));
    return d;
}

std::vector<float> sample_row_coefficients(const reweigh_ce_options_t& o, const std::vector<int64_t>& counts,
                                           const float* coefficients, double d) {
    std::vector<float> k(counts.size(), 0.0f);
    for (size_t s = 0; s < counts.size(); ++s) {
        if (counts[s] == 0) continue;
        double c = coefficients[s] / d;
        if (o.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) c /= static_cast<double>(counts[s]);
        k[s] = static_cast<float>(c * static_cast<double>(o.grad_scale));
    }
    return k;
}

}  // namespace reweigh
