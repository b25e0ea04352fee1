/*
 * test_ce_option_pairs.cpp: option pairs that take their own code path and that the
 * reference grid's option sets do not combine: label smoothing with a logit scale and
 * no softcap (the fused kernel's pass 3 folds dz'/dz = scale into both the p term and
 * the eps / V term), and z-loss with a scale. Every CPU variant, over vocabularies whose
 * widths leave scalar tails after the 8- and 16-lane loops, forwardBackward and backward
 * (statistics and gradient) against the float64 reference of reference.h.
 */
#include <gtest/gtest.h>

#include "reference.h"
#include "test_support.h"

namespace reftest {
namespace {

/* (eps, z-loss, softcap, scale, reduction, normalization, normalizer, grad scale); the rest default. */
std::vector<NamedOptions> pairs() {
    constexpr int32_t kMean = REWEIGH_TOKEN_REDUCTION_MEAN;
    constexpr int32_t kSum = REWEIGH_TOKEN_REDUCTION_SUM;
    constexpr int32_t kWeightSum = REWEIGH_NORMALIZATION_WEIGHT_SUM;
    using reweigh_test::options_of;
    return {
        {"eps=0.1,scale=1.7", options_of(0.1f, 0.0f, 0.0f, 1.7f, kMean, kWeightSum, 1.0, 1.0f)},
        {"eps=0.2,scale=0.6,SUM", options_of(0.2f, 0.0f, 0.0f, 0.6f, kSum, kWeightSum, 1.0, 1.0f)},
        {"zloss=1e-2,scale=1.4", options_of(0.0f, 1e-2f, 0.0f, 1.4f, kMean, kWeightSum, 1.0, 1.0f)},
    };
}

TEST(CeOptionPairs, SmoothingAndZLossWithScaleMatchTheReferenceOnEveryIsa) {
    IsaGuard guard;
    int ran = 0;
    uint64_t seed = 77;
    for (int64_t vocab : {7, 17, 23, 33, 41, 1000}) {
        for (int64_t rows : {3, 40}) {
            for (const NamedOptions& set : pairs()) {
                GenSpec gen;
                gen.rows = rows;
                gen.vocab = vocab;
                const Problem p = make_problem(gen, set.options, ++seed);
                if (!reference(p, false).normalizer_valid) continue;
                for (const std::string& isa : all_isas()) {
                    if (!select_isa(isa)) continue;
                    const std::string tag = isa + " V=" + std::to_string(vocab) + " rows=" + std::to_string(rows) +
                                            " " + set.name;
                    check_fwd_bwd(tag, p, Layout{});
                    ++ran;
                }
            }
        }
    }
    EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace reftest
