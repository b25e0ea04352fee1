package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.readJson;
import static dev.reweigh.cli.CliRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The empty-input rule of the streaming engine (docs/design.md §7.1): an empty or blank input
 * file, for every method and pass count, gives an empty output file, exit 0, and a summary of 0
 * candidates whose only note is {@link WeighEngine#EMPTY_INPUT_NOTE}; a missing input is a usage
 * error. The Spark engine is held to the same rule in reweigh-spark's EmptyInputTest.
 */
class EmptyInputTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | -m lmsi",
        "'' | -m rejection",
        "'' | -m iwsi --valid-mean-loss 2",
        "'\n \n' | -m iwsi-w --valid-mean-loss 2",
        "'' | -m east",
        "'\n' | -m sharpening-sft",
        "'' | -m loss-reweighting",
        "'\n\n' | -m loss-reweighting --batch-size 3",
        "'' | -m kl-dro",
        "' \n' | -m kl-dro --batch-size 3"
      })
  void emptyInputGivesEmptyOutput(String text, String method) throws Exception {
    Path in = Files.writeString(tmp.resolve("in.jsonl"), text);
    Path out = tmp.resolve("out.jsonl");
    Path summary = tmp.resolve("summary.json");
    List<String> args = new ArrayList<>(List.of("weigh", "-i", in.toString(), "-o",
        out.toString(), "--summary", summary.toString()));
    args.addAll(List.of(method.trim().split(" ")));
    run(args.toArray(new String[0])).assertExit(0);
    assertEquals("", Files.readString(out), "output of " + method);
    JsonNode s = readJson(summary);
    assertEquals(0, s.get("candidates").asLong());
    assertEquals(0, s.get("kept").asLong());
    assertEquals(0.0, s.get("weight_sum").asDouble());
    assertEquals(1, s.get("notes").size(), s.get("notes").toString());
    assertEquals(WeighEngine.EMPTY_INPUT_NOTE, s.get("notes").get(0).asText());
  }

  @Test
  void emptyStdinGivesEmptyStdout() {
    var in = System.in;
    try {
      System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
      CliRunner.Result r =
          run("weigh", "-m", "lmsi", "-i", "-", "--summary", tmp.resolve("s.json").toString())
              .assertExit(0);
      assertEquals("", r.out());
    } finally {
      System.setIn(in);
    }
    assertEquals(0, readJson(tmp.resolve("s.json")).get("candidates").asLong());
  }

  @Test
  void missingInputIsAUsageError() {
    String missing = tmp.resolve("missing.jsonl").toString();
    run("weigh", "-m", "lmsi", "-i", missing, "-o", tmp.resolve("o.jsonl").toString())
        .assertExit(2)
        .assertErrContains("--input file not found: " + missing);
  }
}
