package dev.reweigh.demo.task;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates multi-step arithmetic word problems with a chain of thought, for example:
 *
 * <pre>
 * Q: Ann has 7 pens, buys 3, loses 4. How many? A: 7+3=10. 10-4=6. The answer is 6.
 * </pre>
 *
 * <p>In-distribution problems have {@code minSteps..maxSteps} steps with operands {@code
 * 1..maxOperand}; shifted problems have {@code shiftedSteps} steps and operands up to {@code
 * shiftedMaxOperand}, so a distribution-shift weight (IWSI) has something to find in the pool.
 * Values never go negative. Deterministic for a given random source.
 */
public final class ArithmeticTask {
  private static final String[] NAMES = {"Ann", "Ben", "Cal", "Dee", "Eva", "Finn", "Gus", "Ida"};
  private static final String[] THINGS = {"pens", "cards", "coins", "books", "eggs", "shells"};
  private static final String[] ADD = {"buys", "finds", "gets", "wins"};
  private static final String[] SUB = {"loses", "sells", "gives away", "eats"};

  /** Shape of the in-distribution and shifted problems. */
  public record Shape(
      int minSteps, int maxSteps, int maxStart, int maxOperand, int shiftedSteps,
      int shiftedMaxOperand) {
    /** The demo's default: 2-3 steps, operands 1-3; shifted: 4 steps, operands up to 9. */
    public static Shape standard() {
      return new Shape(2, 3, 9, 3, 4, 9);
    }
  }

  private final Shape shape;

  public ArithmeticTask(Shape shape) {
    this.shape = shape;
  }

  /** One in-distribution ({@code shifted = false}) or shifted problem. */
  public Problem generate(SplittableRandom rnd, boolean shifted) {
    int steps =
        shifted
            ? shape.shiftedSteps()
            : shape.minSteps() + rnd.nextInt(shape.maxSteps() - shape.minSteps() + 1);
    int maxOperand = shifted ? shape.shiftedMaxOperand() : shape.maxOperand();
    String name = NAMES[rnd.nextInt(NAMES.length)];
    String thing = THINGS[rnd.nextInt(THINGS.length)];
    int value = 1 + rnd.nextInt(shape.maxStart());
    StringBuilder q = new StringBuilder("Q: ").append(name).append(" has ").append(value)
        .append(' ').append(thing);
    StringBuilder a = new StringBuilder();
    for (int i = 0; i < steps; i++) {
      int operand = 1 + rnd.nextInt(maxOperand);
      boolean subtract = operand <= value && rnd.nextBoolean();
      String verb = subtract ? SUB[rnd.nextInt(SUB.length)] : ADD[rnd.nextInt(ADD.length)];
      q.append(", ").append(verb).append(' ').append(operand);
      int next = subtract ? value - operand : value + operand;
      a.append(' ').append(value).append(subtract ? '-' : '+').append(operand).append('=')
          .append(next).append('.');
      value = next;
    }
    q.append(". How many? A:");
    a.append(" The answer is ").append(value).append(".\n");
    return new Problem(q.toString(), a.toString(), value, shifted);
  }

  /** {@code n} problems, each shifted with probability {@code shiftedFraction}. */
  public List<Problem> generate(SplittableRandom rnd, int n, double shiftedFraction) {
    List<Problem> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(generate(rnd, rnd.nextDouble() < shiftedFraction));
    }
    return out;
  }
}
