package dev.reweigh.demo.task;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Extracts the final answer from a response: the integer after the last "The answer is". */
public final class AnswerExtractor {
  private static final Pattern ANSWER = Pattern.compile("The answer is (-?\\d{1,6})");

  private AnswerExtractor() {}

  /** The answer, or empty when the response has none (such responses do not vote). */
  public static OptionalInt extract(String response) {
    Matcher m = ANSWER.matcher(response);
    Integer last = null;
    while (m.find()) {
      last = Integer.parseInt(m.group(1));
    }
    return last == null ? OptionalInt.empty() : OptionalInt.of(last);
  }
}
