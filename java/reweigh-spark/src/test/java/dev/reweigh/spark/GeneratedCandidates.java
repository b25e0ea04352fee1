package dev.reweigh.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A random candidate file for the agreement tests, built to hit the edge cases: questions whose
 * lines are not contiguous, questions with no parsable answer, null / blank / missing / numeric
 * answers that normalise alike ("2", 2, "2.0", " 2 "), majority ties, gold answers on some
 * questions (some lines without one), losses from a small set (ties in the DS weight, at sigma)
 * plus zero losses (infinite DS weight), tied log-probs, integer and string question ids.
 */
final class GeneratedCandidates {

  /** One JSON line with its question (for regrouping). */
  record Line(String question, String json) {}

  private GeneratedCandidates() {}

  /**
   * The lines, with the questions' lines interleaved (not contiguous).
   *
   * @param allGold every line has a gold_answer (rejection and EAST's gold target require one);
   *     else a third of the questions have none and some lines of the others lack it
   */
  static List<Line> generate(long seed, int questions, boolean allGold) {
    Random rnd = new Random(seed);
    List<List<Line>> chunks = new ArrayList<>();
    int response = 0;
    String[] answers = {"1", "2", "2.0", " 2 ", "3", "x", "1,000", "1000", ""};
    double[] losses = {0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
    for (int q = 0; q < questions; q++) {
      String qid = q % 7 == 3 ? Integer.toString(1000 + q) : "\"q" + q + "\"";
      int n = 1 + rnd.nextInt(9);
      boolean empty = q % 11 == 5; // no parsable answer at all
      String gold = q % 3 == 0 ? (allGold ? "\" 3\"" : null) : (q % 3 == 1 ? "\"2\"" : "1000");
      List<Line> lines = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        StringBuilder sb = new StringBuilder("{\"question_id\":").append(qid);
        sb.append(",\"response_id\":\"r").append(response++).append('"');
        int a = rnd.nextInt(answers.length + 3);
        if (empty || a == answers.length) {
          sb.append(",\"answer\":null");
        } else if (a == answers.length + 1) {
          sb.append(",\"answer\":2"); // a JSON number
        } else if (a == answers.length + 2) {
          // answer field absent
        } else {
          sb.append(",\"answer\":\"").append(answers[a]).append('"');
        }
        if (gold != null && (allGold || rnd.nextInt(5) != 0)) {
          sb.append(",\"gold_answer\":").append(gold);
        }
        double loss =
            rnd.nextInt(25) == 0
                ? 0.0
                : (rnd.nextBoolean() ? losses[rnd.nextInt(losses.length)] : 0.05 + 4 * rnd.nextDouble());
        sb.append(",\"loss\":").append(loss);
        double lps = rnd.nextInt(4) == 0 ? -7.5 : -20 * rnd.nextDouble();
        sb.append(",\"log_prob_sum\":").append(String.format(Locale.ROOT, "%.17g", lps));
        sb.append(",\"token_count\":").append(1 + rnd.nextInt(30));
        sb.append(",\"note\":{\"k\":[").append(i).append("]}}");
        lines.add(new Line(qid, sb.toString()));
      }
      // Split the question into up to three chunks, placed apart.
      int cut1 = rnd.nextInt(n + 1);
      int cut2 = cut1 + rnd.nextInt(n - cut1 + 1);
      chunks.add(lines.subList(0, cut1));
      chunks.add(lines.subList(cut1, cut2));
      chunks.add(lines.subList(cut2, n));
    }
    // Interleave: chunks keep their order within a question (chunk k of q before chunk k+1 of q).
    List<Line> out = new ArrayList<>();
    int[] next = new int[questions];
    List<Integer> open = new ArrayList<>();
    for (int q = 0; q < questions; q++) {
      open.add(q);
    }
    while (!open.isEmpty()) {
      int pick = rnd.nextInt(Math.min(open.size(), 5));
      int q = open.get(pick);
      out.addAll(chunks.get(3 * q + next[q]));
      if (++next[q] == 3) {
        open.remove(pick);
      }
    }
    return out;
  }

  /** The same lines grouped by question (first appearance), keeping order inside a question. */
  static List<Line> grouped(List<Line> lines) {
    Map<String, List<Line>> byQuestion = new LinkedHashMap<>();
    for (Line l : lines) {
      byQuestion.computeIfAbsent(l.question(), k -> new ArrayList<>()).add(l);
    }
    List<Line> out = new ArrayList<>();
    byQuestion.values().forEach(out::addAll);
    return out;
  }

  static String text(List<Line> lines) {
    StringBuilder sb = new StringBuilder();
    for (Line l : lines) {
      sb.append(l.json()).append('\n');
    }
    return sb.toString();
  }
}
