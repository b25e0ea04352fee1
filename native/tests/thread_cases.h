/*
 * thread_cases.h: the grid of the thread-count determinism tests of the
 * per-row suites (test_ce_token.cpp, test_ce_policy.cpp): every ISA this CPU
 * runs, four variants of a 67 x 4001 batch (odd variants bf16 logits), above
 * the size that stays on the calling thread (kInlineLogits in ce_token.cpp).
 * Each suite's body builds its own problem from the variant and compares 1, 2
 * and 3 threads.
 */
#ifndef REWEIGH_TESTS_THREAD_CASES_H
#define REWEIGH_TESTS_THREAD_CASES_H

#include <string>

#include "test_support.h"

namespace reftest {

/* body(isa, variant, gen, layout) once per ISA and variant, with that ISA selected. */
template <class Body>
void for_each_thread_case(Body&& body) {
    IsaGuard guard;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (int variant = 0; variant < 4; ++variant) {
            GenSpec gen;
            gen.rows = 67;
            gen.vocab = 4001;
            gen.bf16_values = variant % 2 == 1;
            Layout layout;
            layout.logits_dtype = gen.bf16_values ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
            body(isa, variant, gen, layout);
        }
    }
}

}  // namespace reftest

#endif
