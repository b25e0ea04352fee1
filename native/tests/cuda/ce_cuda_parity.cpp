/*
 * ce_cuda_parity.cpp: the CUDA kernels against the CPU path, through the
 * public C ABI only (reweigh.h), on randomized cases (ggml's
 * test-backend-ops idea: every backend against the CPU).
 *
 * For each case: the same logits, targets, offsets, coefficients and options
 * go to reweigh_ce_forward_backward, reweigh_ce_forward and
 * reweigh_ce_backward on the CPU and on the GPU, and every output is
 * compared. F16 logits (CUDA only) are compared against the CPU run on the
 * same values widened to F32 (exact). Tolerances (see Tol):
 *   statistics (all dtypes; the logits are the same fp32 values on both
 *     sides, only the summation order differs): |d| <= 2e-5 * (1 + |ref|);
 *   gradient F32: |d| <= 1e-4 |ref| + 1e-6 max|ref|;
 *   gradient BF16 (both sides round to bf16): 2^-7 relative (one ulp) +
 *     1e-3 max|ref|;  F16 (GPU rounds, reference is fp32): 2^-10 + 1e-4 max|ref|.
 * Also checked: the GPU is bit-for-bit deterministic across two runs, in
 * place (grad == logits) equals out of place, and bad input reports the same
 * status and message as the CPU and leaves the logits untouched.
 *
 * Exits 0 with "SKIPPED: no CUDA device" when reweigh_cuda_device_count() == 0.
 * REWEIGH_PARITY_QUICK=1: a reduced case set (compute-sanitizer runs);
 * REWEIGH_PARITY_FULL=1: adds 2^20 + 5 rows (GPU only: minutes under the emulation).
 * The same source runs under the host emulation (tests/cuda/emulation/run.sh).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_io.h"
#include "reweigh/reweigh.h"

namespace {

using namespace reweigh_test;  // the helpers of cuda_test_io.h and cuda_test_support.h

struct Case {
    const char* label;
    int64_t rows, vocab, samples, pad; /* pad: extra row-stride elements */
    int32_t dtype, targets_dtype, offsets_dtype;
    float eps, zloss, softcap, scale;
    int32_t reduction, normalization;
    double ignore_fraction;
    int64_t shift = 0; /* elements between the 256-byte aligned buffer start and the logits (misaligned base) */
    int64_t grad_shift = -1; /* the grad's shift; -1: the same as the logits' */
    float grad_scale = 1.0f; /* options.grad_scale */
};

/* Host-side inputs of one case. */
struct Inputs {
    Case c;
    int64_t stride;
    std::vector<uint8_t> logits;     /* case dtype */
    std::vector<uint8_t> logits_ref; /* dtype of the CPU reference (F16 -> F32) */
    int32_t ref_dtype;
    std::vector<uint8_t> targets, offsets;
    std::vector<float> coefficients;
    reweigh_ce_options_t options;
};

Inputs make_inputs(const Case& c, uint64_t seed) {
    Inputs in;
    in.c = c;
    in.stride = c.vocab + c.pad;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int64_t n = c.rows * in.stride;
    in.logits.assign(static_cast<size_t>(n) * esize(c.dtype), 0);
    in.ref_dtype = c.dtype == REWEIGH_DTYPE_F16 ? REWEIGH_DTYPE_F32 : c.dtype;
    in.logits_ref.assign(static_cast<size_t>(n) * esize(in.ref_dtype), 0);
    for (int64_t r = 0; r < c.rows; ++r) {
        const float shift = r % 5 == 4 ? 40.0f : 0.0f; /* some rows far from 0: lse stability */
        for (int64_t v = 0; v < in.stride; ++v) {
            const int64_t i = r * in.stride + v;
            float x = v < c.vocab ? normal(rng) + shift : 12345.0f; /* padding must never be read as data */
            if (r % 7 == 6 && v < c.vocab) x = 3.0f;                  /* an all-equal row */
            encode(c.dtype, in.logits, i, x);
            encode(in.ref_dtype, in.logits_ref, i, decode(c.dtype, in.logits, i));
        }
    }
    std::vector<int64_t> targets(static_cast<size_t>(c.rows));
    for (auto& t : targets) t = unit(rng) < c.ignore_fraction ? -100 : static_cast<int64_t>(rng() % static_cast<uint64_t>(c.vocab));
    std::vector<int64_t> offsets(static_cast<size_t>(c.samples + 1), 0);
    for (int64_t s = 1; s < c.samples; ++s) offsets[static_cast<size_t>(s)] = static_cast<int64_t>(rng() % static_cast<uint64_t>(c.rows + 1));
    std::sort(offsets.begin(), offsets.end() - 1);
    offsets[static_cast<size_t>(c.samples)] = c.rows;
    if (c.samples > 2) offsets[1] = 0; /* an empty first sample */
    in.targets = index_bytes(targets, c.targets_dtype);
    in.offsets = index_bytes(offsets, c.offsets_dtype);
    in.coefficients.resize(static_cast<size_t>(c.samples));
    /* Some negative (DPO's rejected side) where the normalisation allows it; WEIGHT_SUM needs c >= 0. */
    const double low = c.normalization == REWEIGH_NORMALIZATION_WEIGHT_SUM ? 0.0 : -0.3;
    for (auto& x : in.coefficients) x = static_cast<float>(low + unit(rng) * 2.0);
    in.options = reweigh_test::options_of(c.eps, c.zloss, c.softcap, c.scale, c.reduction, c.normalization, 3.5,
                                          c.grad_scale);
    return in;
}

reweigh_ce_batch_t batch_of(const Inputs& in, const void* logits, int32_t dtype, const void* targets,
                            const void* offsets, int32_t device) {
    return reweigh_test::batch_of(logits, dtype, targets, in.c.targets_dtype, offsets, in.c.offsets_dtype,
                                  in.c.rows, in.c.vocab, in.stride, in.c.samples, device);
}

/* All outputs of one run, on the host. */
struct Outputs {
    std::vector<float> loss, logp, entropy, row_lse, row_logp, row_entropy;
    std::vector<int64_t> count;
    std::vector<uint8_t> grad;  /* in the run's logits dtype */
    std::vector<uint8_t> grad_bwd;
    double total = 0.0;
};

Outputs run_cpu(const Inputs& in) {
    const Case& c = in.c;
    Outputs o;
    const size_t S = static_cast<size_t>(c.samples), R = static_cast<size_t>(c.rows);
    o.loss.resize(S); o.logp.resize(S); o.entropy.resize(S); o.count.resize(S);
    o.row_lse.resize(R); o.row_logp.resize(R); o.row_entropy.resize(R);
    o.grad.assign(in.logits_ref.size(), 0);
    o.grad_bwd.assign(in.logits_ref.size(), 0);
    reweigh_ce_batch_t b = batch_of(in, in.logits_ref.data(), in.ref_dtype, in.targets.data(), in.offsets.data(),
                                    REWEIGH_DEVICE_CPU);
    reweigh_ce_stats_t st = {o.loss.data(), o.logp.data(), o.count.data(), o.entropy.data(),
                             o.row_lse.data(), o.row_logp.data(), o.row_entropy.data()};
    reweigh_ce_grad_t g = {o.grad.data(), in.stride};
    ok(reweigh_ce_forward_backward(&b, &in.options, in.coefficients.data(), &st, &g, &o.total), "cpu fb");
    reweigh_ce_grad_t gb = {o.grad_bwd.data(), in.stride};
    ok(reweigh_ce_backward(&b, &in.options, o.row_lse.data(), in.coefficients.data(), &gb), "cpu bwd");
    return o;
}

/* GPU run; in_place writes the gradient over a device copy of the logits. */
Outputs run_gpu(const Inputs& in, bool in_place) {
    const Case& c = in.c;
    const size_t S = static_cast<size_t>(c.samples), R = static_cast<size_t>(c.rows);
    const size_t lbytes = in.logits.size();
    const size_t lshift = static_cast<size_t>(c.shift) * esize(c.dtype);
    const size_t gshift = static_cast<size_t>(c.grad_shift < 0 ? c.shift : c.grad_shift) * esize(c.dtype);
    const size_t gpad = lshift > gshift ? lshift : gshift;
    DevBuf logits(lbytes + gpad), grad(lbytes + gpad), grad_bwd(lbytes + gpad), targets(in.targets.size()),
        offsets(in.offsets.size()), coef(S * 4 + 4), loss(S * 4 + 4), logp(S * 4 + 4), ent(S * 4 + 4),
        count(S * 8 + 8), rlse(R * 4 + 4), rlogp(R * 4 + 4), rent(R * 4 + 4), total(8), floss(S * 4 + 4);
    logits.upload_at(lshift, in.logits);
    targets.upload(in.targets);
    offsets.upload(in.offsets);
    coef.upload(in.coefficients);
    void* lptr = static_cast<char*>(logits.get()) + lshift;
    reweigh_ce_batch_t b = batch_of(in, lptr, c.dtype, targets.get(), offsets.get(), REWEIGH_DEVICE_CUDA);
    reweigh_ce_stats_t st = {static_cast<float*>(loss.get()), static_cast<float*>(logp.get()),
                             static_cast<int64_t*>(count.get()), static_cast<float*>(ent.get()),
                             static_cast<float*>(rlse.get()), static_cast<float*>(rlogp.get()),
                             static_cast<float*>(rent.get())};
    reweigh_ce_grad_t g = {in_place ? lptr : static_cast<char*>(grad.get()) + gshift, in.stride};
    ok(reweigh_ce_forward_backward(&b, &in.options, static_cast<const float*>(coef.get()), &st, &g,
                                   static_cast<double*>(total.get())),
       "gpu fb");
    ok(reweigh_cuda_synchronize(0), "sync after fb");
    Outputs o;
    o.loss = loss.download<float>(S);
    o.logp = logp.download<float>(S);
    o.entropy = ent.download<float>(S);
    o.count = count.download<int64_t>(S);
    o.row_lse = rlse.download<float>(R);
    o.row_logp = rlogp.download<float>(R);
    o.row_entropy = rent.download<float>(R);
    o.grad = in_place ? logits.download_at<uint8_t>(lshift, lbytes) : grad.download_at<uint8_t>(gshift, lbytes);
    o.total = total.download<double>(1)[0];
    if (!in_place) {
        /* forward alone must agree with forwardBackward's statistics (loss only: the rest share code).
         * Not bitwise: forward may use another block size, so another summation order. */
        reweigh_ce_stats_t fst = {static_cast<float*>(floss.get()), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
        ok(reweigh_ce_forward(&b, &in.options, &fst), "gpu forward");
        const std::vector<float> floss_h = floss.download<float>(S);
        for (size_t s = 0; s < S; ++s) {
            EXPECT(within(floss_h[s], o.loss[s], 2e-5, 2e-5), "forward loss[%zu] %g != fb %g", s, floss_h[s], o.loss[s]);
        }
        reweigh_ce_grad_t gb = {static_cast<char*>(grad_bwd.get()) + gshift, in.stride};
        ok(reweigh_ce_backward(&b, &in.options, static_cast<const float*>(rlse.get()),
                               static_cast<const float*>(coef.get()), &gb),
           "gpu bwd");
        o.grad_bwd = grad_bwd.download_at<uint8_t>(gshift, lbytes);
    }
    return o;
}

void compare_vec(const char* name, const std::vector<float>& got, const std::vector<float>& ref) {
    int bad = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (!within(got[i], ref[i], 2e-5, 2e-5)) {
            if (bad++ < 3) EXPECT(false, "%s[%zu]: gpu %.8g cpu %.8g", name, i, got[i], ref[i]);
        }
    }
    ++g_checks;
}

void compare_grad(const Inputs& in, const char* name, const std::vector<uint8_t>& got, const std::vector<uint8_t>& ref) {
    const Case& c = in.c;
    double rtol = 1e-4, afrac = 1e-6;
    if (c.dtype == REWEIGH_DTYPE_BF16) rtol = 1.0 / 128, afrac = 1e-3;
    if (c.dtype == REWEIGH_DTYPE_F16) rtol = 1.0 / 1024, afrac = 1e-4;
    double maxabs = 0.0;
    for (int64_t r = 0; r < c.rows; ++r)
        for (int64_t v = 0; v < c.vocab; ++v) maxabs = fmax(maxabs, fabs(decode(in.ref_dtype, ref, r * in.stride + v)));
    int bad = 0;
    for (int64_t r = 0; r < c.rows; ++r) {
        for (int64_t v = 0; v < c.vocab; ++v) {
            const double g = decode(c.dtype, got, r * in.stride + v), e = decode(in.ref_dtype, ref, r * in.stride + v);
            if (!within(g, e, rtol, afrac * maxabs + 1e-7) && bad++ < 3) {
                EXPECT(false, "%s[row %lld, col %lld]: gpu %.8g cpu %.8g", name, static_cast<long long>(r),
                       static_cast<long long>(v), g, e);
            }
        }
    }
    ++g_checks;
}

void parity_case(const Case& c, uint64_t seed) {
    printf("case %-28s rows=%lld V=%lld S=%lld dtype=%d\n", c.label, static_cast<long long>(c.rows),
           static_cast<long long>(c.vocab), static_cast<long long>(c.samples), c.dtype);
    const Inputs in = make_inputs(c, seed);
    const Outputs ref = run_cpu(in);
    const Outputs gpu = run_gpu(in, false);
    compare_vec("loss", gpu.loss, ref.loss);
    compare_vec("logProbSum", gpu.logp, ref.logp);
    compare_vec("meanEntropy", gpu.entropy, ref.entropy);
    compare_vec("rowLse", gpu.row_lse, ref.row_lse);
    compare_vec("rowLogp", gpu.row_logp, ref.row_logp);
    compare_vec("rowEntropy", gpu.row_entropy, ref.row_entropy);
    for (size_t s = 0; s < ref.count.size(); ++s) EXPECT(gpu.count[s] == ref.count[s], "tokenCount[%zu]", s);
    EXPECT(within(gpu.total, ref.total, 1e-4, 1e-4), "total: gpu %.10g cpu %.10g", gpu.total, ref.total);
    compare_grad(in, "grad(fb)", gpu.grad, ref.grad);
    compare_grad(in, "grad(bwd)", gpu.grad_bwd, ref.grad_bwd);
    /* Determinism: a second run gives the same bits; in place gives the same bits as out of place. */
    const Outputs again = run_gpu(in, true);
    EXPECT(again.loss == gpu.loss && again.row_lse == gpu.row_lse && again.total == gpu.total,
           "second GPU run (in place) differs in statistics");
    bool same_grad = true;
    for (int64_t r = 0; r < c.rows; ++r) {
        const size_t off = static_cast<size_t>(r * in.stride) * esize(c.dtype);
        same_grad = same_grad && memcmp(again.grad.data() + off, gpu.grad.data() + off,
                                        static_cast<size_t>(c.vocab) * esize(c.dtype)) == 0;
    }
    EXPECT(same_grad, "in-place gradient differs from out-of-place");
}

/* ---- bad input: same status and message as the CPU, logits untouched ---- */

enum class Break { Target, OffsetOrder, OffsetLast, Coefficient, NegativeCoefficient, NonFinite, Lse };

void bad_case(const char* label, Break what, reweigh_status_t expected, const char* needle) {
    Case c = {label, 9, 50, 3, 0, REWEIGH_DTYPE_F32, REWEIGH_DTYPE_I64, REWEIGH_DTYPE_I32, 0.1f, 0.0f, 0.0f, 1.0f,
              REWEIGH_TOKEN_REDUCTION_MEAN, REWEIGH_NORMALIZATION_WEIGHT_SUM, 0.0};
    Inputs in = make_inputs(c, 99);
    std::vector<int64_t> t(9), off = {0, 3, 6, 9};
    for (int i = 0; i < 9; ++i) t[static_cast<size_t>(i)] = i;
    std::vector<float> lse(9, 5.0f);
    switch (what) {
        case Break::Target: t[4] = 50; t[7] = -1; break;
        case Break::OffsetOrder: off[2] = 2; break;
        case Break::OffsetLast: off[3] = 8; break;
        case Break::Coefficient: in.coefficients[1] = NAN; break;
        case Break::NegativeCoefficient: in.coefficients = {1.0f, -1.0f, 0.0f}; break;
        case Break::NonFinite: encode(REWEIGH_DTYPE_F32, in.logits, 5 * 50 + 17, INFINITY); in.options.check_finite = 1; break;
        case Break::Lse: lse[6] = NAN; break;
    }
    in.logits_ref = in.logits;
    in.targets = index_bytes(t, c.targets_dtype);
    in.offsets = index_bytes(off, c.offsets_dtype);
    const bool backward = what == Break::Lse;

    /* CPU */
    std::vector<uint8_t> cpu_logits = in.logits;
    reweigh_ce_batch_t cb = batch_of(in, cpu_logits.data(), c.dtype, in.targets.data(), in.offsets.data(), REWEIGH_DEVICE_CPU);
    reweigh_ce_grad_t cg = {cpu_logits.data(), in.stride};
    const reweigh_status_t cs = backward ? reweigh_ce_backward(&cb, &in.options, lse.data(), in.coefficients.data(), &cg)
                                         : reweigh_ce_forward_backward(&cb, &in.options, in.coefficients.data(), nullptr, &cg, nullptr);
    const std::string cpu_msg = strip_location(reweigh_last_error());

    /* GPU, in place */
    DevBuf logits(in.logits.size()), targets(in.targets.size()), offsets(in.offsets.size()), coef(12), dl(36);
    logits.upload(in.logits);
    targets.upload(in.targets);
    offsets.upload(in.offsets);
    coef.upload(in.coefficients);
    dl.upload(lse);
    reweigh_ce_batch_t gb = batch_of(in, logits.get(), c.dtype, targets.get(), offsets.get(), REWEIGH_DEVICE_CUDA);
    reweigh_ce_grad_t gg = {logits.get(), in.stride};
    const reweigh_status_t gs =
        backward ? reweigh_ce_backward(&gb, &in.options, static_cast<const float*>(dl.get()),
                                       static_cast<const float*>(coef.get()), &gg)
                 : reweigh_ce_forward_backward(&gb, &in.options, static_cast<const float*>(coef.get()), nullptr, &gg, nullptr);
    const std::string gpu_msg = strip_location(reweigh_last_error());
    printf("bad  %-28s cpu=%s gpu=%s: %s\n", label, reweigh_status_string(cs), reweigh_status_string(gs), gpu_msg.c_str());
    EXPECT(gs == expected, "%s: GPU status %s, expected %s", label, reweigh_status_string(gs), reweigh_status_string(expected));
    EXPECT(cs == gs, "%s: CPU status %s != GPU %s", label, reweigh_status_string(cs), reweigh_status_string(gs));
    EXPECT(cpu_msg == gpu_msg, "%s: messages differ\n    cpu: %s\n    gpu: %s", label, cpu_msg.c_str(),
           gpu_msg.c_str());
    EXPECT(gpu_msg.find(needle) != std::string::npos, "%s: message lacks '%s'", label, needle);
    EXPECT(logits.download<uint8_t>(in.logits.size()) == in.logits, "%s: logits were written despite the error", label);
}

/* ---- D = 0: not an error (docs/design.md §3) ---- */

/* A 9 x 50 fp32 batch in 3 samples on the device, with the given targets and coefficients. */
struct Small {
    Inputs in;
    DevBuf logits, targets, offsets, coef;
    Small(const std::vector<int64_t>& t, const std::vector<float>& coefficients, int32_t normalization)
        : in(make_inputs({"small", 9, 50, 3, 0, REWEIGH_DTYPE_F32, REWEIGH_DTYPE_I64, REWEIGH_DTYPE_I64, 0.1f, 1e-4f, 0, 1,
                          REWEIGH_TOKEN_REDUCTION_MEAN, normalization, 0.0},
                         77)),
          logits(9 * 50 * 4), targets(9 * 8), offsets(4 * 8), coef(3 * 4) {
        in.targets = index_bytes(t, REWEIGH_DTYPE_I64);
        in.offsets = index_bytes({0, 3, 6, 9}, REWEIGH_DTYPE_I64);
        in.coefficients = coefficients;
        logits.upload(in.logits);
        targets.upload(in.targets);
        offsets.upload(in.offsets);
        coef.upload(in.coefficients);
    }
    reweigh_ce_batch_t batch() const {
        return batch_of(in, logits.get(), REWEIGH_DTYPE_F32, targets.get(), offsets.get(), REWEIGH_DEVICE_CUDA);
    }
    const float* c() const { return static_cast<const float*>(coef.get()); }
    /*
     * reweigh_ce_forward_backward in place: the gradient overwrites the 9 x 50 logits. stats: device
     * statistics or NULL; total: a device double or NULL.
     */
    reweigh_status_t forward_backward_in_place(const reweigh_ce_stats_t* stats, DevBuf* total) {
        const reweigh_ce_batch_t b = batch();
        const reweigh_ce_grad_t g = {logits.get(), 50};
        return reweigh_ce_forward_backward(&b, &in.options, c(), stats, &g,
                                           total != nullptr ? static_cast<double*>(total->get()) : nullptr);
    }
};

void zero_normalizer_cases() {
    const std::vector<int64_t> ignored(9, -100), counted = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct Z {
        const char* label;
        const std::vector<int64_t>* targets;
        std::vector<float> coefficients;
        int32_t normalization;
    } zs[] = {
        {"D=0 WEIGHT_SUM, all coefficients 0", &counted, {0.0f, 0.0f, 0.0f}, REWEIGH_NORMALIZATION_WEIGHT_SUM},
        {"D=0 WEIGHT_SUM, all rows ignored", &ignored, {1.0f, 2.0f, 0.5f}, REWEIGH_NORMALIZATION_WEIGHT_SUM},
        {"D=0 TOKENS, all rows ignored", &ignored, {1.0f, 2.0f, 0.5f}, REWEIGH_NORMALIZATION_TOKENS},
        {"D=0 SAMPLES, all rows ignored", &ignored, {1.0f, -2.0f, 0.5f}, REWEIGH_NORMALIZATION_SAMPLES},
    };
    for (const Z& z : zs) {
        Small sm(*z.targets, z.coefficients, z.normalization);
        DevBuf loss(12), count(24), total(8), lse(36);
        reweigh_ce_stats_t st = {static_cast<float*>(loss.get()), nullptr, static_cast<int64_t*>(count.get()), nullptr,
                                 static_cast<float*>(lse.get()), nullptr, nullptr};
        /* in place: the logits must become exact zeros */
        const reweigh_status_t s = sm.forward_backward_in_place(&st, &total);
        printf("zero %-36s -> %s %s\n", z.label, reweigh_status_string(s), reweigh_last_error());
        EXPECT(s == REWEIGH_STATUS_OK, "%s: status %s (%s)", z.label, reweigh_status_string(s), reweigh_last_error());
        if (s != REWEIGH_STATUS_OK) continue;
        EXPECT(total.download<double>(1)[0] == 0.0, "%s: total %g != 0", z.label, total.download<double>(1)[0]);
        const std::vector<float> gr = sm.logits.download<float>(9 * 50);
        EXPECT(std::all_of(gr.begin(), gr.end(), [](float x) { return x == 0.0f && !signbit(x); }),
               "%s: gradient not all +0", z.label);
        /* Statistics as the CPU forward computes them (forward has no D). */
        std::vector<float> cl(3);
        std::vector<int64_t> cc(3);
        reweigh_ce_batch_t cb = batch_of(sm.in, sm.in.logits.data(), REWEIGH_DTYPE_F32, sm.in.targets.data(),
                                         sm.in.offsets.data(), REWEIGH_DEVICE_CPU);
        reweigh_ce_stats_t cst = {cl.data(), nullptr, cc.data(), nullptr, nullptr, nullptr, nullptr};
        ok(reweigh_ce_forward(&cb, &sm.in.options, &cst), "cpu forward (D = 0 case)");
        compare_vec("loss(D=0)", loss.download<float>(3), cl);
        EXPECT(count.download<int64_t>(3) == cc, "%s: token counts differ from the CPU", z.label);
        /* backward with D = 0: zero gradient too */
        Small sb(*z.targets, z.coefficients, z.normalization);
        reweigh_ce_batch_t bb = sb.batch();
        reweigh_ce_grad_t gb = {sb.logits.get(), 50};
        ok(reweigh_ce_backward(&bb, &sb.in.options, static_cast<const float*>(lse.get()), sb.c(), &gb), "bwd D=0");
        const std::vector<float> gb_h = sb.logits.download<float>(9 * 50);
        EXPECT(std::all_of(gb_h.begin(), gb_h.end(), [](float x) { return x == 0.0f; }),
               "%s: backward gradient not all 0", z.label);
    }
}

/* ---- asynchronous validation: no host sync, failure reported later, nothing written ---- */

void async_cases() {
    EXPECT(reweigh_cuda_set_validation_mode(7) == REWEIGH_STATUS_INVALID_ARGUMENT, "mode 7 accepted");
    EXPECT(reweigh_cuda_validation_mode() == REWEIGH_CUDA_VALIDATION_SYNC, "default mode is not SYNC");
    std::vector<int64_t> good = {0, 1, 2, 3, 4, 5, 6, 7, 8}, bad = good;
    bad[4] = 50;
    bad[7] = -1;
    const std::vector<float> coefficients = {1.0f, 0.5f, 2.0f};
    const int32_t WSUM = REWEIGH_NORMALIZATION_WEIGHT_SUM;

    /* Reference: the synchronous run of the good input. */
    Small ref(good, coefficients, WSUM);
    DevBuf rtotal(8);
    ok(ref.forward_backward_in_place(nullptr, &rtotal), "sync reference");
    const std::vector<float> ref_grad = ref.logits.download<float>(9 * 50);
    const double ref_total = rtotal.download<double>(1)[0];

    ok(reweigh_cuda_set_validation_mode(REWEIGH_CUDA_VALIDATION_ASYNC), "set async");
    EXPECT(reweigh_cuda_validation_mode() == REWEIGH_CUDA_VALIDATION_ASYNC, "mode not ASYNC after setting it");
    {
        Small sm(bad, coefficients, WSUM);
        const reweigh_status_t s = sm.forward_backward_in_place(nullptr, nullptr);
        EXPECT(s == REWEIGH_STATUS_OK, "async bad call returned %s before any sync", reweigh_status_string(s));
        const reweigh_status_t d = reweigh_cuda_deferred_status(0, 0);
        const std::string msg = reweigh_last_error();
        printf("async deferred status -> %s: %s\n", reweigh_status_string(d), msg.c_str());
        EXPECT(d == REWEIGH_STATUS_INVALID_ARGUMENT && msg.find("targets[4]") != std::string::npos,
               "deferred status %s: %s", reweigh_status_string(d), msg.c_str());
        EXPECT(sm.logits.download<uint8_t>(sm.in.logits.size()) == sm.in.logits, "async: logits written after a failed check");
        EXPECT(reweigh_cuda_deferred_status(0, 0) == REWEIGH_STATUS_OK, "deferred status not cleared after reading");
    }
    {
        /* Reported by the next call instead, which then writes nothing either. */
        Small sm(bad, coefficients, WSUM);
        EXPECT(sm.forward_backward_in_place(nullptr, nullptr) == REWEIGH_STATUS_OK, "async bad call");
        Small next(good, coefficients, WSUM);
        const reweigh_status_t s = next.forward_backward_in_place(nullptr, nullptr);
        const std::string msg = reweigh_last_error();
        printf("async next call -> %s: %s\n", reweigh_status_string(s), msg.c_str());
        EXPECT(s == REWEIGH_STATUS_INVALID_ARGUMENT && msg.find("earlier call") != std::string::npos,
               "next call after an async failure: %s: %s", reweigh_status_string(s), msg.c_str());
        EXPECT(next.logits.download<uint8_t>(next.in.logits.size()) == next.in.logits,
               "the call reporting a deferred failure wrote its outputs");
    }
    {
        /* A good asynchronous call gives the synchronous results bit for bit. */
        Small sm(good, coefficients, WSUM);
        DevBuf total(8);
        ok(sm.forward_backward_in_place(nullptr, &total), "async good call");
        ok(reweigh_cuda_deferred_status(0, 0), "deferred status after a good call");
        EXPECT(sm.logits.download<float>(9 * 50) == ref_grad, "async gradient differs from sync");
        EXPECT(total.download<double>(1)[0] == ref_total, "async total differs from sync");
    }
    ok(reweigh_cuda_set_validation_mode(REWEIGH_CUDA_VALIDATION_SYNC), "set sync");
}

}  // namespace

int main() {
    if (!cuda_device_present()) return 0;
    const int32_t F32 = REWEIGH_DTYPE_F32, BF16 = REWEIGH_DTYPE_BF16, F16 = REWEIGH_DTYPE_F16;
    const int32_t I32 = REWEIGH_DTYPE_I32, I64 = REWEIGH_DTYPE_I64;
    const int32_t MEAN = REWEIGH_TOKEN_REDUCTION_MEAN, SUM = REWEIGH_TOKEN_REDUCTION_SUM;
    const int32_t WSUM = REWEIGH_NORMALIZATION_WEIGHT_SUM, TOK = REWEIGH_NORMALIZATION_TOKENS,
                  SAMP = REWEIGH_NORMALIZATION_SAMPLES, NONE = REWEIGH_NORMALIZATION_NONE,
                  EXPL = REWEIGH_NORMALIZATION_EXPLICIT;
    /* Grid: tiny vocabularies (one warp, scalar tails), odd sizes and shifted bases (misaligned rows:
     * peeled head, vectors, tail; grad with another misalignment: scalar rows), padded strides, empty
     * samples, ignored rows, every option and normalisation, more rows than the grid (grid-stride),
     * and the model vocabularies 1, 31, 50257 (GPT-2), 128256 (Llama 3), 151936 (Qwen), 262144
     * (Gemma) in fp32/bf16/fp16 with few rows each. forwardBackward splits a row over several blocks
     * once it exceeds one block's 48 KiB slice (32000 fp32 and up). */
    std::vector<Case> cases = {
        {"V=7 small", 13, 7, 4, 0, F32, I32, I32, 0, 0, 0, 1, MEAN, WSUM, 0.2},
        {"V=33 smoothing+zloss", 37, 33, 5, 0, F32, I64, I32, 0.1f, 1e-4f, 0, 1, SUM, TOK, 0.2},
        {"V=1000 softcap", 37, 1000, 6, 0, F32, I32, I64, 0, 0, 30.0f, 0.7f, MEAN, SAMP, 0.1},
        {"V=32000 padded", 19, 32000, 4, 3, F32, I64, I64, 0, 0, 0, 1, MEAN, EXPL, 0.1},
        {"V=32000 llama2", 24, 32000, 4, 0, F32, I64, I64, 0, 0, 0, 1, MEAN, WSUM, 0.1},
        {"bf16 V=1000", 37, 1000, 6, 0, BF16, I32, I32, 0.1f, 0, 0, 1, MEAN, WSUM, 0.2},
        {"bf16 V=32000", 24, 32000, 4, 0, BF16, I64, I64, 0, 1e-4f, 0, 1, MEAN, TOK, 0.1},
        {"f16 V=1000", 37, 1000, 6, 0, F16, I32, I64, 0.1f, 0, 0, 1, MEAN, WSUM, 0.2},
        {"f16 V=32000", 24, 32000, 4, 5, F16, I64, I64, 0, 1e-4f, 0, 0.5f, SUM, SAMP, 0.1},
        {"misaligned base f32", 7, 1000, 3, 1, F32, I64, I64, 0.1f, 0, 0, 1, MEAN, WSUM, 0.1, 1},
        {"misaligned base bf16", 7, 5000, 3, 0, BF16, I64, I64, 0, 0, 20.0f, 1, MEAN, WSUM, 0.1, 3},
        {"grad misaligned vs logits", 5, 60000, 2, 0, F32, I64, I64, 0, 1e-4f, 0, 1, MEAN, TOK, 0.1, 1, 2},
        {"grid-stride rows=150", 150, 31, 9, 0, F32, I32, I32, 0.1f, 0, 0, 1, MEAN, WSUM, 0.3},
        {"grid-stride split bf16", 70, 50257, 7, 0, BF16, I64, I64, 0, 0, 0, 1, SUM, WSUM, 0.1},
        {"f16 grad scale 2^16", 6, 50257, 2, 0, F16, I64, I64, 0, 0, 0, 1, MEAN, TOK, 0.1, 0, -1, 65536.0f},
        {"f32 grad scale 1/8", 9, 3000, 3, 0, F32, I32, I64, 0.1f, 0, 0, 1, SUM, NONE, 0.1, 0, -1, 0.125f},
        {"rows=0", 0, 100, 0, 0, F32, I64, I64, 0, 0, 0, 1, MEAN, NONE, 0.0},
        {"all empty samples", 0, 100, 3, 0, F32, I64, I64, 0, 0, 0, 1, MEAN, NONE, 0.0},
    };
    if (env_on("REWEIGH_PARITY_QUICK")) {
        /* The reduced set of compute-sanitizer (gpu-check.sh) and AddressSanitizer (emulation) runs: one
         * case per code path (whole row, split row, peeled and scalar rows, grid-stride, fp16 scale). */
        static const char* const quick[] = {"V=7 small", "V=32000 llama2", "misaligned base bf16",
                                            "grad misaligned vs logits", "grid-stride rows=150", "f16 grad scale 2^16",
                                            "rows=0", "all empty samples"};
        std::vector<Case> kept;
        for (const Case& c : cases) {
            for (const char* q : quick) {
                if (strcmp(c.label, q) == 0) kept.push_back(c);
            }
        }
        cases = kept;
    }
    static const int64_t vocabularies[] = {1, 31, 50257, 128256, 151936, 262144};
    static const char* const names[] = {"V=1", "V=31", "V=50257 gpt2", "V=128256 llama3", "V=151936 qwen",
                                        "V=262144 gemma"};
    static const int32_t dtypes[] = {F32, BF16, F16};
    static std::string labels[18];
    int li = 0;
    for (int vi = 0; vi < 6 && !env_on("REWEIGH_PARITY_QUICK"); ++vi) {
        for (const int32_t dt : dtypes) {
            const int64_t V = vocabularies[vi];
            labels[li] = std::string(dt == F32 ? "f32 " : dt == BF16 ? "bf16 " : "f16 ") + names[vi];
            const int64_t rows = V >= 100000 ? 3 : 6;
            cases.push_back({labels[li++].c_str(), rows, V, 2, 0, dt, I64, I64, vi % 2 ? 0.05f : 0.0f,
                             vi == 3 ? 1e-4f : 0.0f, vi == 4 ? 30.0f : 0.0f, 1, vi % 2 ? SUM : MEAN,
                             vi % 3 == 0 ? WSUM : (vi % 3 == 1 ? NONE : TOK), 0.2});
        }
    }
    if (env_on("REWEIGH_PARITY_FULL")) {
        /* GPU only (minutes under the emulation): more rows than the largest grid, 2^20 + 5. */
        cases.push_back({"rows=2^20+5", (int64_t{1} << 20) + 5, 31, 1000, 0, BF16, I32, I32, 0, 0, 0, 1, MEAN,
                         TOK, 0.1});
    }
    uint64_t seed = 1;
    for (const Case& c : cases) parity_case(c, seed++);

    bad_case("target out of range", Break::Target, REWEIGH_STATUS_INVALID_ARGUMENT, "targets[4]");
    bad_case("offsets decreasing", Break::OffsetOrder, REWEIGH_STATUS_INVALID_ARGUMENT, "offsets[2]");
    bad_case("offsets last != rows", Break::OffsetLast, REWEIGH_STATUS_INVALID_ARGUMENT, "offsets[3]");
    bad_case("coefficient NaN", Break::Coefficient, REWEIGH_STATUS_INVALID_ARGUMENT, "coefficients[1]");
    bad_case("check_finite +inf", Break::NonFinite, REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row 5, column 17]");
    bad_case("backward rowLse NaN", Break::Lse, REWEIGH_STATUS_INVALID_ARGUMENT, "rowLse[6]");
    bad_case("WEIGHT_SUM negative coefficient", Break::NegativeCoefficient, REWEIGH_STATUS_INVALID_ARGUMENT,
             "coefficients[1] = -1 is negative");

    zero_normalizer_cases();
    async_cases();

    ok(reweigh_cuda_release_cache(), "release cache");
    printf("%s: %d checks, %d failures\n", g_failures == 0 ? "PASSED" : "FAILED", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
