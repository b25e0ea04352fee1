package dev.reweigh.demo.stats;

/**
 * A paper's claim "A >= B" read from the paired interval of A - B: supported when the interval
 * lies above zero, contradicted when it lies below, not resolved when it contains zero.
 */
public record Verdict(String claim, String paper, String a, String b, Estimate difference, String outcome) {
  public static Verdict of(String claim, String paper, String a, String b, Estimate d) {
    String outcome = d.aboveZero() ? "supported" : d.belowZero() ? "contradicted" : "not resolved";
    return new Verdict(claim, paper, a, b, d, outcome);
  }
}
