/*
 * ce_cuda_policy.cpp: the one-pass policy-gradient step
 * (reweigh_policy_forward_backward) on CUDA batches, through the public C
 * ABI, against the CPU path on the same inputs.
 *
 * Cases: GRPO (SEQUENCE, TOKEN with the k3 KL term), DAPO's decoupled clip
 * range, DFT; with and without entropy weights; plain, softcap + scale,
 * grad scale 4, ignored rows; F32 / BF16 (CPU on the same logits) and F16
 * (the CPU reads the same values as F32). oldLogp is the CPU's logp shifted
 * by +-0.4 (outside [1 - eps, 1 + eps] on both sides) or +-0.1 (inside), so
 * both clip branches are taken; NaN on ignored rows (never read). Compared:
 * per-row logp, entropy, weights, clip flags, the objective, the clip
 * counts, the gradient; in place equals out of place bit for bit.
 * Bad input: the CPU's status and message and nothing written in the
 * synchronous mode; OK, nothing written, then the deferred status naming
 * the same argument and index in the asynchronous mode.
 *
 * Tolerances: logp / entropy 2e-5 (1 + |ref|) (the block reduction sums in
 * another order than the CPU's row kernels); weights 1e-4 relative + 1e-6
 * of the largest (a weight is rho A, and rho = exp(logp - oldLogp) carries
 * logp's error); objective 1e-5 (1 + |ref|); gradient as ce_cuda_parity.cpp:
 * F32 1e-4 relative + 1e-6 max|ref|, BF16 2^-7 + 1e-3 max|ref|, F16 2^-10 +
 * 1e-4 max|ref|.
 *
 * Exits 0 with "SKIPPED: no CUDA device" when reweigh_cuda_device_count() == 0.
 * REWEIGH_PARITY_QUICK=1: one case per code path (sanitizer runs).
 * Runs under the host emulation too (tests/cuda/emulation/run.sh).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_io.h"
#include "reweigh/reweigh.h"

namespace {

using namespace reweigh_test;  // the helpers of cuda_test_io.h and cuda_test_support.h

constexpr int32_t F32 = REWEIGH_DTYPE_F32, BF16 = REWEIGH_DTYPE_BF16, F16 = REWEIGH_DTYPE_F16;

struct Opts {
    const char* label;
    float softcap, scale, grad_scale;
    double ignore_fraction;
};

struct Policy {
    const char* label;
    reweigh_policy_options_t p;
};

Policy policy_of(const char* label, int32_t loss, int32_t level, double lo, double hi, double kl) {
    Policy q;
    q.label = label;
    q.p = reweigh_policy_options_default();
    q.p.loss = loss;
    q.p.level = level;
    q.p.eps_low = lo;
    q.p.eps_high = hi;
    q.p.kl_coefficient = kl;
    return q;
}

/* Host inputs (cuda_test_io.h) and the policy step's row inputs. */
struct Batch : HostBatch {
    std::vector<float> old_logp, advantages, ref_logp, beta;
};

/* The whole batch: every column, row stride = vocab. */
reweigh_ce_batch_t view(const Batch& b, const void* logits, int32_t dtype, const void* targets, const void* offsets,
                        int32_t device) {
    return reweigh_test::view(b, logits, dtype, targets, offsets, 0, b.vocab, device);
}

/* The per-row results of one call, on the host. */
struct Result {
    std::vector<float> logp, entropy, weights;
    std::vector<int8_t> clipped;
    double objective = 0.0;
    int64_t counts[2] = {0, 0};
    std::vector<uint8_t> grad;
};

reweigh_status_t cpu_step(const Batch& b, const reweigh_policy_options_t& p, const float* beta, Result& out) {
    const size_t n = static_cast<size_t>(b.rows);
    out.logp.assign(n, 0.0f);
    out.entropy.assign(n, 0.0f);
    out.weights.assign(n, 0.0f);
    out.clipped.assign(n, 0);
    out.grad.assign(b.logits_ref.size(), 0);
    const reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(),
                                       REWEIGH_DEVICE_CPU);
    const reweigh_policy_rows_t rows = {b.old_logp.data(), b.advantages.data(), b.ref_logp.data(), beta};
    const reweigh_policy_result_t res = {out.logp.data(),    out.entropy.data(), out.weights.data(),
                                         out.clipped.data(), &out.objective,     out.counts};
    const reweigh_ce_grad_t g = {out.grad.data(), b.vocab};
    return reweigh_policy_forward_backward(&cb, &b.options, &p, &rows, &res, &g);
}

/* The inputs and results of one call in device memory. */
struct Device {
    DevBuf logits, targets, offsets, inputs, results, grad;
    int64_t rows;
    Device(const Batch& b)
        : logits(b.logits.size()), targets(b.targets.size()), offsets(b.offsets.size()),
          inputs(static_cast<size_t>(4 * b.rows * 4 + 4)), results(static_cast<size_t>(b.rows * 13 + 64)),
          grad(b.logits.size()), rows(b.rows) {
        logits.upload(b.logits);
        targets.upload(b.targets);
        offsets.upload(b.offsets);
        std::vector<float> all;
        for (const auto* v : {&b.old_logp, &b.advantages, &b.ref_logp, &b.beta}) all.insert(all.end(), v->begin(), v->end());
        inputs.upload(all);
        results.upload(std::vector<uint8_t>(static_cast<size_t>(rows * 13 + 64), 0xab));
    }
    float* in(int i) const { return static_cast<float*>(inputs.get()) + i * rows; }
    /* results: objective (8), clip counts (16), logp, entropy, weights (4 rows each), clipped (rows) */
    char* res() const { return static_cast<char*>(results.get()); }
    reweigh_policy_result_t result_view() const {
        char* r = res();
        return {reinterpret_cast<float*>(r + 24), reinterpret_cast<float*>(r + 24 + 4 * rows),
                reinterpret_cast<float*>(r + 24 + 8 * rows), reinterpret_cast<int8_t*>(r + 24 + 12 * rows),
                reinterpret_cast<double*>(r), reinterpret_cast<int64_t*>(r + 8)};
    }
    reweigh_status_t step(const Batch& b, const reweigh_policy_options_t& p, bool with_beta, void* out_grad) const {
        const reweigh_ce_batch_t gb = view(b, logits.get(), b.dtype, targets.get(), offsets.get(), REWEIGH_DEVICE_CUDA);
        const reweigh_policy_rows_t rows_in = {in(0), in(1), in(2), with_beta ? in(3) : nullptr};
        const reweigh_policy_result_t res = result_view();
        const reweigh_ce_grad_t g = {out_grad, b.vocab};
        return reweigh_policy_forward_backward(&gb, &b.options, &p, &rows_in, &res, &g);
    }
    Result download(const Batch& b, const DevBuf& g) const {
        Result out;
        const size_t n = static_cast<size_t>(rows);
        const std::vector<uint8_t> raw = results.download<uint8_t>(static_cast<size_t>(rows * 13 + 24));
        memcpy(&out.objective, raw.data(), 8);
        memcpy(out.counts, raw.data() + 8, 16);
        out.logp.resize(n);
        out.entropy.resize(n);
        out.weights.resize(n);
        out.clipped.resize(n);
        memcpy(out.logp.data(), raw.data() + 24, 4 * n);
        memcpy(out.entropy.data(), raw.data() + 24 + 4 * n, 4 * n);
        memcpy(out.weights.data(), raw.data() + 24 + 8 * n, 4 * n);
        memcpy(out.clipped.data(), raw.data() + 24 + 12 * n, n);
        out.grad = g.download<uint8_t>(b.logits.size());
        return out;
    }
};

Batch make_batch(int64_t rows, int64_t vocab, int64_t samples, int32_t dtype, const Opts& o, uint64_t seed) {
    Batch b;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    random_logits(b, rows, vocab, samples, dtype, rng);
    /* Rows r % 4 < 2 stay counted: they carry the clipped ratios (below). */
    b.t.resize(static_cast<size_t>(rows));
    for (size_t r = 0; r < b.t.size(); ++r) {
        const bool ignored = r % 4 >= 2 && unit(rng) < o.ignore_fraction;
        b.t[r] = ignored ? -100 : static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab));
    }
    b.targets = index_bytes(b.t, REWEIGH_DTYPE_I64);
    b.offsets = random_offsets(rows, samples, rng);
    b.options = options_of(0.0f, 0.0f, o.softcap, o.scale, REWEIGH_TOKEN_REDUCTION_SUM, REWEIGH_NORMALIZATION_NONE,
                           1.0, o.grad_scale);
    /* Row inputs around the CPU's logp: ratios e^{+-0.4} and e^{+-0.1}; A > 0 on rows r % 8 < 4, so rows
     * 0 mod 8 clip above (rho = e^0.4, A > 0) and rows 5 mod 8 below (rho = e^-0.4, A < 0). */
    const reweigh_policy_options_t dft = policy_of("dft", REWEIGH_POLICY_LOSS_DFT, 0, 0.2, 0.2, 0.0).p;
    b.old_logp.assign(static_cast<size_t>(rows), 0.0f);
    b.advantages = b.ref_logp = b.old_logp;
    Result probe;
    ok(cpu_step(b, dft, nullptr, probe), "cpu logp probe");
    const float deltas[4] = {0.4f, -0.4f, 0.1f, -0.1f};
    std::uniform_real_distribution<float> adv(0.2f, 1.5f), noise(-0.15f, 0.15f), bdist(-0.05f, 0.05f);
    b.beta.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const size_t i = static_cast<size_t>(r);
        const bool ignored = b.t[i] == -100;
        b.old_logp[i] = ignored ? NAN : probe.logp[i] - deltas[r % 4];
        b.advantages[i] = ignored ? NAN : (r % 8 < 4 ? 1.0f : -1.0f) * adv(rng);
        b.ref_logp[i] = ignored ? NAN : probe.logp[i] + noise(rng);
        b.beta[i] = ignored ? NAN : bdist(rng);
    }
    return b;
}

void compare_rows(const char* what, const std::vector<float>& got, const std::vector<float>& ref, double rtol,
                  double afrac) {
    double maxabs = 0.0;
    for (const float x : ref) maxabs = fmax(maxabs, fabs(x));
    int bad = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (!within(got[i], ref[i], rtol, afrac * maxabs + 2e-5) && bad++ < 3) {
            EXPECT(false, "%s[%zu]: gpu %.8g reference %.8g", what, i, got[i], ref[i]);
        }
    }
    ++g_checks;
}

void step_case(const Opts& o, const Policy& q, int32_t dtype, bool with_beta, int64_t rows, int64_t vocab,
               uint64_t seed) {
    printf("step  %-16s %-14s dtype=%d beta=%d rows=%lld V=%lld\n", o.label, q.label, dtype, with_beta ? 1 : 0,
           static_cast<long long>(rows), static_cast<long long>(vocab));
    const Batch b = make_batch(rows, vocab, 4, dtype, o, seed);
    Result cpu;
    ok(cpu_step(b, q.p, with_beta ? b.beta.data() : nullptr, cpu), "cpu policy step");
    const Device dev(b);
    ok(dev.step(b, q.p, with_beta, dev.grad.get()), "gpu policy step");
    const Result gpu = dev.download(b, dev.grad);
    char what[160];
    snprintf(what, sizeof what, "%s %s dtype %d", o.label, q.label, dtype);
    compare_rows("rowLogp", gpu.logp, cpu.logp, 2e-5, 0.0);
    compare_rows("rowEntropy", gpu.entropy, cpu.entropy, 2e-5, 0.0);
    compare_rows("rowWeights", gpu.weights, cpu.weights, 1e-4, 1e-6);
    EXPECT(gpu.clipped == cpu.clipped, "%s: rowClipped differs", what);
    EXPECT(gpu.counts[0] == cpu.counts[0] && gpu.counts[1] == cpu.counts[1],
           "%s: clip counts gpu %lld/%lld cpu %lld/%lld", what, static_cast<long long>(gpu.counts[0]),
           static_cast<long long>(gpu.counts[1]), static_cast<long long>(cpu.counts[0]),
           static_cast<long long>(cpu.counts[1]));
    EXPECT(q.p.loss != REWEIGH_POLICY_LOSS_CLIPPED || (cpu.counts[0] > 0 && cpu.counts[1] > 0),
           "%s: the case clips on one side only (%lld below, %lld above)", what,
           static_cast<long long>(cpu.counts[0]), static_cast<long long>(cpu.counts[1]));
    EXPECT(within(gpu.objective, cpu.objective, 1e-5, 1e-5), "%s: objective gpu %.10g cpu %.10g", what,
           gpu.objective, cpu.objective);
    compare_grad(what, b, gpu.grad, cpu.grad);
    ok(dev.step(b, q.p, with_beta, dev.logits.get()), "gpu policy step in place");
    EXPECT(dev.logits.download<uint8_t>(b.logits.size()) == gpu.grad, "%s: in-place gradient differs from out-of-place",
           what);
}

enum class Bad { OldLogp, Advantages, RefLogp, EntropyWeights, Finite };

void bad_case(const char* label, Bad what, const char* needle, reweigh_status_t expected) {
    const Opts o = {"bad", 0.0f, 1.0f, 1.0f, 0.0};
    const Policy q = policy_of("grpo+kl", REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_SEQUENCE, 0.2, 0.2, 0.05);
    Batch b = make_batch(9, 40, 3, F32, o, 5);
    switch (what) {
        case Bad::OldLogp: b.old_logp[5] = NAN; break;
        case Bad::Advantages: b.advantages[3] = INFINITY; break;
        case Bad::RefLogp: b.ref_logp[2] = NAN; break;
        case Bad::EntropyWeights: b.beta[4] = -INFINITY; break;
        case Bad::Finite: encode(F32, b.logits, 7 * 40 + 11, NAN); b.options.check_finite = 1; break;
    }
    b.logits_ref = b.logits;
    Result cpu;
    const reweigh_status_t cs = cpu_step(b, q.p, b.beta.data(), cpu);
    const std::string cpu_msg = strip_location(reweigh_last_error());
    for (int mode = 0; mode < 2; ++mode) {
        const Device dev(b);
        const std::vector<uint8_t> before = dev.results.download<uint8_t>(static_cast<size_t>(b.rows * 13 + 24));
        ok(reweigh_cuda_set_validation_mode(mode), "set mode");
        const reweigh_status_t gs = dev.step(b, q.p, true, dev.logits.get());
        expect_rejected(label, mode, cs, gs, cpu_msg, expected, needle);
        EXPECT(dev.logits.download<uint8_t>(b.logits.size()) == b.logits, "%s (mode %d): logits written despite the error",
               label, mode);
        EXPECT(dev.results.download<uint8_t>(static_cast<size_t>(b.rows * 13 + 24)) == before,
               "%s (mode %d): results written despite the error", label, mode);
    }
    ok(reweigh_cuda_set_validation_mode(REWEIGH_CUDA_VALIDATION_SYNC), "set sync");
}

}  // namespace

int main() {
    if (!cuda_device_present()) return 0;
    const int32_t CLIP = REWEIGH_POLICY_LOSS_CLIPPED, DFT = REWEIGH_POLICY_LOSS_DFT;
    const int32_t SEQ = REWEIGH_POLICY_LEVEL_SEQUENCE, TOK = REWEIGH_POLICY_LEVEL_TOKEN;
    const Opts opts[] = {
        {"plain", 0.0f, 1.0f, 1.0f, 0.0},
        {"ignored", 0.0f, 1.0f, 1.0f, 0.3},
        {"softcap+scale", 15.0f, 0.7f, 1.0f, 0.2},
        {"gradScale", 0.0f, 1.0f, 4.0f, 0.2},
    };
    const Policy policies[] = {
        policy_of("grpo", CLIP, SEQ, 0.2, 0.2, 0.0),
        policy_of("grpo+kl tok", CLIP, TOK, 0.2, 0.2, 0.05),
        policy_of("dapo", CLIP, TOK, 0.2, 0.28, 0.0),
        policy_of("dft", DFT, SEQ, 0.2, 0.2, 0.0),
    };
    const bool quick = env_on("REWEIGH_PARITY_QUICK");
    uint64_t seed = 31;
    for (const Opts& o : opts) {
        for (const Policy& q : policies) {
            for (const int32_t dt : {F32, BF16, F16}) {
                if (quick && (&o != &opts[2] || dt == F16)) continue;
                if (!quick) step_case(o, q, dt, false, 16, 300, seed);
                step_case(o, q, dt, true, 16, 300, seed + 1);
                seed += 2;
            }
        }
    }
    step_case(opts[1], policies[1], F32, true, 70, 1031, seed++); /* more rows than the emulation's grid, odd V */

    bad_case("policy oldLogp NaN", Bad::OldLogp, "oldLogp[5]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("policy advantages inf", Bad::Advantages, "advantages[3]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("policy refLogp NaN", Bad::RefLogp, "refLogp[2]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("policy entropyWeights -inf", Bad::EntropyWeights, "entropyWeights[4]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("policy check_finite", Bad::Finite, "logits[row 7, column 11]", REWEIGH_STATUS_NON_FINITE_INPUT);

    ok(reweigh_cuda_release_cache(), "release cache");
    printf("%s: %d checks, %d failures\n", g_failures == 0 ? "PASSED" : "FAILED", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
