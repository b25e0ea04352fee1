/*
 * test_ce_boundaries.cpp: the memory boundaries of the ABI (docs/design.md §3).
 *
 *   - Aliasing: every output against every input and every other output, at
 *     the same start and overlapping by one element; only the documented
 *     in-place gradient (grad == logits, same row stride) is accepted, and a
 *     rejected call writes nothing. Adjacent buffers are accepted.
 *   - Extents that wrap the address space are rejected before any write.
 *   - D = 0 (every row ignored, or every coefficient 0) is a valid micro-batch:
 *     total 0, a zero gradient (in place too), statistics still returned.
 *   - CPU calls leave CUDA alone: no driver is loaded (meaningful in a CUDA
 *     build on a machine with a driver; trivially true without one).
 */
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include "test_support.h"

namespace reftest {
namespace {

/* Buffers of one batch (4 rows, V = 5, samples [0, 2) and [2, 4), row 1 ignored), each in its own arena slot. */
class Arena {
public:
    static constexpr size_t kSlot = 256;
    enum Slot { kLogits = 1, kTargets, kOffsets, kCoefficients, kRowLseIn, kGrad, kLoss, kLogp, kCount, kEntropy,
                kRowLse, kRowLogp, kRowEntropy, kTotal, kSlots };

    std::vector<unsigned char> bytes = std::vector<unsigned char>(kSlot * (kSlots + 1), 0xAB);
    reweigh_ce_batch_t batch{};
    reweigh_ce_options_t options = reweigh_ce_options_default();
    reweigh_ce_stats_t stats{};
    reweigh_ce_grad_t grad{};
    const float* row_lse_in = nullptr;
    const float* coefficients = nullptr;
    double* total = nullptr;

    Arena() {
        const float logits[20] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 3, 1, 4, 1, 5};
        const int32_t targets[4] = {0, -100, 4, 2};
        const int64_t offsets[3] = {0, 2, 4};
        const float coeffs[2] = {1.0f, 0.5f};
        const float lse[4] = {2, 2, 2, 2};
        memcpy(at(kLogits), logits, sizeof logits);
        memcpy(at(kTargets), targets, sizeof targets);
        memcpy(at(kOffsets), offsets, sizeof offsets);
        memcpy(at(kCoefficients), coeffs, sizeof coeffs);
        memcpy(at(kRowLseIn), lse, sizeof lse);
        batch.logits = at(kLogits);
        batch.logits_dtype = REWEIGH_DTYPE_F32;
        batch.targets_dtype = REWEIGH_DTYPE_I32;
        batch.rows = 4;
        batch.vocab = 5;
        batch.logits_row_stride = 5;
        batch.targets = at(kTargets);
        batch.offsets = at(kOffsets);
        batch.offsets_dtype = REWEIGH_DTYPE_I64;
        batch.device_type = REWEIGH_DEVICE_CPU;
        batch.samples = 2;
        coefficients = reinterpret_cast<const float*>(at(kCoefficients));
        row_lse_in = reinterpret_cast<const float*>(at(kRowLseIn));
        grad = {at(kGrad), 5};
        stats = {f(kLoss), f(kLogp), reinterpret_cast<int64_t*>(at(kCount)), f(kEntropy), f(kRowLse), f(kRowLogp),
                 f(kRowEntropy)};
        total = reinterpret_cast<double*>(at(kTotal));
    }

    unsigned char* at(int slot) { return bytes.data() + kSlot * static_cast<size_t>(slot); }
    float* f(int slot) { return reinterpret_cast<float*>(at(slot)); }
};

struct Output {
    const char* name;
    int slot;
    size_t bytes, elem;
    std::function<void(Arena&, void*)> point;  // makes this output start at the given address
};

const std::vector<Output>& outputs() {
    static const std::vector<Output> list = {
        {"grad", Arena::kGrad, 80, 4, [](Arena& a, void* p) { a.grad.data = p; }},
        {"stats.loss", Arena::kLoss, 8, 4, [](Arena& a, void* p) { a.stats.loss = static_cast<float*>(p); }},
        {"stats.logProbSum", Arena::kLogp, 8, 4,
         [](Arena& a, void* p) { a.stats.log_prob_sum = static_cast<float*>(p); }},
        {"stats.tokenCount", Arena::kCount, 16, 8,
         [](Arena& a, void* p) { a.stats.token_count = static_cast<int64_t*>(p); }},
        {"stats.meanEntropy", Arena::kEntropy, 8, 4,
         [](Arena& a, void* p) { a.stats.mean_entropy = static_cast<float*>(p); }},
        {"stats.rowLse", Arena::kRowLse, 16, 4, [](Arena& a, void* p) { a.stats.row_lse = static_cast<float*>(p); }},
        {"stats.rowLogp", Arena::kRowLogp, 16, 4,
         [](Arena& a, void* p) { a.stats.row_logp = static_cast<float*>(p); }},
        {"stats.rowEntropy", Arena::kRowEntropy, 16, 4,
         [](Arena& a, void* p) { a.stats.row_entropy = static_cast<float*>(p); }},
        {"total", Arena::kTotal, 8, 8, [](Arena& a, void* p) { a.total = static_cast<double*>(p); }},
    };
    return list;
}

struct Other {
    const char* name;
    int slot;
};

const std::vector<Other>& others() {
    static const std::vector<Other> list = {
        {"logits", Arena::kLogits},        {"targets", Arena::kTargets},       {"offsets", Arena::kOffsets},
        {"coefficients", Arena::kCoefficients}, {"rowLse", Arena::kRowLseIn},  {"grad", Arena::kGrad},
        {"stats.loss", Arena::kLoss},      {"stats.logProbSum", Arena::kLogp}, {"stats.tokenCount", Arena::kCount},
        {"stats.meanEntropy", Arena::kEntropy}, {"stats.rowLse", Arena::kRowLse},
        {"stats.rowLogp", Arena::kRowLogp}, {"stats.rowEntropy", Arena::kRowEntropy}, {"total", Arena::kTotal},
    };
    return list;
}

enum class Entry { Forward, Backward, ForwardBackward };

/* Whether an entry point takes this buffer (as input or output). */
bool takes(Entry e, const std::string& name) {
    if (name == "logits" || name == "targets" || name == "offsets") return true;
    if (name == "rowLse") return e == Entry::Backward;
    if (name == "coefficients" || name == "grad") return e != Entry::Forward;
    if (name == "total") return e == Entry::ForwardBackward;
    return e != Entry::Backward;  // stats.*
}

reweigh_status_t call(Entry e, Arena& a) {
    switch (e) {
        case Entry::Forward: return reweigh_ce_forward(&a.batch, &a.options, &a.stats);
        case Entry::Backward:
            return reweigh_ce_backward(&a.batch, &a.options, a.row_lse_in, a.coefficients, &a.grad);
        default: return reweigh_ce_forward_backward(&a.batch, &a.options, a.coefficients, &a.stats, &a.grad, a.total);
    }
}

const char* entry_name(Entry e) {
    return e == Entry::Forward ? "forward" : e == Entry::Backward ? "backward" : "forwardBackward";
}

TEST(Aliasing, FixtureIsValidAndAdjacentBuffersAreAccepted) {
    for (Entry e : {Entry::Forward, Entry::Backward, Entry::ForwardBackward}) {
        Arena a;
        ASSERT_EQ(call(e, a), REWEIGH_STATUS_OK) << entry_name(e) << ": " << reweigh_last_error();
        // Each output ending exactly where another buffer starts touches no byte of it.
        for (const Output& out : outputs()) {
            if (!takes(e, out.name)) continue;
            for (const Other& other : others()) {
                if (!takes(e, other.name) || std::string(other.name) == out.name) continue;
                Arena b;
                out.point(b, b.at(other.slot) - out.bytes);
                EXPECT_EQ(call(e, b), REWEIGH_STATUS_OK)
                    << entry_name(e) << ": " << out.name << " just before " << other.name << ": "
                    << reweigh_last_error();
            }
        }
    }
}

TEST(Aliasing, EveryOutputAgainstEveryOtherBufferIsRejectedUnwritten) {
    int cases = 0;
    for (Entry e : {Entry::Forward, Entry::Backward, Entry::ForwardBackward}) {
        for (const Output& out : outputs()) {
            if (!takes(e, out.name)) continue;
            for (const Other& other : others()) {
                if (!takes(e, other.name) || std::string(other.name) == out.name) continue;
                for (int shift = 0; shift < 2; ++shift) {
                    Arena a;
                    // shift 0: the same start (grad == logits + 1 element, since grad == logits is in place);
                    // shift 1: only the output's last element overlaps the other buffer's first.
                    unsigned char* start = a.at(other.slot);
                    if (shift == 1) {
                        start -= out.bytes - out.elem;
                    } else if (std::string(out.name) == "grad" && std::string(other.name) == "logits") {
                        start += 4;
                    }
                    out.point(a, start);
                    const std::vector<unsigned char> before = a.bytes;
                    const std::string tag = std::string(entry_name(e)) + ": " + out.name + " over " + other.name +
                                            (shift ? " (last element)" : " (same start)");
                    ++cases;
                    EXPECT_EQ(call(e, a), REWEIGH_STATUS_INVALID_ARGUMENT) << tag;
                    const std::string msg = reweigh_last_error();
                    const std::string want1 = std::string(out.name) + " overlaps " + other.name;
                    const std::string want2 = std::string(other.name) + " overlaps " + out.name;
                    EXPECT_TRUE(msg.find(want1) != std::string::npos || msg.find(want2) != std::string::npos)
                        << tag << ": message '" << msg << "'";
                    EXPECT_TRUE(a.bytes == before) << tag << ": memory written on failure";
                }
            }
        }
    }
    EXPECT_GT(cases, 150);
}

TEST(Aliasing, InPlaceGradIsTheOneAllowedOverlap) {
    Arena a;
    a.grad = {a.at(Arena::kLogits), 5};
    double t = 0;
    a.total = &t;
    ASSERT_EQ(call(Entry::ForwardBackward, a), REWEIGH_STATUS_OK) << reweigh_last_error();
    Arena b;
    b.grad = {b.at(Arena::kLogits), 5};
    ASSERT_EQ(call(Entry::Backward, b), REWEIGH_STATUS_OK) << reweigh_last_error();
}

TEST(Extents, WrappingTheAddressSpaceIsRejectedBeforeAnyWrite) {
    // The old "g1 <= l0 || l1 <= g0" test wrapped here and let the kernel write at the top of memory.
    Arena a;
    a.grad.data = reinterpret_cast<void*>(~uintptr_t{0} - 63);
    const std::vector<unsigned char> before = a.bytes;
    EXPECT_EQ(call(Entry::ForwardBackward, a), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("grad: 80 bytes at"), std::string::npos) << reweigh_last_error();
    EXPECT_NE(std::string(reweigh_last_error()).find("past the end of the address space"), std::string::npos);
    EXPECT_TRUE(a.bytes == before);
    // rows * stride fits int64 but its byte count does not.
    Arena b;
    b.grad.row_stride = INT64_MAX / 4;
    EXPECT_EQ(call(Entry::Backward, b), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("grad: 4 rows of stride"), std::string::npos)
        << reweigh_last_error();
    EXPECT_TRUE(b.bytes == before);
    Arena c;
    c.stats.row_logp = reinterpret_cast<float*>(~uintptr_t{0} - 7);
    EXPECT_EQ(call(Entry::Forward, c), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("stats.rowLogp: 16 bytes at"), std::string::npos)
        << reweigh_last_error();
}

/* ---- D = 0 ---- */

struct ZeroD : ::testing::TestWithParam<int32_t> {};

TEST_P(ZeroD, AllRowsIgnoredGivesZeroTotalZeroGradAndStats) {
    for (bool in_place : {false, true}) {
        std::vector<float> logits = {0.1f, 0.2f, 0.3f, 1, 2, 3, -1, 0, 1};
        std::vector<int32_t> targets = {-100, -100, -100};
        std::vector<int32_t> offsets = {0, 2, 3};
        std::vector<float> coefficients = {1.0f, 2.0f};
        const reweigh_ce_batch_t b =
            dense_batch(logits.data(), REWEIGH_DTYPE_F32, 3, 3, targets.data(), REWEIGH_DTYPE_I32, offsets.data(),
                        REWEIGH_DTYPE_I32, 2);
        reweigh_ce_options_t o = reweigh_ce_options_default();
        o.normalization = GetParam();
        std::vector<float> grad(9, -999.0f);
        reweigh_ce_grad_t g{in_place ? static_cast<void*>(logits.data()) : grad.data(), 3};
        Stats st(2, 3);
        double total = -7;
        const std::string tag = std::string(in_place ? "in place " : "separate ") + std::to_string(GetParam());
        ASSERT_EQ(reweigh_ce_forward_backward(&b, &o, coefficients.data(), &st.view, &g, &total), REWEIGH_STATUS_OK)
            << tag << ": " << reweigh_last_error();
        EXPECT_EQ(total, 0.0) << tag;
        const float* written = in_place ? logits.data() : grad.data();
        for (int i = 0; i < 9; ++i) EXPECT_EQ(written[i], 0.0f) << tag << " grad[" << i << "]";
        for (int s = 0; s < 2; ++s) {
            EXPECT_EQ(st.token_count[s], 0) << tag;
            EXPECT_EQ(st.loss[s], 0.0f) << tag;
            EXPECT_EQ(st.log_prob_sum[s], 0.0f) << tag;
            EXPECT_EQ(st.mean_entropy[s], 0.0f) << tag;
        }
        std::vector<float> lse(3, 0.0f), grad_b(9, -999.0f);
        reweigh_ce_grad_t gb{grad_b.data(), 3};
        ASSERT_EQ(reweigh_ce_backward(&b, &o, lse.data(), coefficients.data(), &gb), REWEIGH_STATUS_OK)
            << tag << ": " << reweigh_last_error();
        for (float v : grad_b) EXPECT_EQ(v, 0.0f) << tag << " backward";
    }
}

INSTANTIATE_TEST_SUITE_P(Normalizations, ZeroD,
                         ::testing::Values(REWEIGH_NORMALIZATION_WEIGHT_SUM, REWEIGH_NORMALIZATION_TOKENS,
                                           REWEIGH_NORMALIZATION_SAMPLES));

TEST(ZeroDWeights, AllCoefficientsZeroUnderWeightSumKeepsTheStatistics) {
    // An IWSI or rejection filter that keeps nothing: every c_s = 0, rows still counted.
    GenSpec gen;
    gen.rows = 12;
    gen.vocab = 7;
    const Problem p = make_problem(gen, reweigh_ce_options_default(), 99);
    for (bool in_place : {false, true}) {
        Buffers b(p, Layout{});
        std::vector<float> zeros(b.coefficients.size(), 0.0f);
        Stats want(p.samples(), p.rows);
        ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &want.view), REWEIGH_STATUS_OK) << reweigh_last_error();
        Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
        reweigh_ce_grad_t view = in_place ? reweigh_ce_grad_t{b.logits_mut(), b.stride} : g.view;
        Stats got(p.samples(), p.rows);
        double total = -7;
        ASSERT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, zeros.data(), &got.view, &view, &total),
                  REWEIGH_STATUS_OK)
            << reweigh_last_error();
        EXPECT_EQ(total, 0.0);
        EXPECT_TRUE(bit_equal("loss", got.loss, want.loss));
        EXPECT_TRUE(bit_equal("logProbSum", got.log_prob_sum, want.log_prob_sum));
        EXPECT_TRUE(bit_equal("meanEntropy", got.mean_entropy, want.mean_entropy));
        EXPECT_EQ(got.token_count, want.token_count);
        const std::vector<double> grad = in_place ? read_in_place(b, p.rows, p.vocab) : read_grad(g);
        for (size_t i = 0; i < grad.size(); ++i) EXPECT_EQ(grad[i], 0.0) << (in_place ? "in place " : "") << i;
    }
}

TEST(SignedWeights, NegativeCoefficientsAreFineUnderNoneAndExplicit) {
    Arena a;
    float* c = reinterpret_cast<float*>(a.at(Arena::kCoefficients));
    c[1] = -0.5f;
    a.options.normalization = REWEIGH_NORMALIZATION_WEIGHT_SUM;
    EXPECT_EQ(call(Entry::ForwardBackward, a), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("coefficients[1] = -0.5 is negative"), std::string::npos)
        << reweigh_last_error();
    for (int32_t n : {REWEIGH_NORMALIZATION_NONE, REWEIGH_NORMALIZATION_EXPLICIT, REWEIGH_NORMALIZATION_TOKENS,
                      REWEIGH_NORMALIZATION_SAMPLES}) {
        a.options.normalization = n;
        EXPECT_EQ(call(Entry::ForwardBackward, a), REWEIGH_STATUS_OK) << n << ": " << reweigh_last_error();
        EXPECT_EQ(call(Entry::Backward, a), REWEIGH_STATUS_OK) << n << ": " << reweigh_last_error();
    }
}

TEST(CudaQuiet, CpuCallsLoadNoCudaDriver) {
    if (dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD) != nullptr) GTEST_SKIP() << "the driver was loaded before";
    for (Entry e : {Entry::Forward, Entry::Backward, Entry::ForwardBackward}) {
        Arena a;
        ASSERT_EQ(call(e, a), REWEIGH_STATUS_OK) << reweigh_last_error();
    }
    // Probing pointers with cudaPointerGetAttributes would load (and initialise) the driver and
    // could create a context on GPU 0 for a CPU-only user of a GPU machine.
    EXPECT_EQ(dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD), nullptr);
}

TEST(CudaQuiet, ZeroDevicesComeWithAReason) {
    const std::string reason = reweigh_cuda_unavailable_reason();
    if (reweigh_cuda_device_count() == 0) {
        EXPECT_FALSE(reason.empty());
        if (!reweigh_cuda_compiled()) {
            EXPECT_NE(reason.find("built without CUDA"), std::string::npos) << reason;
        }
    } else {
        EXPECT_EQ(reason, "");
    }
}

}  // namespace
}  // namespace reftest
