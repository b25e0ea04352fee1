/*
 * reweigh.h: the C ABI of Reweigh's fused per-sample loss kernels.
 *
 * A plain C surface (llama.cpp / liger_cute style): raw pointers, fixed-width
 * integers, POD structs and a status enum. No exception, abort or exit ever
 * crosses it: every entry point returns a reweigh_status_t, and
 * reweigh_last_error() explains the last failure of the calling thread.
 *
 * Semantics (docs/design.md §3.1). Rows are token positions already
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
 * D = 0 (every row ignored, or every coefficient 0) is valid: total 0, a zero
 * gradient, the statistics as usual. WEIGHT_SUM needs c_s >= 0 (a signed sum
 * can approach 0): signed objectives use NONE or EXPLICIT.
 * Targets, offsets, coefficients and row_lse are read once: memory changed
 * by another thread during a call never produces an out-of-range index.
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
#define REWEIGH_ABI_VERSION 2

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
    REWEIGH_NORMALIZATION_WEIGHT_SUM = 0, /* D = sum of c_s over samples with tokens; every c_s >= 0 */
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
    float grad_scale;         /* > 0, default 1: multiplies every gradient element, not the loss (GradScaler
                                 style: fp16 gradients of large vocabularies underflow unscaled); ABI 2 */
    int32_t reserved1;
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
 * logits buffer itself (in place, same row stride). Any other overlap of an
 * output (grad, stats, total) with an input (logits, targets, offsets,
 * coefficients, row_lse) or with another output is INVALID_ARGUMENT.
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
/*
 * Worker threads used by the CPU kernels. Default: REWEIGH_NUM_THREADS, else
 * the CPUs this process may use (affinity mask, capped by a cgroup CPU quota).
 */
REWEIGH_API int32_t reweigh_num_threads(void);
REWEIGH_API reweigh_status_t reweigh_set_num_threads(int32_t threads);

/* ---- CUDA facts ------------------------------------------------------- */

/* 1 when the CUDA kernels were compiled into this library. */
REWEIGH_API int32_t reweigh_cuda_compiled(void);
/* Number of usable CUDA devices; 0 without a GPU or a driver (never an error). */
REWEIGH_API int32_t reweigh_cuda_device_count(void);
/*
 * Why reweigh_cuda_device_count() is 0: "" when a device is usable, else the
 * first CUDA error or the reason (built without CUDA, no driver, a driver
 * older than the static runtime needs, no visible device). Never NULL.
 */
REWEIGH_API const char* reweigh_cuda_unavailable_reason(void);
/*
 * Where a pointer lives: *device_type = CPU or CUDA, *device_index the ordinal.
 * Host memory unknown to CUDA (and every pointer in a CPU-only build) is CPU.
 * This asks the CUDA runtime and may create a CUDA context; the kernels' own
 * checks of CPU batches ask only when a CUDA context already exists.
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

/* ---- CUDA memory helpers (tests, benchmarks, Java without a GPU framework) ----
 * Each returns UNSUPPORTED in a CPU-only build and
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

/* ---- CUDA execution: validation mode, deferred status, availability ----
 *
 * Validation mode, per calling thread. SYNC (the default): each CUDA call validates
 * targets, offsets, coefficients (and rowLse, finite logits) on the device, then waits
 * for that result (one small copy + stream synchronisation) and returns
 * INVALID_ARGUMENT / NON_FINITE_INPUT before writing anything. ASYNC: no host
 * synchronisation (usable inside CUDA-graph capture); after a failed check the call's
 * kernels write nothing, and the failure is reported by the next CUDA call on that
 * device or by reweigh_cuda_deferred_status(). In both modes a target that leaves
 * [0, vocab) after validation (the caller's memory changed during the call) is never
 * used as an index: the row is treated as ignored and reported the same deferred way.
 */
#define REWEIGH_CUDA_VALIDATION_SYNC 0
#define REWEIGH_CUDA_VALIDATION_ASYNC 1
REWEIGH_API reweigh_status_t reweigh_cuda_set_validation_mode(int32_t mode);
REWEIGH_API int32_t reweigh_cuda_validation_mode(void);
/*
 * Waits for `stream` on `device_index`, then returns the first failure recorded since
 * the last report (and clears it): OK when there is none.
 */
REWEIGH_API reweigh_status_t reweigh_cuda_deferred_status(int32_t device_index, uint64_t stream);
/* Why reweigh_cuda_device_count() is 0 (the first CUDA error, or "built without CUDA"); "" otherwise. */
REWEIGH_API const char* reweigh_cuda_unavailable_reason(void);
/*
 * Frees the device workspaces cached per (device, stream) after waiting for the devices;
 * the next call allocates again. For shutdown and leak checkers.
 */
REWEIGH_API reweigh_status_t reweigh_cuda_release_cache(void);

/* ---- per-row coefficients (two-phase policy-gradient objectives) -------
 *
 * Gradient of
 *   total = sum_s c_s * red_s( sum_{r in s, counted} (w_r * rowLoss_r + beta_r * entropy_r) ) / D
 * with respect to the raw logits, where red_s is 1/token_count_s (MEAN) or 1
 * (SUM), rowLoss and entropy are the per-row quantities defined at the top of
 * this file and w_r, beta_r are per-row coefficients of any sign. Per counted
 * row r of sample s, with k_s the per-sample scale reweigh_ce_backward uses
 * (c_s / D, over token_count_s under MEAN), z' = softcap(logit_scale * z),
 * p = softmax(z'):
 *
 *   d total / d z_v = k_s * [ w_r * dRowLoss_r/dz'_v + beta_r * dH_r/dz'_v ] * dz'_v/dz_v,
 *   dH/dz'_v        = -p_v * (log p_v + H)
 *
 * Token weights never enter D: TOKENS counts counted rows, WEIGHT_SUM sums c_s
 * over samples with counted rows (each c_s >= 0; w_r and beta_r may be
 * signed), SAMPLES counts samples with counted rows, NONE is 1 and EXPLICIT
 * is options.normalizer, exactly as for reweigh_ce_backward; D = 0 gives a
 * zero gradient. With every w_r = 1 and no beta the gradient equals
 * reweigh_ce_backward's. The existing entry points are unchanged.
 *
 * A token-level loss F(logp_1..logp_R) to minimise (F = -J for GRPO, DAPO,
 * PPO-clip; DFT) is applied with c_s = 1, SUM, NONE, no smoothing or z-loss and
 * w_r = -dF/dlogp_r: then rowLoss = -logp and d total/dz = dF/dz.
 *
 * row_lse [rows]: from reweigh_ce_forward with the same options.
 * row_weights [rows]: w_r, finite on counted rows (ignored rows are not read).
 * row_entropy_weights [rows] or NULL: beta_r, finite on counted rows; NULL
 *   means no entropy term and row_entropy may then be NULL.
 * row_entropy [rows]: entropy_r from reweigh_ce_forward (needed with beta).
 * Every array lives in the batch's memory and may not overlap grad.
 * CPU and CUDA batches; on CUDA the row arrays are validated on the device
 * under the validation mode above (the CPU's messages, e.g. "rowWeights[5] =
 * nan is not finite"), and F16 logits are accepted as in the other CUDA calls.
 */
REWEIGH_API reweigh_status_t reweigh_ce_backward_rows(const reweigh_ce_batch_t* batch,
                                                      const reweigh_ce_options_t* options,
                                                      const float* row_lse,
                                                      const float* row_entropy,
                                                      const float* coefficients,
                                                      const float* row_weights,
                                                      const float* row_entropy_weights,
                                                      const reweigh_ce_grad_t* grad);

/* ---- one-pass policy-gradient step ------------------------------------
 *
 * reweigh_policy_forward_backward reads each counted row once and, in that
 * pass, computes its statistics, its coefficient from its own log-probability
 * and its gradient (docs/methods.md §8). Per counted row r of sample s, with
 * logp_r, H_r from the row (top of this file) and n_r the level's weight:
 *
 *   SEQUENCE (GRPO, arXiv:2402.03300 Eq. 3):  n_r = 1 / (G' * token_count_s),
 *            G' = samples with counted rows
 *   TOKEN    (DAPO, arXiv:2503.14476 Eq. 8):   n_r = 1 / (counted rows)
 *
 * CLIPPED, rho_r = exp(logp_r - old_logp_r), A_r = advantages[r]:
 *   term_r = min(rho_r A_r, clip(rho_r, 1 - eps_low, 1 + eps_high) A_r)
 *            - kl * (e^q - q - 1),   q = ref_logp_r - logp_r   (k3 KL, kl > 0 only)
 *   F      = -sum_r n_r term_r
 *   w_r    = -dF/dlogp_r = n_r * ( [unclipped branch is the min] rho_r A_r - kl (1 - e^q) )
 * The unclipped branch is the min when rho A <= clip(rho) A; otherwise the row is
 * clipped (row_clipped = +1 when rho > 1, -1 when rho < 1) and its surrogate
 * gradient is 0.
 * DFT (dynamic fine-tuning, arXiv:2508.05629), p_r = exp(logp_r) held constant:
 *   F = sum_r n_r p_r (-logp_r),   w_r = n_r p_r.
 *
 * With entropy_weights (beta_r) the objective gains sum_r beta_r H_r. The
 * gradient written is grad_scale * dF/dz, exactly the gradient
 * reweigh_ce_backward_rows writes with coefficients 1, SUM, NONE and these
 * w_r and beta_r. The per-row math is computed in float64 (common/policy_row.h);
 * logp_r and H_r are the fp32 row statistics. F is summed in float64 after the
 * rows ran, in row order on the CPU and in a fixed order on CUDA, so it does not
 * depend on the thread count or the grid. A ratio
 * rho_r above e^709 (old_logp_r below -709) overflows float64: the row's
 * results are then not finite, as in the float64 formula.
 *
 * options: ignore_index, logit_scale, softcap, check_finite and grad_scale as
 *   elsewhere; label_smoothing and z_loss must be 0 (the step differentiates
 *   -logp); token_reduction, normalization and normalizer are not read.
 * rows: each array [rows] fp32 in the batch's memory, read on counted rows
 *   only, where it must be finite. old_logp and advantages are required for
 *   CLIPPED (not read for DFT), ref_logp when kl_coefficient > 0;
 *   entropy_weights NULL means no entropy term.
 * result: every pointer optional, in the batch's memory: per row [rows]
 *   row_logp, row_entropy, row_weights (w_r), row_clipped (int8), 0 on ignored
 *   rows; objective (one double, F); clip_counts (two int64: rows clipped
 *   below, above). No output may overlap an input or another output; grad may
 *   be the logits (in place, the logits' row stride).
 * CPU and CUDA batches. For a CUDA batch every array above (rows, result,
 * objective, clip_counts) lives in the batch's device memory and the row arrays
 * are validated on the device like the other inputs
 * (reweigh_cuda_set_validation_mode); logits may also be F16 there.
 */
typedef enum reweigh_policy_loss {
    REWEIGH_POLICY_LOSS_CLIPPED = 0, /* GRPO, DAPO, PPO-clip: clipped surrogate + optional k3 KL */
    REWEIGH_POLICY_LOSS_DFT = 1      /* dynamic fine-tuning */
} reweigh_policy_loss_t;

typedef enum reweigh_policy_level {
    REWEIGH_POLICY_LEVEL_SEQUENCE = 0, /* mean over each sequence's tokens, then over sequences */
    REWEIGH_POLICY_LEVEL_TOKEN = 1     /* one mean over all counted tokens */
} reweigh_policy_level_t;

/* Initialise with reweigh_policy_options_default(): CLIPPED, SEQUENCE, eps 0.2 / 0.2, kl 0. */
typedef struct reweigh_policy_options {
    int32_t loss;           /* reweigh_policy_loss_t */
    int32_t level;          /* reweigh_policy_level_t */
    double eps_low;         /* finite, >= 0 */
    double eps_high;        /* finite, >= 0 */
    double kl_coefficient;  /* finite, >= 0; CLIPPED only */
} reweigh_policy_options_t;

typedef struct reweigh_policy_rows {
    const float* old_logp;        /* logp under the sampling policy (CLIPPED) */
    const float* advantages;      /* A_r (CLIPPED; a sequence's advantage on each of its rows) */
    const float* ref_logp;        /* logp under the reference (kl_coefficient > 0) */
    const float* entropy_weights; /* beta_r, or NULL */
} reweigh_policy_rows_t;

typedef struct reweigh_policy_result {
    float* row_logp;
    float* row_entropy;
    float* row_weights;
    int8_t* row_clipped;
    double* objective;
    int64_t* clip_counts;
} reweigh_policy_result_t;

REWEIGH_API reweigh_policy_options_t reweigh_policy_options_default(void);

REWEIGH_API reweigh_status_t reweigh_policy_forward_backward(const reweigh_ce_batch_t* batch,
                                                             const reweigh_ce_options_t* options,
                                                             const reweigh_policy_options_t* policy,
                                                             const reweigh_policy_rows_t* rows,
                                                             const reweigh_policy_result_t* result,
                                                             const reweigh_ce_grad_t* grad);

/* ---- vocabulary-sharded partials ---------------------------------------
 * A shard holds logits [rows, Vshard] for vocabulary [vocab_offset,
 * vocab_offset + Vshard) of a vocabulary of vocab_total entries (tensor
 * parallel ranks, or vocabulary blocks of one buffer). Its batch describes
 * that slice: batch.vocab = Vshard, batch.logits its first column; targets
 * are global indices in [0, vocab_total) or ignore_index, the same on every
 * shard. CPU and CUDA batches: every partials array, coefficient, statistic
 * and total lives in the shard batch's memory (device memory for a CUDA
 * batch, so a collective such as an NCCL all-reduce reads it in place), and
 * CUDA calls follow the validation mode above. reweigh_ce_partials_merge and
 * reweigh_ce_partials_rebase take host arrays; reweigh_ce_partials_merge_on
 * and reweigh_ce_partials_rebase_on take arrays in a given memory space (a
 * device's, on a stream), so device partials are combined without a copy to
 * the host; reweigh_ce_normalizer takes CPU and CUDA batches.
 *
 * 1. reweigh_ce_partial_forward: per-row partials of the shard;
 * 2. combine the shards' partials: pairwise with reweigh_ce_partials_merge(_on),
 *    or with a collective: all-reduce `max` with MAX, reweigh_ce_partials_rebase(_on)
 *    to that global max, then all-reduce the other four arrays with SUM;
 * 3. reweigh_ce_sharded_stats: per-sample statistics from the combined rows;
 *    reweigh_ce_sharded_backward: this shard's slice of the gradient.
 * Results equal reweigh_ce_forward / _backward on the whole row up to the
 * order of float32 additions.
 */

/*
 * Per-row partials, each [rows] fp32 (ignored rows: m = -inf, the rest 0): in the shard batch's memory
 * for partial_forward / sharded_stats / sharded_backward, in host memory for merge and rebase, in the
 * place's memory for merge_on and rebase_on.
 */
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
 * A memory space and the order of work in it: device_type CPU (host memory; device_index and stream
 * unused) or CUDA (memory of device device_index; kernels queued on stream, 0 = the default stream).
 */
typedef struct reweigh_place {
    int32_t device_type;  /* reweigh_device_type_t */
    int32_t device_index;
    uint64_t stream;      /* cudaStream_t as an integer */
} reweigh_place_t;

/*
 * reweigh_ce_partials_merge / _rebase on arrays in `place`'s memory (the same
 * checks and messages). On CUDA they are queued on place.stream and follow the
 * validation mode: synchronously a bad globalMax is reported before anything
 * is written; asynchronously the call returns OK, writes nothing, and the
 * deferred status names the row.
 */
REWEIGH_API reweigh_status_t reweigh_ce_partials_merge_on(const reweigh_place_t* place, int64_t rows,
                                                          const reweigh_ce_partials_t* from,
                                                          const reweigh_ce_partials_t* into);
REWEIGH_API reweigh_status_t reweigh_ce_partials_rebase_on(const reweigh_place_t* place, int64_t rows,
                                                           const float* global_max,
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
 * against [0, vocab_total), coefficients as in reweigh_ce_forward_backward);
 * 0 for an empty micro-batch, never an error. Data parallel: all-reduce D
 * with SUM, then pass it as an EXPLICIT normaliser. For a CUDA batch,
 * coefficients and normalizer (one double) live in its device memory.
 */
REWEIGH_API reweigh_status_t reweigh_ce_normalizer(const reweigh_ce_batch_t* batch, int64_t vocab_total,
                                                   const reweigh_ce_options_t* options, const float* coefficients,
                                                   double* normalizer);

#ifdef __cplusplus
}
#endif

#endif /* REWEIGH_REWEIGH_H */
