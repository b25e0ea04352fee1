package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class ScoredSpanTest {

  private static final int[] TARGETS = {5, 6, 7, 8, 9, 10, 11};
  private static final int[] OFFSETS = {0, 4, 4, 7}; // samples of 4, 0 and 3 rows
  private static final int[] PROMPT = {2, 0, 1};

  @Test
  void responseOnlyIgnoresQuestionRows() {
    assertArrayEquals(
        new int[] {-100, -100, 7, 8, -100, 10, 11},
        ScoredSpan.RESPONSE_ONLY.targets(TARGETS, OFFSETS, PROMPT, -100));
    assertArrayEquals(new int[] {5, 6, 7, 8, 9, 10, 11}, TARGETS, "input untouched");
  }

  @Test
  void wholeTextKeepsEveryRow() {
    assertArrayEquals(TARGETS, ScoredSpan.WHOLE_TEXT.targets(TARGETS, OFFSETS, PROMPT, -100));
  }

  @Test
  void invalidInput() {
    assertIae(
        () -> ScoredSpan.RESPONSE_ONLY.targets(TARGETS, OFFSETS, new int[] {5, 0, 1}, -100),
        "promptRows[0] = 5 is outside [0, 4]");
    assertIae(
        () -> ScoredSpan.RESPONSE_ONLY.targets(TARGETS, new int[] {0, 4, 6}, new int[] {0, 0}, -100),
        "offsets[2] = 6 must equal targets.length = 7");
    assertIae(
        () -> ScoredSpan.RESPONSE_ONLY.targets(TARGETS, OFFSETS, new int[] {0}, -100),
        "offsets.length = 4 must be promptRows.length + 1 = 2");
  }
}
