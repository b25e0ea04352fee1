/*
 * emulation_checks.cpp: CUDA-backend checks that need the emulated runtime's
 * knobs or the backend's internal entry points (ce_cuda.h), so they run only
 * under the emulation (run.sh); everything a GPU can check through the ABI is
 * in ../ce_cuda_parity.cpp.
 *
 *   emulation_checks             capability, row guard, grad scale, D output,
 *                                split rows, concurrent host threads
 *   emulation_checks no-driver   the first CUDA error explains "0 devices"
 *
 * References are independent: the CPU path through the ABI, or hand-worked
 * values (D, exact power-of-two scaling).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cuda_runtime.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "common/fp16.h"
#include "cuda/ce_cuda.h"
#include "reweigh/reweigh.h"
#include "../cuda_test_support.h"

namespace {

using reweigh_test::g_checks;
using reweigh_test::g_failures;

/* Run a backend entry point the way the ABI does; returns the status, message in reweigh_last_error(). */
template <class F>
reweigh_status_t call(F&& f) {
    return reweigh::guarded(std::forward<F>(f));
}

/* A fp32 batch in emulated device memory (plain host memory registered as device memory). */
struct Batch {
    int64_t rows, vocab, samples;
    std::vector<float> logits_h;
    std::vector<int64_t> targets_h, offsets_h;
    std::vector<float> coef_h;
    float *logits = nullptr, *grad = nullptr, *coef = nullptr, *loss = nullptr, *lse = nullptr;
    int64_t *targets = nullptr, *offsets = nullptr;
    double *total = nullptr, *d = nullptr;

    Batch(int64_t r, int64_t v, int64_t s, uint64_t seed) : rows(r), vocab(v), samples(s) {
        std::mt19937_64 rng(seed);
        std::normal_distribution<float> normal(0.0f, 2.0f);
        logits_h.resize(static_cast<size_t>(r * v));
        for (auto& x : logits_h) x = normal(rng);
        targets_h.resize(static_cast<size_t>(r));
        for (auto& t : targets_h) t = static_cast<int64_t>(rng() % static_cast<uint64_t>(v));
        offsets_h.resize(static_cast<size_t>(s + 1));
        for (int64_t i = 0; i <= s; ++i) offsets_h[static_cast<size_t>(i)] = i * r / s;
        coef_h.assign(static_cast<size_t>(s), 1.0f);
        for (int64_t i = 0; i < s; ++i) coef_h[static_cast<size_t>(i)] = 0.5f + static_cast<float>(i);
        alloc(&logits, logits_h.size() * 4);
        alloc(&grad, logits_h.size() * 4);
        alloc(&targets, static_cast<size_t>(r) * 8);
        alloc(&offsets, static_cast<size_t>(s + 1) * 8);
        alloc(&coef, static_cast<size_t>(s) * 4);
        alloc(&loss, static_cast<size_t>(s) * 4);
        alloc(&lse, static_cast<size_t>(r) * 4);
        alloc(&total, 8);
        alloc(&d, 8);
        upload();
    }
    ~Batch() {
        for (void* p : {static_cast<void*>(logits), static_cast<void*>(grad), static_cast<void*>(coef),
                        static_cast<void*>(loss), static_cast<void*>(lse), static_cast<void*>(targets),
                        static_cast<void*>(offsets), static_cast<void*>(total), static_cast<void*>(d)}) {
            cudaFree(p);
        }
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    template <class T>
    static void alloc(T** p, size_t bytes) {
        void* v = nullptr;
        cudaMalloc(&v, bytes);
        *p = static_cast<T*>(v);
    }
    void upload() {
        memcpy(logits, logits_h.data(), logits_h.size() * 4);
        memcpy(targets, targets_h.data(), targets_h.size() * 8);
        memcpy(offsets, offsets_h.data(), offsets_h.size() * 8);
        memcpy(coef, coef_h.data(), coef_h.size() * 4);
    }
    reweigh_ce_batch_t batch(int device = 0) const {
        reweigh_ce_batch_t b = reweigh_test::batch_of(logits, REWEIGH_DTYPE_F32, targets, REWEIGH_DTYPE_I64, offsets,
                                                      REWEIGH_DTYPE_I64, rows, vocab, vocab, samples,
                                                      REWEIGH_DEVICE_CUDA);
        b.device_index = device;
        return b;
    }
    reweigh_ce_stats_t stats() const { return {loss, nullptr, nullptr, nullptr, lse, nullptr, nullptr}; }
};

reweigh::RowParams params_of(const reweigh_ce_options_t& o) {
    return reweigh::RowParams{o.logit_scale, o.softcap, o.label_smoothing, o.z_loss};
}

void capability_check() {
    Batch b(3, 10, 1, 1);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    const reweigh_ce_stats_t st = b.stats();
    const reweigh_status_t s = call([&] { reweigh::cuda::ce_forward(b.batch(1), o, params_of(o), st); });
    const std::string msg = reweigh_last_error();
    printf("device 1 (emulated compute capability 7.5) -> %s: %s\n", reweigh_status_string(s), msg.c_str());
    EXPECT(s == REWEIGH_STATUS_UNSUPPORTED && msg.find("compute capability 7.5") != std::string::npos,
           "capability 7.5: %s %s", reweigh_status_string(s), msg.c_str());
}

/* A target changed to 2^30 after validation, before the row kernel: never read, row zeroed, reported later. */
void row_guard_check() {
    Batch b(6, 40, 2, 2);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    reweigh::cuda::CallSettings settings = reweigh::cuda::default_settings();
    emu::before_launch = [&](unsigned, unsigned, size_t smem) {
        if (smem >= 512) b.targets[4] = int64_t{1} << 30; /* the row kernel: the only launch with that much */
    };
    const reweigh_status_t s = call([&] {
        reweigh::cuda::ce_forward_backward(b.batch(), o, params_of(o), b.coef, b.stats(),
                                           reweigh_ce_grad_t{b.grad, b.vocab}, b.total, settings);
    });
    emu::before_launch = nullptr;
    EXPECT(s == REWEIGH_STATUS_OK, "row guard call: %s %s", reweigh_status_string(s), reweigh_last_error());
    bool zero = true;
    for (int64_t v = 0; v < b.vocab; ++v) zero = zero && b.grad[4 * b.vocab + v] == 0.0f;
    EXPECT(zero && b.lse[4] == 0.0f, "guarded row 4 was not treated as ignored");
    EXPECT(b.grad[3 * b.vocab + b.targets_h[3]] < 0.0f, "row 3 (untouched) lost its gradient");
    const reweigh_status_t d = reweigh_cuda_deferred_status(0, 0);
    const std::string msg = reweigh_last_error();
    printf("row guard -> deferred %s: %s\n", reweigh_status_string(d), msg.c_str());
    EXPECT(d == REWEIGH_STATUS_INVALID_ARGUMENT && msg.find("targets[4]") != std::string::npos &&
               msg.find("row kernel") != std::string::npos,
           "row guard not reported: %s %s", reweigh_status_string(d), msg.c_str());
}

/* Grad scale 1024 multiplies every fp32 gradient element exactly; D is reported. */
void grad_scale_and_d_check() {
    Batch b(5, 3000, 2, 3); /* rows 0-1 in sample 0 (c 0.5), 2-4 in sample 1 (c 1.5) */
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    reweigh::cuda::CallSettings one = reweigh::cuda::default_settings(), scaled = one;
    one.normalizer = b.d;
    scaled.grad_scale = 1024.0f;
    EXPECT(call([&] {
               reweigh::cuda::ce_forward_backward(b.batch(), o, params_of(o), b.coef, b.stats(),
                                                  reweigh_ce_grad_t{b.grad, b.vocab}, b.total, one);
           }) == REWEIGH_STATUS_OK,
           "grad scale 1: %s", reweigh_last_error());
    EXPECT(*b.d == 2.0, "reported D = %g, expected 0.5 + 1.5 = 2", *b.d);
    const std::vector<float> g1(b.grad, b.grad + b.rows * b.vocab);
    const double total1 = *b.total;
    EXPECT(call([&] {
               reweigh::cuda::ce_forward_backward(b.batch(), o, params_of(o), b.coef, b.stats(),
                                                  reweigh_ce_grad_t{b.grad, b.vocab}, b.total, scaled);
           }) == REWEIGH_STATUS_OK,
           "grad scale 1024: %s", reweigh_last_error());
    int bad = 0;
    for (size_t i = 0; i < g1.size(); ++i) bad += b.grad[i] != g1[i] * 1024.0f;
    EXPECT(bad == 0, "%d gradient elements are not exactly 1024 x the unscaled ones", bad);
    EXPECT(*b.total == total1, "grad scale changed the total (%g vs %g)", *b.total, total1);
}

/*
 * fp16 gradients of a 128256 vocabulary in a data-parallel step (explicit D = 4096 tokens): k_s p_v is
 * about 1e-10, below fp16's smallest subnormal (6e-8), so unscaled every non-target element flushes to
 * 0; with a gradient scale of 2^20 none does, and each matches the fp32 CPU gradient times 2^20.
 */
void fp16_underflow_check() {
    const int64_t rows = 16, V = 128256;
    std::mt19937_64 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<uint16_t> h(static_cast<size_t>(rows * V));
    std::vector<float> f(h.size());
    for (size_t i = 0; i < h.size(); ++i) {
        h[i] = reweigh::float_to_half(normal(rng));
        f[i] = reweigh::half_to_float(h[i]);
    }
    std::vector<int64_t> t(static_cast<size_t>(rows)), off = {0, rows};
    for (auto& x : t) x = static_cast<int64_t>(rng() % static_cast<uint64_t>(V));
    const std::vector<float> c = {1.0f};
    /* fp32 reference on the CPU: MEAN over 16 tokens, D = 4096. */
    std::vector<float> ref(f.size());
    const reweigh_ce_batch_t cb = reweigh_test::batch_of(f.data(), REWEIGH_DTYPE_F32, t.data(), REWEIGH_DTYPE_I64,
                                                         off.data(), REWEIGH_DTYPE_I64, rows, V, V, 1,
                                                         REWEIGH_DEVICE_CPU);
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.normalization = REWEIGH_NORMALIZATION_EXPLICIT;
    o.normalizer = 4096.0;
    reweigh_ce_grad_t cg = {ref.data(), V};
    EXPECT(reweigh_ce_forward_backward(&cb, &o, c.data(), nullptr, &cg, nullptr) == REWEIGH_STATUS_OK, "cpu fp32");
    void *dl, *dg, *dt, *doff, *dc;
    cudaMalloc(&dl, h.size() * 2);
    cudaMalloc(&dg, h.size() * 2);
    cudaMalloc(&dt, t.size() * 8);
    cudaMalloc(&doff, 16);
    cudaMalloc(&dc, 4);
    memcpy(dl, h.data(), h.size() * 2);
    memcpy(dt, t.data(), t.size() * 8);
    memcpy(doff, off.data(), 16);
    memcpy(dc, c.data(), 4);
    reweigh_ce_batch_t b = cb;
    b.logits = dl;
    b.logits_dtype = REWEIGH_DTYPE_F16;
    b.targets = dt;
    b.offsets = doff;
    b.device_type = REWEIGH_DEVICE_CUDA;
    for (const float scale : {1.0f, 1048576.0f}) {
        reweigh::cuda::CallSettings st = reweigh::cuda::default_settings();
        st.grad_scale = scale;
        EXPECT(call([&] {
                   reweigh::cuda::ce_forward_backward(b, o, params_of(o), static_cast<const float*>(dc),
                                                      reweigh_ce_stats_t{}, reweigh_ce_grad_t{dg, V}, nullptr, st);
               }) == REWEIGH_STATUS_OK,
               "fp16 fb: %s", reweigh_last_error());
        const uint16_t* g = static_cast<const uint16_t*>(dg);
        int64_t lost = 0, bad = 0;
        for (size_t i = 0; i < h.size(); ++i) {
            const double want = static_cast<double>(ref[i]) * scale;
            const double got = reweigh::half_to_float(g[i]);
            if (ref[i] != 0.0f && got == 0.0) ++lost;
            /* half precision: 2^-11 relative, plus half a subnormal step (2^-25) */
            if (fabs(got - want) > fabs(want) * 0x1p-10 + 0x1p-24) ++bad;
        }
        printf("fp16 gradient, scale %g: %lld of %zu nonzero elements flushed to 0, %lld outside tolerance\n",
               static_cast<double>(scale), static_cast<long long>(lost), h.size(), static_cast<long long>(bad));
        EXPECT(bad == 0, "fp16 scale %g: %lld elements off", static_cast<double>(scale), static_cast<long long>(bad));
        if (scale == 1.0f) EXPECT(lost >= static_cast<int64_t>(h.size()) - 2 * rows, "unscaled fp16 kept %lld elements",
                                  static_cast<long long>(static_cast<int64_t>(h.size()) - lost));
        if (scale != 1.0f) EXPECT(lost == 0, "scaled fp16 still flushes %lld elements", static_cast<long long>(lost));
    }
    for (void* p : {dl, dg, dt, doff, dc}) cudaFree(p);
}

/* Rows split over blocks really ran cooperatively; host threads with different vocabularies at once. */
void split_and_threads_check() {
    const long before = emu::cooperative_launches.load();
    Batch big(4, 40000, 2, 6), small(9, 333, 3, 7);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    auto run = [&](Batch& b, uint64_t stream) {
        reweigh_ce_batch_t bb = b.batch();
        bb.stream = stream;
        reweigh_ce_grad_t g = {b.grad, b.vocab};
        return reweigh_ce_forward_backward(&bb, &o, b.coef, nullptr, &g, b.total);
    };
    EXPECT(run(big, 0) == REWEIGH_STATUS_OK && run(small, 0) == REWEIGH_STATUS_OK, "serial runs");
    EXPECT(emu::cooperative_launches.load() > before, "V = 40000 fp32 did not take the split (cooperative) path");
    const std::vector<float> gb(big.grad, big.grad + big.rows * big.vocab), gs(small.grad, small.grad + 9 * 333);
    const double tb = *big.total, ts = *small.total;
    memset(big.grad, 0, gb.size() * 4);
    memset(small.grad, 0, gs.size() * 4);
    reweigh_status_t sb = REWEIGH_STATUS_INTERNAL, ss = REWEIGH_STATUS_INTERNAL;
    std::thread t1([&] { sb = run(big, 0x10); });
    std::thread t2([&] { ss = run(small, 0x20); });
    t1.join();
    t2.join();
    EXPECT(sb == REWEIGH_STATUS_OK && ss == REWEIGH_STATUS_OK, "concurrent runs failed");
    EXPECT(std::vector<float>(big.grad, big.grad + gb.size()) == gb && *big.total == tb,
           "concurrent V=40000 run differs from the serial one");
    EXPECT(std::vector<float>(small.grad, small.grad + gs.size()) == gs && *small.total == ts,
           "concurrent V=333 run differs from the serial one");
}

/* The CPU path honours options.grad_scale the same way: exactly 1024 x the unscaled gradient, same total. */
void cpu_grad_scale_check() {
    Batch b(5, 3000, 2, 8);
    reweigh_ce_batch_t cb = b.batch();
    cb.logits = b.logits_h.data();
    cb.targets = b.targets_h.data();
    cb.offsets = b.offsets_h.data();
    cb.device_type = REWEIGH_DEVICE_CPU;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    std::vector<float> g1(b.logits_h.size()), g2(g1.size());
    double t1 = 0.0, t2 = 0.0;
    reweigh_ce_grad_t gg1 = {g1.data(), b.vocab}, gg2 = {g2.data(), b.vocab};
    EXPECT(reweigh_ce_forward_backward(&cb, &o, b.coef_h.data(), nullptr, &gg1, &t1) == REWEIGH_STATUS_OK, "cpu 1");
    o.grad_scale = 1024.0f;
    EXPECT(reweigh_ce_forward_backward(&cb, &o, b.coef_h.data(), nullptr, &gg2, &t2) == REWEIGH_STATUS_OK, "cpu 1024");
    int bad = 0;
    for (size_t i = 0; i < g1.size(); ++i) bad += g2[i] != g1[i] * 1024.0f;
    EXPECT(bad == 0 && t1 == t2, "CPU grad scale: %d elements off, total %g vs %g", bad, t2, t1);
    o.grad_scale = 0.0f;
    EXPECT(reweigh_ce_forward_backward(&cb, &o, b.coef_h.data(), nullptr, &gg2, &t2) == REWEIGH_STATUS_INVALID_ARGUMENT &&
               std::string(reweigh_last_error()).find("gradScale") != std::string::npos,
           "grad scale 0 accepted: %s", reweigh_last_error());
}

int no_driver() {
    emu::device_count_error = cudaErrorInsufficientDriver;
    const std::string why = reweigh_cuda_unavailable_reason();
    printf("no driver: devices %d, reason: %s\n", reweigh_cuda_device_count(), why.c_str());
    EXPECT(reweigh_cuda_device_count() == 0, "device count with no driver");
    EXPECT(why.find("driver version is insufficient") != std::string::npos, "reason: %s", why.c_str());
    return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0); /* progress is visible when piped to a log */
    if (argc > 1 && strcmp(argv[1], "no-driver") == 0) return no_driver();
    EXPECT(std::string(reweigh_cuda_unavailable_reason()).empty(), "reason with devices present: %s",
           reweigh_cuda_unavailable_reason());
    capability_check();
    row_guard_check();
    grad_scale_and_d_check();
    fp16_underflow_check();
    split_and_threads_check();
    cpu_grad_scale_check();
    reweigh_cuda_release_cache();
    printf("%s: %d checks, %d failures\n", g_failures == 0 ? "PASSED" : "FAILED", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
