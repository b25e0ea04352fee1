/*
 * overhead.cpp: the "called from C" side of the per-call overhead target. Times the same
 * calls OverheadBench makes from Java (fp32, padded samples of 512 rows or one sample, gradient
 * into a separate buffer, default options, stats into caller-owned buffers) straight through
 * reweigh.h, with the same library and thread pool.
 *
 * Method: 0.5 s of warmup, then 7 rounds of 1 s each (REWEIGH_OVERHEAD_ROUNDS overrides the
 * count; benchmarks/run --quick uses 3); the figure is the median round's mean time per call
 * (microseconds), written as JSON:
 *   {"8x32000": {"forward_us": .., "forwardBackward_us": ..}, ...}
 *
 * Build (benchmarks/run does it):
 *   g++ -O2 -std=c++17 overhead.cpp -I native/include -L <dir of libreweigh.so> -lreweigh
 * Usage: overhead OUT.json SHAPE...
 */
#include <reweigh/reweigh.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

/* Mean microseconds per call of the median one-second round. */
double time_us(const std::function<void()>& call, int n_rounds) {
    Clock::time_point t0 = Clock::now();
    while (seconds_since(t0) < 0.5) call();
    std::vector<double> rounds;
    for (int r = 0; r < n_rounds; ++r) {
        long n = 0;
        t0 = Clock::now();
        double dt;
        do {
            call();
            ++n;
            dt = seconds_since(t0);
        } while (dt < 1.0);
        rounds.push_back(dt / n * 1e6);
    }
    std::sort(rounds.begin(), rounds.end());
    return rounds[rounds.size() / 2];
}

void check(reweigh_status_t st) {
    if (st != REWEIGH_STATUS_OK) {
        std::fprintf(stderr, "reweigh call failed: %s\n", reweigh_last_error());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s OUT.json SHAPE...\n", argv[0]);
        return 2;
    }
    const char* env_rounds = std::getenv("REWEIGH_OVERHEAD_ROUNDS");
    const int n_rounds = env_rounds != nullptr && std::atoi(env_rounds) > 0 ? std::atoi(env_rounds) : 7;
    std::string json = "{";
    for (int a = 2; a < argc; ++a) {
        int64_t rows = 0, vocab = 0;
        if (std::sscanf(argv[a], "%ldx%ld", &rows, &vocab) != 2) {
            std::fprintf(stderr, "bad shape %s\n", argv[a]);
            return 2;
        }
        const int64_t samples = std::max<int64_t>(1, rows / 512);
        std::mt19937 rng(42);
        std::normal_distribution<float> normal(0.0f, 2.0f);
        std::vector<float> logits(static_cast<size_t>(rows * vocab)), grad(logits.size());
        for (float& z : logits) z = normal(rng);
        std::vector<int32_t> targets(static_cast<size_t>(rows)), offsets(static_cast<size_t>(samples + 1));
        for (int64_t r = 0; r < rows; ++r) targets[r] = static_cast<int32_t>(rng() % vocab);
        for (int64_t s = 0; s <= samples; ++s) offsets[s] = static_cast<int32_t>(s * rows / samples);
        std::vector<float> coef(static_cast<size_t>(samples), 1.0f);

        reweigh_ce_batch_t b{};
        b.logits = logits.data();
        b.logits_dtype = REWEIGH_DTYPE_F32;
        b.targets_dtype = REWEIGH_DTYPE_I32;
        b.rows = rows;
        b.vocab = vocab;
        b.logits_row_stride = vocab;
        b.targets = targets.data();
        b.offsets = offsets.data();
        b.offsets_dtype = REWEIGH_DTYPE_I32;
        b.device_type = REWEIGH_DEVICE_CPU;
        b.samples = samples;
        const reweigh_ce_options_t o = reweigh_ce_options_default();

        // The same outputs the Java heap-result overloads ask for (SampleStats: per sample and per row).
        std::vector<float> loss(samples), logp(samples), ent(samples), lse(rows), rlogp(rows), rent(rows);
        std::vector<int64_t> count(samples);
        reweigh_ce_stats_t st{loss.data(), logp.data(), count.data(), ent.data(), lse.data(), rlogp.data(),
                              rent.data()};
        reweigh_ce_grad_t g{grad.data(), vocab};
        double total = 0;

        const double fwd = time_us([&] { check(reweigh_ce_forward(&b, &o, &st)); }, n_rounds);
        const double fb = time_us([&] { check(reweigh_ce_forward_backward(&b, &o, coef.data(), &st, &g, &total)); },
                                  n_rounds);
        if (!(std::isfinite(total) && total > 0)) {
            std::fprintf(stderr, "bad total %g\n", total);
            return 1;
        }
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s\"%s\": {\"forward_us\": %.4f, \"forwardBackward_us\": %.4f}",
                      a == 2 ? "" : ", ", argv[a], fwd, fb);
        json += buf;
        std::fprintf(stderr, "C  %s  forward %.2f us  forwardBackward %.2f us  (%d threads)\n", argv[a], fwd, fb,
                     reweigh_num_threads());
    }
    json += "}\n";
    FILE* f = std::fopen(argv[1], "w");
    if (f == nullptr) return 1;
    std::fputs(json.c_str(), f);
    std::fclose(f);
    return 0;
}
