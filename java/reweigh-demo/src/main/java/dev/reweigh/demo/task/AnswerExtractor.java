package dev.reweigh.demo.task;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts the final answer from a response: the whole integer after the last "The answer is".
 * A number that does not fit an int is unparsable (never a truncated prefix of it).
 */
public final class AnswerExtractor {
  private static final Pattern ANSWER = Pattern.compile("The answer is (-?\\d+)");

  private AnswerExtractor() {}

  /** The answer, or empty when the response has none (such responses do not vote). */
  public static OptionalInt extract(String response) {
    Matcher m = ANSWER.matcher(response);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    if (last == null || last.length() > 11) {
      return OptionalInt.empty();
    }
    long v = Long.parseLong(last);
    return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) v);
  }
}
