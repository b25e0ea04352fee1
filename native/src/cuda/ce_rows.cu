/*
 * ce_rows.cu: the per-row kernels of forward, backward and forwardBackward.
 * One thread block per row (grid-stride over rows); the row math is the
 * shared REWEIGH_HD code of ../common/ce_row.h, so the CPU tests cover it.
 *
 * Per counted row r with target y (symbols of Milakov & Gimelshein 2018,
 * arXiv:1805.02867, Algorithm 3: m running max, d running sum of exp(z - m);
 * s is our entropy sum, see ce_row.h):
 *   pass 1 (forward modes): each thread runs the online softmax over its
 *     slice of z' = transform_logit(z), keeping (m, d, s) and sum z'; the
 *     block merges the states (reduce.cuh) and every thread finishes the row
 *     with row_finish(); thread 0 writes lse, logp, entropy, loss.
 *   pass 2 (gradient modes): g_v = grad_element(grad_epilogue(lse, k_s), z'_v),
 *     k_s = c_s / D (/ token_count for MEAN) from the normaliser kernel.
 * Ignored rows write zeros (row outputs and gradient).
 *
 * Memory traffic (the bandwidth floor):
 *   forward          1 read per logit
 *   backward         1 read + 1 write (lse given)
 *   forwardBackward  1 read + 1 write when the row fits in shared memory
 *                    (CACHE: pass 1 stores the raw row in dynamic shared
 *                    memory and pass 2 reads it from there), else 2 reads
 *                    + 1 write (pass 2 re-reads the row, usually from L2).
 * In place (grad == logits) is safe: every pass-1 read of a row precedes the
 * block barrier of the reduction, and pass 2 reads element v before the same
 * thread writes element v.
 *
 * Loads and stores are 16-byte vectors (4 fp32 or 8 bf16/fp16) when the row
 * starts of logits and grad are 16-byte aligned, with a scalar tail; other
 * rows (odd strides) take the scalar loop. Thread i handles the same
 * elements in both passes, so the shared-memory cache needs no barrier.
 *
 * Launch shape (not measured: the build machine has no GPU; tune with
 * tests/cuda/ce_cuda_bench.cu): 1024 threads when the row is cached (one
 * block owns up to 227 KiB of shared memory on H100), else 512; fewer for
 * small vocabularies (one vector per thread, at least one warp).
 * REWEIGH_CUDA_ROW_CACHE=0 in the environment forces the 2-read path (for
 * benchmarking both).
 */
#include <stdint.h>
#include <stdlib.h>

#include "ce.cuh"
#include "launch.cuh"
#include "reduce.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kMaxThreads = 1024;

/* Elements of T in one 16-byte vector. */
template <class T>
struct VecWidth {
    static constexpr int N = static_cast<int>(16 / sizeof(T));
};

template <class T>
union Pack {
    uint4 raw;
    T v[VecWidth<T>::N];
};

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

template <class T, RowMode M, bool CACHE>
__global__ void __launch_bounds__(kMaxThreads) ce_row_kernel(RowArgs a) {
    constexpr int N = VecWidth<T>::N;
    extern __shared__ uint4 row_cache[]; /* CACHE only: the raw row, vocab elements of T */
    __shared__ SoftmaxState state_scratch[kMaxThreads / kWarp];
    __shared__ float sum_scratch[kMaxThreads / kWarp];
    T* cache = reinterpret_cast<T*>(row_cache);
    const RowParams p = a.params;
    const int64_t V = a.vocab;
    const int64_t tid = threadIdx.x, threads = blockDim.x;

    for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
        const int64_t y = load_index(a.targets, a.targets_dtype, r);
        const T* z = static_cast<const T*>(a.logits) + r * a.stride;
        T* g = M == RowMode::Forward ? nullptr : static_cast<T*>(a.grad) + r * a.grad_stride;
        const bool vec = aligned16(z) && (M == RowMode::Forward || aligned16(g));
        const int64_t nvec = vec ? V / N : 0;
        const int64_t tail = nvec * N;

        if (y == a.ignore_index) { /* uniform across the block: no barrier is skipped unevenly */
            if (M != RowMode::Backward && tid == 0) a.lse[r] = a.logp[r] = a.entropy[r] = a.loss[r] = 0.0f;
            if (M != RowMode::Forward) {
                Pack<T> zero;
                zero.raw = make_uint4(0u, 0u, 0u, 0u);
                for (int64_t i = tid; i < nvec; i += threads) reinterpret_cast<uint4*>(g)[i] = zero.raw;
                for (int64_t v = tail + tid; v < V; v += threads) g[v] = from_float<T>(0.0f);
            }
            continue;
        }

        float lse;
        if (M != RowMode::Backward) {
            /* ---- pass 1: online softmax over this thread's slice ---- */
            SoftmaxState st = softmax_init();
            float sum_zp = 0.0f;
            for (int64_t i = tid; i < nvec; i += threads) {
                Pack<T> in;
                in.raw = reinterpret_cast<const uint4*>(z)[i];
                if (CACHE) row_cache[i] = in.raw;
#pragma unroll
                for (int j = 0; j < N; ++j) {
                    const float zp = transform_logit(to_float(in.v[j]), p);
                    softmax_add(st, zp);
                    sum_zp += zp;
                }
            }
            for (int64_t v = tail + tid; v < V; v += threads) {
                const T x = z[v];
                if (CACHE) cache[v] = x;
                const float zp = transform_logit(to_float(x), p);
                softmax_add(st, zp);
                sum_zp += zp;
            }
            /* Read the target before the barrier: in place, pass 2 may overwrite it. */
            const float zp_target = transform_logit(to_float(z[y]), p);
            st = block_softmax_merge(st, state_scratch);
            sum_zp = block_sum(sum_zp, sum_scratch);
            const RowResult res = row_finish(st, zp_target, sum_zp, V, p);
            if (tid == 0) {
                a.lse[r] = res.lse;
                a.logp[r] = res.logp;
                a.entropy[r] = res.entropy;
                a.loss[r] = res.loss;
            }
            lse = res.lse;
        } else {
            lse = a.in_lse[r];
        }

        if (M != RowMode::Forward) {
            /* ---- pass 2: gradient, from shared memory (CACHE) or a second read ---- */
            const float k = a.sample_k[find_sample(a.offsets, a.offsets_dtype, a.samples, r)];
            const GradEpilogue e = grad_epilogue(lse, k, V, p);
            for (int64_t i = tid; i < nvec; i += threads) {
                Pack<T> in, out;
                in.raw = CACHE ? row_cache[i] : reinterpret_cast<const uint4*>(z)[i];
#pragma unroll
                for (int j = 0; j < N; ++j) {
                    const float zp = transform_logit(to_float(in.v[j]), p);
                    out.v[j] = from_float<T>(grad_element(e, zp, i * N + j == y, p));
                }
                reinterpret_cast<uint4*>(g)[i] = out.raw;
            }
            for (int64_t v = tail + tid; v < V; v += threads) {
                const float zp = transform_logit(to_float(CACHE ? cache[v] : z[v]), p);
                g[v] = from_float<T>(grad_element(e, zp, v == y, p));
            }
        }
        __syncthreads(); /* the scratch arrays are reused by the next row */
    }
}

bool row_cache_enabled() {
    const char* env = getenv("REWEIGH_CUDA_ROW_CACHE");
    return env == nullptr || env[0] != '0';
}

template <class T>
void launch_typed(RowMode mode, const RowArgs& a, cudaStream_t stream) {
    constexpr int N = VecWidth<T>::N;
    const unsigned grid = grid_for(a.rows, 1);
    if (grid == 0) return;
    int device = 0, optin = 0;
    REWEIGH_CUDA_CHECK(cudaGetDevice(&device));
    REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    const size_t row_bytes = (static_cast<size_t>(a.vocab) * sizeof(T) + 15) & ~static_cast<size_t>(15);
    const size_t static_bytes = (sizeof(SoftmaxState) + sizeof(float)) * (kMaxThreads / kWarp);
    const bool cache = mode == RowMode::ForwardBackward && row_cache_enabled() &&
                       row_bytes + static_bytes <= static_cast<size_t>(optin);
    int64_t threads = cache ? kMaxThreads : kMaxThreads / 2;
    const int64_t vectors = (a.vocab + N - 1) / N;
    if (vectors < threads) threads = vectors < kWarp ? kWarp : (vectors + kWarp - 1) / kWarp * kWarp;
    const unsigned block = static_cast<unsigned>(threads);
    switch (mode) {
        case RowMode::Forward:
            launch("ce_row_kernel<forward>", ce_row_kernel<T, RowMode::Forward, false>, grid, block, 0, stream, a);
            break;
        case RowMode::Backward:
            launch("ce_row_kernel<backward>", ce_row_kernel<T, RowMode::Backward, false>, grid, block, 0, stream,
                   a);
            break;
        case RowMode::ForwardBackward:
            if (cache) {
                auto kernel = ce_row_kernel<T, RowMode::ForwardBackward, true>;
                REWEIGH_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                        static_cast<int>(row_bytes)));
                launch("ce_row_kernel<forward_backward, cached>", kernel, grid, block, row_bytes, stream, a);
            } else {
                launch("ce_row_kernel<forward_backward>", ce_row_kernel<T, RowMode::ForwardBackward, false>, grid,
                       block, 0, stream, a);
            }
            break;
    }
}

}  // namespace

void launch_rows(RowMode mode, int32_t logits_dtype, const RowArgs& a, cudaStream_t stream) {
    switch (logits_dtype) {
        case REWEIGH_DTYPE_F32: launch_typed<float>(mode, a, stream); break;
        case REWEIGH_DTYPE_BF16: launch_typed<Bf16>(mode, a, stream); break;
        case REWEIGH_DTYPE_F16: launch_typed<F16>(mode, a, stream); break;
        default: REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "launch_rows: logits dtype %d", logits_dtype);
    }
}

}  // namespace cuda
}  // namespace reweigh
