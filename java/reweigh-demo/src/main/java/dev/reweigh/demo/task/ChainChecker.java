package dev.reweigh.demo.task;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Verifies every step of a response against its problem: each marker of the question used exactly
 * once, with the question's sign and operand, each step starting from the previous result (the
 * first from the start value), each sum right, and the stated answer equal to the last result. A
 * right answer reached through a wrong step is not a right chain.
 */
public final class ChainChecker {
  private static final Pattern STEP = Pattern.compile("([a-z])\\)(\\d+)([+-])(\\d+)=(\\d+)");

  private ChainChecker() {}

  /** Whether every step of {@code response} is right for {@code p}. */
  public static boolean allStepsRight(Problem p, String response) {
    int[] ops = p.operands();
    boolean[] used = new boolean[ops.length];
    Matcher m = STEP.matcher(response);
    int value = p.start();
    int steps = 0;
    while (m.find()) {
      int i = m.group(1).charAt(0) - 'a';
      if (i >= ops.length || used[i] || m.group(2).length() > 3 || m.group(4).length() > 3
          || m.group(5).length() > 3) {
        return false;
      }
      used[i] = true;
      int from = Integer.parseInt(m.group(2));
      int op = Integer.parseInt(m.group(4)) * (m.group(3).equals("-") ? -1 : 1);
      int to = Integer.parseInt(m.group(5));
      if (from != value || op != ops[i] || to != from + op) {
        return false;
      }
      value = to;
      steps++;
    }
    OptionalInt answer = AnswerExtractor.extract(response);
    return steps == ops.length && answer.isPresent() && answer.getAsInt() == value;
  }
}
