/*
 * test_ce_bad_input.cpp: every invalid argument gives the right status and a
 * message naming the argument (and the first bad index where there is one),
 * and nothing is written: the gradient, the statistics and the total keep
 * their sentinels, in place or not. Messages are checked by substring (the
 * exact wording may grow; the named argument and index may not disappear).
 */
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <thread>

#include "test_support.h"

namespace reftest {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

/* A valid batch: 4 rows, V = 5, samples [0, 2) and [2, 4); row 1 ignored. */
class BadInput : public ::testing::Test {
protected:
    std::vector<float> logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f,  1, 2, 3, 4, 5,  -1, 0, 1, 0, -1,  3, 1, 4, 1, 5};
    std::vector<int32_t> targets = {0, -100, 4, 2};
    std::vector<int64_t> offsets = {0, 2, 4};
    std::vector<float> coefficients = {1.0f, 0.5f};
    std::vector<float> row_lse = {1, 1, 1, 1};
    reweigh_ce_batch_t batch{};
    reweigh_ce_options_t options = reweigh_ce_options_default();
    std::vector<float> grad = std::vector<float>(20, -999.0f);
    reweigh_ce_grad_t grad_view{};
    std::vector<float> loss = std::vector<float>(2, -7.0f);
    std::vector<float> rlse = std::vector<float>(4, -7.0f);
    reweigh_ce_stats_t stats{};
    double total = -7.0;

    void SetUp() override {
        // Called again inside tests to start a new case: restore every input first.
        logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f,  1, 2, 3, 4, 5,  -1, 0, 1, 0, -1,  3, 1, 4, 1, 5};
        targets = {0, -100, 4, 2};
        offsets = {0, 2, 4};
        coefficients = {1.0f, 0.5f};
        row_lse = {1, 1, 1, 1};
        options = reweigh_ce_options_default();
        batch = dense_batch(logits.data(), REWEIGH_DTYPE_F32, 4, 5, targets.data(), REWEIGH_DTYPE_I32, offsets.data(),
                            REWEIGH_DTYPE_I64, 2);
        grad_view = {grad.data(), 5};
        stats = {loss.data(), nullptr, nullptr, nullptr, rlse.data(), nullptr, nullptr};
        // The unmodified fixture is valid: otherwise every rejection below would prove nothing.
        ASSERT_EQ(reweigh_ce_forward_backward(&batch, &options, coefficients.data(), &stats, &grad_view, &total),
                  REWEIGH_STATUS_OK)
            << reweigh_last_error();
        ASSERT_STREQ(reweigh_last_error(), "");
        std::fill(grad.begin(), grad.end(), -999.0f);
        std::fill(loss.begin(), loss.end(), -7.0f);
        std::fill(rlse.begin(), rlse.end(), -7.0f);
        total = -7.0;
    }

    /* Runs all three entry points (forward only when `forward_too`), each must be rejected untouched. */
    void expect_rejected(reweigh_status_t want, const std::string& needle, bool forward_too = true) {
        const std::vector<float> logits_before = logits;
        struct Call {
            const char* name;
            std::function<reweigh_status_t()> fn;
            bool forward;
        };
        const std::vector<Call> calls = {
            {"forward", [&] { return reweigh_ce_forward(&batch, &options, &stats); }, true},
            {"forwardBackward",
             [&] {
                 return reweigh_ce_forward_backward(&batch, &options, coefficients.data(), &stats, &grad_view, &total);
             },
             false},
            {"backward",
             [&] { return reweigh_ce_backward(&batch, &options, row_lse.data(), coefficients.data(), &grad_view); },
             false},
        };
        for (const Call& c : calls) {
            if (c.forward && !forward_too) continue;
            const reweigh_status_t st = c.fn();
            EXPECT_EQ(st, want) << c.name << ": " << reweigh_last_error();
            EXPECT_NE(std::string(reweigh_last_error()).find(needle), std::string::npos)
                << c.name << ": message '" << reweigh_last_error() << "' lacks '" << needle << "'";
            EXPECT_TRUE(bit_equal(std::string(c.name) + " grad written on failure", grad, std::vector<float>(20, -999.0f)));
            EXPECT_TRUE(bit_equal(std::string(c.name) + " loss written on failure", loss, std::vector<float>(2, -7.0f)));
            EXPECT_TRUE(bit_equal(std::string(c.name) + " rowLse written on failure", rlse, std::vector<float>(4, -7.0f)));
            EXPECT_TRUE(bit_equal(std::string(c.name) + " logits written on failure", logits, logits_before));
            EXPECT_EQ(total, -7.0) << c.name << " total written on failure";
        }
    }
    /* One rejection: a change to the valid fixture and what every entry point must answer. */
    struct Case {
        const char* needle;
        std::function<void()> mutate;
        reweigh_status_t want = REWEIGH_STATUS_INVALID_ARGUMENT;
        bool forward_too = true;
    };

    /* Each case on a freshly restored fixture, in order. */
    void expect_each_rejected(const std::vector<Case>& cases) {
        for (const Case& c : cases) {
            SetUp();
            c.mutate();
            SCOPED_TRACE(c.needle);
            expect_rejected(c.want, c.needle, c.forward_too);
        }
    }
};

TEST_F(BadInput, NullStructs) {
    EXPECT_EQ(reweigh_ce_forward(nullptr, &options, &stats), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("batch is NULL"), std::string::npos) << reweigh_last_error();
    EXPECT_EQ(reweigh_ce_forward(&batch, nullptr, &stats), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("options is NULL"), std::string::npos) << reweigh_last_error();
    EXPECT_EQ(reweigh_ce_forward_backward(&batch, &options, coefficients.data(), &stats, nullptr, &total),
              REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("grad is NULL"), std::string::npos) << reweigh_last_error();
    EXPECT_EQ(reweigh_ce_backward(&batch, &options, row_lse.data(), coefficients.data(), nullptr),
              REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(loss, std::vector<float>(2, -7.0f));
    EXPECT_EQ(total, -7.0);
}

TEST_F(BadInput, Shapes) {
    expect_each_rejected({
        {"rows = -1", [this] { batch.rows = -1; }},
        {"vocab = 0", [this] { batch.vocab = 0; }},
        {"exceeds 2^31 - 1",
         [this] {
             batch.vocab = int64_t{1} << 31;
             batch.logits_row_stride = batch.vocab;
         }},
        {"samples = -2", [this] { batch.samples = -2; }},
        {"logits row stride = 4", [this] { batch.logits_row_stride = 4; }},
        {"overflows int64", [this] { batch.logits_row_stride = INT64_MAX / 2; }},
    });
}

TEST_F(BadInput, Dtypes) {
    expect_each_rejected({
        {"logits dtype 9", [this] { batch.logits_dtype = 9; }},
        {"logits dtype 3 (I32)", [this] { batch.logits_dtype = REWEIGH_DTYPE_I32; }},
        {"targets dtype 0 (F32)", [this] { batch.targets_dtype = REWEIGH_DTYPE_F32; }},
        {"offsets dtype -1", [this] { batch.offsets_dtype = -1; }},
        // A valid dtype, CUDA only.
        {"F16", [this] { batch.logits_dtype = REWEIGH_DTYPE_F16; }, REWEIGH_STATUS_UNSUPPORTED},
    });
}

TEST_F(BadInput, Devices) {
    std::vector<Case> cases = {{"device_type = 7", [this] { batch.device_type = 7; }}};
    if (reweigh_cuda_compiled() == 0) {
        cases.push_back(
            {"without CUDA", [this] { batch.device_type = REWEIGH_DEVICE_CUDA; }, REWEIGH_STATUS_UNSUPPORTED});
    }
    expect_each_rejected(cases);
}

TEST_F(BadInput, NullBuffers) {
    expect_each_rejected({
        {"logits is NULL", [this] { batch.logits = nullptr; }},
        {"targets is NULL", [this] { batch.targets = nullptr; }},
        {"offsets is NULL", [this] { batch.offsets = nullptr; }},
        {"grad is NULL", [this] { grad_view.data = nullptr; }, REWEIGH_STATUS_INVALID_ARGUMENT, false},
    });
    SetUp();
    EXPECT_EQ(reweigh_ce_forward_backward(&batch, &options, nullptr, &stats, &grad_view, &total),
              REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("coefficients is NULL"), std::string::npos);
    EXPECT_EQ(reweigh_ce_backward(&batch, &options, nullptr, coefficients.data(), &grad_view),
              REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("rowLse is NULL"), std::string::npos);
    EXPECT_TRUE(bit_equal("grad", grad, std::vector<float>(20, -999.0f)));
}

TEST_F(BadInput, Options) {
    using O = reweigh_ce_options_t;
    const std::vector<std::pair<std::function<void(O&)>, const char*>> bad = {
        {[](O& o) { o.label_smoothing = -0.1f; }, "labelSmoothing"},
        {[](O& o) { o.label_smoothing = 1.5f; }, "labelSmoothing"},
        {[](O& o) { o.label_smoothing = kNaN; }, "labelSmoothing"},
        {[](O& o) { o.z_loss = -1e-4f; }, "zLoss"},
        {[](O& o) { o.z_loss = kInf; }, "zLoss"},
        {[](O& o) { o.z_loss = kNaN; }, "zLoss"},
        {[](O& o) { o.softcap = -1; }, "softcap"},
        {[](O& o) { o.softcap = kInf; }, "softcap"},
        {[](O& o) { o.softcap = kNaN; }, "softcap"},
        {[](O& o) { o.logit_scale = 0; }, "logitScale"},
        {[](O& o) { o.logit_scale = -2; }, "logitScale"},
        {[](O& o) { o.logit_scale = kNaN; }, "logitScale"},
        {[](O& o) { o.logit_scale = kInf; }, "logitScale"},
        {[](O& o) { o.token_reduction = 2; }, "tokenReduction = 2"},
        {[](O& o) { o.normalization = 5; }, "normalization = 5"},
        {[](O& o) { o.normalization = -1; }, "normalization = -1"},
        {[](O& o) {
             o.normalization = REWEIGH_NORMALIZATION_EXPLICIT;
             o.normalizer = 0;
         },
         "normalizer D = 0"},
        {[](O& o) {
             o.normalization = REWEIGH_NORMALIZATION_EXPLICIT;
             o.normalizer = std::numeric_limits<double>::quiet_NaN();
         },
         "normalizer D"},
    };
    std::vector<Case> cases;
    for (const auto& [mutate, needle] : bad) {
        cases.push_back({needle, [this, m = mutate] { m(options); }});
    }
    expect_each_rejected(cases);
}

TEST_F(BadInput, Offsets) {
    std::vector<int32_t> o32 = {0, -1, 4};  // I32 offsets take the same checks
    // Each assignment may reallocate: the batch points at the new data.
    expect_each_rejected({
        {"offsets[0] = 1", [this] { offsets = {1, 2, 4}; batch.offsets = offsets.data(); }},
        {"offsets[2] = 3 must equal rows = 4", [this] { offsets = {0, 2, 3}; batch.offsets = offsets.data(); }},
        {"offsets[2] = 2 must be nondecreasing",
         [this] {
             offsets = {0, 3, 2, 4};
             batch.offsets = offsets.data();
             batch.samples = 3;
             coefficients = {1, 1, 1};
         }},
        {"offsets[1] = 9", [this] { offsets = {0, 9, 4}; batch.offsets = offsets.data(); }},
        {"offsets[1] = -1",
         [this, &o32] {
             batch.offsets = o32.data();
             batch.offsets_dtype = REWEIGH_DTYPE_I32;
         }},
    });
}

TEST_F(BadInput, Targets) {
    std::vector<int64_t> t64 = {0, -100, int64_t{1} << 40, 2};
    expect_each_rejected({
        {"targets[3] = 5 is outside [0, vocab = 5)", [this] { targets[3] = 5; }},
        {"targets[2] = -1", [this] { targets[2] = -1; }},
        {"targets[2] = 1099511627776",
         [this, &t64] {
             batch.targets = t64.data();
             batch.targets_dtype = REWEIGH_DTYPE_I64;
         }},
        // -100 is only the default: with another ignore index it is an ordinary bad target.
        {"targets[1] = -100", [this] { options.ignore_index = -1; }},
    });
}

TEST_F(BadInput, Coefficients) {
    constexpr reweigh_status_t kBad = REWEIGH_STATUS_INVALID_ARGUMENT;
    expect_each_rejected({
        {"coefficients[1] = nan", [this] { coefficients[1] = kNaN; }, kBad, false},
        {"coefficients[0] = -inf", [this] { coefficients[0] = -kInf; }, kBad, false},
        // A signed WEIGHT_SUM (DPO pair) is ill-defined: D can approach 0.
        {"coefficients[1] = -1 is negative under normalization WEIGHT_SUM", [this] { coefficients = {1.0f, -1.0f}; },
         kBad, false},
    });
    EXPECT_NE(std::string(reweigh_last_error()).find("normalization NONE or an explicit normalizer"),
              std::string::npos)
        << reweigh_last_error();
}

TEST_F(BadInput, GradLayout) {
    constexpr reweigh_status_t kBad = REWEIGH_STATUS_INVALID_ARGUMENT;
    expect_each_rejected({
        {"grad row stride = 4", [this] { grad_view.row_stride = 4; }, kBad, false},
        // Partial overlap with the logits: one element past their start.
        {"grad overlaps logits", [this] { grad_view.data = logits.data() + 1; }, kBad, false},
        // In place with a different stride.
        {"grad aliases logits",
         [this] {
             grad_view.data = logits.data();
             grad_view.row_stride = 6;
         },
         kBad, false},
    });
}

TEST_F(BadInput, RowLse) {
    row_lse[2] = kNaN;
    EXPECT_EQ(reweigh_ce_backward(&batch, &options, row_lse.data(), coefficients.data(), &grad_view),
              REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("rowLse[2]"), std::string::npos) << reweigh_last_error();
    EXPECT_TRUE(bit_equal("grad", grad, std::vector<float>(20, -999.0f)));
    // An ignored row's lse is never read.
    row_lse[2] = 1;
    row_lse[1] = kNaN;
    EXPECT_EQ(reweigh_ce_backward(&batch, &options, row_lse.data(), coefficients.data(), &grad_view),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
}

TEST_F(BadInput, NonFiniteLogitsWithCheckFinite) {
    constexpr reweigh_status_t kNonFinite = REWEIGH_STATUS_NON_FINITE_INPUT;
    expect_each_rejected({
        {"logits[row 3, column 2] = NaN",
         [this] {
             options.check_finite = 1;
             logits[3 * 5 + 2] = kNaN;
         },
         kNonFinite},
        {"logits[row 2, column 4] = +inf",
         [this] {
             options.check_finite = 1;
             logits[2 * 5 + 4] = kInf;
             logits[3 * 5 + 0] = kNaN;  // a later row: the first bad row is reported
         },
         kNonFinite},
    });
    SetUp();
    options.check_finite = 1;
    logits[1 * 5 + 1] = kNaN;  // row 1 is ignored: not a counted row, not reported
    EXPECT_EQ(reweigh_ce_forward_backward(&batch, &options, coefficients.data(), &stats, &grad_view, &total),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    for (int v = 0; v < 5; ++v) EXPECT_EQ(grad[5 + v], 0.0f);
}

TEST_F(BadInput, NonFiniteLogitsWithCheckFiniteBf16AndI64) {
    std::vector<uint16_t> b16;
    for (float z : logits) b16.push_back(float_to_bf16_bits(z));
    b16[0 * 5 + 3] = float_to_bf16_bits(kNaN);
    std::vector<uint16_t> g16(20, float_to_bf16_bits(-999.0f));
    const std::vector<uint16_t> g16_before = g16;
    batch.logits = b16.data();
    batch.logits_dtype = REWEIGH_DTYPE_BF16;
    options.check_finite = 1;
    reweigh_ce_grad_t gv{g16.data(), 5};
    EXPECT_EQ(reweigh_ce_forward_backward(&batch, &options, coefficients.data(), &stats, &gv, &total),
              REWEIGH_STATUS_NON_FINITE_INPUT);
    EXPECT_NE(std::string(reweigh_last_error()).find("logits[row 0, column 3] = NaN"), std::string::npos)
        << reweigh_last_error();
    EXPECT_TRUE(bit_equal("bf16 grad", g16, g16_before));
}

TEST(BadInputLibrary, ThreadAndIsaSetters) {
    const int32_t threads = reweigh_num_threads();
    EXPECT_GE(threads, 1);
    EXPECT_EQ(reweigh_set_num_threads(0), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("threads = 0"), std::string::npos);
    EXPECT_EQ(reweigh_set_num_threads(-3), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(reweigh_set_num_threads(5000), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(reweigh_num_threads(), threads);
    const std::string isa = reweigh_cpu_isa();
    EXPECT_EQ(reweigh_set_cpu_isa("sse9"), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(reweigh_last_error()).find("'sse9'"), std::string::npos);
    EXPECT_EQ(reweigh_set_cpu_isa(nullptr), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(reweigh_cpu_isa()), isa);
    // A success clears the last error.
    EXPECT_EQ(reweigh_set_num_threads(threads), REWEIGH_STATUS_OK);
    EXPECT_STREQ(reweigh_last_error(), "");
    int32_t type = -1, index = -1;
    EXPECT_EQ(reweigh_pointer_device(&type, nullptr, &index), REWEIGH_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(reweigh_pointer_device(&type, &type, &index), REWEIGH_STATUS_OK);
    EXPECT_EQ(type, REWEIGH_DEVICE_CPU);
    for (int s = 0; s <= 7; ++s) EXPECT_NE(reweigh_status_string(static_cast<reweigh_status_t>(s)), nullptr);
    EXPECT_STREQ(reweigh_status_string(static_cast<reweigh_status_t>(99)), "UNKNOWN_STATUS");
}

/* The last error is per thread: another thread's failure does not leak into this one. */
TEST(BadInputLibrary, LastErrorIsThreadLocal) {
    EXPECT_EQ(reweigh_set_num_threads(0), REWEIGH_STATUS_INVALID_ARGUMENT);
    std::string other;
    std::thread t([&] { other = reweigh_last_error(); });
    t.join();
    EXPECT_EQ(other, "");
    EXPECT_NE(std::string(reweigh_last_error()), "");
}

}  // namespace
}  // namespace reftest
