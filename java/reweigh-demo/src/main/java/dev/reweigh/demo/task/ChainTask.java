package dev.reweigh.demo.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generates arithmetic chains whose hard part is the arithmetic, not copying:
 *
 * <pre>
 * Q: 23 a)+07 b)-03 c)+05 A: b)23-03=20 a)20+07=27 c)27+05=32 The answer is 32.
 * </pre>
 *
 * <p>No names or verbs (copying the k-th operand among words is what a tiny model fails at),
 * step markers, every number zero-padded to two digits so each step has a fixed width, start
 * values {@code startMin..startMax}, operands {@code 2..maxOperand}, and every value of the chain
 * kept in 0..99. The gold chain applies the steps in a random order (the sum does not depend on
 * it): wrong chains then make less correlated mistakes, which is what self-consistency needs.
 * In-distribution problems have {@code minSteps..maxSteps} steps, shifted ones {@code
 * shiftedSteps} (IWSI's premise: part of the unlabelled pool is off the seed distribution).
 * Deterministic for a given random source.
 */
public final class ChainTask {
  /** Shape of the in-distribution and shifted problems. */
  public record Shape(
      int minSteps, int maxSteps, int startMin, int startMax, int maxOperand, int shiftedSteps,
      boolean randomOrder) {
    public Shape {
      if (minSteps < 1 || maxSteps < minSteps || shiftedSteps < 1 || Math.max(maxSteps, shiftedSteps) > 26) {
        throw new IllegalArgumentException("steps: need 1 <= minSteps <= maxSteps <= 26, shiftedSteps in 1..26");
      }
      if (startMin < 0 || startMax < startMin || startMax > 99 || maxOperand < 2 || maxOperand > 99) {
        throw new IllegalArgumentException("startMin/startMax/maxOperand out of 0..99");
      }
    }

    /** The demo's task: 2-4 steps, start 10-59, operands 2-9, random step order; shifted: 5 steps. */
    public static Shape standard() {
      return new Shape(2, 4, 10, 59, 9, 5, true);
    }
  }

  private final Shape shape;

  public ChainTask(Shape shape) {
    this.shape = shape;
  }

  public Shape shape() {
    return shape;
  }

  /** One in-distribution ({@code shifted = false}) or shifted problem. */
  public Problem generate(SplittableRandom rnd, boolean shifted) {
    int steps = shifted
        ? shape.shiftedSteps()
        : shape.minSteps() + rnd.nextInt(shape.maxSteps() - shape.minSteps() + 1);
    int start = shape.startMin() + rnd.nextInt(shape.startMax() - shape.startMin() + 1);
    int[] ops = new int[steps];
    int value = start;
    StringBuilder q = new StringBuilder("Q: ").append(two(start));
    for (int i = 0; i < steps; i++) {
      int op = 2 + rnd.nextInt(shape.maxOperand() - 1);
      boolean minus = rnd.nextBoolean();
      if (value - op < 0) {
        minus = false;
      } else if (value + op > 99) {
        minus = true;
      }
      ops[i] = minus ? -op : op;
      value += ops[i];
      q.append(' ').append(Problem.marker(i)).append(')').append(minus ? '-' : '+').append(two(op));
    }
    q.append(" A:");
    int[] order = order(rnd, start, ops);
    StringBuilder a = new StringBuilder();
    int v = start;
    for (int i : order) {
      int next = v + ops[i];
      a.append(' ').append(step(Problem.marker(i), v, ops[i], next));
      v = next;
    }
    a.append(" The answer is ").append(two(v)).append(".\n");
    return new Problem(q.toString(), a.toString(), v, shifted, start, ops);
  }

  /** {@code n} problems, each shifted with probability {@code shiftedFraction}. */
  public List<Problem> generate(SplittableRandom rnd, int n, double shiftedFraction) {
    List<Problem> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(generate(rnd, rnd.nextDouble() < shiftedFraction));
    }
    return out;
  }

  /** One step as the chain writes it: "b)23-03=20". */
  static String step(char marker, int from, int operand, int to) {
    return marker + ")" + two(from) + (operand < 0 ? '-' : '+') + two(Math.abs(operand)) + "=" + two(to);
  }

  /** Two digits, zero-padded (values here are in 0..99). */
  static String two(int v) {
    return String.format(Locale.ROOT, "%02d", v);
  }

  /** The gold step order: random (staying in 0..99) when the shape asks for it, else a, b, c, ... */
  private int[] order(SplittableRandom rnd, int start, int[] ops) {
    int[] order = new int[ops.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (!shape.randomOrder()) {
      return order;
    }
    for (int attempt = 0; attempt < 32; attempt++) {
      int[] p = order.clone();
      for (int i = p.length - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
      if (inRange(start, ops, p)) {
        return p;
      }
    }
    return order; // prompt order always stays in range by construction
  }

  private static boolean inRange(int start, int[] ops, int[] order) {
    int v = start;
    for (int i : order) {
      v += ops[i];
      if (v < 0 || v > 99) {
        return false;
      }
    }
    return true;
  }
}
