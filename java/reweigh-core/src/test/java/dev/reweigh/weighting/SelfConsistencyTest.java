package dev.reweigh.weighting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Rejects;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfConsistencyTest {

  @Test
  void normalizerTrimsAndComparesNumbersAsNumbers() {
    assertEquals("42", AnswerNormalizer.normalize(" 42 "));
    assertEquals("42", AnswerNormalizer.normalize("42.0"));
    assertEquals("42", AnswerNormalizer.normalize("+42.000"));
    assertEquals("42", AnswerNormalizer.normalize("4.2e1"));
    assertEquals("1000", AnswerNormalizer.normalize("1,000"));
    assertEquals("1E+100", AnswerNormalizer.normalize("1e100"));
    assertEquals(AnswerNormalizer.normalize("1000"), AnswerNormalizer.normalize("1,000"));
    assertEquals(AnswerNormalizer.normalize("0.5"), AnswerNormalizer.normalize(".50"));
    assertEquals("0", AnswerNormalizer.normalize("-0.0"));
    assertEquals("-3.25", AnswerNormalizer.normalize("-3.250"));
    assertEquals("Paris", AnswerNormalizer.normalize("\tParis\n"));
    assertTrue(!AnswerNormalizer.normalize("paris").equals(AnswerNormalizer.normalize("Paris")));
    // Malformed grouping is text, not a number.
    assertEquals("1,00", AnswerNormalizer.normalize("1,00"));
    assertNull(AnswerNormalizer.normalize(null));
    assertNull(AnswerNormalizer.normalize("   "));
  }

  @Test
  void majorityWithFirstAppearanceTieRule() {
    // Clusters in order: "7" {0, 3}, "8" {1, 2}; tie 2-2 goes to "7", which appears first.
    SelfConsistency.Vote v = SelfConsistency.vote(Arrays.asList("7", "8", "8.0", " 7"));
    assertEquals("7", v.majorityAnswer());
    assertArrayEquals(new int[] {2, 2}, v.clusterCounts());
    assertArrayEquals(new boolean[] {true, false, false, true}, v.lmsiKeep());
    // Reversed order: now "8" appears first and wins the tie.
    SelfConsistency.Vote r = SelfConsistency.vote(Arrays.asList("8", "7", "7", "8"));
    assertEquals("8", r.majorityAnswer());
  }

  @Test
  void strictMajorityBeatsEarlierCluster() {
    SelfConsistency.Vote v = SelfConsistency.vote(List.of("a", "b", "b", "c", "b", "a"));
    assertEquals("b", v.majorityAnswer());
    // Clusters in order of first appearance: "a" {0, 5}, "b" {1, 2, 4}, "c" {3}.
    assertArrayEquals(new int[] {2, 3, 1}, v.clusterCounts());
    assertArrayEquals(new int[] {1, 2, 4}, v.clusters().get(1).members());
    assertEquals(1, v.clusters().get(1).firstIndex());
    assertArrayEquals(new double[] {2.0 / 6, 3.0 / 6, 1.0 / 6}, v.distribution(), 1e-15);
    assertEquals(0.5, v.frequency(2), 0);
    assertArrayEquals(
        new boolean[] {false, true, true, false, true, false}, SelfConsistency.lmsiKeep(
            List.of("a", "b", "b", "c", "b", "a")));
  }

  @Test
  void unparsableAnswersDoNotVote() {
    // Two unparsable answers would outnumber "3" if they voted as one cluster.
    SelfConsistency.Vote v = SelfConsistency.vote(Arrays.asList(null, "3", " ", "4", "3"));
    assertEquals("3", v.majorityAnswer());
    assertEquals(-1, v.clusterOf(0));
    assertEquals(-1, v.clusterOf(2));
    assertArrayEquals(new int[] {2, 1}, v.clusterCounts());
    assertEquals(0.0, v.frequency(0), 0);
    assertEquals(2.0 / 5, v.frequency(1), 0); // frequency over all n = 5 responses
    assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, v.distribution(), 1e-15);
    assertArrayEquals(new boolean[] {false, true, false, false, true}, v.lmsiKeep());
  }

  @Test
  void questionWithoutParsableAnswerHasNoMajority() {
    SelfConsistency.Vote v = SelfConsistency.vote(Arrays.asList(null, "", "  "));
    assertFalse(v.hasMajority());
    assertNull(v.majorityAnswer());
    assertEquals(-1, v.majorityCluster());
    assertArrayEquals(new boolean[3], v.lmsiKeep());
    assertEquals(0, v.distribution().length);
    assertFalse(SelfConsistency.vote(List.of()).hasMajority());
  }

  @Test
  void matchesUsesNormalisation() {
    assertTrue(SelfConsistency.matches(" 12.50", "12.5"));
    assertFalse(SelfConsistency.matches("12", "12.5"));
    assertFalse(SelfConsistency.matches(null, null));
    assertFalse(SelfConsistency.matches("", ""));
  }

  @Test
  void nullAnswerListIsRejected() {
    Rejects.assertIae(() -> SelfConsistency.vote(null), "answers is null");
  }
}
