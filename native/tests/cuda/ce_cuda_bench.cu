/*
 * ce_cuda_bench.cu: bandwidth of the CUDA forwardBackward against the copy
 * roofline measured in the same run, and the > 2^31-element check.
 *
 *   ce_cuda_bench [--json FILE] [--big | --threads]
 *
 * Shapes 4096 x 32000 (llama-2 vocabulary) and 16384 x 128256 (llama-3),
 * fp32 and bf16, 8 samples, gradient to a separate buffer (an in-place benchmark would feed its
 * own gradients back as logits). Byte model, as in quack's
 * benchmark_cross_entropy: forwardBackward = 1 read + 1 write per logit
 * (targets, offsets and per-row outputs are < 0.01% and not counted);
 * forward = 1 read per logit; the roofline is cudaMemcpyAsync device to device
 * of the same bytes (1 read + 1 write). Each timing is the median of 20
 * calls after 3 warm-ups, cudaEvents on one stream; a call includes its
 * validation kernels and the one stream sync of the validation (see
 * ce_validate.cu). forwardBackward runs three times: the default policy
 * (row slices cached in shared memory: 1 read), REWEIGH_CUDA_ROW_CACHE=0
 * (2 reads) and asynchronous validation (no host sync); forward is compared
 * with a plain read kernel of the same bytes (the read roofline).
 * --json appends one JSON object per shape to FILE (gpu-check.sh's summary).
 * --big: one bf16 batch of 16800 x 128256 logits (> 2^31 elements): the
 * last rows' lse against the CPU path on the same rows.
 * --threads: host threads with different vocabularies on their own streams.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "cuda_test_support.h"
#include "reweigh/reweigh.h"

namespace {

/* A dense [rows, vocab] batch with int64 targets and offsets in device memory, run on `stream`. */
reweigh_ce_batch_t device_batch(const void* logits, int32_t dtype, const int64_t* targets, const int64_t* offsets,
                                int64_t rows, int64_t vocab, int64_t samples, cudaStream_t stream) {
    reweigh_ce_batch_t b = reweigh_test::batch_of(logits, dtype, targets, REWEIGH_DTYPE_I64, offsets, REWEIGH_DTYPE_I64,
                                                  rows, vocab, vocab, samples, REWEIGH_DEVICE_CUDA);
    b.stream = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(stream));
    return b;
}

#define CHECK_CUDA(expr)                                                                         \
    do {                                                                                         \
        cudaError_t e_ = (expr);                                                                 \
        if (e_ != cudaSuccess) {                                                                 \
            printf("CUDA error %s at %s:%d: %s\n", #expr, __FILE__, __LINE__, cudaGetErrorString(e_)); \
            exit(2);                                                                             \
        }                                                                                        \
    } while (0)

#define CHECK_REWEIGH(expr)                                                                     \
    do {                                                                                        \
        reweigh_status_t s_ = (expr);                                                           \
        if (s_ != REWEIGH_STATUS_OK) {                                                          \
            printf("reweigh error %s: %s: %s\n", #expr, reweigh_status_string(s_), reweigh_last_error()); \
            exit(2);                                                                            \
        }                                                                                       \
    } while (0)

__device__ uint32_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return static_cast<uint32_t>(x);
}

/* Logits roughly uniform in [-8, 8): a typical spread for trained LM heads. */
__global__ void fill_logits(void* out, int64_t n, int32_t dtype) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float x = static_cast<float>(mix(static_cast<uint64_t>(i)) % 16000u) * 1e-3f - 8.0f;
        if (dtype == REWEIGH_DTYPE_F32) {
            static_cast<float*>(out)[i] = x;
        } else {
            uint32_t bits;
            memcpy(&bits, &x, 4);
            static_cast<uint16_t*>(out)[i] = static_cast<uint16_t>(bits >> 16);
        }
    }
}

__global__ void fill_targets(int64_t* t, int64_t n, int64_t vocab) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        t[i] = i % 10 == 9 ? -100 : static_cast<int64_t>(mix(static_cast<uint64_t>(i) + 77u) % static_cast<uint32_t>(vocab));
    }
}

/* The read roofline: every byte loaded once with 16-byte loads, a checksum kept so nothing is elided. */
__global__ void read_all(const uint4* p, int64_t n, unsigned* sink) {
    unsigned acc = 0;
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const uint4 v = p[i];
        acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (acc == 0x12345678u) *sink = acc;
}

FILE* g_json = nullptr;

template <class F>
float median_ms(cudaStream_t stream, F call) {
    cudaEvent_t a, b;
    CHECK_CUDA(cudaEventCreate(&a));
    CHECK_CUDA(cudaEventCreate(&b));
    for (int i = 0; i < 3; ++i) call();
    std::vector<float> ms;
    for (int i = 0; i < 20; ++i) {
        CHECK_CUDA(cudaEventRecord(a, stream));
        call();
        CHECK_CUDA(cudaEventRecord(b, stream));
        CHECK_CUDA(cudaEventSynchronize(b));
        float t = 0.0f;
        CHECK_CUDA(cudaEventElapsedTime(&t, a, b));
        ms.push_back(t);
    }
    CHECK_CUDA(cudaEventDestroy(a));
    CHECK_CUDA(cudaEventDestroy(b));
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

void ok_async(bool async) {
    CHECK_REWEIGH(reweigh_cuda_set_validation_mode(async ? REWEIGH_CUDA_VALIDATION_ASYNC : REWEIGH_CUDA_VALIDATION_SYNC));
}

void bench(int32_t dtype, const char* name, int64_t rows, int64_t vocab, cudaStream_t stream) {
    const int64_t samples = 8;
    const size_t esize = dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    const size_t bytes = static_cast<size_t>(rows * vocab) * esize;
    void *logits = nullptr, *grad = nullptr, *copy = nullptr;
    int64_t *targets = nullptr, *offsets = nullptr;
    float *coef = nullptr, *loss = nullptr;
    double* total = nullptr;
    CHECK_CUDA(cudaMalloc(&logits, bytes));
    CHECK_CUDA(cudaMalloc(&grad, bytes));
    CHECK_CUDA(cudaMalloc(&copy, bytes));
    CHECK_CUDA(cudaMalloc(&targets, static_cast<size_t>(rows) * 8));
    CHECK_CUDA(cudaMalloc(&offsets, static_cast<size_t>(samples + 1) * 8));
    CHECK_CUDA(cudaMalloc(&coef, static_cast<size_t>(samples) * 4));
    CHECK_CUDA(cudaMalloc(&loss, static_cast<size_t>(samples) * 4));
    CHECK_CUDA(cudaMalloc(&total, 8));
    fill_logits<<<1024, 256, 0, stream>>>(logits, rows * vocab, dtype);
    CHECK_CUDA(cudaGetLastError());
    fill_targets<<<64, 256, 0, stream>>>(targets, rows, vocab);
    CHECK_CUDA(cudaGetLastError());
    std::vector<int64_t> off(static_cast<size_t>(samples + 1));
    for (int64_t s = 0; s <= samples; ++s) off[static_cast<size_t>(s)] = s * rows / samples;
    std::vector<float> ones(static_cast<size_t>(samples), 1.0f);
    CHECK_CUDA(cudaMemcpy(offsets, off.data(), off.size() * 8, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(coef, ones.data(), ones.size() * 4, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaStreamSynchronize(stream));

    const reweigh_ce_batch_t b = device_batch(logits, dtype, targets, offsets, rows, vocab, samples, stream);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    reweigh_ce_stats_t st = {};
    st.loss = loss;
    const reweigh_ce_grad_t g = {grad, vocab};

    auto fb = [&] { CHECK_REWEIGH(reweigh_ce_forward_backward(&b, &o, coef, &st, &g, total)); };
    auto fwd = [&] { CHECK_REWEIGH(reweigh_ce_forward(&b, &o, &st)); };
    auto memcpy_d2d = [&] { CHECK_CUDA(cudaMemcpyAsync(copy, logits, bytes, cudaMemcpyDeviceToDevice, stream)); };

    const float t_copy = median_ms(stream, memcpy_d2d);
    unsetenv("REWEIGH_CUDA_ROW_CACHE");
    const float t_fb = median_ms(stream, fb);
    setenv("REWEIGH_CUDA_ROW_CACHE", "0", 1);
    const float t_fb2 = median_ms(stream, fb);
    unsetenv("REWEIGH_CUDA_ROW_CACHE");
    const float t_fwd = median_ms(stream, fwd);
    ok_async(true);
    const float t_fb_async = median_ms(stream, fb);
    ok_async(false);
    unsigned* sink = nullptr;
    CHECK_CUDA(cudaMalloc(&sink, 4));
    int sms = 0;
    CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    auto read = [&] {
        read_all<<<static_cast<unsigned>(sms) * 8, 512, 0, stream>>>(static_cast<const uint4*>(logits),
                                                                    static_cast<int64_t>(bytes / 16), sink);
        CHECK_CUDA(cudaGetLastError());
    };
    const float t_read = median_ms(stream, read);
    CHECK_CUDA(cudaFree(sink));
    auto gbs = [](double b_, float ms) { return b_ / (static_cast<double>(ms) * 1e-3) / 1e9; };
    const double rw = 2.0 * static_cast<double>(bytes);
    printf("%-5s %lldx%lld  memcpy D2D %8.3f ms %7.1f GB/s | fwdBwd %8.3f ms %7.1f GB/s (%5.1f%%) | "
           "fwdBwd 2-read %8.3f ms %7.1f GB/s (%5.1f%%) | fwdBwd async %8.3f ms (%5.1f%%) | "
           "read %8.3f ms %7.1f GB/s | fwd %8.3f ms %7.1f GB/s (%5.1f%% of read)\n",
           name, static_cast<long long>(rows), static_cast<long long>(vocab), t_copy, gbs(rw, t_copy), t_fb,
           gbs(rw, t_fb), 100.0 * t_copy / t_fb, t_fb2, gbs(rw, t_fb2), 100.0 * t_copy / t_fb2, t_fb_async,
           100.0 * t_copy / t_fb_async, t_read, gbs(static_cast<double>(bytes), t_read), t_fwd,
           gbs(static_cast<double>(bytes), t_fwd), 100.0 * t_read / t_fwd);
    if (g_json != nullptr) {
        fprintf(g_json,
                "{\"dtype\": \"%s\", \"rows\": %lld, \"vocab\": %lld, \"copy_ms\": %.4f, \"copy_gbs\": %.1f, "
                "\"fwdbwd_ms\": %.4f, \"fwdbwd_gbs\": %.1f, \"fwdbwd_vs_copy\": %.3f, \"fwdbwd_2read_ms\": %.4f, "
                "\"fwdbwd_2read_vs_copy\": %.3f, \"fwdbwd_async_ms\": %.4f, \"fwdbwd_async_vs_copy\": %.3f, "
                "\"read_ms\": %.4f, \"read_gbs\": %.1f, \"fwd_ms\": %.4f, \"fwd_gbs\": %.1f, \"fwd_vs_read\": %.3f}\n",
                name, static_cast<long long>(rows), static_cast<long long>(vocab), t_copy, gbs(rw, t_copy), t_fb,
                gbs(rw, t_fb), t_copy / t_fb, t_fb2, t_copy / t_fb2, t_fb_async, t_copy / t_fb_async, t_read,
                gbs(static_cast<double>(bytes), t_read), t_fwd, gbs(static_cast<double>(bytes), t_fwd), t_read / t_fwd);
        fflush(g_json);
    }

    CHECK_CUDA(cudaFree(logits));
    CHECK_CUDA(cudaFree(grad));
    CHECK_CUDA(cudaFree(copy));
    CHECK_CUDA(cudaFree(targets));
    CHECK_CUDA(cudaFree(offsets));
    CHECK_CUDA(cudaFree(coef));
    CHECK_CUDA(cudaFree(loss));
    CHECK_CUDA(cudaFree(total));
}

/* > 2^31 logits in one batch: the last rows' lse against the CPU path on a host copy of those rows. */
int big_check(cudaStream_t stream) {
    const int64_t rows = 16800, vocab = 128256, n = rows * vocab;
    printf("big: %lld x %lld bf16 = %lld elements (2^31 = %lld)\n", static_cast<long long>(rows),
           static_cast<long long>(vocab), static_cast<long long>(n), 1ll << 31);
    void *logits = nullptr, *grad = nullptr;
    int64_t *targets = nullptr, *offsets = nullptr;
    float *coef = nullptr, *lse = nullptr;
    CHECK_CUDA(cudaMalloc(&logits, static_cast<size_t>(n) * 2));
    CHECK_CUDA(cudaMalloc(&grad, static_cast<size_t>(n) * 2));
    CHECK_CUDA(cudaMalloc(&targets, static_cast<size_t>(rows) * 8));
    CHECK_CUDA(cudaMalloc(&offsets, 16));
    CHECK_CUDA(cudaMalloc(&coef, 4));
    CHECK_CUDA(cudaMalloc(&lse, static_cast<size_t>(rows) * 4));
    fill_logits<<<1024, 256, 0, stream>>>(logits, n, REWEIGH_DTYPE_BF16);
    CHECK_CUDA(cudaGetLastError());
    fill_targets<<<64, 256, 0, stream>>>(targets, rows, vocab);
    CHECK_CUDA(cudaGetLastError());
    const int64_t off[2] = {0, rows};
    const float one = 1.0f;
    CHECK_CUDA(cudaMemcpy(offsets, off, 16, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(coef, &one, 4, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    const reweigh_ce_batch_t b = device_batch(logits, REWEIGH_DTYPE_BF16, targets, offsets, rows, vocab, 1, stream);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    reweigh_ce_stats_t st = {};
    st.row_lse = lse;
    const reweigh_ce_grad_t g = {grad, vocab};
    CHECK_REWEIGH(reweigh_ce_forward_backward(&b, &o, coef, &st, &g, nullptr));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    /* The CPU on the last 4 rows (their targets are never ignored at these indices: i % 10 != 9). */
    const int64_t last = 4, first = rows - last;
    std::vector<uint16_t> h(static_cast<size_t>(last * vocab));
    std::vector<int64_t> t(static_cast<size_t>(last));
    std::vector<float> glse(static_cast<size_t>(last)), clse(static_cast<size_t>(last));
    CHECK_CUDA(cudaMemcpy(h.data(), static_cast<uint16_t*>(logits) + first * vocab, h.size() * 2, cudaMemcpyDeviceToHost));
    CHECK_CUDA(cudaMemcpy(t.data(), targets + first, t.size() * 8, cudaMemcpyDeviceToHost));
    CHECK_CUDA(cudaMemcpy(glse.data(), lse + first, glse.size() * 4, cudaMemcpyDeviceToHost));
    reweigh_ce_batch_t c = b;
    c.logits = h.data();
    c.rows = last;
    c.targets = t.data();
    const int64_t coff[2] = {0, last};
    c.offsets = coff;
    c.device_type = REWEIGH_DEVICE_CPU;
    c.stream = 0;
    reweigh_ce_stats_t cst = {};
    cst.row_lse = clse.data();
    CHECK_REWEIGH(reweigh_ce_forward(&c, &o, &cst));
    int bad = 0;
    for (int64_t i = 0; i < last; ++i) {
        const float d = fabsf(glse[static_cast<size_t>(i)] - clse[static_cast<size_t>(i)]);
        printf("big: row %lld lse gpu %.6f cpu %.6f\n", static_cast<long long>(first + i),
               static_cast<double>(glse[static_cast<size_t>(i)]), static_cast<double>(clse[static_cast<size_t>(i)]));
        bad += !(d <= 2e-5f * (1.0f + fabsf(clse[static_cast<size_t>(i)])));
    }
    if (g_json != nullptr) fprintf(g_json, "{\"big_elements\": %lld, \"big_ok\": %s}\n", static_cast<long long>(n), bad ? "false" : "true");
    for (void* p : {logits, grad, static_cast<void*>(targets), static_cast<void*>(offsets), static_cast<void*>(coef),
                    static_cast<void*>(lse)}) {
        CHECK_CUDA(cudaFree(p));
    }
    printf("big: %s\n", bad ? "FAILED" : "PASSED");
    return bad ? 1 : 0;
}

}  // namespace

/*
 * Host threads with different vocabularies, each on its own non-blocking stream, running forwardBackward
 * at once: every result must equal that thread's single-threaded run bit for bit (per-device launch
 * attributes, per-(device, stream) workspaces, deferred status).
 */
int threads_check() {
    const int64_t vocabularies[4] = {1000, 32000, 50257, 128256};
    const int64_t rows = 256;
    std::vector<int> bad(4, 0);
    auto worker = [&](int w) {
        const int64_t vocab = vocabularies[w];
        cudaStream_t stream;
        CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        const size_t n = static_cast<size_t>(rows * vocab);
        void *logits = nullptr, *grad = nullptr;
        int64_t *targets = nullptr, *offsets = nullptr;
        float* coef = nullptr;
        double* total = nullptr;
        CHECK_CUDA(cudaMalloc(&logits, n * 2));
        CHECK_CUDA(cudaMalloc(&grad, n * 2));
        CHECK_CUDA(cudaMalloc(&targets, static_cast<size_t>(rows) * 8));
        CHECK_CUDA(cudaMalloc(&offsets, 16));
        CHECK_CUDA(cudaMalloc(&coef, 4));
        CHECK_CUDA(cudaMalloc(&total, 8));
        fill_logits<<<256, 256, 0, stream>>>(logits, static_cast<int64_t>(n), REWEIGH_DTYPE_BF16);
        fill_targets<<<4, 256, 0, stream>>>(targets, rows, vocab);
        const int64_t off[2] = {0, rows};
        const float one = 1.0f;
        CHECK_CUDA(cudaMemcpyAsync(offsets, off, 16, cudaMemcpyHostToDevice, stream));
        CHECK_CUDA(cudaMemcpyAsync(coef, &one, 4, cudaMemcpyHostToDevice, stream));
        CHECK_CUDA(cudaStreamSynchronize(stream));
        const reweigh_ce_batch_t b = device_batch(logits, REWEIGH_DTYPE_BF16, targets, offsets, rows, vocab, 1, stream);
        const reweigh_ce_options_t o = reweigh_ce_options_default();
        const reweigh_ce_grad_t g = {grad, vocab};
        std::vector<uint16_t> first(n), again(n);
        double t0 = 0.0, t1 = 0.0;
        for (int it = 0; it < 20; ++it) {
            CHECK_REWEIGH(reweigh_ce_forward_backward(&b, &o, coef, nullptr, &g, total));
            CHECK_CUDA(cudaMemcpyAsync(it == 0 ? first.data() : again.data(), grad, n * 2, cudaMemcpyDeviceToHost,
                                       stream));
            CHECK_CUDA(cudaMemcpyAsync(it == 0 ? &t0 : &t1, total, 8, cudaMemcpyDeviceToHost, stream));
            CHECK_CUDA(cudaStreamSynchronize(stream));
            if (it > 0 && (again != first || t0 != t1)) ++bad[static_cast<size_t>(w)];
        }
        for (void* p : {logits, grad, static_cast<void*>(targets), static_cast<void*>(offsets),
                        static_cast<void*>(coef), static_cast<void*>(total)}) {
            CHECK_CUDA(cudaFree(p));
        }
        CHECK_CUDA(cudaStreamDestroy(stream));
    };
    std::vector<std::thread> ts;
    for (int w = 0; w < 4; ++w) ts.emplace_back(worker, w);
    for (auto& t : ts) t.join();
    int total_bad = 0;
    for (int w = 0; w < 4; ++w) {
        printf("threads: V=%lld: %d of 19 repeated runs differ from the first\n",
               static_cast<long long>(vocabularies[w]), bad[static_cast<size_t>(w)]);
        total_bad += bad[static_cast<size_t>(w)];
    }
    printf("threads: %s\n", total_bad ? "FAILED" : "PASSED");
    return total_bad ? 1 : 0;
}

int main(int argc, char** argv) {
    bool big = false, threads = false;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            g_json = fopen(argv[++i], "a");
            if (g_json == nullptr) {
                printf("cannot open %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--big") == 0) {
            big = true;
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = true;
        } else {
            printf("usage: ce_cuda_bench [--json FILE] [--big | --threads]\n");
            return 2;
        }
    }
    if (reweigh_cuda_device_count() == 0) {
        printf("SKIPPED: no CUDA device (%s)\n", reweigh_cuda_unavailable_reason());
        return 0;
    }
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s, %d SMs, %.0f KiB shared memory per block (opt-in)\n", prop.name, prop.multiProcessorCount,
           static_cast<double>(prop.sharedMemPerBlockOptin) / 1024.0);
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    int rc = 0;
    if (threads) {
        rc = threads_check();
    } else if (big) {
        rc = big_check(stream);
    } else {
        bench(REWEIGH_DTYPE_F32, "fp32", 4096, 32000, stream);
        bench(REWEIGH_DTYPE_BF16, "bf16", 4096, 32000, stream);
        bench(REWEIGH_DTYPE_F32, "fp32", 16384, 128256, stream);
        bench(REWEIGH_DTYPE_BF16, "bf16", 16384, 128256, stream);
    }
    CHECK_REWEIGH(reweigh_cuda_release_cache());
    CHECK_CUDA(cudaStreamDestroy(stream));
    if (g_json != nullptr) fclose(g_json);
    return rc;
}
