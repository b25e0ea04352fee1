package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.column;
import static dev.reweigh.cli.CliRunner.keep;
import static dev.reweigh.cli.CliRunner.readJson;
import static dev.reweigh.cli.CliRunner.readJsonl;
import static dev.reweigh.cli.CliRunner.resource;
import static dev.reweigh.cli.CliRunner.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each method declares about itself: the fields it requires (a line without one is an input
 * error naming the field), the streaming plan the summary reports, whether a file with no answers
 * gets the "no line has an answer" note, and the option checks of each method.
 */
class MethodContractTest {

  @TempDir Path tmp;

  private CliRunner.Result weigh(String file, String... extra) {
    return CliRunner.weigh(tmp, resource(file), extra);
  }

  private JsonNode summary() {
    return readJson(tmp.resolve("s.json"));
  }

  @Test
  void questionIdIsRequiredByEveryPerQuestionMethod() {
    for (String[] m : List.of(
        new String[] {"-m", "lmsi"},
        new String[] {"-m", "rejection"},
        new String[] {"-m", "iwsi-w", "--valid-mean-loss", "1"},
        new String[] {"-m", "iwsi", "--valid-mean-loss", "1"},
        new String[] {"-m", "east"},
        new String[] {"-m", "sharpening-sft", "--reward", "majority"})) {
      weigh("no_question.jsonl", m)
          .assertExit(1)
          .assertErrContains("line 1: missing required field \"question_id\"");
    }
  }

  @Test
  void goldAnswerIsRequiredByRejectionAndEastGold() {
    weigh("no_gold.jsonl", "-m", "rejection")
        .assertExit(1)
        .assertErrContains("line 1: missing required field \"gold_answer\"");
    weigh("no_gold.jsonl", "-m", "east", "--target", "gold")
        .assertExit(1)
        .assertErrContains("line 1: missing required field \"gold_answer\"");
    // auto falls back to the majority when there is no gold answer.
    weigh("no_gold.jsonl", "-m", "east").assertExit(0);
  }

  @Test
  void lossIsRequiredByLossMethods() {
    for (String[] m : List.of(
        new String[] {"-m", "kl-dro"},
        new String[] {"-m", "loss-reweighting"},
        new String[] {"-m", "iwsi", "--valid-mean-loss", "1"})) {
      weigh("no_loss.jsonl", m).assertExit(1).assertErrContains("missing required field \"loss\"");
    }
  }

  @Test
  void sharpeningRewardsRequireTheirFields() {
    weigh("east.jsonl", "-m", "sharpening-sft")
        .assertExit(1)
        .assertErrContains("missing required field \"log_prob_sum\"");
    Path noCounts = tmp.resolve("no_counts.jsonl");
    try {
      Files.writeString(noCounts, "{\"question_id\": 1, \"log_prob_sum\": -2.0}\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    run("weigh", "-m", "sharpening-sft", "--reward", "length-normalized", "-i", noCounts.toString(),
        "-o", tmp.resolve("out.jsonl").toString())
        .assertExit(1)
        .assertErrContains("missing required field \"token_count\"");
  }

  @Test
  void summaryReportsEachMethodsStreamingPlan() {
    String one = "one pass; memory: one question at a time";
    weigh("iwsi.jsonl", "-m", "lmsi").assertExit(0);
    assertEquals(one, summary().get("streaming").asText());
    weigh("rejection.jsonl", "-m", "rejection").assertExit(0);
    assertEquals(one, summary().get("streaming").asText());
    weigh("iwsi.jsonl", "-m", "iwsi-w", "--valid-mean-loss", "2").assertExit(0);
    assertEquals(one, summary().get("streaming").asText());
    weigh("sharpening.jsonl", "-m", "sharpening-sft").assertExit(0);
    assertEquals(one, summary().get("streaming").asText());
    weigh("iwsi.jsonl", "-m", "iwsi", "--valid-mean-loss", "2").assertExit(0);
    assertTrue(summary().get("streaming").asText().startsWith("two passes (the global percentile"));
    weigh("east.jsonl", "-m", "east").assertExit(0);
    assertTrue(summary().get("streaming").asText().startsWith("two passes (the mean of h^a"));
    weigh("losses.jsonl", "-m", "kl-dro").assertExit(0);
    assertTrue(summary().get("streaming").asText().startsWith("two passes over the file"));
    weigh("losses.jsonl", "-m", "kl-dro", "--batch-size", "1").assertExit(0);
    assertEquals("one pass; memory: one batch of 1 lines", summary().get("streaming").asText());
    weigh("losses.jsonl", "-m", "loss-reweighting").assertExit(0);
    assertTrue(summary().get("streaming").asText().startsWith("three passes over the file"));
    weigh("losses.jsonl", "-m", "loss-reweighting", "--batch-size", "1").assertExit(0);
    assertEquals("one pass; memory: one batch of 1 lines", summary().get("streaming").asText());
  }

  /** Methods that read no answer never add the "no line has an answer" note. */
  @Test
  void answerNoteOnlyForMethodsThatReadAnswers() {
    for (String[] m : List.of(
        new String[] {"-m", "kl-dro"},
        new String[] {"-m", "loss-reweighting"},
        new String[] {"-m", "sharpening-sft"})) {
      String file = m[1].equals("sharpening-sft") ? "sharpening.jsonl" : "losses.jsonl";
      weigh(file, m).assertExit(0);
      assertFalse(summary().get("notes").toString().contains("no line has an"), m[1]);
    }
    weigh("losses.jsonl", "-m", "sharpening-sft", "--reward", "majority").assertExit(0);
    assertTrue(summary().get("notes").get(0).asText().startsWith("no line has an \"answer\""));
  }

  @Test
  void optionChecksOfEachMethod() {
    // Each row: the message the usage error must contain, the input, the arguments.
    for (String[] c : new String[][] {
        {"--clip = 0.0 must be finite and > 0",
            "iwsi.jsonl", "-m", "iwsi-w", "--valid-mean-loss", "2", "--clip", "0"},
        {"--valid-mean-loss = -1.0 must be finite and > 0",
            "iwsi.jsonl", "-m", "iwsi", "--valid-mean-loss", "-1"},
        {"--temperature = -1.0 must be finite and > 0",
            "losses.jsonl", "-m", "kl-dro", "--temperature", "-1"},
        {"--batch-size = -1 is negative",
            "losses.jsonl", "-m", "kl-dro", "--batch-size", "-1"},
        {"--batch-size = -2 is negative",
            "losses.jsonl", "-m", "loss-reweighting", "--batch-size", "-2"},
        {"--exponent = Infinity is not finite",
            "east.jsonl", "-m", "east", "-a", "Infinity"}}) {
      weigh(c[1], Arrays.copyOfRange(c, 2, c.length)).assertExit(2).assertErrContains(c[0]);
    }
    // --keep-fraction 1 is the edge of (0, 1]: accepted.
    weigh("iwsi.jsonl", "-m", "iwsi", "--valid-mean-loss", "2", "--keep-fraction", "1").assertExit(0);
  }

  @Test
  void outputMustDifferFromInput() throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Files.copy(Path.of(resource("iwsi.jsonl")), in);
    String before = Files.readString(in);
    run("weigh", "-m", "lmsi", "-i", in.toString(), "-o", in.toString())
        .assertExit(2)
        .assertErrContains("--output must differ from --input");
    assertEquals(before, Files.readString(in), "the input was not overwritten");
    // Distinct existing files are fine.
    Path out = tmp.resolve("other.jsonl");
    Files.writeString(out, "old\n");
    run("weigh", "-m", "lmsi", "-i", in.toString(), "-o", out.toString()).assertExit(0);
    assertEquals(7, readJsonl(out).size());
  }

  /**
   * EAST with a > 0 and a question of entropy 0: weight 0, reported as not kept, with a note.
   * rejection.jsonl by majority: r1 clusters {2, 1} (h = 0.6365142), r2 one cluster (h = 0); the
   * mean of h^1 over both is 0.3182571, so r1's kept rows weigh 0.6365142 / 0.3182571 = 2.
   */
  @Test
  void eastZeroEntropyWithPositiveExponentGetsWeightZero() {
    weigh("rejection.jsonl", "-m", "east", "--target", "majority").assertExit(0);
    List<JsonNode> rows = readJsonl(tmp.resolve("out.jsonl"));
    assertArrayEquals(new boolean[] {true, true, false, false}, keep(rows));
    double[] w = column(rows, "weight");
    assertEquals(2.0, w[0], 1e-12);
    assertEquals(2.0, w[1], 1e-12);
    assertEquals(0.0, w[3], 0);
    assertTrue(summary().get("notes").toString().contains("1 question(s) with entropy 0 get weight 0"));
    assertEquals(1, summary().get("questions_dropped").asInt());
  }

  /**
   * Every trained question has h = 0 and a < 0: nothing is dropped as undefined, the weights are
   * uniform (docs/methods.md §3: all h = 0 gives f = 1), and no note claims a drop.
   */
  @Test
  void eastAllZeroEntropyWithNegativeExponentKeepsUniformWeights() {
    weigh("zero_entropy.jsonl", "-m", "east", "-a", "-1", "--target", "majority").assertExit(0);
    List<JsonNode> rows = readJsonl(tmp.resolve("out.jsonl"));
    assertArrayEquals(new boolean[] {true, true, true}, keep(rows));
    assertArrayEquals(new double[] {1, 1, 1}, column(rows, "weight"), 0);
    assertEquals(0, summary().get("questions_dropped").asInt());
    assertEquals(0, summary().get("notes").size(), summary().get("notes").toString());
  }
}
