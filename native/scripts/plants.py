#!/usr/bin/env python3
"""The planted bugs of plant.sh: small source mutations the native tests must catch.

Each plant replaces one exact text in one file under native/ (or cmake/). The text must occur
exactly once: a missing or repeated pattern is reported as a failure, so a plant that no longer
matches the sources is noticed instead of silently testing nothing.

    plants.py list                 id, file and description of every plant (tab-separated)
    plants.py apply ID ROOT        apply plant ID to the copy of the sources under ROOT
"""
import sys
from pathlib import Path

# (id, file relative to native/, exact old text, new text, what the bug is)
PLANTS = [
    ("smoothing-sign", "src/common/ce_row.h",
     "loss = (1.0f - p.eps) * loss + p.eps * (r.lse - mean_zp);",
     "loss = (1.0f - p.eps) * loss + p.eps * (mean_zp - r.lse);",
     "sign of the label-smoothing term in the row loss"),
    ("smoothing-target-grad", "src/common/ce_row.h",
     "e.t = k * (1.0f - p.eps);",
     "e.t = k * (1.0f + p.eps);",
     "target element's gradient with the wrong smoothing weight"),
    ("target-grad-simd", "src/cpu/ce_simd.h",
     "store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, true, p));\n        if (stream) V::fence();\n        return r;",
     "store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, false, p));\n        if (stream) V::fence();\n        return r;",
     "fused SIMD kernel forgets the -1 of the target element"),
    ("vector-tail-max", "src/cpu/ce_simd.h",
     "for (; v < vocab; ++v) {\n            const float x = zp.at(v);",
     "for (; v + 1 < vocab; ++v) {\n            const float x = zp.at(v);",
     "off-by-one in the scalar tail of pass 1 (last logit left out of max and sum)"),
    ("vector-tail-smoothing-scale", "src/cpu/ce_simd.h",
     "auto fs = [&](int64_t v) { return a * e_buf[v] - b; };",
     "auto fs = [&](int64_t v) { return a * e_buf[v] - ep.b; };",
     "tail elements of the fused gradient miss dz'/dz on the smoothing term"),
    ("entropy-sum-simd", "src/cpu/ce_simd.h",
     "q1 = V::fmadd(e1, V::max(vmin, x1), q1);",
     "q1 = V::fmadd(e1, V::max(vmin, x0), q1);",
     "entropy's sum s uses the other accumulator's z' - m"),
    ("entropy-finish", "src/common/ce_row.h",
     "r.entropy = log_d - st.s / st.d;",
     "r.entropy = log_d - st.s;",
     "entropy not divided by d"),
    ("zloss-factor", "src/common/ce_row.h",
     "e.a = k * (1.0f + 2.0f * p.zloss * lse);",
     "e.a = k * (1.0f + p.zloss * lse);",
     "z-loss gradient without its factor 2"),
    ("softcap-derivative-simd", "src/cpu/ce_simd.h",
     "return V::mul(V::set1(p.scale), V::sub(V::set1(1.0f), V::mul(t, t)));",
     "return V::mul(V::set1(p.scale), V::sub(V::set1(1.0f), t));",
     "softcap derivative 1 - t instead of 1 - t^2 (vector path)"),
    ("softcap-derivative-scalar", "src/common/ce_row.h",
     "return p.scale * (1.0f - t * t);",
     "return 1.0f - t * t;",
     "softcap derivative without the logit scale (scalar path and tails)"),
    ("bf16-round-avx2", "src/cpu/simd_avx2.h",
     "__m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));",
     "__m256i rounded = _mm256_add_epi32(bits, _mm256_sub_epi32(lsb, lsb));",
     "bf16 gradient truncated instead of rounded (AVX2 store)"),
    ("bf16-round-ties", "src/common/bf16.h",
     "uint32_t rounding_bias = 0x7fffu + ((bits >> 16) & 1u);",
     "uint32_t rounding_bias = 0x8000u;",
     "bf16 ties rounded away from zero instead of to even (scalar conversion)"),
    ("normalizer-samples", "src/cpu/labels.cpp",
     "if (l.counts[s] == 0) continue;",
     "with_tokens += l.counts[s] == 0 ? 1.0 : 0.0;\n        if (l.counts[s] == 0) continue;",
     "SAMPLES normaliser counts samples without tokens"),
    ("mean-grad-scale", "src/common/sample_math.h",
     "k /= static_cast<double>(count);",
     "k /= static_cast<double>(count + 1);",
     "MEAN gradient divided by tokens + 1"),
    ("ignored-row-grad", "src/cpu/ce_cpu.cpp",
     "if (job.mode != Mode::Forward) zero_grad_row(job, r);",
     "if (job.mode == Mode::Backward) zero_grad_row(job, r);",
     "forwardBackward leaves the gradient of ignored rows as the buffer held it"),
    ("skip-row-per-chunk", "src/cpu/thread_pool.cpp",
     "fn(ctx, begin, std::min(n, begin + grain));",
     "fn(ctx, begin, std::min(n, begin + grain - 1));",
     "each thread chunk skips its last row"),
    ("skip-first-row", "src/cpu/ce_cpu.cpp",
     "for (int64_t r = begin; r < end; ++r) {\n        const int32_t y = job.targets[r];",
     "for (int64_t r = begin + 1; r < end; ++r) {\n        const int32_t y = job.targets[r];",
     "row driver skips the first row of every range"),
    ("weighted-sum", "src/cpu/ce_cpu.cpp",
     "weighted += static_cast<double>(coefficients[s]) * loss;",
     "weighted += loss;",
     "total ignores the coefficients"),
    ("merge-drop-scale", "src/common/ce_row.h",
     "r.d = a.d * fa + b.d * fb;",
     "r.d = a.d * fa + b.d;",
     "online-softmax merge forgets to rescale one side's d"),
    ("normalizer-tokens", "src/common/sample_math.h",
     "case REWEIGH_NORMALIZATION_TOKENS: return tokens;",
     "case REWEIGH_NORMALIZATION_TOKENS: return tokens > 0 ? samples_with_tokens : tokens;",
     "TOKENS normaliser returns the sample count"),
    ("label-ignore-counted", "src/cpu/labels.cpp",
     "l.targets[static_cast<size_t>(r)] = kIgnoredRow;\n                continue;",
     "l.targets[static_cast<size_t>(r)] = kIgnoredRow;\n                ++n;\n                continue;",
     "label copy counts ignored rows in the sample's token count"),
    ("token-row-weight", "src/cpu/ce_token.cpp",
     "grad_epilogue(job.lse[r], k * job.weights[r], b.vocab, job.params);",
     "grad_epilogue(job.lse[r], k, b.vocab, job.params);",
     "per-row backward drops the row's loss coefficient w_r"),
    ("token-entropy-grad", "src/common/token_row.h",
     "(zp - e.lse) + h.entropy)",
     "(zp - e.lse) - h.entropy)",
     "entropy gradient -p (log p + H) with the sign of H flipped"),
    ("token-entropy-beta", "src/cpu/ce_token.cpp",
     "h.kb = job.entropy_weights != nullptr ? k * job.entropy_weights[r] : 0.0f;",
     "h.kb = job.entropy_weights != nullptr ? job.entropy_weights[r] : 0.0f;",
     "entropy coefficient beta_r not scaled by the sample's k_s"),
    ("partial-rebase-shift", "src/common/ce_partial.h",
     "f * (st.s + delta * st.d)",
     "f * st.s",
     "rebasing a shard's state to the global max forgets the (m - M) d shift of s"),
    ("partial-logit-sum", "src/common/ce_partial.h",
     "r.logit_sum = a.logit_sum + b.logit_sum;",
     "r.logit_sum = a.logit_sum;",
     "sharded merge drops one side's logit sum (label smoothing's mean z')"),
    ("grad-p-relative", "src/cpu/ce_simd.h",
     "const float a = ep.a * inv_d * p.scale, b = ep.b * p.scale;",
     "const float a = ep.a * inv_d * p.scale * 1.001f, b = ep.b * p.scale;",
     "fused vector gradient 0.1% too large in p"),
]


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        for pid, path, _old, _new, what in PLANTS:
            print(f"{pid}\t{path}\t{what}")
        return 0
    if len(argv) == 4 and argv[1] == "apply":
        pid, root = argv[2], Path(argv[3])
        matches = [p for p in PLANTS if p[0] == pid]
        if not matches:
            print(f"unknown plant {pid}", file=sys.stderr)
            return 2
        _pid, path, old, new, _what = matches[0]
        target = root / path
        if not target.is_file():
            print(f"file not found: {path}", file=sys.stderr)
            return 3
        text = target.read_text()
        count = text.count(old)
        if count != 1:
            print(f"pattern found {count} times in {path} (needs exactly 1)", file=sys.stderr)
            return 3
        target.write_text(text.replace(old, new))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
