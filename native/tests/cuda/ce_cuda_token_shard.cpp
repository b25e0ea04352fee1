/*
 * ce_cuda_token_shard.cpp: the CUDA entry points with per-row coefficients
 * (reweigh_ce_backward_rows) and of vocabulary-sharded partials
 * (reweigh_ce_partial_forward, _sharded_stats, _sharded_backward), through
 * the public C ABI, against the CPU path on the same inputs and against a
 * float64 gradient written here from the formulas of reweigh.h.
 *
 * backward_rows: every option set (ignore index, smoothing, z-loss, softcap,
 *   scale, grad scale), F32 / BF16 / F16, signed row weights, with and
 *   without entropy weights, NaN on ignored rows (never read), in place and
 *   out of place (same bits).
 * sharded: K = 1, 2, 3, 7 shards of uneven width (one with no targets), each
 *   shard's partials against the CPU's partial forward of the same shard;
 *   the shards merged on the host and on the device (pairwise merge, and the
 *   all-reduce route: max, rebase, sum; the _on forms against the host forms),
 *   then statistics and every shard's gradient slice from the device-combined
 *   rows against the CPU's unsharded forwardBackward of the whole rows, and
 *   the device normaliser D against the CPU's.
 * bad input: the CPU's status and message, nothing written, in the
 *   synchronous mode; OK then the deferred status naming the same argument
 *   and index in the asynchronous mode.
 *
 * Tolerances as in ce_cuda_parity.cpp: statistics 2e-5 * (1 + |ref|) (the
 * shards' sums are taken in another order than the whole row's); gradient
 * F32 1e-4 relative + 1e-6 max|ref|, BF16 2^-7 + 1e-3 max|ref|, F16 (GPU
 * rounds, the reference is fp32) 2^-10 + 1e-4 max|ref|.
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
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_io.h"
#include "reweigh/reweigh.h"

namespace {

using namespace reweigh_test;  // the helpers of cuda_test_io.h and cuda_test_support.h

constexpr int32_t F32 = REWEIGH_DTYPE_F32, BF16 = REWEIGH_DTYPE_BF16, F16 = REWEIGH_DTYPE_F16;

/* Options of one case. */
struct Opts {
    const char* label;
    float eps, zloss, softcap, scale, grad_scale;
    int32_t reduction, normalization;
    double ignore_fraction;
};

/* Host inputs (cuda_test_io.h) and the per-sample coefficients. */
struct Batch : HostBatch {
    std::vector<float> coefficients;
};

Batch make_batch(int64_t rows, int64_t vocab, int64_t samples, int32_t dtype, const Opts& o, uint64_t seed,
                 int64_t target_limit = 0) {
    Batch b;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    random_logits(b, rows, vocab, samples, dtype, rng);
    const uint64_t limit = static_cast<uint64_t>(target_limit > 0 ? target_limit : vocab);
    b.t.resize(static_cast<size_t>(rows));
    for (auto& y : b.t) y = unit(rng) < o.ignore_fraction ? -100 : static_cast<int64_t>(rng() % limit);
    b.targets = index_bytes(b.t, REWEIGH_DTYPE_I64);
    b.offsets = random_offsets(rows, samples, rng);
    const double low = o.normalization == REWEIGH_NORMALIZATION_WEIGHT_SUM ? 0.0 : -0.5;
    b.coefficients.resize(static_cast<size_t>(samples));
    for (auto& c : b.coefficients) c = static_cast<float>(low + 2.0 * unit(rng));
    b.options = reweigh_test::options_of(o.eps, o.zloss, o.softcap, o.scale, o.reduction, o.normalization, 2.5,
                                         o.grad_scale);
    return b;
}

void compare_floats(const char* what, const std::vector<float>& got, const std::vector<float>& ref) {
    int bad = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (!within(got[i], ref[i], 2e-5, 2e-5) && bad++ < 3) EXPECT(false, "%s[%zu]: gpu %.8g reference %.8g", what, i, got[i], ref[i]);
    }
    ++g_checks;
}

/* ---- float64 reference of backward_rows (reweigh.h, "per-row coefficients") ---- */

std::vector<double> reference_rows_grad(const Batch& b, const std::vector<float>& w, const std::vector<float>* beta) {
    const reweigh_ce_options_t& o = b.options;
    std::vector<int64_t> off(static_cast<size_t>(b.samples + 1));
    for (size_t s = 0; s < off.size(); ++s) off[s] = reinterpret_cast<const int32_t*>(b.offsets.data())[s];
    std::vector<double> count(static_cast<size_t>(b.samples), 0.0);
    double d = 0.0, wsum = 0.0, tokens = 0.0, nsamples = 0.0;
    for (int64_t s = 0; s < b.samples; ++s) {
        for (int64_t r = off[static_cast<size_t>(s)]; r < off[static_cast<size_t>(s) + 1]; ++r) count[static_cast<size_t>(s)] += b.t[static_cast<size_t>(r)] != -100;
        if (count[static_cast<size_t>(s)] > 0) {
            wsum += b.coefficients[static_cast<size_t>(s)];
            tokens += count[static_cast<size_t>(s)];
            nsamples += 1;
        }
    }
    switch (o.normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: d = wsum; break;
        case REWEIGH_NORMALIZATION_TOKENS: d = tokens; break;
        case REWEIGH_NORMALIZATION_SAMPLES: d = nsamples; break;
        case REWEIGH_NORMALIZATION_NONE: d = 1.0; break;
        default: d = o.normalizer; break;
    }
    const double V = static_cast<double>(b.vocab);
    std::vector<double> g(static_cast<size_t>(b.rows * b.vocab), 0.0), zp(static_cast<size_t>(b.vocab));
    for (int64_t s = 0; s < b.samples; ++s) {
        const double n = count[static_cast<size_t>(s)];
        if (n == 0 || d == 0.0) continue;
        double k = b.coefficients[static_cast<size_t>(s)] / d * o.grad_scale;
        if (o.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) k /= n;
        for (int64_t r = off[static_cast<size_t>(s)]; r < off[static_cast<size_t>(s) + 1]; ++r) {
            const int64_t y = b.t[static_cast<size_t>(r)];
            if (y == -100) continue;
            double m = -INFINITY;
            for (int64_t v = 0; v < b.vocab; ++v) {
                const double x = o.logit_scale * static_cast<double>(decode(b.ref_dtype, b.logits_ref, r * b.vocab + v));
                zp[static_cast<size_t>(v)] = o.softcap > 0 ? o.softcap * tanh(x / o.softcap) : x;
                m = fmax(m, zp[static_cast<size_t>(v)]);
            }
            double sum = 0.0;
            for (double x : zp) sum += exp(x - m);
            const double lse = m + log(sum);
            double h = 0.0;
            for (double x : zp) h -= exp(x - lse) * (x - lse);
            const double kw = k * w[static_cast<size_t>(r)], kb = beta != nullptr ? k * (*beta)[static_cast<size_t>(r)] : 0.0;
            for (int64_t v = 0; v < b.vocab; ++v) {
                const double x = zp[static_cast<size_t>(v)], p = exp(x - lse);
                double dz = p * (1.0 + 2.0 * o.z_loss * lse) - (v == y ? 1.0 - o.label_smoothing : 0.0) - o.label_smoothing / V;
                double gv = kw * dz - kb * p * ((x - lse) + h);
                const double deriv = o.softcap > 0 ? o.logit_scale * (1.0 - (x / o.softcap) * (x / o.softcap)) : o.logit_scale;
                g[static_cast<size_t>(r * b.vocab + v)] = gv * deriv;
            }
        }
    }
    return g;
}

/* ---- backward_rows ---- */

/* The inputs of backward_rows in device memory. */
struct DeviceRows {
    DevBuf logits, targets, offsets, coef, lse, entropy, w, beta;
    DeviceRows(const Batch& b, const std::vector<float>& lse_h, const std::vector<float>& entropy_h,
               const std::vector<float>& w_h, const std::vector<float>& beta_h)
        : logits(b.logits.size()), targets(b.targets.size()), offsets(b.offsets.size()),
          coef(b.coefficients.size() * 4 + 4), lse(lse_h.size() * 4 + 4), entropy(entropy_h.size() * 4 + 4),
          w(w_h.size() * 4 + 4), beta(beta_h.size() * 4 + 4) {
        logits.upload(b.logits);
        targets.upload(b.targets);
        offsets.upload(b.offsets);
        coef.upload(b.coefficients);
        lse.upload(lse_h);
        entropy.upload(entropy_h);
        w.upload(w_h);
        beta.upload(beta_h);
    }
    static const float* f(const DevBuf& d) { return static_cast<const float*>(d.get()); }
    /* backward_rows of `batch` (a view of these buffers) into `grad`, with or without the entropy term. */
    reweigh_status_t backward_rows(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& o, bool with_beta,
                                   void* grad, int64_t stride) const {
        reweigh_ce_grad_t g = {grad, stride};
        return reweigh_ce_backward_rows(&batch, &o, f(lse), f(entropy), f(coef), f(w), with_beta ? f(beta) : nullptr,
                                        &g);
    }
};

/* CPU forward of the whole batch: rowLse and rowEntropy for backward_rows. */
void cpu_forward_rows(const Batch& b, std::vector<float>& lse, std::vector<float>& entropy) {
    lse.assign(static_cast<size_t>(b.rows), 0.0f);
    entropy.assign(static_cast<size_t>(b.rows), 0.0f);
    reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(), 0, b.vocab,
                                 REWEIGH_DEVICE_CPU);
    reweigh_ce_stats_t st = {nullptr, nullptr, nullptr, nullptr, lse.data(), nullptr, entropy.data()};
    ok(reweigh_ce_forward(&cb, &b.options, &st), "cpu forward");
}

void rows_case(const Opts& o, int32_t dtype, bool with_beta, int64_t rows, int64_t vocab, uint64_t seed) {
    printf("rows  %-26s dtype=%d beta=%d rows=%lld V=%lld\n", o.label, dtype, with_beta ? 1 : 0,
           static_cast<long long>(rows), static_cast<long long>(vocab));
    const Batch b = make_batch(rows, vocab, 4, dtype, o, seed);
    std::vector<float> lse, entropy;
    cpu_forward_rows(b, lse, entropy);
    std::mt19937_64 rng(seed * 7 + 1);
    std::uniform_real_distribution<float> wdist(-2.0f, 2.0f), bdist(-0.5f, 0.5f);
    std::vector<float> w(static_cast<size_t>(rows)), beta(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const bool ignored = b.t[static_cast<size_t>(r)] == -100;
        w[static_cast<size_t>(r)] = ignored ? NAN : wdist(rng); /* ignored rows are never read */
        beta[static_cast<size_t>(r)] = ignored ? NAN : bdist(rng);
        if (ignored) entropy[static_cast<size_t>(r)] = NAN;
    }
    const float* beta_h = with_beta ? beta.data() : nullptr;

    std::vector<uint8_t> ref(b.logits_ref.size(), 0);
    reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(), 0, b.vocab,
                                 REWEIGH_DEVICE_CPU);
    reweigh_ce_grad_t cg = {ref.data(), b.vocab};
    ok(reweigh_ce_backward_rows(&cb, &b.options, lse.data(), entropy.data(), b.coefficients.data(), w.data(), beta_h,
                                &cg),
       "cpu backward_rows");

    const DeviceRows dev(b, lse, entropy, w, beta);
    DevBuf grad(b.logits.size());
    const reweigh_ce_batch_t gb =
        view(b, dev.logits.get(), dtype, dev.targets.get(), dev.offsets.get(), 0, b.vocab, REWEIGH_DEVICE_CUDA);
    ok(dev.backward_rows(gb, b.options, with_beta, grad.get(), b.vocab), "gpu backward_rows");
    const std::vector<uint8_t> got = grad.download<uint8_t>(b.logits.size());
    compare_grad("backward_rows vs CPU", b, got, ref);
    ok(dev.backward_rows(gb, b.options, with_beta, dev.logits.get(), b.vocab), "gpu backward_rows in place");
    EXPECT(dev.logits.download<uint8_t>(b.logits.size()) == got, "%s: in-place gradient differs from out-of-place",
           o.label);
    if (dtype == F32) {
        const std::vector<double> g64 = reference_rows_grad(b, w, with_beta ? &beta : nullptr);
        std::vector<uint8_t> as_f32(g64.size() * 4);
        for (size_t i = 0; i < g64.size(); ++i) encode(F32, as_f32, static_cast<int64_t>(i), static_cast<float>(g64[i]));
        compare_grad("backward_rows vs float64", b, got, as_f32);
    }
}

/* ---- vocabulary-sharded partials ---- */

struct HostPartials {
    std::vector<float> m, d, s, sum, tl;
    explicit HostPartials(int64_t rows)
        : m(static_cast<size_t>(rows)), d(m.size()), s(m.size()), sum(m.size()), tl(m.size()) {}
    reweigh_ce_partials_t view() { return {m.data(), d.data(), s.data(), sum.data(), tl.data()}; }
};

/* Five [rows] device arrays in one buffer. */
struct DevPartials {
    int64_t rows;
    DevBuf buf;
    explicit DevPartials(int64_t r) : rows(r), buf(static_cast<size_t>(5 * r * 4 + 4)) {}
    reweigh_ce_partials_t view() const {
        float* p = static_cast<float*>(buf.get());
        return {p, p + rows, p + 2 * rows, p + 3 * rows, p + 4 * rows};
    }
    void download(HostPartials& h) const {
        const std::vector<float> all = buf.download<float>(static_cast<size_t>(5 * rows));
        for (int64_t r = 0; r < rows; ++r) {
            h.m[static_cast<size_t>(r)] = all[static_cast<size_t>(r)];
            h.d[static_cast<size_t>(r)] = all[static_cast<size_t>(rows + r)];
            h.s[static_cast<size_t>(r)] = all[static_cast<size_t>(2 * rows + r)];
            h.sum[static_cast<size_t>(r)] = all[static_cast<size_t>(3 * rows + r)];
            h.tl[static_cast<size_t>(r)] = all[static_cast<size_t>(4 * rows + r)];
        }
    }
    void upload(const HostPartials& h) {
        std::vector<float> all;
        for (const auto* v : {&h.m, &h.d, &h.s, &h.sum, &h.tl}) all.insert(all.end(), v->begin(), v->end());
        buf.upload(all);
    }
};

/* A shard's partials compared through what they mean (lse, entropy), since (m, d, s) may differ in scale. */
void compare_partials(const char* what, const Batch& b, HostPartials& gpu, HostPartials& cpu) {
    std::vector<float> glse, clse, gent, cent;
    for (int64_t r = 0; r < b.rows; ++r) {
        const size_t i = static_cast<size_t>(r);
        if (b.t[i] == -100) {
            EXPECT(gpu.m[i] == -INFINITY && gpu.d[i] == 0.0f && gpu.tl[i] == 0.0f, "%s: ignored row %zu not empty", what, i);
            continue;
        }
        glse.push_back(gpu.m[i] + logf(gpu.d[i]));
        clse.push_back(cpu.m[i] + logf(cpu.d[i]));
        gent.push_back(logf(gpu.d[i]) - gpu.s[i] / gpu.d[i]);
        cent.push_back(logf(cpu.d[i]) - cpu.s[i] / cpu.d[i]);
    }
    compare_floats("partial lse", glse, clse);
    compare_floats("partial entropy", gent, cent);
    compare_floats("partial targetLogit", gpu.tl, cpu.tl);
    if (b.options.label_smoothing > 0.0f) {
        compare_floats("partial logitSum", gpu.sum, cpu.sum); /* a sum of ~V terms: relative 2e-5 of each */
    }
}

/* Shard k of K: uneven widths (shard k gets a share proportional to k + 1). */
std::vector<int64_t> shard_edges(int64_t vocab, int K) {
    std::vector<int64_t> e(static_cast<size_t>(K + 1), 0);
    const int64_t total_weight = static_cast<int64_t>(K) * (K + 1) / 2;
    int64_t acc = 0;
    for (int k = 0; k < K; ++k) {
        acc += k + 1;
        e[static_cast<size_t>(k + 1)] = vocab * acc / total_weight;
    }
    return e;
}

void sharded_case(const Opts& o, int32_t dtype, int K, int64_t rows, int64_t vocab, bool rebase_route,
                  int64_t target_limit, uint64_t seed) {
    printf("shard %-26s dtype=%d K=%d rows=%lld V=%lld%s\n", o.label, dtype, K, static_cast<long long>(rows),
           static_cast<long long>(vocab), rebase_route ? " (max / rebase / sum)" : "");
    const Batch b = make_batch(rows, vocab, 3, dtype, o, seed, target_limit);
    const std::vector<int64_t> edges = shard_edges(vocab, K);

    /* Reference: the CPU's unsharded forwardBackward of the whole rows. */
    const size_t S = static_cast<size_t>(b.samples), R = static_cast<size_t>(rows);
    std::vector<float> loss(S), logp(S), ent(S), rlse(R), rlogp(R), rent(R);
    std::vector<int64_t> count(S);
    std::vector<uint8_t> ref_grad(b.logits_ref.size());
    double ref_total = 0.0;
    {
        reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(), 0, vocab,
                                     REWEIGH_DEVICE_CPU);
        reweigh_ce_stats_t st = {loss.data(), logp.data(), count.data(), ent.data(), rlse.data(), rlogp.data(), rent.data()};
        reweigh_ce_grad_t g = {ref_grad.data(), vocab};
        ok(reweigh_ce_forward_backward(&cb, &b.options, b.coefficients.data(), &st, &g, &ref_total), "cpu fb");
    }

    DevBuf logits(b.logits.size()), grad(b.logits.size()), targets(b.targets.size()), offsets(b.offsets.size()),
        coef(S * 4), dloss(S * 4), dlogp(S * 4), dent(S * 4), dcount(S * 8), drlse(R * 4 + 4), drlogp(R * 4 + 4),
        drent(R * 4 + 4), dtotal(8);
    logits.upload(b.logits);
    targets.upload(b.targets);
    offsets.upload(b.offsets);
    coef.upload(b.coefficients);

    HostPartials combined(rows), global_max(rows);
    std::vector<HostPartials> parts;
    std::deque<DevPartials> dev_parts; /* each shard's partials, left on the device for the device combine */
    for (int k = 0; k < K; ++k) {
        const int64_t c0 = edges[static_cast<size_t>(k)], width = edges[static_cast<size_t>(k) + 1] - c0;
        reweigh_ce_batch_t gb = view(b, logits.get(), dtype, targets.get(), offsets.get(), c0, width, REWEIGH_DEVICE_CUDA);
        DevPartials& dp = dev_parts.emplace_back(rows);
        const reweigh_ce_partials_t pv = dp.view();
        ok(reweigh_ce_partial_forward(&gb, c0, vocab, &b.options, &pv), "gpu partial_forward");
        parts.emplace_back(rows);
        dp.download(parts.back());
        /* The CPU's partials of the same shard. */
        HostPartials cpu(rows);
        reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(), c0,
                                     width, REWEIGH_DEVICE_CPU);
        const reweigh_ce_partials_t cv = cpu.view();
        ok(reweigh_ce_partial_forward(&cb, c0, vocab, &b.options, &cv), "cpu partial_forward");
        compare_partials("shard partials vs CPU", b, parts.back(), cpu);
    }
    /*
     * Each combine runs twice: on the host copies (reweigh_ce_partials_merge / _rebase) and on the
     * device partials (the _on forms, the batch's place). The device result must match the host's and is
     * what the statistics and gradients below read, so the whole sharded path stays on the device.
     */
    const reweigh_place_t place = {REWEIGH_DEVICE_CUDA, 0, 0};
    DevPartials dc(rows);
    const reweigh_ce_partials_t cv = dc.view();
    if (rebase_route) {
        /* The collective route: all-reduce max, rebase every shard, all-reduce the rest with sum. */
        for (int64_t r = 0; r < rows; ++r) {
            float m = -INFINITY;
            for (auto& p : parts) m = fmaxf(m, p.m[static_cast<size_t>(r)]);
            global_max.m[static_cast<size_t>(r)] = m;
        }
        DevBuf dmax(R * 4 + 4);
        dmax.upload(global_max.m);
        combined = HostPartials(rows);
        HostPartials dev_sum(rows);
        for (int k = 0; k < K; ++k) {
            HostPartials& p = parts[static_cast<size_t>(k)];
            const reweigh_ce_partials_t pv = p.view(), dv = dev_parts[static_cast<size_t>(k)].view();
            ok(reweigh_ce_partials_rebase(rows, global_max.m.data(), &pv), "rebase");
            ok(reweigh_ce_partials_rebase_on(&place, rows, static_cast<const float*>(dmax.get()), &dv), "rebase_on");
            HostPartials rebased(rows);
            dev_parts[static_cast<size_t>(k)].download(rebased);
            compare_partials("device rebase vs host rebase", b, rebased, p);
            EXPECT(rebased.m == global_max.m, "%s: device rebase left max[] unlike globalMax", o.label);
            for (size_t i = 0; i < R; ++i) {
                combined.m[i] = p.m[i];
                combined.d[i] += p.d[i];
                combined.s[i] += p.s[i];
                combined.sum[i] += p.sum[i];
                combined.tl[i] += p.tl[i];
                dev_sum.m[i] = rebased.m[i]; /* the SUM all-reduce of the device-rebased shards */
                dev_sum.d[i] += rebased.d[i];
                dev_sum.s[i] += rebased.s[i];
                dev_sum.sum[i] += rebased.sum[i];
                dev_sum.tl[i] += rebased.tl[i];
            }
        }
        dc.upload(dev_sum);
    } else {
        combined = parts[0];
        dc.upload(parts[0]);
        for (int k = 1; k < K; ++k) {
            const reweigh_ce_partials_t from = parts[static_cast<size_t>(k)].view(), into = combined.view();
            ok(reweigh_ce_partials_merge(rows, &from, &into), "merge");
            const reweigh_ce_partials_t dfrom = dev_parts[static_cast<size_t>(k)].view();
            ok(reweigh_ce_partials_merge_on(&place, rows, &dfrom, &cv), "merge_on");
        }
    }
    HostPartials dev_combined(rows);
    dc.download(dev_combined);
    compare_partials("device combine vs host combine", b, dev_combined, combined);

    /* Statistics from the combined rows (any shard's batch: the logits are not read). */
    reweigh_ce_batch_t g0 = view(b, logits.get(), dtype, targets.get(), offsets.get(), 0, edges[1], REWEIGH_DEVICE_CUDA);
    reweigh_ce_stats_t st = {static_cast<float*>(dloss.get()), static_cast<float*>(dlogp.get()),
                             static_cast<int64_t*>(dcount.get()), static_cast<float*>(dent.get()),
                             static_cast<float*>(drlse.get()), static_cast<float*>(drlogp.get()),
                             static_cast<float*>(drent.get())};
    ok(reweigh_ce_sharded_stats(&g0, vocab, &b.options, &cv, static_cast<const float*>(coef.get()), &st,
                                static_cast<double*>(dtotal.get())),
       "gpu sharded_stats");
    compare_floats("sharded loss", dloss.download<float>(S), loss);
    compare_floats("sharded logProbSum", dlogp.download<float>(S), logp);
    compare_floats("sharded meanEntropy", dent.download<float>(S), ent);
    compare_floats("sharded rowLse", drlse.download<float>(R), rlse);
    compare_floats("sharded rowLogp", drlogp.download<float>(R), rlogp);
    compare_floats("sharded rowEntropy", drent.download<float>(R), rent);
    EXPECT(dcount.download<int64_t>(S) == count, "%s: token counts differ", o.label);
    const double total = dtotal.download<double>(1)[0];
    EXPECT(within(total, ref_total, 1e-4, 1e-4), "%s: total gpu %.10g cpu %.10g", o.label, total, ref_total);

    /* The local normaliser D of a device batch (a device double) against the CPU's of the same batch. */
    {
        reweigh_ce_batch_t cb = view(b, b.logits_ref.data(), b.ref_dtype, b.targets.data(), b.offsets.data(), 0,
                                     edges[1], REWEIGH_DEVICE_CPU);
        double cpu_d = -1.0;
        ok(reweigh_ce_normalizer(&cb, vocab, &b.options, b.coefficients.data(), &cpu_d), "cpu normalizer");
        DevBuf dd(8);
        ok(reweigh_ce_normalizer(&g0, vocab, &b.options, static_cast<const float*>(coef.get()),
                                 static_cast<double*>(dd.get())),
           "gpu normalizer");
        const double gpu_d = dd.download<double>(1)[0];
        EXPECT(within(gpu_d, cpu_d, 1e-12, 0.0), "%s: normalizer gpu %.17g cpu %.17g", o.label, gpu_d, cpu_d);
    }

    /* Every shard writes its slice of the gradient (into one buffer with the whole row stride). */
    for (int k = 0; k < K; ++k) {
        const int64_t c0 = edges[static_cast<size_t>(k)], width = edges[static_cast<size_t>(k) + 1] - c0;
        reweigh_ce_batch_t gb = view(b, logits.get(), dtype, targets.get(), offsets.get(), c0, width, REWEIGH_DEVICE_CUDA);
        reweigh_ce_grad_t g = {static_cast<char*>(grad.get()) + static_cast<size_t>(c0) * esize(dtype), vocab};
        ok(reweigh_ce_sharded_backward(&gb, c0, vocab, &b.options, &cv, static_cast<const float*>(coef.get()), &g),
           "gpu sharded_backward");
    }
    compare_grad("sharded gradient vs unsharded CPU", b, grad.download<uint8_t>(b.logits.size()), ref_grad);
}

/* ---- bad input ---- */

enum class Bad { RowWeight, RowEntropyWeight, RowEntropy, CombinedLse, ShardTarget, PartialFinite };

/*
 * One bad argument: CPU and GPU (synchronous) return the same status and message and the GPU wrote
 * nothing (in place: the logits are unchanged); in the asynchronous mode the GPU call returns OK,
 * writes nothing, and the deferred status names the same argument and index.
 */
void bad_case(const char* label, Bad what, const char* needle, reweigh_status_t expected) {
    const Opts o = {"bad", 0.1f, 0.0f, 0.0f, 1.0f, 1.0f, REWEIGH_TOKEN_REDUCTION_MEAN, REWEIGH_NORMALIZATION_TOKENS, 0.0};
    Batch b = make_batch(9, 40, 3, F32, o, 5);
    b.t = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    b.targets = index_bytes(b.t, REWEIGH_DTYPE_I64);
    b.offsets = index_bytes({0, 3, 6, 9}, REWEIGH_DTYPE_I32);
    std::vector<float> lse, entropy;
    cpu_forward_rows(b, lse, entropy);
    std::vector<float> w(9, 1.0f), beta(9, 0.1f);
    HostPartials comb(9);
    for (size_t r = 0; r < 9; ++r) {
        comb.m[r] = 3.0f;
        comb.d[r] = 20.0f;
        comb.s[r] = -1.0f;
        comb.sum[r] = 10.0f;
        comb.tl[r] = 1.0f;
    }
    const int64_t vocab_total = 80; /* the sharded calls: the batch holds columns [0, 40) of 80 */
    switch (what) {
        case Bad::RowWeight: w[5] = NAN; break;
        case Bad::RowEntropyWeight: beta[3] = INFINITY; break;
        case Bad::RowEntropy: entropy[2] = NAN; break;
        case Bad::CombinedLse: comb.d[4] = 0.0f; break;
        case Bad::ShardTarget: b.t[6] = 80; break; /* outside [0, vocab_total = 80) */
        case Bad::PartialFinite: encode(F32, b.logits, 7 * 40 + 11, NAN); b.options.check_finite = 1; break;
    }
    b.targets = index_bytes(b.t, REWEIGH_DTYPE_I64);
    b.logits_ref = b.logits;
    const bool rows_call = what == Bad::RowWeight || what == Bad::RowEntropyWeight || what == Bad::RowEntropy;
    const bool partial_call = what == Bad::PartialFinite;

    /* One call on either side; out = the gradient / partials buffer it may write. */
    auto call = [&](int32_t device, const void* logits, const void* targets, const void* offsets, const float* coef,
                    const float* dlse, const float* dent, const float* dw, const float* dbeta,
                    const reweigh_ce_partials_t& partials) {
        reweigh_ce_batch_t bt = view(b, logits, F32, targets, offsets, 0, 40, device);
        reweigh_ce_grad_t g = {const_cast<void*>(logits), 40};
        if (rows_call) return reweigh_ce_backward_rows(&bt, &b.options, dlse, dent, coef, dw, dbeta, &g);
        if (partial_call) return reweigh_ce_partial_forward(&bt, 0, vocab_total, &b.options, &partials);
        return reweigh_ce_sharded_backward(&bt, 0, vocab_total, &b.options, &partials, coef, &g);
    };

    std::vector<uint8_t> cpu_logits = b.logits;
    HostPartials cpu_out = comb;
    const reweigh_ce_partials_t cpv = partial_call ? cpu_out.view() : comb.view();
    const reweigh_status_t cs = call(REWEIGH_DEVICE_CPU, cpu_logits.data(), b.targets.data(), b.offsets.data(),
                                     b.coefficients.data(), lse.data(), entropy.data(), w.data(), beta.data(), cpv);
    const std::string cpu_msg = strip_location(reweigh_last_error());

    for (int mode = 0; mode < 2; ++mode) {
        const DeviceRows dev(b, lse, entropy, w, beta);
        DevPartials dp(9);
        dp.upload(comb);
        ok(reweigh_cuda_set_validation_mode(mode), "set mode");
        const reweigh_status_t gs = call(REWEIGH_DEVICE_CUDA, dev.logits.get(), dev.targets.get(), dev.offsets.get(),
                                         DeviceRows::f(dev.coef), DeviceRows::f(dev.lse), DeviceRows::f(dev.entropy),
                                         DeviceRows::f(dev.w), DeviceRows::f(dev.beta), dp.view());
        expect_rejected(label, mode, cs, gs, cpu_msg, expected, needle);
        EXPECT(dev.logits.download<uint8_t>(b.logits.size()) == b.logits, "%s (mode %d): logits written despite the error",
               label, mode);
        HostPartials after(9);
        dp.download(after);
        EXPECT(after.m == comb.m && after.d == comb.d && after.tl == comb.tl,
               "%s (mode %d): partials written despite the error", label, mode);
    }
    ok(reweigh_cuda_set_validation_mode(REWEIGH_CUDA_VALIDATION_SYNC), "set sync");
}

/*
 * The device combine and normaliser on bad input: a globalMax below row 4's max (rebase_on), a NaN
 * coefficient (normalizer). Synchronous: the CPU's status and message, nothing written; asynchronous:
 * OK, nothing written, then the deferred status names the same row / sample.
 */
void bad_combine_case(bool rebase, const char* needle) {
    const char* label = rebase ? "rebase_on globalMax below max" : "normalizer coefficient NaN";
    const Opts o = {"bad", 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, REWEIGH_TOKEN_REDUCTION_MEAN, REWEIGH_NORMALIZATION_TOKENS, 0.0};
    Batch b = make_batch(9, 40, 3, F32, o, 7);
    b.t = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    b.targets = index_bytes(b.t, REWEIGH_DTYPE_I64);
    b.offsets = index_bytes({0, 3, 6, 9}, REWEIGH_DTYPE_I32);
    b.coefficients[1] = NAN;
    HostPartials part(9);
    std::vector<float> gmax(9);
    for (size_t r = 0; r < 9; ++r) {
        part.m[r] = 1.0f + static_cast<float>(r);
        part.d[r] = 2.0f;
        part.s[r] = -0.5f;
        gmax[r] = part.m[r] + 0.5f;
    }
    gmax[4] = part.m[4] - 0.25f;
    const reweigh_place_t cpu = {REWEIGH_DEVICE_CPU, 0, 0}, gpu = {REWEIGH_DEVICE_CUDA, 0, 0};
    HostPartials cpu_part = part;
    double cpu_d = -1.0;
    const reweigh_ce_partials_t cpv = cpu_part.view();
    reweigh_ce_batch_t cb = view(b, b.logits.data(), F32, b.targets.data(), b.offsets.data(), 0, 40, REWEIGH_DEVICE_CPU);
    const reweigh_status_t cs = rebase ? reweigh_ce_partials_rebase_on(&cpu, 9, gmax.data(), &cpv)
                                       : reweigh_ce_normalizer(&cb, 40, &b.options, b.coefficients.data(), &cpu_d);
    const std::string cpu_msg = strip_location(reweigh_last_error());
    for (int mode = 0; mode < 2; ++mode) {
        DevPartials dp(9);
        dp.upload(part);
        DevBuf dmax(9 * 4), logits(b.logits.size()), targets(b.targets.size()), offsets(b.offsets.size()), coef(3 * 4),
            dd(8);
        dmax.upload(gmax);
        logits.upload(b.logits);
        targets.upload(b.targets);
        offsets.upload(b.offsets);
        coef.upload(b.coefficients);
        dd.upload(std::vector<double>{-1.0});
        const reweigh_ce_partials_t dv = dp.view();
        reweigh_ce_batch_t gb = view(b, logits.get(), F32, targets.get(), offsets.get(), 0, 40, REWEIGH_DEVICE_CUDA);
        ok(reweigh_cuda_set_validation_mode(mode), "set mode");
        const reweigh_status_t gs =
            rebase ? reweigh_ce_partials_rebase_on(&gpu, 9, static_cast<const float*>(dmax.get()), &dv)
                   : reweigh_ce_normalizer(&gb, 40, &b.options, static_cast<const float*>(coef.get()),
                                           static_cast<double*>(dd.get()));
        expect_rejected(label, mode, cs, gs, cpu_msg, REWEIGH_STATUS_INVALID_ARGUMENT, needle);
        HostPartials after(9);
        dp.download(after);
        EXPECT(after.m == part.m && after.d == part.d && after.s == part.s, "%s (mode %d): partials written", label,
               mode);
        EXPECT(dd.download<double>(1)[0] == -1.0, "%s (mode %d): normalizer written", label, mode);
    }
    ok(reweigh_cuda_set_validation_mode(REWEIGH_CUDA_VALIDATION_SYNC), "set sync");
}

}  // namespace

int main() {
    if (!cuda_device_present()) return 0;
    const int32_t MEAN = REWEIGH_TOKEN_REDUCTION_MEAN, SUM = REWEIGH_TOKEN_REDUCTION_SUM;
    const int32_t WSUM = REWEIGH_NORMALIZATION_WEIGHT_SUM, TOK = REWEIGH_NORMALIZATION_TOKENS,
                  SAMP = REWEIGH_NORMALIZATION_SAMPLES, NONE = REWEIGH_NORMALIZATION_NONE,
                  EXPL = REWEIGH_NORMALIZATION_EXPLICIT;
    const Opts opts[] = {
        {"plain", 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, MEAN, WSUM, 0.0},
        {"ignore+smoothing+zloss", 0.1f, 1e-3f, 0.0f, 1.0f, 1.0f, SUM, TOK, 0.3},
        {"softcap+scale", 0.0f, 0.0f, 15.0f, 0.7f, 1.0f, MEAN, SAMP, 0.2},
        {"smoothing+softcap+gradScale", 0.05f, 1e-4f, 20.0f, 1.3f, 64.0f, MEAN, EXPL, 0.2},
        {"none", 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, SUM, NONE, 0.2},
    };
    /* REWEIGH_PARITY_QUICK (AddressSanitizer and compute-sanitizer runs): one case per path. */
    const bool quick = env_on("REWEIGH_PARITY_QUICK");
    uint64_t seed = 11;
    for (const Opts& o : opts) {
        for (const int32_t dt : {F32, BF16, F16}) {
            if (quick && &o != &opts[3]) continue;
            if (!quick) rows_case(o, dt, false, 13, 300, seed);
            rows_case(o, dt, true, 13, 300, seed + 1);
            seed += 2;
        }
    }
    rows_case(opts[1], F32, true, 70, 1031, seed++); /* more rows than the emulation's grid, odd V */

    for (const Opts& o : opts) {
        if (!quick) sharded_case(o, F32, 3, 11, 257, false, 0, seed);
        ++seed;
    }
    if (!quick) sharded_case(opts[0], F32, 1, 9, 100, false, 0, seed);
    sharded_case(opts[1], F32, 2, 17, 1000, true, 0, seed + 1);
    if (!quick) sharded_case(opts[2], BF16, 3, 11, 257, true, 0, seed + 2);
    sharded_case(opts[3], F16, 7, 11, 700, false, 0, seed + 3);
    /* Every target in the first 10 columns: the later shards hold no target at all. */
    sharded_case(opts[1], F32, 7, 12, 700, false, 10, seed + 4);
    if (!quick) sharded_case(opts[4], BF16, 2, 60, 3000, false, 0, seed + 5);

    bad_case("backward_rows rowWeights NaN", Bad::RowWeight, "rowWeights[5]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("backward_rows rowEntropyWeights inf", Bad::RowEntropyWeight, "rowEntropyWeights[3]",
             REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("backward_rows rowEntropy NaN", Bad::RowEntropy, "rowEntropy[2]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("sharded_backward combined lse", Bad::CombinedLse, "combined row 4", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("sharded_backward target", Bad::ShardTarget, "targets[6]", REWEIGH_STATUS_INVALID_ARGUMENT);
    bad_case("partial_forward check_finite", Bad::PartialFinite, "logits[row 7, column 11]",
             REWEIGH_STATUS_NON_FINITE_INPUT);

    bad_combine_case(true, "globalMax[4]");
    bad_combine_case(false, "coefficients[1]");

    ok(reweigh_cuda_release_cache(), "release cache");
    printf("%s: %d checks, %d failures\n", g_failures == 0 ? "PASSED" : "FAILED", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
