/*
 * cuda_test_io.h: host-side helpers of the CUDA tests that run through the
 * public ABI (ce_cuda_parity.cpp, ce_cuda_token_shard.cpp, ce_cuda_policy.cpp): device buffers
 * through reweigh_cuda_malloc / _memcpy, logits encoding in F32 / BF16 / F16,
 * index arrays in I32 / I64, tolerances and messages. Needs src/ on the
 * include path (the shared bf16/fp16 conversions).
 */
#pragma once

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/bf16.h"
#include "common/fp16.h"
#include "cuda_test_support.h"
#include "reweigh/reweigh.h"

namespace reweigh_test {

/*
 * The opening of each CUDA test's main(): line-buffered stdout (progress is
 * visible when piped to a log), the library version and device count; false,
 * after a "SKIPPED: no CUDA device (reason)" line, when there is no device.
 */
inline bool cuda_device_present() {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    printf("reweigh %s, CUDA compiled=%d, devices=%d\n", reweigh_version_string(), reweigh_cuda_compiled(),
           reweigh_cuda_device_count());
    if (reweigh_cuda_device_count() == 0) {
        printf("SKIPPED: no CUDA device (%s)\n", reweigh_cuda_unavailable_reason());
        return false;
    }
    return true;
}

/* A switch set in the environment to a nonempty value. */
inline bool env_on(const char* name) {
    const char* v = getenv(name);
    return v != nullptr && v[0] != '\0';
}

inline void ok(reweigh_status_t s, const char* what) {
    if (s != REWEIGH_STATUS_OK) {
        printf("FATAL: %s -> %s: %s\n", what, reweigh_status_string(s), reweigh_last_error());
        exit(2);
    }
}

/* Device buffer through the library's own helpers (no CUDA headers needed). */
class DevBuf {
public:
    explicit DevBuf(size_t bytes) { ok(reweigh_cuda_malloc(0, static_cast<int64_t>(bytes), &p_), "malloc"); }
    ~DevBuf() { reweigh_cuda_free(0, p_); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    void* get() const { return p_; }
    template <class T>
    void upload(const std::vector<T>& v) {
        ok(reweigh_cuda_memcpy(p_, v.data(), static_cast<int64_t>(v.size() * sizeof(T))), "upload");
    }
    template <class T>
    void upload_at(size_t byte_offset, const std::vector<T>& v) {
        ok(reweigh_cuda_memcpy(static_cast<char*>(p_) + byte_offset, v.data(), static_cast<int64_t>(v.size() * sizeof(T))),
           "upload");
    }
    template <class T>
    std::vector<T> download_at(size_t byte_offset, size_t n) const {
        std::vector<T> v(n);
        ok(reweigh_cuda_memcpy(v.data(), static_cast<char*>(p_) + byte_offset, static_cast<int64_t>(n * sizeof(T))),
           "download");
        return v;
    }
    template <class T>
    std::vector<T> download(size_t n) const {
        std::vector<T> v(n);
        ok(reweigh_cuda_memcpy(v.data(), p_, static_cast<int64_t>(n * sizeof(T))), "download");
        return v;
    }

private:
    void* p_ = nullptr;
};

inline size_t esize(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

inline float decode(int32_t dtype, const std::vector<uint8_t>& raw, int64_t i) {
    if (dtype == REWEIGH_DTYPE_F32) {
        float f;
        memcpy(&f, raw.data() + i * 4, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, raw.data() + i * 2, 2);
    return dtype == REWEIGH_DTYPE_BF16 ? reweigh::bf16_to_float(h) : reweigh::half_to_float(h);
}

inline void encode(int32_t dtype, std::vector<uint8_t>& raw, int64_t i, float f) {
    if (dtype == REWEIGH_DTYPE_F32) {
        memcpy(raw.data() + i * 4, &f, 4);
        return;
    }
    const uint16_t h = dtype == REWEIGH_DTYPE_BF16 ? reweigh::float_to_bf16(f) : reweigh::float_to_half(f);
    memcpy(raw.data() + i * 2, &h, 2);
}

inline std::vector<uint8_t> index_bytes(const std::vector<int64_t>& v, int32_t dtype) {
    std::vector<uint8_t> out(v.size() * (dtype == REWEIGH_DTYPE_I32 ? 4 : 8));
    for (size_t i = 0; i < v.size(); ++i) {
        if (dtype == REWEIGH_DTYPE_I32) {
            const int32_t x = static_cast<int32_t>(v[i]);
            memcpy(out.data() + i * 4, &x, 4);
        } else {
            memcpy(out.data() + i * 8, &v[i], 8);
        }
    }
    return out;
}

/*
 * The host inputs of the per-row suites (ce_cuda_token_shard.cpp,
 * ce_cuda_policy.cpp): logits in the case dtype and in logits_ref the values
 * the CPU reference reads (F16 -> F32), int64 targets (t, and as bytes),
 * int32 offsets (bytes) and the options. Each suite derives its Batch with its
 * own per-sample or per-row inputs.
 */
struct HostBatch {
    int64_t rows, vocab, samples;
    int32_t dtype, ref_dtype;
    std::vector<uint8_t> logits, logits_ref, targets, offsets;
    std::vector<int64_t> t;
    reweigh_ce_options_t options;
};

/* A batch descriptor over columns [col, col + width) of `logits` (row stride = the whole vocabulary). */
inline reweigh_ce_batch_t view(const HostBatch& b, const void* logits, int32_t dtype, const void* targets,
                               const void* offsets, int64_t col, int64_t width, int32_t device) {
    const void* first = static_cast<const char*>(logits) + static_cast<size_t>(col) * esize(dtype);
    return batch_of(first, dtype, targets, REWEIGH_DTYPE_I64, offsets, REWEIGH_DTYPE_I32, b.rows, width, b.vocab,
                    b.samples, device);
}

/*
 * The shape of `b` and its logits from `rng`: rows x vocab (normal, sigma 2;
 * every fourth row shifted by +30, a saturated softmax) in `dtype`, and the
 * same values in logits_ref for the CPU reference (F32 for F16 logits).
 */
inline void random_logits(HostBatch& b, int64_t rows, int64_t vocab, int64_t samples, int32_t dtype,
                          std::mt19937_64& rng) {
    b.rows = rows;
    b.vocab = vocab;
    b.samples = samples;
    b.dtype = dtype;
    b.ref_dtype = dtype == REWEIGH_DTYPE_F16 ? REWEIGH_DTYPE_F32 : dtype;
    std::normal_distribution<float> normal(0.0f, 2.0f);
    b.logits.assign(static_cast<size_t>(rows * vocab) * esize(dtype), 0);
    b.logits_ref.assign(static_cast<size_t>(rows * vocab) * esize(b.ref_dtype), 0);
    for (int64_t i = 0; i < rows * vocab; ++i) {
        encode(dtype, b.logits, i, normal(rng) + ((i / vocab) % 4 == 3 ? 30.0f : 0.0f));
        encode(b.ref_dtype, b.logits_ref, i, decode(dtype, b.logits, i));
    }
}

/* Int32 sample offsets from `rng`: 0, samples - 1 sorted cuts in [0, rows] (empty samples allowed), rows. */
inline std::vector<uint8_t> random_offsets(int64_t rows, int64_t samples, std::mt19937_64& rng) {
    std::vector<int64_t> off(static_cast<size_t>(samples + 1), 0);
    for (int64_t s = 1; s < samples; ++s) off[static_cast<size_t>(s)] = static_cast<int64_t>(rng() % static_cast<uint64_t>(rows + 1));
    std::sort(off.begin(), off.end() - 1);
    off[static_cast<size_t>(samples)] = rows;
    return index_bytes(off, REWEIGH_DTYPE_I32);
}

inline bool within(double got, double ref, double rtol, double atol) {
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got);
    return fabs(got - ref) <= rtol * fabs(ref) + atol;
}

/*
 * Gradient tolerance of ce_cuda_parity.cpp for a batch type B with dtype, ref_dtype, rows and vocab:
 * `got` decoded in b.dtype, `ref` in b.ref_dtype, at most three differences reported.
 */
template <class B>
void compare_grad(const char* what, const B& b, const std::vector<uint8_t>& got, const std::vector<uint8_t>& ref) {
    double rtol = 1e-4, afrac = 1e-6;
    if (b.dtype == REWEIGH_DTYPE_BF16) rtol = 1.0 / 128, afrac = 1e-3;
    if (b.dtype == REWEIGH_DTYPE_F16) rtol = 1.0 / 1024, afrac = 1e-4;
    double maxabs = 0.0;
    for (int64_t i = 0; i < b.rows * b.vocab; ++i) maxabs = fmax(maxabs, fabs(decode(b.ref_dtype, ref, i)));
    int bad = 0;
    for (int64_t i = 0; i < b.rows * b.vocab; ++i) {
        const double g = decode(b.dtype, got, i), e = decode(b.ref_dtype, ref, i);
        if (!within(g, e, rtol, afrac * maxabs + 1e-7) && bad++ < 3) {
            EXPECT(false, "%s: grad[row %lld, col %lld]: gpu %.8g reference %.8g", what,
                   static_cast<long long>(i / b.vocab), static_cast<long long>(i % b.vocab), g, e);
        }
    }
    ++g_checks;
}

inline std::string strip_location(const char* message) {
    std::string m(message);
    const size_t at = m.rfind(" [");
    return at == std::string::npos ? m : m.substr(0, at);
}

/*
 * The verdict on one bad call made by the CPU (status cs, message cpu_msg) and the GPU (status gs,
 * just returned) in validation mode `mode`: synchronous, both return `expected` with the same
 * message; asynchronous, the GPU call returns OK and the deferred status is `expected`. Either way
 * the GPU's message contains `needle`.
 */
inline void expect_rejected(const char* label, int mode, reweigh_status_t cs, reweigh_status_t gs,
                            const std::string& cpu_msg, reweigh_status_t expected, const char* needle) {
    std::string gpu_msg = strip_location(reweigh_last_error());
    if (mode == REWEIGH_CUDA_VALIDATION_SYNC) {
        printf("bad  %-30s cpu=%s gpu=%s: %s\n", label, reweigh_status_string(cs), reweigh_status_string(gs),
               gpu_msg.c_str());
        EXPECT(gs == expected && cs == expected, "%s: statuses cpu %s gpu %s, expected %s", label,
               reweigh_status_string(cs), reweigh_status_string(gs), reweigh_status_string(expected));
        EXPECT(cpu_msg == gpu_msg, "%s: messages differ\n    cpu: %s\n    gpu: %s", label, cpu_msg.c_str(),
               gpu_msg.c_str());
    } else {
        EXPECT(gs == REWEIGH_STATUS_OK, "%s: asynchronous call returned %s", label, reweigh_status_string(gs));
        const reweigh_status_t ds = reweigh_cuda_deferred_status(0, 0);
        gpu_msg = strip_location(reweigh_last_error());
        printf("bad  %-30s async deferred=%s: %s\n", label, reweigh_status_string(ds), gpu_msg.c_str());
        EXPECT(ds == expected, "%s: deferred status %s, expected %s", label, reweigh_status_string(ds),
               reweigh_status_string(expected));
    }
    EXPECT(gpu_msg.find(needle) != std::string::npos, "%s: message lacks '%s': %s", label, needle, gpu_msg.c_str());
}

}  // namespace reweigh_test
