/*
 * test_ce_races.cpp: targets and offsets rewritten by another thread during
 * calls (the C twin of tests/reliability LabelRaceTest). Writers flip them to
 * out-of-range values and back; every call must return exactly the result of
 * the valid input or INVALID_ARGUMENT naming targets or offsets, and no index
 * read during the call may address memory outside the batch.
 *
 * The writes race with the library's reads on purpose, so this suite carries
 * the label `races` and native/scripts/tsan.sh leaves it out.
 */
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_support.h"

namespace reftest {
namespace {

TEST(LabelRaces, FlippedLabelsGiveTheValidResultOrARejection) {
    GenSpec gen;
    gen.rows = 40;
    gen.vocab = 300;
    const Problem p = make_problem(gen, reweigh_ce_options_default(), 31);
    Layout layout;
    layout.targets_dtype = REWEIGH_DTYPE_I32;
    layout.offsets_dtype = REWEIGH_DTYPE_I64;
    Buffers b(p, layout);
    const std::vector<int32_t> targets = b.t32;
    const std::vector<int64_t> offsets = b.o64;
    Grad want(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
    double want_total = 0;
    Stats want_stats(p.samples(), p.rows);
    ASSERT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &want_stats.view, &want.view,
                                          &want_total),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();

    std::atomic<bool> stop{false};
    auto writer = [&](int seed) {
        uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(seed + 1);
        const int32_t bad_targets[] = {static_cast<int32_t>(p.vocab), 1 << 30, -7, INT32_MIN};
        const int64_t bad_offsets[] = {p.rows + 1, -5, int64_t{1} << 40, INT64_MIN / 2};
        while (!stop.load(std::memory_order_relaxed)) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const size_t r = static_cast<size_t>(x % static_cast<uint64_t>(p.rows));
            const size_t s = 1 + static_cast<size_t>((x >> 20) % static_cast<uint64_t>(p.samples() - 1));
            __atomic_store_n(&b.t32[r], bad_targets[(x >> 40) % 4], __ATOMIC_RELAXED);
            __atomic_store_n(&b.o64[s], bad_offsets[(x >> 50) % 4], __ATOMIC_RELAXED);
            std::this_thread::yield();
            __atomic_store_n(&b.t32[r], targets[r], __ATOMIC_RELAXED);
            __atomic_store_n(&b.o64[s], offsets[s], __ATOMIC_RELAXED);
            // Valid for a while too, so that some calls see a consistent snapshot.
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    };
    ASSERT_GE(p.samples(), 2);
    std::thread w1(writer, 1), w2(writer, 2);
    int ok = 0, rejected = 0, wrong = 0;
    for (int i = 0; i < 3000; ++i) {
        Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
        Stats st(p.samples(), p.rows);
        double total = -1;
        const reweigh_status_t status =
            reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &st.view, &g.view, &total);
        if (status == REWEIGH_STATUS_INVALID_ARGUMENT) {
            const std::string m = reweigh_last_error();
            if (m.rfind("targets[", 0) != 0 && m.rfind("offsets[", 0) != 0) ++wrong;
            ++rejected;
            continue;
        }
        if (status != REWEIGH_STATUS_OK || memcmp(&total, &want_total, sizeof total) != 0 || g.f32 != want.f32 ||
            st.loss != want_stats.loss) {
            ++wrong;
            continue;
        }
        ++ok;
    }
    stop = true;
    w1.join();
    w2.join();
    EXPECT_EQ(wrong, 0) << ok << " valid results, " << rejected << " rejections";
    EXPECT_GT(rejected, 0) << "the race never happened";
    EXPECT_GT(ok, 0) << "every call was rejected";
}

}  // namespace
}  // namespace reftest
