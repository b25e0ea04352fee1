package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.column;
import static dev.reweigh.cli.CliRunner.keep;
import static dev.reweigh.cli.CliRunner.readJson;
import static dev.reweigh.cli.CliRunner.readJsonl;
import static dev.reweigh.cli.CliRunner.resource;
import static dev.reweigh.cli.CliRunner.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reweigh.weighting.KlDro;
import dev.reweigh.weighting.LossReweighting;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reweigh weigh} on small files, with the worked examples of docs/methods.md. */
class WeighCommandTest {

  @TempDir Path tmp;

  private List<JsonNode> weigh(String... args) {
    Path out = tmp.resolve("out.jsonl");
    String[] full = new String[args.length + 5];
    full[0] = "weigh";
    System.arraycopy(args, 0, full, 1, args.length);
    full[args.length + 1] = "-o";
    full[args.length + 2] = out.toString();
    full[args.length + 3] = "--summary";
    full[args.length + 4] = tmp.resolve("summary.json").toString();
    run(full).assertExit(0);
    return readJsonl(out);
  }

  private JsonNode summary() {
    return readJson(tmp.resolve("summary.json"));
  }

  private static void assertClose(double[] expected, double[] actual, double tol) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol, "index " + i);
    }
  }

  @Test
  void lmsiKeepsMajorityAndCopiesInputFields() {
    List<JsonNode> rows = weigh("-m", "lmsi", "-i", resource("iwsi.jsonl"));
    assertArrayEquals(new boolean[] {true, true, true, false, true, false, true}, keep(rows));
    assertClose(new double[] {1, 1, 1, 0, 1, 0, 1}, column(rows, "weight"), 0);
    assertEquals("q1", rows.get(0).get("question_id").asText());
    assertEquals("a", rows.get(0).get("response_id").asText());
    assertEquals(1.6, rows.get(0).get("loss").doubleValue(), 0);
    JsonNode s = summary();
    assertEquals(7, s.get("candidates").asInt());
    assertEquals(5, s.get("kept").asInt());
    assertEquals(2, s.get("questions").asInt());
    assertEquals(1, s.get("input_passes").asInt());
  }

  /** docs/methods.md §2: Lv = mean(2.0, 2.2, 1.8) = 2; wDS = [1.25, 1, 1.25, 1.5, 2]. */
  @Test
  void iwsiWithValidationFileMatchesMethodsExample() {
    List<JsonNode> rows =
        weigh("-m", "iwsi", "-i", resource("iwsi.jsonl"), "--valid", resource("valid.jsonl"));
    // Majority-kept: rows 0, 1, 2, 4, 6; k = 0.8 drops the largest wDS (row 6, loss 1.0).
    assertArrayEquals(new boolean[] {true, true, true, false, true, false, false}, keep(rows));
    assertClose(new double[] {1, 1, 1, 0, 1, 0, 0}, column(rows, "weight"), 0);
    assertClose(new double[] {1.25, 1.0, 1.25, 20.0, 1.5, 2.0, 2.0}, column(rows, "ds_weight"), 1e-12);
    JsonNode s = summary();
    assertEquals(2, s.get("input_passes").asInt());
    assertEquals(2.0, s.get("parameters").get("valid_mean_loss").doubleValue(), 1e-15);
    assertEquals(4, s.get("kept").asInt());
    assertTrue(s.get("notes").get(0).asText().contains("sigma (keep threshold on ds_weight) = 1.5"));
  }

  /**
   * Eq. (8) is the mean of the --valid file's losses {1, 6, 2}: Lv = 3 (their median is 2). wDS =
   * max(3 / L, L / 3) over iwsi.jsonl: 1.875, 1.5, 1.2, 30, 1, 3, 3; majority-kept rows 0, 1, 2, 4,
   * 6 have sorted wDS {1, 1.2, 1.5, 1.875, 3}; ceil(0.8 * 5) = 4 gives sigma = 1.875.
   */
  @Test
  void iwsiValidationMeanIsTheMeanOfASkewedFile() {
    List<JsonNode> rows =
        weigh("-m", "iwsi", "-i", resource("iwsi.jsonl"), "--valid", resource("valid_skewed.jsonl"));
    assertClose(new double[] {1.875, 1.5, 1.2, 30, 1, 3, 3}, column(rows, "ds_weight"), 1e-12);
    assertArrayEquals(new boolean[] {true, true, true, false, true, false, false}, keep(rows));
    JsonNode s = summary();
    assertEquals(3.0, s.get("parameters").get("valid_mean_loss").doubleValue(), 1e-15);
    assertTrue(s.get("notes").get(0).asText().contains("= 1.875 over 5"));
  }

  @Test
  void iwsiKeepFractionOneKeepsTheMajority() {
    List<JsonNode> rows =
        weigh("-m", "iwsi", "-i", resource("iwsi.jsonl"), "--valid-mean-loss", "2", "--keep-fraction", "1");
    assertArrayEquals(new boolean[] {true, true, true, false, true, false, true}, keep(rows));
  }

  /** docs/methods.md §2 (IWSI-w): min(Lv / L, 2) on the majority-kept rows, 0 elsewhere. */
  @Test
  void iwsiClipped() {
    List<JsonNode> rows = weigh("-m", "iwsi-w", "-i", resource("iwsi.jsonl"), "--valid-mean-loss", "2.0");
    assertClose(new double[] {1.25, 1.0, 0.8, 0, 2.0 / 3, 0, 2.0}, column(rows, "weight"), 1e-15);
    assertArrayEquals(new boolean[] {true, true, true, false, true, false, true}, keep(rows));
  }

  /** docs/methods.md §3: f = [0.9865656, 0.6980137, 1.3154208] (a = 1), mean over 3 questions. */
  @Test
  void eastMatchesMethodsExampleAndDropsUnparsableQuestion() {
    List<JsonNode> rows = weigh("-m", "east", "-i", resource("east.jsonl"));
    assertEquals(26, rows.size());
    double[] w = column(rows, "weight");
    boolean[] k = keep(rows);
    for (int i = 0; i < 8; i++) {
      assertEquals(i < 4 ? 0.9865656 : 0, w[i], 1e-7, "e1 row " + i);
      assertEquals(i < 4, k[i]);
      assertEquals(1.0397208, rows.get(i).get("entropy").doubleValue(), 5e-8);
      assertEquals(i < 6 ? 0.6980137 : 0, w[8 + i], 1e-7, "e2 row " + i);
      // e3: four clusters of 2, the tie goes to the first ("1": rows 0 and 1).
      assertEquals(i < 2 ? 1.3154208 : 0, w[16 + i], 1e-7, "e3 row " + i);
    }
    assertEquals(0, w[24], 0);
    assertEquals(false, k[25]);
    assertTrue(rows.get(24).get("entropy").isNull());
    JsonNode s = summary();
    assertEquals(4, s.get("questions").asInt());
    assertEquals(1, s.get("questions_dropped").asInt());
    assertTrue(s.get("notes").get(0).asText().contains("1 question(s) dropped"));
  }

  /**
   * Default target (auto): a question with gold answers trains on the gold matches, not on its
   * majority. Entropies by hand (natural log, all parsable answers): g1 clusters {3, 1}: h1 =
   * -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623351446; g2 {1, 1}: ln 2; g3 {2, 1}: h3 = -(2/3 ln 2/3 +
   * 1/3 ln 1/3) = 0.6365141683. Auto: g1 trains its one "2" (row 3), g2 has no response equal to
   * its gold "9" and is dropped, g3 has no gold and trains its majority "4" (rows 6, 8); a = 1, the
   * mean runs over g1 and g3: f = h / ((h1 + h3) / 2) = 0.9381248145 and 1.0618751855.
   */
  @Test
  void eastDefaultTargetTrainsOnGoldAnswersWhenPresent() {
    List<JsonNode> rows = weigh("-m", "east", "-i", resource("east_gold.jsonl"));
    assertArrayEquals(
        new boolean[] {false, false, false, true, false, false, true, false, true}, keep(rows));
    assertClose(
        new double[] {0, 0, 0, 0.9381248145, 0, 0, 1.0618751855, 0, 1.0618751855},
        column(rows, "weight"),
        1e-10);
    assertEquals(0.5623351446, rows.get(0).get("entropy").doubleValue(), 1e-10);
    assertTrue(rows.get(4).get("entropy").isNull(), "g2 has nothing to train on");
    assertEquals(0.6365141683, rows.get(6).get("entropy").doubleValue(), 1e-10);
    assertEquals(1, summary().get("questions_dropped").asInt());
    assertEquals("auto", summary().get("parameters").get("target").asText());
  }

  /**
   * Target majority on the same file ignores the gold answers: g1 trains its three "1", g2 its
   * first tied cluster "7", g3 its "4"; the mean runs over all three: f = h / ((h1 + ln 2 + h3) /
   * 3) = 0.8916535732, 1.0990726192, 1.0092738076.
   */
  @Test
  void eastMajorityTargetIgnoresGoldAnswers() {
    List<JsonNode> rows =
        weigh("-m", "east", "-i", resource("east_gold.jsonl"), "--target", "majority");
    assertArrayEquals(
        new boolean[] {true, true, true, false, true, false, true, false, true}, keep(rows));
    assertClose(
        new double[] {
          0.8916535732, 0.8916535732, 0.8916535732, 0, 1.0990726192, 0, 1.0092738076, 0,
          1.0092738076
        },
        column(rows, "weight"),
        1e-10);
    assertEquals(0, summary().get("questions_dropped").asInt());
  }

  @Test
  void eastNegativeExponentWithZeroEntropyDropsAndSaysSo() {
    // Lines of e2 rewritten so that it has one cluster: use the rejection file (r2 has one answer).
    List<JsonNode> rows =
        weigh("-m", "east", "-i", resource("rejection.jsonl"), "-a", "-1", "--target", "majority");
    // r1: clusters {10, 1e1} = 2, {11} = 1 -> h > 0, kept; r2: one cluster, h = 0 -> dropped.
    assertArrayEquals(new boolean[] {true, true, false, false}, keep(rows));
    assertClose(new double[] {1, 1, 0, 0}, column(rows, "weight"), 1e-15);
    assertTrue(summary().get("notes").toString().contains("entropy 0 dropped"));
  }

  /** docs/methods.md §4: SEQUENCE_LOGPROB picks 1, LENGTH_NORMALIZED picks 2. */
  @Test
  void sharpeningSft() {
    List<JsonNode> seq = weigh("-m", "sharpening-sft", "-i", resource("sharpening.jsonl"));
    assertArrayEquals(new boolean[] {false, true, false, false}, keep(seq));
    List<JsonNode> len =
        weigh(
            "-m", "sharpening-sft", "-i", resource("sharpening.jsonl"), "--reward", "length-normalized");
    assertArrayEquals(new boolean[] {false, false, true, false}, keep(len));
    assertClose(new double[] {-1.2, -1.7, -0.76, -9.1 / 6}, column(len, "reward"), 1e-15);
  }

  @Test
  void sharpeningMajorityRewardDropsQuestionsWithoutAnswers() {
    List<JsonNode> rows =
        weigh("-m", "sharpening-sft", "-i", resource("east.jsonl"), "--reward", "majority");
    boolean[] k = keep(rows);
    // e1: first "1" (row 0); e2: row 8; e3: first of the tied clusters (row 16); e4: dropped.
    for (int i = 0; i < k.length; i++) {
      assertEquals(i == 0 || i == 8 || i == 16, k[i], "row " + i);
    }
    assertEquals(0.5, rows.get(0).get("reward").doubleValue(), 0);
  }

  @Test
  void noteWhenNoLineHasAnAnswer() {
    weigh("-m", "lmsi", "-i", resource("losses.jsonl"));
    assertEquals(0, summary().get("kept").asInt());
    assertTrue(summary().get("notes").get(0).asText().contains("no line has an \"answer\""));
  }

  /** docs/methods.md §5: losses [2, 3, 4, 6], LIN_UPPER, r = 1. */
  @Test
  void lossReweightingWholeFileStreamsToTheLibraryResult() {
    List<JsonNode> rows =
        weigh("-m", "loss-reweighting", "-i", resource("losses.jsonl"), "--temperature", "1");
    double[] w = column(rows, "weight");
    assertClose(new double[] {0.123681, 0.203916, 0.336201, 0.336201}, w, 5e-7);
    assertClose(
        LossReweighting.weights(new double[] {2, 3, 4, 6}, LossReweighting.Strategy.LIN_UPPER, 1.0),
        w,
        1e-15);
    assertEquals(3, summary().get("input_passes").asInt());
    assertEquals(1.0, summary().get("weight_sum").doubleValue(), 1e-15);
  }

  @Test
  void lossReweightingBatches() {
    List<JsonNode> rows =
        weigh(
            "-m", "loss-reweighting", "-i", resource("losses.jsonl"), "--strategy", "quadratic",
            "--batch-size", "2");
    // Batches [2, 3] and [4, 6]: h = (-1, 1) in each, QUADRATIC f = (0, 0) -> uniform 0.5.
    assertClose(new double[] {0.5, 0.5, 0.5, 0.5}, column(rows, "weight"), 1e-15);
    assertEquals(1, summary().get("input_passes").asInt());
  }

  @Test
  void klDroWholeFileAndBatches() {
    double[] l = {2, 3, 4, 6};
    List<JsonNode> rows = weigh("-m", "kl-dro", "-i", resource("losses.jsonl"), "--temperature", "0.5");
    assertClose(KlDro.weights(l, 0.5), column(rows, "weight"), 1e-15);
    assertEquals(2, summary().get("input_passes").asInt());
    List<JsonNode> batched =
        weigh("-m", "kl-dro", "-i", resource("losses.jsonl"), "--batch-size", "3");
    double[] first = KlDro.weights(new double[] {2, 3, 4}, 1.0);
    assertClose(new double[] {first[0], first[1], first[2], 1.0}, column(batched, "weight"), 1e-15);
  }

  @Test
  void rejectionKeepsGoldMatches() {
    List<JsonNode> rows = weigh("-m", "rejection", "-i", resource("rejection.jsonl"));
    assertArrayEquals(new boolean[] {true, true, false, false}, keep(rows));
    assertEquals(1, summary().get("questions_dropped").asInt());
  }

  @Test
  void histogramUsesLog2Buckets() {
    weigh("-m", "iwsi-w", "-i", resource("iwsi.jsonl"), "--valid-mean-loss", "2.0");
    // Weights 1.25, 1.0, 0.8, 0, 0.667, 0, 2.0 -> {0: 2, [0.5, 1): 2, [1, 2): 2, [2, 4): 1}.
    JsonNode h = summary().get("weight_histogram");
    assertEquals(4, h.size());
    double[][] expected = {{0, 0, 2}, {0.5, 1, 2}, {1, 2, 2}, {2, 4, 1}};
    for (int b = 0; b < 4; b++) {
      assertEquals(expected[b][0], h.get(b).get("lower").doubleValue(), 0);
      assertEquals(expected[b][1], h.get(b).get("upper").doubleValue(), 0);
      assertEquals(expected[b][2], h.get(b).get("count").doubleValue(), 0);
    }
  }

  @Test
  void stdoutOutputAndStderrSummary() {
    CliRunner.Result r = run("weigh", "-m", "lmsi", "-i", resource("iwsi.jsonl")).assertExit(0);
    assertEquals(7, readJsonl(r.out()).size());
    r.assertErrContains("\"kept\" : 5");
  }
}
