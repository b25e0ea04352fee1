package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.column;
import static dev.reweigh.cli.CliRunner.keep;
import static dev.reweigh.cli.CliRunner.readJsonl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.KlDro;
import dev.reweigh.weighting.LossReweighting;
import dev.reweigh.weighting.SelfConsistency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-pass streaming paths of the CLI (online softmax normaliser, IWSI's global threshold)
 * give the same result as the in-memory library on a random file of 997 lines (odd on purpose).
 */
class StreamingAgreementTest {

  private static final int QUESTIONS = 97;

  @TempDir Path tmp;

  private double[] losses;
  private List<String> answers;
  private int[] questionOf;

  private Path writeRandomFile() throws Exception {
    Random rnd = new Random(2024);
    StringBuilder sb = new StringBuilder();
    List<Double> l = new ArrayList<>();
    answers = new ArrayList<>();
    List<Integer> q = new ArrayList<>();
    for (int qi = 0; qi < QUESTIONS; qi++) {
      int n = 1 + rnd.nextInt(19);
      for (int r = 0; r < n && l.size() < 997; r++) {
        double loss = rnd.nextInt(50) == 0 ? 0.0 : 0.05 + 4 * rnd.nextDouble();
        String ans = rnd.nextInt(10) == 0 ? null : Integer.toString(rnd.nextInt(3));
        l.add(loss);
        answers.add(ans);
        q.add(qi);
        sb.append(String.format(Locale.ROOT,
            "{\"question_id\":\"q%d\",\"response_id\":%d,\"answer\":%s,\"loss\":%s}%n",
            qi, r, ans == null ? "null" : "\"" + ans + "\"", Double.toString(loss)));
      }
    }
    losses = l.stream().mapToDouble(Double::doubleValue).toArray();
    questionOf = q.stream().mapToInt(Integer::intValue).toArray();
    Path f = tmp.resolve("random.jsonl");
    Files.writeString(f, sb.toString());
    return f;
  }

  private List<JsonNode> weigh(Path in, String... args) {
    CliRunner.weigh(tmp, in.toString(), args).assertExit(0);
    return readJsonl(tmp.resolve("out.jsonl"));
  }

  private static void assertRelClose(double[] expected, double[] actual, double rel) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], rel * Math.abs(expected[i]), "index " + i);
    }
  }

  @Test
  void wholeFileSoftmaxMatchesLibrary() throws Exception {
    Path f = writeRandomFile();
    for (LossReweighting.Strategy s : LossReweighting.Strategy.values()) {
      String name = s.name().toLowerCase(Locale.ROOT).replace('_', '-');
      double[] w = column(weigh(f, "-m", "loss-reweighting", "--strategy", name), "weight");
      assertRelClose(LossReweighting.weights(losses, s, s.defaultTemperature()), w, 1e-12);
    }
    for (double r : new double[] {0.01, 1.0, 50.0}) {
      double[] w = column(weigh(f, "-m", "kl-dro", "--temperature", Double.toString(r)), "weight");
      assertRelClose(KlDro.weights(losses, r), w, 1e-12);
    }
  }

  @Test
  void iwsiGlobalThresholdMatchesLibrary() throws Exception {
    Path f = writeRandomFile();
    // Library: majority per question, then keepLowest over all majority-kept samples.
    boolean[] majority = new boolean[losses.length];
    for (int start = 0; start < losses.length; ) {
      int end = start;
      while (end < losses.length && questionOf[end] == questionOf[start]) {
        end++;
      }
      boolean[] k = SelfConsistency.lmsiKeep(answers.subList(start, end));
      System.arraycopy(k, 0, majority, start, k.length);
      start = end;
    }
    double lv = 1.7;
    double[] wDS = Iwsi.dsWeights(losses, lv);
    List<Double> keptW = new ArrayList<>();
    for (int i = 0; i < wDS.length; i++) {
      if (majority[i]) {
        keptW.add(wDS[i]);
      }
    }
    boolean[] lowest =
        Iwsi.keepLowest(keptW.stream().mapToDouble(Double::doubleValue).toArray(), 0.65);
    boolean[] expected = new boolean[losses.length];
    for (int i = 0, j = 0; i < losses.length; i++) {
      if (majority[i]) {
        expected[i] = lowest[j++];
      }
    }
    List<JsonNode> rows =
        weigh(f, "-m", "iwsi", "--valid-mean-loss", "1.7", "--keep-fraction", "0.65");
    assertArrayEquals(expected, keep(rows));
  }
}
