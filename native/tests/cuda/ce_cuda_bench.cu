/*
 * ce_cuda_bench.cu: bandwidth of the CUDA forwardBackward against the copy
 * roofline measured in the same run.
 *
 * Shape 4096 x 32000 (llama-2 vocabulary), fp32 and bf16, 8 samples of 512
 * rows, gradient to a separate buffer (an in-place benchmark would feed its
 * own gradients back as logits). Byte model, as in quack's
 * benchmark_cross_entropy: forwardBackward = 1 read + 1 write per logit
 * (targets, offsets and per-row outputs are < 0.01% and not counted);
 * forward = 1 read per logit; the roofline is cudaMemcpyAsync device to device
 * of the same bytes (1 read + 1 write). Each timing is the median of 20
 * calls after 3 warm-ups, cudaEvents on one stream; a call includes its
 * validation kernels and the one stream sync of the validation (see
 * ce_validate.cu). forwardBackward runs twice: the default policy (row cached
 * in shared memory when it fits: 1 read) and REWEIGH_CUDA_ROW_CACHE=0 (2 reads).
 */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "reweigh/reweigh.h"

namespace {

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

    reweigh_ce_batch_t b;
    memset(&b, 0, sizeof b);
    b.logits = logits;
    b.logits_dtype = dtype;
    b.targets_dtype = REWEIGH_DTYPE_I64;
    b.rows = rows;
    b.vocab = vocab;
    b.logits_row_stride = vocab;
    b.targets = targets;
    b.offsets = offsets;
    b.offsets_dtype = REWEIGH_DTYPE_I64;
    b.device_type = REWEIGH_DEVICE_CUDA;
    b.samples = samples;
    b.stream = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(stream));
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    reweigh_ce_stats_t st;
    memset(&st, 0, sizeof st);
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
    auto gbs = [](double b_, float ms) { return b_ / (static_cast<double>(ms) * 1e-3) / 1e9; };
    const double rw = 2.0 * static_cast<double>(bytes);
    printf("%-5s %lldx%lld  memcpy D2D %8.3f ms %7.1f GB/s | fwdBwd %8.3f ms %7.1f GB/s (%5.1f%%) | "
           "fwdBwd 2-read %8.3f ms %7.1f GB/s (%5.1f%%) | fwd %8.3f ms %7.1f GB/s (1 read)\n",
           name, static_cast<long long>(rows), static_cast<long long>(vocab), t_copy, gbs(rw, t_copy), t_fb,
           gbs(rw, t_fb), 100.0 * t_copy / t_fb, t_fb2, gbs(rw, t_fb2), 100.0 * t_copy / t_fb2, t_fwd,
           gbs(static_cast<double>(bytes), t_fwd));

    CHECK_CUDA(cudaFree(logits));
    CHECK_CUDA(cudaFree(grad));
    CHECK_CUDA(cudaFree(copy));
    CHECK_CUDA(cudaFree(targets));
    CHECK_CUDA(cudaFree(offsets));
    CHECK_CUDA(cudaFree(coef));
    CHECK_CUDA(cudaFree(loss));
    CHECK_CUDA(cudaFree(total));
}

}  // namespace

int main() {
    if (reweigh_cuda_device_count() == 0) {
        printf("SKIPPED: no CUDA device\n");
        return 0;
    }
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s, %d SMs, %.0f KiB shared memory per block (opt-in)\n", prop.name, prop.multiProcessorCount,
           static_cast<double>(prop.sharedMemPerBlockOptin) / 1024.0);
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    bench(REWEIGH_DTYPE_F32, "fp32", 4096, 32000, stream);
    bench(REWEIGH_DTYPE_BF16, "bf16", 4096, 32000, stream);
    bench(REWEIGH_DTYPE_BF16, "bf16", 1024, 128256, stream);
    CHECK_CUDA(cudaStreamDestroy(stream));
    return 0;
}
