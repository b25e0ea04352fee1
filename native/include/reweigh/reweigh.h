/*
 * reweigh.h: the C ABI of Reweigh's fused per-sample loss kernels.
 *
 * A plain C surface (llama.cpp / liger_cute style): raw pointers, fixed-width
 * integers, POD structs and a status enum. No exception, abort or exit ever
 * crosses it: every entry point returns a reweigh_status_t, and
 * reweigh_last_error() explains the last failure of the calling thread.
 *
 * Semantics (../shared/DESIGN.md section 3). Rows are token positions already
 * shifted so that row r predicts targets[r]. Sample s owns rows
 * [offsets[s], offsets[s+1]). A row whose target equals ignore_index counts
 * nowhere. Per counted row, with z' = softcap(logit_scale * z),
 * softcap(x) = c * tanh(x / c) when c > 0:
 *
 *   lse      = log sum_v exp(z'_v)
 *   logp     = z'_y - lse
 *   entropy  = lse - sum_v p_v z'_v
 *   rowLoss  = (1 - eps) * (-logp) + eps * (lse - mean_v z'_v) + zloss * lse^2
 *
 * The smoothing term is skipped entirely when eps == 0, so -inf logits (a
 * masked vocabulary) give finite results and a zero gradient.
 *
 * Per sample: token_count, log_prob_sum = sum logp, loss = sum rowLoss (SUM)
 * or that over token_count (MEAN), mean_entropy. A sample with no counted row
 * has all four equal to 0. Objective: total = sum_s c_s * loss_s / D.
 *
 * Enum values are append-only: never renumber, never reuse.
 */
#ifndef REWEIGH_REWEIGH_H
#define REWEIGH_REWEIGH_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  define REWEIGH_API __declspec(dllexport)
#else
#  define REWEIGH_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct layout or an entry point changes; Java checks it at load. */
#define REWEIGH_ABI_VERSION 1

typedef enum reweigh_status {
    REWEIGH_STATUS_OK = 0,
    REWEIGH_STATUS_INVALID_ARGUMENT = 1, /* bad shape, index, option or pointer */
    REWEIGH_STATUS_UNSUPPORTED = 2,      /* valid request this build or device cannot serve */
    REWEIGH_STATUS_CUDA = 3,             /* a CUDA runtime call failed */
    REWEIGH_STATUS_OUT_OF_MEMORY = 4,
    REWEIGH_STATUS_INTERNAL = 5,         /* a bug: please report it */
    REWEIGH_STATUS_NON_FINITE_INPUT = 6  /* NaN or +inf logits while check_finite is set */
} reweigh_status_t;

typedef enum reweigh_dtype {
    REWEIGH_DTYPE_F32 = 0,
    REWEIGH_DTYPE_BF16 = 1,
    REWEIGH_DTYPE_F16 = 2, /* CUDA only */
    REWEIGH_DTYPE_I32 = 3,
    REWEIGH_DTYPE_I64 = 4
} reweigh_dtype_t;

typedef enum reweigh_token_reduction {
    REWEIGH_TOKEN_REDUCTION_MEAN = 0, /* loss_s = sum rowLoss / token_count (0 tokens -> 0) */
    REWEIGH_TOKEN_REDUCTION_SUM = 1
} reweigh_token_reduction_t;

typedef enum reweigh_normalization {
    REWEIGH_NORMALIZATION_WEIGHT_SUM = 0, /* D = sum of c_s over samples with tokens */
    REWEIGH_NORMALIZATION_TOKENS = 1,     /* D = total counted rows */
    REWEIGH_NORMALIZATION_SAMPLES = 2,    /* D = samples with tokens */
    REWEIGH_NORMALIZATION_NONE = 3,       /* D = 1 */
    REWEIGH_NORMALIZATION_EXPLICIT = 4    /* D = options.normalizer (data-parallel global D) */
} reweigh_normalization_t;

typedef enum reweigh_device_type {
    REWEIGH_DEVICE_CPU = 0,
    REWEIGH_DEVICE_CUDA = 1
} reweigh_device_type_t;

/* Loss options. Initialise with reweigh_ce_options_default(). */
typedef struct reweigh_ce_options {
    int64_t ignore_index;     /* default -100 */
    float label_smoothing;    /* eps in [0, 1] */
    float z_loss;             /* lambda >= 0 */
    float softcap;            /* c >= 0; 0 disables */
    float logit_scale;        /* > 0; 1/temperature */
    int32_t token_reduction;  /* reweigh_token_reduction_t */
    int32_t normalization;    /* reweigh_normalization_t */
    double normalizer;        /* D when normalization == EXPLICIT */
    int32_t check_finite;     /* nonzero: NaN or +inf logits on a counted row -> NON_FINITE_INPUT */
    int32_t reserved0;
} reweigh_ce_options_t;

/*
 * One batch of logits and its labels. All pointers live in the memory of
 * `device_type`/`device_index`. logits[r * logits_row_stride + v], v < vocab.
 */
typedef struct reweigh_ce_batch {
    const void* logits;
    int32_t logits_dtype;      /* F32, BF16 (CPU and CUDA), F16 (CUDA) */
    int32_t targets_dtype;     /* I32 or I64 */
    int64_t rows;
    int64_t vocab;
    int64_t logits_row_stride; /* in elements, >= vocab */
    const void* targets;       /* [rows] */
    const void* offsets;       /* [samples + 1], offsets[0] = 0, nondecreasing, offsets[samples] = rows */
    int32_t offsets_dtype;     /* I32 or I64 */
    int32_t device_type;       /* reweigh_device_type_t */
    int64_t samples;
    int32_t device_index;
    int32_t reserved0;
    uint64_t stream;           /* cudaStream_t as an integer; 0 = the default stream */
} reweigh_ce_batch_t;

/*
 * Outputs of forward. Each pointer may be NULL when not wanted. Per sample:
 * [samples]; per row: [rows] (ignored rows get 0).
 */
typedef struct reweigh_ce_stats {
    float* loss;
    float* log_prob_sum;
    int64_t* token_count;
    float* mean_entropy;
    float* row_lse;
    float* row_logp;
    float* row_entropy;
} reweigh_ce_stats_t;

/*
 * Gradient output: grad[r * row_stride + v], in the logits' dtype. May be the
 * logits buffer itself (in place, same row stride); any other overlap with the
 * logits is rejected.
 */
typedef struct reweigh_ce_grad {
    void* data;
    int64_t row_stride;
} reweigh_ce_grad_t;

/* ---- library facts ---------------------------------------------------- */

REWEIGH_API int32_t reweigh_abi_version(void);
REWEIGH_API const char* reweigh_version_string(void);
REWEIGH_API const char* reweigh_status_string(reweigh_status_t status);
/* Message of the calling thread's last failure; "" after a success. Never NULL. */
REWEIGH_API const char* reweigh_last_error(void);

REWEIGH_API reweigh_ce_options_t reweigh_ce_options_default(void);

/* ---- CPU execution ---------------------------------------------------- */

/* Kernel variant in use: "scalar", "avx2" or "avx512". */
REWEIGH_API const char* reweigh_cpu_isa(void);
/*
 * Force a variant ("scalar", "avx2", "avx512" or "auto"). UNSUPPORTED if this CPU
 * or OS cannot run it. The REWEIGH_CPU_ISA environment variable does the same at load.
 */
REWEIGH_API reweigh_status_t reweigh_set_cpu_isa(const char* isa);
/* Worker threads used by the CPU kernels (default: REWEIGH_NUM_THREADS or all cores). */
REWEIGH_API int32_t reweigh_num_threads(void);
REWEIGH_API reweigh_status_t reweigh_set_num_threads(int32_t threads);

/* ---- CUDA facts ------------------------------------------------------- */

/* 1 when the CUDA kernels were compiled into this library. */
REWEIGH_API int32_t reweigh_cuda_compiled(void);
/* Number of usable CUDA devices; 0 without a GPU or a driver (never an error). */
REWEIGH_API int32_t reweigh_cuda_device_count(void);
/*
 * Where a pointer lives: *device_type = CPU or CUDA, *device_index the ordinal.
 * Host memory unknown to CUDA (and every pointer in a CPU-only build) is CPU.
 */
REWEIGH_API reweigh_status_t reweigh_pointer_device(const void* ptr, int32_t* device_type, int32_t* device_index);

/* ---- the kernels ------------------------------------------------------- */

/* Per-sample statistics (and optional per-row ones) in one read of the logits. */
REWEIGH_API reweigh_status_t reweigh_ce_forward(const reweigh_ce_batch_t* batch,
                                                const reweigh_ce_options_t* options,
                                                const reweigh_ce_stats_t* stats);

/*
 * Gradient of total = sum_s c_s * loss_s / D with respect to the raw logits,
 * given row_lse [rows] from reweigh_ce_forward with the same options.
 * coefficients: [samples] fp32 in the batch's memory.
 */
REWEIGH_API reweigh_status_t reweigh_ce_backward(const reweigh_ce_batch_t* batch,
                                                 const reweigh_ce_options_t* options,
                                                 const float* row_lse,
                                                 const float* coefficients,
                                                 const reweigh_ce_grad_t* grad);

/*
 * forward + backward in one call, each row handled while it is in cache.
 * total (optional) receives sum_s c_s * loss_s / D (one double in the batch's memory).
 */
REWEIGH_API reweigh_status_t reweigh_ce_forward_backward(const reweigh_ce_batch_t* batch,
                                                         const reweigh_ce_options_t* options,
                                                         const float* coefficients,
                                                         const reweigh_ce_stats_t* stats,
                                                         const reweigh_ce_grad_t* grad,
                                                         double* total);

/* ---- roofline helpers (benchmarks) ------------------------------------- */

/* Copy `bytes` from src to dst with the kernels' thread pool: the copy roofline. */
REWEIGH_API reweigh_status_t reweigh_bench_copy(const void* src, void* dst, int64_t bytes);
/* Read `bytes` with vector loads and the thread pool; *checksum defeats dead-code elimination. */
REWEIGH_API reweigh_status_t reweigh_bench_read(const void* src, int64_t bytes, double* checksum);

/* ---- CUDA memory helpers (tests, benchmarks, Java without a GPU framework) ----
 * Appended for issue 5. Each returns UNSUPPORTED in a CPU-only build and
 * REWEIGH_STATUS_CUDA (message from cudaGetErrorString) when the runtime fails.
 */

/* cudaMalloc of `bytes` on `device_index`; *ptr = NULL for bytes == 0. */
REWEIGH_API reweigh_status_t reweigh_cuda_malloc(int32_t device_index, int64_t bytes, void** ptr);
/* cudaFree; NULL is a no-op. */
REWEIGH_API reweigh_status_t reweigh_cuda_free(int32_t device_index, void* ptr);
/* Synchronous copy between any host and device memory (direction inferred: cudaMemcpyDefault). */
REWEIGH_API reweigh_status_t reweigh_cuda_memcpy(void* dst, const void* src, int64_t bytes);
/* cudaDeviceSynchronize on `device_index`: waits for every stream, reports asynchronous kernel errors. */
REWEIGH_API reweigh_status_t reweigh_cuda_synchronize(int32_t device_index);

/* ---- vocabulary-sharded partials ---------------------------------------
 * A shard holds logits [rows, Vshard] for vocabulary [vocab_offset,
 * vocab_offset + Vshard) of a vocabulary of vocab_total entries (tensor
 * parallel ranks, or vocabulary blocks of one buffer). Its batch describes
 * that slice: batch.vocab = Vshard, batch.logits its first column; targets
 * are global indices in [0, vocab_total) or ignore_index, the same on every
 * shard. CPU only in this build (a CUDA batch is UNSUPPORTED).
 *
 * 1. reweigh_ce_partial_forward: per-row partials of the shard;
 * 2. combine the shards' partials: pairwise with reweigh_ce_partials_merge,
 *    or with a collective: all-reduce `max` with MAX, reweigh_ce_partials_rebase
 *    to that global max, then all-reduce the other four arrays with SUM;
 * 3. reweigh_ce_sharded_stats: per-sample statistics from the combined rows;
 *    reweigh_ce_sharded_backward: this shard's slice of the gradient.
 * Results equal reweigh_ce_forward / _backward on the whole row up to the
 * order of float32 additions.
 */

/* Per-row partials, each [rows] fp32 in host memory (ignored rows: m = -inf, the rest 0). */
typedef struct reweigh_ce_partials {
    float* max;          /* m = max_v z'_v over the shard (-inf when every logit is masked) */
    float* sum_exp;      /* d = sum_v exp(z'_v - m) */
    float* entropy_sum;  /* s = sum_v exp(z'_v - m) * (z'_v - m) */
    float* logit_sum;    /* sum_v z'_v (read only with label smoothing) */
    float* target_logit; /* z'_y when the row's target lies in the shard, else 0 */
} reweigh_ce_partials_t;

REWEIGH_API reweigh_status_t reweigh_ce_partial_forward(const reweigh_ce_batch_t* shard, int64_t vocab_offset,
                                                        int64_t vocab_total, const reweigh_ce_options_t* options,
                                                        const reweigh_ce_partials_t* partials);

/* into[r] = merge(into[r], from[r]) for every row (associative, commutative up to rounding). */
REWEIGH_API reweigh_status_t reweigh_ce_partials_merge(int64_t rows, const reweigh_ce_partials_t* from,
                                                       const reweigh_ce_partials_t* into);

/* Rebase (d, s) of every row to global_max[r] >= max[r] and set max[r] = global_max[r]. */
REWEIGH_API reweigh_status_t reweigh_ce_partials_rebase(int64_t rows, const float* global_max,
                                                        const reweigh_ce_partials_t* partials);

/*
 * Statistics from combined partials (shard's logits are not read). coefficients
 * (optional, [samples]) and total (optional) as in reweigh_ce_forward_backward.
 */
REWEIGH_API reweigh_status_t reweigh_ce_sharded_stats(const reweigh_ce_batch_t* shard, int64_t vocab_total,
                                                      const reweigh_ce_options_t* options,
                                                      const reweigh_ce_partials_t* combined,
                                                      const float* coefficients, const reweigh_ce_stats_t* stats,
                                                      double* total);

/* This shard's slice of d total / d logits from combined partials; grad may be the shard's logits. */
REWEIGH_API reweigh_status_t reweigh_ce_sharded_backward(const reweigh_ce_batch_t* shard, int64_t vocab_offset,
                                                         int64_t vocab_total, const reweigh_ce_options_t* options,
                                                         const reweigh_ce_partials_t* combined,
                                                         const float* coefficients, const reweigh_ce_grad_t* grad);

/*
 * This batch's normaliser D under options.normalization (targets checked
 * against [0, vocab_total)); 0 for an empty micro-batch, never an error. Data
 * parallel: all-reduce D with SUM, then pass it as an EXPLICIT normaliser.
 */
REWEIGH_API reweigh_status_t reweigh_ce_normalizer(const reweigh_ce_batch_t* batch, int64_t vocab_total,
                                                   const reweigh_ce_options_t* options, const float* coefficients,
                                                   double* normalizer);

#ifdef __cplusplus
}
#endif

#endif /* REWEIGH_REWEIGH_H */
