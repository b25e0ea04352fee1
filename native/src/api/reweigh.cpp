/*
 * reweigh.cpp: the ABI entry points. Each one: clear the last error, run the
 * metadata checks, dispatch on the device, turn exceptions into a status
 * (guarded in errors.h). This file holds no math.
 */
#include "reweigh/reweigh.h"

#include <string.h>

#include "../cpu/ce_cpu.h"
#include "../cpu/isa.h"
#include "../cpu/thread_pool.h"
#include "../cuda/ce_cuda.h"
#include "../common/errors.h"
#include "validate.h"

#ifndef REWEIGH_VERSION_STRING
#define REWEIGH_VERSION_STRING "0.1.0"
#endif

using reweigh::guarded;

namespace {

/*
 * The ABI structs are copied once at entry: every check and the backend then
 * see one consistent description, whatever the caller's memory does meanwhile.
 */
template <class T>
T snapshot(const T* p, const char* name) {
    REWEIGH_CHECK_ARG(p != nullptr, "%s is NULL", name);
    return *p;
}

/* Metadata checks of every kernel entry; returns whether its pointers get memory-space checks. */
bool validate_common(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options) {
    reweigh::validate_batch(batch);
    reweigh::require_cuda_build(*batch);
    reweigh::validate_options(options);
    const bool probe = reweigh::needs_memory_probe(*batch);
    reweigh::validate_memory_space(*batch, probe, batch->logits, "logits");
    reweigh::validate_memory_space(*batch, probe, batch->targets, "targets");
    reweigh::validate_memory_space(*batch, probe, batch->offsets, "offsets");
    return probe;
}

void validate_stats(const reweigh_ce_batch_t& b, bool probe, const reweigh_ce_stats_t* stats) {
    if (stats == nullptr) return;
    reweigh::validate_memory_space(b, probe, stats->loss, "stats.loss");
    reweigh::validate_memory_space(b, probe, stats->log_prob_sum, "stats.logProbSum");
    reweigh::validate_memory_space(b, probe, stats->token_count, "stats.tokenCount");
    reweigh::validate_memory_space(b, probe, stats->mean_entropy, "stats.meanEntropy");
    reweigh::validate_memory_space(b, probe, stats->row_lse, "stats.rowLse");
    reweigh::validate_memory_space(b, probe, stats->row_logp, "stats.rowLogp");
    reweigh::validate_memory_space(b, probe, stats->row_entropy, "stats.rowEntropy");
}

void validate_coefficients(const reweigh_ce_batch_t& b, bool probe, const float* coefficients) {
    REWEIGH_CHECK_ARG(coefficients != nullptr || b.samples == 0, "coefficients is NULL (samples = %lld)",
                      static_cast<long long>(b.samples));
    reweigh::validate_memory_space(b, probe, coefficients, "coefficients");
}

const reweigh_ce_stats_t kNoStats = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

/* One kernel call's batch and options, copied (snapshot) and checked, and the row parameters they give. */
struct Call {
    reweigh_ce_batch_t b;
    reweigh_ce_options_t o;
    bool probe;
    reweigh::RowParams params;
};

Call enter(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options) {
    Call c{snapshot(batch, "batch"), snapshot(options, "options"), false, {}};
    c.probe = validate_common(&c.b, &c.o);
    c.params = reweigh::validate_options(&c.o);
    return c;
}

/* The stats outputs of a forward pass (NULL stats: none of them), checked. */
reweigh_ce_stats_t checked_stats(const Call& c, const reweigh_ce_stats_t* stats) {
    const reweigh_ce_stats_t out = stats != nullptr ? *stats : kNoStats;
    validate_stats(c.b, c.probe, &out);
    return out;
}

/* The gradient output of a backward pass, checked. */
reweigh_ce_grad_t checked_grad(const Call& c, const reweigh_ce_grad_t* grad) {
    const reweigh_ce_grad_t g = snapshot(grad, "grad");
    reweigh::validate_grad(c.b, &g);
    reweigh::validate_memory_space(c.b, c.probe, g.data, "grad");
    return g;
}

}  // namespace

extern "C" {

int32_t reweigh_abi_version(void) { return REWEIGH_ABI_VERSION; }

const char* reweigh_version_string(void) { return REWEIGH_VERSION_STRING; }

const char* reweigh_status_string(reweigh_status_t status) {
    switch (status) {
        case REWEIGH_STATUS_OK: return "OK";
        case REWEIGH_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
        case REWEIGH_STATUS_UNSUPPORTED: return "UNSUPPORTED";
        case REWEIGH_STATUS_CUDA: return "CUDA";
        case REWEIGH_STATUS_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
        case REWEIGH_STATUS_INTERNAL: return "INTERNAL";
        case REWEIGH_STATUS_NON_FINITE_INPUT: return "NON_FINITE_INPUT";
    }
    return "UNKNOWN_STATUS";
}

reweigh_ce_options_t reweigh_ce_options_default(void) {
    reweigh_ce_options_t o;
    memset(&o, 0, sizeof o);
    o.ignore_index = -100;
    o.label_smoothing = 0.0f;
    o.z_loss = 0.0f;
    o.softcap = 0.0f;
    o.logit_scale = 1.0f;
    o.token_reduction = REWEIGH_TOKEN_REDUCTION_MEAN;
    o.normalization = REWEIGH_NORMALIZATION_WEIGHT_SUM;
    o.normalizer = 1.0;
    o.check_finite = 0;
    o.grad_scale = 1.0f;
    return o;
}

const char* reweigh_cpu_isa(void) { return reweigh::cpu::active_kernels().isa; }

reweigh_status_t reweigh_set_cpu_isa(const char* isa) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(isa != nullptr, "isa is NULL");
        reweigh::cpu::select_isa(isa);
    });
}

int32_t reweigh_num_threads(void) { return reweigh::cpu::pool_threads(); }

reweigh_status_t reweigh_set_num_threads(int32_t threads) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(threads >= 1 && threads <= 4096, "threads = %d must lie in [1, 4096]", threads);
        reweigh::cpu::pool_set_threads(threads);
    });
}

int32_t reweigh_cuda_compiled(void) { return reweigh::cuda::compiled() ? 1 : 0; }

int32_t reweigh_cuda_device_count(void) { return reweigh::cuda::device_count(); }

const char* reweigh_cuda_unavailable_reason(void) { return reweigh::cuda::unavailable_reason(); }

reweigh_status_t reweigh_pointer_device(const void* ptr, int32_t* device_type, int32_t* device_index) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(device_type != nullptr && device_index != nullptr, "device_type or device_index is NULL");
        reweigh::cuda::pointer_device(ptr, device_type, device_index);
    });
}

reweigh_status_t reweigh_ce_forward(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                                    const reweigh_ce_stats_t* stats) {
    return guarded([&] {
        const Call c = enter(batch, options);
        const reweigh_ce_stats_t out = checked_stats(c, stats);
        reweigh::validate_no_aliasing(c.b, &out, nullptr, nullptr, nullptr, nullptr);
        if (c.b.device_type == REWEIGH_DEVICE_CUDA) {
            reweigh::cuda::ce_forward(c.b, c.o, c.params, out);
        } else {
            reweigh::cpu::ce_forward(c.b, c.o, c.params, out);
        }
    });
}

reweigh_status_t reweigh_ce_backward(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                                     const float* row_lse, const float* coefficients, const reweigh_ce_grad_t* grad) {
    return guarded([&] {
        const Call c = enter(batch, options);
        REWEIGH_CHECK_ARG(row_lse != nullptr || c.b.rows == 0, "rowLse is NULL (rows = %lld)",
                          static_cast<long long>(c.b.rows));
        reweigh::validate_memory_space(c.b, c.probe, row_lse, "rowLse");
        validate_coefficients(c.b, c.probe, coefficients);
        const reweigh_ce_grad_t g = checked_grad(c, grad);
        reweigh::validate_no_aliasing(c.b, nullptr, row_lse, coefficients, &g, nullptr);
        if (c.b.device_type == REWEIGH_DEVICE_CUDA) {
            reweigh::cuda::ce_backward(c.b, c.o, c.params, row_lse, coefficients, g);
        } else {
            reweigh::cpu::ce_backward(c.b, c.o, c.params, row_lse, coefficients, g);
        }
    });
}

reweigh_status_t reweigh_ce_forward_backward(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                                             const float* coefficients, const reweigh_ce_stats_t* stats,
                                             const reweigh_ce_grad_t* grad, double* total) {
    return guarded([&] {
        const Call c = enter(batch, options);
        const reweigh_ce_stats_t out = checked_stats(c, stats);
        validate_coefficients(c.b, c.probe, coefficients);
        const reweigh_ce_grad_t g = checked_grad(c, grad);
        reweigh::validate_no_aliasing(c.b, &out, nullptr, coefficients, &g, total);
        if (c.b.device_type == REWEIGH_DEVICE_CUDA) {
            reweigh::validate_memory_space(c.b, c.probe, total, "total");
            reweigh::cuda::ce_forward_backward(c.b, c.o, c.params, coefficients, out, g, total);
        } else {
            const double t = reweigh::cpu::ce_forward_backward(c.b, c.o, c.params, coefficients, &out, g);
            if (total != nullptr) *total = t;
        }
    });
}

}  // extern "C"
