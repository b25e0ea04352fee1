/*
 * ce_rows.cu: the per-row kernels of forward, backward and forwardBackward.
 * The row math is the shared REWEIGH_HD code of ../common/ce_row.h, so the
 * CPU tests cover it.
 *
 * Per counted row r with target y (symbols of Milakov & Gimelshein 2018,
 * arXiv:1805.02867, Algorithm 3: m running max, d running sum of exp(z - m);
 * s is our entropy sum, see ce_row.h):
 *   pass 1 (forward modes): each thread runs the online softmax over its
 *     elements of z' = transform_logit(z), keeping (m, d, s) and sum z'; the
 *     block merges the states (reduce.cuh), and every thread finishes the row
 *     with row_finish(); one thread writes lse, logp, entropy, loss.
 *   pass 2 (gradient modes): g_v = grad_element(grad_epilogue(lse, k_s), z'_v),
 *     k_s from the normaliser kernel (common/sample_math.h).
 * Ignored rows write zeros (row outputs and gradient). Exponentials are exp2f
 * on pre-scaled exponents: see [Note: exp2 in the per-element loops].
 *
 * [Note: one row over several blocks] A row is cut into `parts` slices, one
 * block each (a group). In forwardBackward every block keeps its slice in
 * shared memory (at most kSliceBytes), publishes its partial state
 * (m, d, s, sum z') to global memory, waits at a group barrier, and merges
 * the `parts` partials in part order with softmax_merge - the same merge as
 * inside a block and as the CPU's vocabulary-sharded partials - so every
 * block of the group computes the same lse bit for bit. Then it writes the
 * gradient of its slice from shared memory: 1 read + 1 write per logit for
 * every vocabulary up to kMaxParts x kSliceBytes (1.5 MiB of row: 393k fp32,
 * 786k bf16), with several blocks per SM keeping loads in flight. The group
 * barrier needs all blocks of a group resident at once, so a split launch is
 * cooperative (cudaLaunchCooperativeKernel: sm_60 and newer, no clusters
 * needed); a device without cooperative launch, or a longer row, takes the
 * uncached path (pass 2 re-reads the row). Backward splits rows the same way
 * with no barrier (lse is given); forward keeps one block per row.
 * REWEIGH_CUDA_ROW_CACHE=0 in the environment forces the uncached path (for
 * benchmarking both).
 *
 * [Note: row guard] The target is read once per row by thread 0 and
 * broadcast through shared memory, so all threads agree on it even when the
 * caller's memory changes during the call. A target outside [0, V) that is
 * not ignore_index - possible only after validation (asynchronous mode,
 * another stream writing the targets) - is never used as an index: the row is
 * treated as ignored and the row index is recorded in the kRowGuard slot,
 * which reaches the caller through the deferred status (workspace.cuh).
 *
 * Alignment: loads and stores are 16-byte vectors (4 fp32 or 8 bf16/fp16).
 * A row whose start is not 16-byte aligned (odd V, odd stride) first peels
 * the elements up to the next 16-byte boundary, then runs vectors, then a
 * scalar tail; the vector path needs logits and grad to share that
 * misalignment (always true in place and for equal strides), else the row
 * is scalar. Thread i handles the same elements in both passes, so the
 * shared-memory cache needs no barrier between them.
 *
 * In place (grad == logits) is safe: every pass-1 read of a row (including
 * z[y]) precedes the block barrier of the reduction and, in a split row, the
 * group barrier; pass 2 reads element v before the same thread writes it.
 *
 * Launch shape (not measured: no GPU was available; tune with
 * tests/cuda/ce_cuda_bench.cu): 512 threads per block, fewer for small
 * slices (one vector per thread, at least one warp).
 */
#include <stdint.h>
#include <stdlib.h>

#include <mutex>

#include "ce.cuh"
#include "launch.cuh"
#include "reduce.cuh"

/* Threads per row block; the emulation harness lowers it to keep its thread count small. */
#ifndef REWEIGH_CUDA_ROW_THREADS
#define REWEIGH_CUDA_ROW_THREADS 512
#endif

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = REWEIGH_CUDA_ROW_THREADS;
constexpr size_t kSliceBytes = 48 * 1024; /* row bytes one block caches: 4 blocks / SM on H100 */
constexpr int kMaxParts = kWarp;          /* partials are merged by one warp */
constexpr int kMaxDevices = 64;
constexpr int64_t kMaxGroups = 4096; /* more than any GPU holds resident (>= 2 blocks per group) */

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

/* One slice's pass-1 result, published for the other blocks of its group. */
struct RowPartial {
    float m, d, s, sum_zp;
    float zp_target; /* part 0 only */
    float pad[3];
};

/* Block-uniform values of the row in flight (dynamic shared memory, after the reduction scratch). */
struct RowShared {
    int64_t y; /* the target, or -1 for a row treated as ignored */
    SoftmaxState st;
    float sum_zp;
    float zp_target;
};

/* Dynamic shared memory: reduction scratch, RowShared, then the slice cache. */
constexpr size_t kScratchBytes =
    (sizeof(SoftmaxState) * kReduceSlots + sizeof(float) * kReduceSlots + sizeof(RowShared) + 15) / 16 * 16;

/*
 * Where the elements of one slice lie: a scalar head [h0, h1), vectors
 * [v0, v1) (vector j covers elements head + j*N ..), a scalar tail [t0, t1).
 */
struct Slice {
    int h0, h1, v0, v1, t0, t1, head;
};

template <class T>
__device__ __forceinline__ Slice slice_of(const T* z, const T* g, int V, int part, int parts) {
    constexpr int N = VecWidth<T>::N;
    const uintptr_t za = reinterpret_cast<uintptr_t>(z);
    const bool coaligned = g == nullptr || ((za ^ reinterpret_cast<uintptr_t>(g)) & 15u) == 0;
    Slice s;
    if (coaligned && (za % sizeof(T)) == 0) {
        int head = static_cast<int>(((16u - (za & 15u)) & 15u) / sizeof(T));
        if (head > V) head = V;
        const int nvec = (V - head) / N;
        const int per = (nvec + parts - 1) / parts;
        s.head = head;
        s.h0 = 0;
        s.h1 = part == 0 ? head : 0;
        s.v0 = part * per < nvec ? part * per : nvec;
        s.v1 = s.v0 + per < nvec ? s.v0 + per : nvec;
        s.t0 = part == parts - 1 ? head + nvec * N : V;
        s.t1 = V;
    } else {
        /* Scalar slices. */
        const int per = (V + parts - 1) / parts;
        s.head = 0;
        s.h0 = part * per < V ? part * per : V;
        s.h1 = s.h0 + per < V ? s.h0 + per : V;
        s.v0 = s.v1 = 0;
        s.t0 = s.t1 = V;
    }
    return s;
}

__device__ __forceinline__ unsigned load_volatile(const unsigned* p) { return *static_cast<const volatile unsigned*>(p); }

/* All `parts` blocks of a group reach this point (they are co-resident: cooperative launch). */
__device__ __forceinline__ void group_barrier(unsigned* counter, unsigned target) {
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence(); /* this block's partial is visible before its arrival */
        atomicAdd(counter, 1u);
        while (load_volatile(counter) < target) __nanosleep(32);
        __threadfence();
    }
    __syncthreads();
}

/*
 * [Note: exp2 in the per-element loops] exp(x) is computed as
 * exp2f(x log2(e)): one multiply and the hardware ex2 instruction (as QuACK
 * and Liger use) instead of expf's extra range reduction. Only the exponent
 * is pre-scaled: m, s and lse stay in natural units, so every merge, partial
 * and row_finish() is the shared code of ../common/ce_row.h, and an exponent
 * of exactly 0 (the maximum itself, or p_v = 1 for V = 1) still gives exactly
 * 1. The softcap transform multiplies by 1 / c, computed once per thread
 * (Transform), instead of dividing per element.
 */
constexpr float kLog2e = 1.44269504088896341f;

/* softmax_add of ce_row.h with exp2f on the pre-scaled exponent. */
__device__ __forceinline__ void softmax_add_exp2(SoftmaxState& st, float zp) {
    if (zp == -INFINITY) return;
    if (zp > st.m) {
        const float delta = st.m - zp;
        const float f = st.d > 0.0f ? exp2f(delta * kLog2e) : 0.0f;
        st.s = f > 0.0f ? f * (st.s + delta * st.d) : 0.0f;
        st.d = st.d * f + 1.0f;
        st.m = zp;
    } else {
        const float delta = zp - st.m;
        const float e = exp2f(delta * kLog2e);
        st.d += e;
        if (e > 0.0f) st.s += e * delta;
    }
}

/* RowParams plus 1 / softcap, so the per-element transform multiplies instead of dividing. */
struct Transform {
    RowParams p;
    float inv_softcap; /* 0 when softcap is off */
};

__device__ __forceinline__ Transform make_transform(const RowParams& p) {
    Transform t;
    t.p = p;
    t.inv_softcap = p.softcap > 0.0f ? 1.0f / p.softcap : 0.0f;
    return t;
}

/* transform_logit / transform_derivative of ce_row.h with the reciprocal. */
__device__ __forceinline__ float transform_fast(float z, const Transform& t) {
    const float x = z * t.p.scale;
    return t.p.softcap > 0.0f ? t.p.softcap * tanhf(x * t.inv_softcap) : x;
}

__device__ __forceinline__ float derivative_fast(float zp, const Transform& t) {
    if (t.p.softcap > 0.0f) {
        const float u = zp * t.inv_softcap;
        return t.p.scale * (1.0f - u * u);
    }
    return t.p.scale;
}

/* grad_element of ce_row.h with p_v = exp2f((z' - lse) log2(e)). */
__device__ __forceinline__ float grad_element_exp2(const GradEpilogue& e, float zp, bool is_target,
                                                   const Transform& t) {
    const float prob = exp2f((zp - e.lse) * kLog2e);
    float g = e.a * prob - e.b;
    if (is_target) g -= e.t;
    return g * derivative_fast(zp, t);
}

struct SplitState {
    RowPartial* partials; /* [groups][2][parts]: double-buffered by row iteration */
    unsigned* arrivals;   /* [groups], zeroed before the launch */
    int parts;
};

template <class T, RowMode M, bool CACHE>
__global__ void __launch_bounds__(kThreads) ce_row_kernel(RowArgs a, SplitState sp) {
    constexpr int N = VecWidth<T>::N;
    if (a.async && validation_failed(a.status)) return; /* uniform over the grid: no barrier is skipped unevenly */
    REWEIGH_DYNAMIC_SMEM(uint4, smem);
    SoftmaxState* state_scratch = reinterpret_cast<SoftmaxState*>(smem);
    float* sum_scratch = reinterpret_cast<float*>(state_scratch + kReduceSlots);
    RowShared* sh = reinterpret_cast<RowShared*>(sum_scratch + kReduceSlots);
    uint4* vcache = smem + kScratchBytes / 16; /* CACHE: the slice's vectors, then its scalars */

    const RowParams p = a.params;
    const Transform tf = make_transform(p);
    const int V = static_cast<int>(a.vocab); /* < 2^31: checked by the host */
    const int tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
    const int parts = sp.parts;
    const int part = static_cast<int>(blockIdx.x % static_cast<unsigned>(parts));
    const int64_t group = blockIdx.x / static_cast<unsigned>(parts);
    const int64_t groups = gridDim.x / static_cast<unsigned>(parts);
    const bool grouped = M == RowMode::ForwardBackward && parts > 1;

    unsigned iteration = 0;
    for (int64_t r = group; r < a.rows; r += groups, ++iteration) {
        const T* z = static_cast<const T*>(a.logits) + r * a.stride;
        T* g = M == RowMode::Forward ? nullptr : static_cast<T*>(a.grad) + r * a.grad_stride;
        const Slice sl = slice_of<T>(z, g, V, part, parts);
        const int nv = sl.v1 - sl.v0;
        const int nh = sl.h1 - sl.h0;
        T* scache = reinterpret_cast<T*>(vcache + nv); /* head then tail scalars */

        if (tid == 0) {
            const int64_t y = load_index(a.targets, a.targets_dtype, r);
            const bool ignored = y == a.ignore_index;
            const bool bad = !ignored && (y < 0 || y >= a.vocab);
            if (bad && part == 0) record(a.status, kRowGuard, r);
            sh->y = ignored || bad ? -1 : y;
            /* Read the target before any barrier: in place, pass 2 may overwrite it. */
            sh->zp_target = M != RowMode::Backward && !ignored && !bad && part == 0
                                ? transform_fast(to_float(z[y]), tf)
                                : 0.0f;
        }
        __syncthreads();
        const int64_t y = sh->y;

        float lse = 0.0f;
        if (M != RowMode::Backward) {
            /* ---- pass 1: online softmax over this block's slice ---- */
            SoftmaxState st = softmax_init();
            float sum_zp = 0.0f;
            if (y >= 0) {
                for (int v = sl.h0 + tid; v < sl.h1; v += threads) {
                    const T x = z[v];
                    if (CACHE) scache[v - sl.h0] = x;
                    const float zp = transform_fast(to_float(x), tf);
                    softmax_add_exp2(st, zp);
                    sum_zp += zp;
                }
                const uint4* zv = reinterpret_cast<const uint4*>(z + sl.head);
#pragma unroll 4
                for (int i = sl.v0 + tid; i < sl.v1; i += threads) {
                    Pack<T> in;
                    in.raw = zv[i];
                    if (CACHE) vcache[i - sl.v0] = in.raw;
#pragma unroll
                    for (int j = 0; j < N; ++j) {
                        const float zp = transform_fast(to_float(in.v[j]), tf);
                        softmax_add_exp2(st, zp);
                        sum_zp += zp;
                    }
                }
                for (int v = sl.t0 + tid; v < sl.t1; v += threads) {
                    const T x = z[v];
                    if (CACHE) scache[nh + v - sl.t0] = x;
                    const float zp = transform_fast(to_float(x), tf);
                    softmax_add_exp2(st, zp);
                    sum_zp += zp;
                }
            }
            st = block_softmax_merge(st, state_scratch);
            sum_zp = block_sum(sum_zp, sum_scratch);
            float zp_target = sh->zp_target;
            if (grouped) {
                RowPartial* slot = sp.partials + (group * 2 + (iteration & 1u)) * parts;
                if (tid == 0) {
                    RowPartial mine;
                    mine.m = st.m;
                    mine.d = st.d;
                    mine.s = st.s;
                    mine.sum_zp = sum_zp;
                    mine.zp_target = zp_target;
                    mine.pad[0] = mine.pad[1] = mine.pad[2] = 0.0f;
                    slot[part] = mine;
                }
                group_barrier(sp.arrivals + group, static_cast<unsigned>(parts) * (iteration + 1u));
                if (tid < kWarp) {
                    /* One warp merges the parts in part order: the same bits in every block of the group. */
                    SoftmaxState ps = softmax_init();
                    float psum = 0.0f, pz = 0.0f;
                    if (tid < parts) {
                        ps.m = __ldcg(&slot[tid].m);
                        ps.d = __ldcg(&slot[tid].d);
                        ps.s = __ldcg(&slot[tid].s);
                        psum = __ldcg(&slot[tid].sum_zp);
                        pz = __ldcg(&slot[tid].zp_target);
                    }
                    ps = warp_softmax_merge(ps);
                    psum = warp_sum(psum);
                    if (tid == 0) {
                        sh->st = ps;
                        sh->sum_zp = psum;
                        sh->zp_target = pz; /* lane 0 read part 0 */
                    }
                }
                __syncthreads();
                st = sh->st;
                sum_zp = sh->sum_zp;
                zp_target = sh->zp_target;
            }
            if (y >= 0) {
                const RowResult res = row_finish(st, zp_target, sum_zp, a.vocab, p);
                if (tid == 0 && part == 0) {
                    a.lse[r] = res.lse;
                    a.logp[r] = res.logp;
                    a.entropy[r] = res.entropy;
                    a.loss[r] = res.loss;
                }
                lse = res.lse;
            } else if (tid == 0 && part == 0) {
                a.lse[r] = a.logp[r] = a.entropy[r] = a.loss[r] = 0.0f;
            }
        } else if (y >= 0) {
            lse = a.in_lse[r];
        }

        if (M != RowMode::Forward) {
            /* ---- pass 2: gradient of this block's slice, from shared memory (CACHE) or a second read ---- */
            const float k = y >= 0 ? a.sample_k[find_sample(a.offsets, a.offsets_dtype, a.samples, r)] : 0.0f;
            const GradEpilogue e = grad_epilogue(lse, k, a.vocab, p);
            const int yi = static_cast<int>(y); /* -1: no element is the target */
            for (int v = sl.h0 + tid; v < sl.h1; v += threads) {
                const float x = to_float(CACHE ? scache[v - sl.h0] : z[v]);
                g[v] = from_float<T>(y >= 0 ? grad_element_exp2(e, transform_fast(x, tf), v == yi, tf) : 0.0f);
            }
            const uint4* zv = reinterpret_cast<const uint4*>(z + sl.head);
            uint4* gv = reinterpret_cast<uint4*>(g + sl.head);
#pragma unroll 4
            for (int i = sl.v0 + tid; i < sl.v1; i += threads) {
                Pack<T> in, out;
                in.raw = CACHE ? vcache[i - sl.v0] : zv[i];
                const int base = sl.head + i * N;
#pragma unroll
                for (int j = 0; j < N; ++j) {
                    out.v[j] = from_float<T>(
                        y >= 0 ? grad_element_exp2(e, transform_fast(to_float(in.v[j]), tf), base + j == yi, tf) : 0.0f);
                }
                gv[i] = out.raw;
            }
            for (int v = sl.t0 + tid; v < sl.t1; v += threads) {
                const float x = to_float(CACHE ? scache[nh + v - sl.t0] : z[v]);
                g[v] = from_float<T>(y >= 0 ? grad_element_exp2(e, transform_fast(x, tf), v == yi, tf) : 0.0f);
            }
        }
        __syncthreads(); /* the scratch and RowShared are reused by the next row */
    }
}

bool row_cache_enabled() {
    const char* env = getenv("REWEIGH_CUDA_ROW_CACHE");
    return env == nullptr || env[0] != '0';
}

/* Facts of the current device the launch shape depends on, read once per device. */
struct DeviceFacts {
    int sms = 0;
    int cooperative = 0;
};

DeviceFacts device_facts(int device) {
    static std::mutex mutex;
    static DeviceFacts facts[kMaxDevices];
    static bool known[kMaxDevices] = {};
    std::lock_guard<std::mutex> g(mutex);
    if (device < 0 || device >= kMaxDevices) REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "CUDA device %d", device);
    if (!known[device]) {
        REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&facts[device].sms, cudaDevAttrMultiProcessorCount, device));
        REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&facts[device].cooperative, cudaDevAttrCooperativeLaunch, device));
        known[device] = true;
    }
    return facts[device];
}

/*
 * Raise a kernel's dynamic shared-memory limit once per device, to the most
 * the device allows next to the kernel's static shared memory. Setting it per
 * launch to the current row size races between host threads with different
 * vocabularies (a launch sees another thread's smaller limit).
 */
template <class Kernel>
void allow_max_dynamic_smem(Kernel kernel, int device) {
    static std::mutex mutex;
    static bool done[kMaxDevices] = {};
    std::lock_guard<std::mutex> g(mutex);
    if (done[device]) return;
    int optin = 0;
    REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    cudaFuncAttributes attr;
    REWEIGH_CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
    REWEIGH_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            optin - static_cast<int>(attr.sharedSizeBytes)));
    done[device] = true;
}

/* How one launch lays rows out. */
struct Plan {
    int parts = 1;
    bool cache = false;
    bool cooperative = false;
    unsigned threads = kThreads;
    size_t smem = kScratchBytes;
    unsigned grid = 0;
};

template <class T>
unsigned threads_for(int64_t slice_elements) {
    constexpr int N = VecWidth<T>::N;
    const int64_t vectors = (slice_elements + N - 1) / N;
    if (vectors >= kThreads) return kThreads;
    return static_cast<unsigned>(vectors <= kWarp ? kWarp : (vectors + kWarp - 1) / kWarp * kWarp);
}

template <class T>
Plan plan_for(RowMode mode, const RowArgs& a) {
    Plan plan;
    const size_t row_bytes = static_cast<size_t>(a.vocab) * sizeof(T) + 32; /* + peeled head and tail */
    const int parts = static_cast<int>((row_bytes + kSliceBytes - 1) / kSliceBytes);
    if (mode == RowMode::Backward) {
        plan.parts = parts < kMaxParts ? parts : kMaxParts;
    } else if (mode == RowMode::ForwardBackward && row_cache_enabled() && parts <= kMaxParts) {
        plan.parts = parts;
        plan.cache = true;
        plan.cooperative = parts > 1;
        plan.smem = kScratchBytes + (row_bytes + parts - 1) / parts + 64;
        plan.smem = (plan.smem + 15) / 16 * 16;
    }
    plan.threads = threads_for<T>((a.vocab + plan.parts - 1) / plan.parts);
    return plan;
}

template <class T, RowMode M, bool CACHE>
void launch_plan(const char* name, const Plan& plan, const RowArgs& a, const SplitState& sp, int device,
                 cudaStream_t stream) {
    auto kernel = ce_row_kernel<T, M, CACHE>;
    if (plan.smem > 48 * 1024) allow_max_dynamic_smem(kernel, device);
    if (plan.cooperative) {
        launch_cooperative(name, kernel, plan.grid, plan.threads, plan.smem, stream, a, sp);
    } else {
        launch(name, kernel, plan.grid, plan.threads, plan.smem, stream, a, sp);
    }
}

/* Sets plan.grid; a cooperative plan that cannot be resident falls back to the uncached one. */
template <class T, RowMode M, bool CACHE>
bool fit_grid(Plan& plan, const RowArgs& a, int device) {
    const int64_t items = a.rows * plan.parts;
    if (!plan.cooperative) {
        /* Whole groups only: the grid is a multiple of parts. */
        const int64_t cap = REWEIGH_CUDA_MAX_GRID / plan.parts * plan.parts;
        plan.grid = static_cast<unsigned>(items < cap ? items : cap);
        return true;
    }
    const DeviceFacts f = device_facts(device);
    if (!f.cooperative) return false;
    auto kernel = ce_row_kernel<T, M, CACHE>;
    if (plan.smem > 48 * 1024) allow_max_dynamic_smem(kernel, device);
    int per_sm = 0;
    REWEIGH_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(plan.threads),
                                                                     plan.smem));
    const int64_t resident = static_cast<int64_t>(per_sm) * f.sms;
    int64_t groups_cap = resident / plan.parts;
    if (groups_cap > kMaxGroups) groups_cap = kMaxGroups;
    if (groups_cap < 1) return false;
    const int64_t groups = a.rows < groups_cap ? a.rows : groups_cap;
    plan.grid = static_cast<unsigned>(groups * plan.parts);
    return true;
}

/* Workspace of a split launch: partials [groups][2][parts], then arrival counters [groups]. */
struct SplitLayout {
    size_t partial_bytes;
    size_t total_bytes;
};

SplitLayout split_layout(int64_t rows, int parts) {
    const int64_t groups = rows < kMaxGroups ? rows : kMaxGroups;
    SplitLayout l;
    l.partial_bytes = (static_cast<size_t>(groups) * 2 * parts * sizeof(RowPartial) + 255) & ~static_cast<size_t>(255);
    l.total_bytes = l.partial_bytes + ((static_cast<size_t>(groups) * sizeof(unsigned) + 255) & ~static_cast<size_t>(255));
    return l;
}

template <class T>
size_t workspace_typed(RowMode mode, const RowArgs& a) {
    if (mode != RowMode::ForwardBackward || a.rows == 0) return 0;
    const Plan plan = plan_for<T>(mode, a);
    return plan.cooperative ? split_layout(a.rows, plan.parts).total_bytes : 0;
}

template <class T>
void launch_typed(RowMode mode, const RowArgs& a, void* workspace, cudaStream_t stream) {
    if (a.rows == 0) return;
    if (a.vocab > INT32_MAX) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "vocab = %lld: the CUDA kernels take rows of at most 2^31 - 1 logits",
                     static_cast<long long>(a.vocab));
    }
    int device = 0;
    REWEIGH_CUDA_CHECK(cudaGetDevice(&device));
    Plan plan = plan_for<T>(mode, a);
    SplitState sp;
    sp.partials = nullptr;
    sp.arrivals = nullptr;
    sp.parts = plan.parts;
    switch (mode) {
        case RowMode::Forward:
            fit_grid<T, RowMode::Forward, false>(plan, a, device);
            launch_plan<T, RowMode::Forward, false>("ce_row_kernel<forward>", plan, a, sp, device, stream);
            return;
        case RowMode::Backward:
            fit_grid<T, RowMode::Backward, false>(plan, a, device);
            launch_plan<T, RowMode::Backward, false>("ce_row_kernel<backward>", plan, a, sp, device, stream);
            return;
        case RowMode::ForwardBackward:
            if (plan.cache && fit_grid<T, RowMode::ForwardBackward, true>(plan, a, device)) {
                if (plan.cooperative) {
                    const SplitLayout layout = split_layout(a.rows, plan.parts);
                    char* base = static_cast<char*>(workspace);
                    sp.partials = reinterpret_cast<RowPartial*>(base);
                    sp.arrivals = reinterpret_cast<unsigned*>(base + layout.partial_bytes);
                    REWEIGH_CUDA_CHECK(
                        cudaMemsetAsync(sp.arrivals, 0, sizeof(unsigned) * (plan.grid / plan.parts), stream));
                }
                launch_plan<T, RowMode::ForwardBackward, true>("ce_row_kernel<forward_backward, cached>", plan, a,
                                                               sp, device, stream);
                return;
            }
            Plan plain;
            plain.threads = threads_for<T>(a.vocab);
            fit_grid<T, RowMode::ForwardBackward, false>(plain, a, device);
            sp.parts = 1;
            launch_plan<T, RowMode::ForwardBackward, false>("ce_row_kernel<forward_backward>", plain, a, sp, device,
                                                            stream);
            return;
    }
}

}  // namespace

size_t rows_workspace_bytes(RowMode mode, int32_t logits_dtype, const RowArgs& a) {
    switch (logits_dtype) {
        case REWEIGH_DTYPE_F32: return workspace_typed<float>(mode, a);
        case REWEIGH_DTYPE_BF16: return workspace_typed<Bf16>(mode, a);
        default: return workspace_typed<F16>(mode, a);
    }
}

void launch_rows(RowMode mode, int32_t logits_dtype, const RowArgs& a, void* workspace, cudaStream_t stream) {
    switch (logits_dtype) {
        case REWEIGH_DTYPE_F32: launch_typed<float>(mode, a, workspace, stream); break;
        case REWEIGH_DTYPE_BF16: launch_typed<Bf16>(mode, a, workspace, stream); break;
        case REWEIGH_DTYPE_F16: launch_typed<F16>(mode, a, workspace, stream); break;
        default: REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "launch_rows: logits dtype %d", logits_dtype);
    }
}

}  // namespace cuda
}  // namespace reweigh
