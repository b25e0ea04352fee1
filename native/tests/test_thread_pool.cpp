/*
 * test_thread_pool.cpp: the kernels under concurrent callers.
 *   - 16 std::threads call forwardBackward / forward / backward at once on
 *     shared read-only inputs with private outputs: bit-identical to serial.
 *   - the pool is resized (1..4 threads) while those callers run: still
 *     bit-identical, no deadlock, no crash (ASan/UBSan watch the races' effects).
 *   - the ISA is switched while callers run: each call's result equals the
 *     serial result of one of the variants (a call never mixes two).
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <thread>

#include "test_support.h"

namespace reftest {
namespace {

constexpr int kCallers = 16;

struct Result {
    std::vector<float> grad, loss, row_lse, grad_b;
    double total = 0;
};

/* One forwardBackward call: its gradient, statistics and total. */
Result call_fwd_bwd(const Buffers& b, const Problem& p) {
    Result out;
    Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
    Stats st(p.samples(), p.rows);
    EXPECT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &st.view, &g.view, &out.total),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    out.grad = g.f32;
    out.loss = st.loss;
    out.row_lse = st.row_lse;
    return out;
}

/* forwardBackward, then forward and backward from the forward's lse. */
Result call_once(const Buffers& b, const Problem& p) {
    Result out = call_fwd_bwd(b, p);
    Stats f(p.samples(), p.rows);
    EXPECT_EQ(reweigh_ce_forward(&b.batch, &p.options, &f.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    Grad gb(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
    EXPECT_EQ(reweigh_ce_backward(&b.batch, &p.options, f.row_lse.data(), b.coefficients.data(), &gb.view),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    out.row_lse = f.row_lse;
    out.grad_b = gb.f32;
    return out;
}

bool same(const Result& a, const Result& b) {
    return a.grad == b.grad && a.loss == b.loss && a.row_lse == b.row_lse && a.grad_b == b.grad_b &&
           memcmp(&a.total, &b.total, sizeof(double)) == 0;
}

Problem shared_problem(int64_t rows, int64_t vocab) {
    GenSpec gen;
    gen.rows = rows;
    gen.vocab = vocab;
    gen.signed_coefficients = true;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.label_smoothing = 0.1f;
    o.z_loss = 1e-4f;
    o.normalization = REWEIGH_NORMALIZATION_TOKENS;
    return make_problem(gen, o, 2024);
}

/*
 * Runs kCallers threads, each making `iterations` calls of `call` (more while `meanwhile`, run in a loop on a side
 * thread, has acted fewer than 20 times) and counting results that match none of `expected`.
 */
int hammer(const Buffers& b, const Problem& p, const std::vector<Result>& expected, int iterations,
           const std::function<void()>& meanwhile,
           const std::function<Result(const Buffers&, const Problem&)>& call = call_once) {
    std::atomic<int> mismatches{0}, calls{0}, side_ops{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> callers;
    for (int t = 0; t < kCallers; ++t) {
        callers.emplace_back([&] {
            // At least `iterations` calls, and on until the side thread has acted 20 times
            // (capped): fast calls must still overlap the resizes / switches.
            for (int i = 0; i < iterations || (side_ops.load() < 20 && i < 50 * iterations); ++i) {
                const Result r = call(b, p);
                bool ok = false;
                for (const Result& e : expected) ok = ok || same(r, e);
                if (!ok) ++mismatches;
                ++calls;
            }
        });
    }
    std::thread side([&] {
        while (!done.load()) {
            meanwhile();
            ++side_ops;
        }
    });
    for (std::thread& t : callers) t.join();
    done = true;
    side.join();
    EXPECT_GE(calls.load(), kCallers * iterations);
    return mismatches.load();
}

TEST(ThreadPool, SixteenCallersMatchSerialBitForBit) {
    IsaGuard guard;
    // 257 x 33 runs inline (under 2^18 logits); 80 x 4099 goes through the pool.
    for (auto [rows, vocab] : {std::pair<int64_t, int64_t>{257, 33}, {80, 4099}}) {
        const Problem p = shared_problem(rows, vocab);
        const Buffers b(p, Layout{});
        ASSERT_EQ(reweigh_set_num_threads(1), REWEIGH_STATUS_OK);
        const Result serial = call_once(b, p);
        ASSERT_EQ(reweigh_set_num_threads(4), REWEIGH_STATUS_OK);
        EXPECT_EQ(hammer(b, p, {serial}, 6, [] { std::this_thread::yield(); }), 0) << "V=" << vocab;
    }
}

TEST(ThreadPool, ResizingWhileCallersRunIsSafeAndChangesNothing) {
    IsaGuard guard;
    const Problem p = shared_problem(520, 515);  // above 2^18 logits: runs on the pool
    const Buffers b(p, Layout{});
    ASSERT_EQ(reweigh_set_num_threads(1), REWEIGH_STATUS_OK);
    const Result serial = call_once(b, p);
    std::atomic<int> resizes{0};
    const int bad = hammer(b, p, {serial}, 8, [&] {
        const int32_t n = 1 + resizes.load() % 4;
        EXPECT_EQ(reweigh_set_num_threads(n), REWEIGH_STATUS_OK);
        EXPECT_GE(reweigh_num_threads(), 1);
        ++resizes;
    });
    EXPECT_EQ(bad, 0);
    EXPECT_GT(resizes.load(), 0);
    std::cout << "[ resizes during the run ] " << resizes.load() << "\n";
}

TEST(ThreadPool, SwitchingIsaWhileCallersRunNeverMixesVariants) {
    IsaGuard guard;
    const Problem p = shared_problem(1100, 257);  // above 2^18 logits: runs on the pool
    const Buffers b(p, Layout{});
    std::vector<Result> per_isa;
    std::vector<std::string> isas;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        per_isa.push_back(call_fwd_bwd(b, p));
        isas.push_back(isa);
    }
    // The variants really differ, or this test could not see a mixed call.
    if (per_isa.size() > 1) {
        EXPECT_FALSE(same(per_isa[0], per_isa[1]));
    }
    std::atomic<int> switches{0};
    // Each call's grad, statistics and total come from one variant.
    const int mixed = hammer(
        b, p, per_isa, 10,
        [&] {
            EXPECT_TRUE(select_isa(isas[switches.load() % isas.size()]));
            ++switches;
            std::this_thread::yield();
        },
        call_fwd_bwd);
    EXPECT_EQ(mixed, 0);
    EXPECT_GT(switches.load(), 1);
}

/* Concurrent failures keep their own messages (the last error is thread-local). */
TEST(ThreadPool, ConcurrentErrorsKeepTheirOwnMessages) {
    const Problem p = shared_problem(20, 9);
    std::atomic<int> wrong{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kCallers; ++t) {
        ts.emplace_back([&, t] {
            Problem q = p;
            for (int64_t& y : q.targets)
                if (y == -100) y = 0;
            q.targets[t % 20] = 100 + t;  // a different bad index and value per thread
            Buffers b(q, Layout{});
            Stats st(q.samples(), q.rows);
            for (int i = 0; i < 50; ++i) {
                if (reweigh_ce_forward(&b.batch, &q.options, &st.view) != REWEIGH_STATUS_INVALID_ARGUMENT) ++wrong;
                const std::string want = "targets[" + std::to_string(t % 20) + "] = " + std::to_string(100 + t);
                if (std::string(reweigh_last_error()).find(want) == std::string::npos) ++wrong;
            }
        });
    }
    for (std::thread& t : ts) t.join();
    EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace reftest

namespace reftest {
namespace {

/*
 * Workers created by a resize must start at the current job generation. A worker that started
 * at generation 0 would take the last, finished job for a new one; racing with the next job it
 * would skip that job's chunks (rows never computed) or drive the pending count below zero (the
 * caller waits forever). Resizing before every call on one thread exposes either within a few
 * hundred calls.
 */
TEST(ThreadPool, ResizeBeforeEveryCallNeitherSkipsRowsNorHangs) {
    const int64_t rows = 300, vocab = 1000;  // 3e5 logits: above the inline threshold, so on the pool
    std::vector<float> z(static_cast<size_t>(rows * vocab));
    for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>((i * 2654435761u) % 1000) * 0.01f - 5.0f;
    std::vector<int32_t> targets(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) targets[static_cast<size_t>(r)] = static_cast<int32_t>((r * 37) % vocab);
    std::vector<int64_t> offsets(static_cast<size_t>(rows + 1));
    for (int64_t s = 0; s <= rows; ++s) offsets[static_cast<size_t>(s)] = s;
    const reweigh_ce_batch_t b = dense_batch(z.data(), REWEIGH_DTYPE_F32, rows, vocab, targets.data(), REWEIGH_DTYPE_I32,
                                             offsets.data(), REWEIGH_DTYPE_I64, rows);
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    std::vector<float> expected(static_cast<size_t>(rows)), got(static_cast<size_t>(rows));
    reweigh_ce_stats_t st{};
    st.loss = expected.data();
    ASSERT_EQ(reweigh_set_num_threads(1), REWEIGH_STATUS_OK);
    ASSERT_EQ(reweigh_ce_forward(&b, &o, &st), REWEIGH_STATUS_OK) << reweigh_last_error();
    st.loss = got.data();
    for (int call = 0; call < 1000; ++call) {
        ASSERT_EQ(reweigh_set_num_threads(1 + call % 3), REWEIGH_STATUS_OK);
        std::fill(got.begin(), got.end(), -1.0f);
        ASSERT_EQ(reweigh_ce_forward(&b, &o, &st), REWEIGH_STATUS_OK) << reweigh_last_error();
        ASSERT_EQ(0, std::memcmp(expected.data(), got.data(), got.size() * sizeof(float))) << "call " << call;
    }
    ASSERT_EQ(reweigh_set_num_threads(2), REWEIGH_STATUS_OK);
}

}  // namespace
}  // namespace reftest
