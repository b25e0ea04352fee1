package dev.reweigh.weighting;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * Canonical form of an extracted answer, so that equal answers fall into one self-consistency
 * cluster (docs/methods.md §1).
 *
 * <p>Rules: surrounding whitespace is trimmed; a {@code null} or blank answer is unparsable and
 * maps to {@code null} (it does not vote); an answer that reads as a decimal number (optional sign,
 * digits with an optional fraction, optional exponent, and optional thousands separators written
 * as {@code 1,234,567}) is compared as a number, so {@code "42"}, {@code "42.0"}, {@code "+42"},
 * {@code "4.2e1"} and {@code " 42 "} are one answer; any other text is compared exactly
 * (case-sensitive) after trimming.
 */
public final class AnswerNormalizer {

  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final Pattern GROUPED =
      Pattern.compile("[+-]?\\d{1,3}(?:,\\d{3})+(?:\\.\\d*)?");

  private AnswerNormalizer() {}

  /**
   * Returns the cluster key of {@code raw}, or {@code null} when the answer is unparsable.
   *
   * @param raw the extracted answer, possibly {@code null}
   * @return the canonical key: numbers as their {@link BigDecimal#stripTrailingZeros()} value,
   *     other answers trimmed
   */
  public static String normalize(String raw) {
    if (raw == null) {
      return null;
    }
    String t = raw.strip();
    if (t.isEmpty()) {
      return null;
    }
    String digits = GROUPED.matcher(t).matches() ? t.replace(",", "") : t;
    if (NUMBER.matcher(digits).matches()) {
      try {
        BigDecimal v = new BigDecimal(digits.startsWith("+") ? digits.substring(1) : digits);
        if (v.signum() == 0) {
          return "0";
        }
        BigDecimal c = v.stripTrailingZeros();
        // Plain digits for ordinary magnitudes; scientific form keeps "1e999999999" short. Both
        // are unique per value, and a given value always takes the same branch.
        return Math.abs(c.scale()) <= 64 ? c.toPlainString() : c.toString();
      } catch (NumberFormatException | ArithmeticException e) {
        return t; // exponent out of BigDecimal's range: compare as text
      }
    }
    return t;
  }
}
