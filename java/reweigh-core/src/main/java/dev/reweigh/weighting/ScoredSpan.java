package dev.reweigh.weighting;

import java.util.Arrays;

/**
 * Which tokens the IWSI loss L scores (docs/methods.md §2): the reference code of Jiang et al.
 * (AAAI 2025), arXiv:2408.09849, scores the whole "Q: ... A: ..." text, question tokens included
 * ({@link #WHOLE_TEXT}, the paper's semantics); {@link #RESPONSE_ONLY} scores the answer alone.
 *
 * <p>The span is chosen before the fused forward by marking the question's target rows with the
 * ignore index, so that the kernel's per-sample {@code loss_s} covers only the scored rows
 * (docs/design.md §3: rows whose target equals {@code ignoreIndex} count nowhere).
 */
public enum ScoredSpan {
  /** Score every target row of the sample (question and response). */
  WHOLE_TEXT,
  /** Score only the response: the sample's first {@code promptRows[s]} rows are ignored. */
  RESPONSE_ONLY;

  /**
   * Targets for the fused forward with this span applied; the input is not modified.
   *
   * @param targets per-row targets; sample s owns rows {@code [offsets[s], offsets[s+1])}
   * @param offsets sample offsets, length samples + 1, non-decreasing, last = targets.length
   * @param promptRows number of leading rows of each sample whose target is a question token, in
   *     {@code [0, offsets[s+1] - offsets[s]]}
   * @param ignoreIndex the kernel's ignore index (default -100)
   * @return a copy of targets, with the question rows set to ignoreIndex for RESPONSE_ONLY
   */
  public int[] targets(int[] targets, int[] offsets, int[] promptRows, int ignoreIndex) {
    if (targets == null || offsets == null || promptRows == null) {
      throw new IllegalArgumentException("targets, offsets and promptRows must not be null");
    }
    if (offsets.length != promptRows.length + 1) {
      throw new IllegalArgumentException(
          "offsets.length = " + offsets.length + " must be promptRows.length + 1 = "
              + (promptRows.length + 1));
    }
    if (offsets[0] != 0) {
      throw new IllegalArgumentException("offsets[0] = " + offsets[0] + " must be 0");
    }
    if (offsets[offsets.length - 1] != targets.length) {
      throw new IllegalArgumentException(
          "offsets[" + (offsets.length - 1) + "] = " + offsets[offsets.length - 1]
              + " must equal targets.length = " + targets.length);
    }
    int[] out = targets.clone();
    for (int s = 0; s < promptRows.length; s++) {
      int len = offsets[s + 1] - offsets[s];
      if (len < 0) {
        throw new IllegalArgumentException(
            "offsets[" + (s + 1) + "] = " + offsets[s + 1] + " < offsets[" + s + "]");
      }
      if (promptRows[s] < 0 || promptRows[s] > len) {
        throw new IllegalArgumentException(
            "promptRows[" + s + "] = " + promptRows[s] + " is outside [0, " + len + "]");
      }
      if (this == RESPONSE_ONLY) {
        Arrays.fill(out, offsets[s], offsets[s] + promptRows[s], ignoreIndex);
      }
    }
    return out;
  }
}
