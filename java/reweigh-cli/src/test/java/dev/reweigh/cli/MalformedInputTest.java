package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.resource;
import static dev.reweigh.cli.CliRunner.run;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed lines: exit code 1 and a message naming the file and line number. */
class MalformedInputTest {

  @TempDir Path tmp;

  private CliRunner.Result weigh(String file, String... extra) {
    return CliRunner.weigh(tmp, resource(file), extra);
  }

  @Test
  void invalidJsonNamesTheLineCountingBlankLines() {
    weigh("bad_json.jsonl", "-m", "lmsi")
        .assertExit(1)
        .assertErrContains("bad_json.jsonl line 3: not valid JSON");
  }

  @Test
  void missingRequiredField() {
    weigh("missing_loss.jsonl", "-m", "iwsi-w", "--valid-mean-loss", "1")
        .assertExit(1)
        .assertErrContains("line 2: missing required field \"loss\"");
    // lmsi does not need the loss: the same file is fine.
    weigh("missing_loss.jsonl", "-m", "lmsi").assertExit(0);
  }

  @Test
  void negativeLoss() {
    weigh("negative_loss.jsonl", "-m", "kl-dro")
        .assertExit(1)
        .assertErrContains("line 4: loss = -0.5 is negative");
  }

  @Test
  void lossOfWrongType() {
    weigh("string_loss.jsonl", "-m", "kl-dro")
        .assertExit(1)
        .assertErrContains("line 1: field \"loss\" must be a number, got \"1.5\"");
  }

  @Test
  void nanIsNotJson() {
    weigh("nan_loss.jsonl", "-m", "kl-dro").assertExit(1).assertErrContains("line 2: not valid JSON");
  }

  @Test
  void lineThatIsNotAnObject() {
    weigh("not_object.jsonl", "-m", "lmsi")
        .assertExit(1)
        .assertErrContains("line 2: expected a JSON object, got ARRAY");
  }

  @Test
  void questionThatReappears() {
    weigh("regrouped.jsonl", "-m", "lmsi")
        .assertExit(1)
        .assertErrContains("line 5: question_id \"a\" reappears", "first seen at line 1");
  }

  @Test
  void zeroTokensForLengthNormalizedReward() {
    weigh("zero_tokens.jsonl", "-m", "sharpening-sft", "--reward", "length-normalized")
        .assertExit(1)
        .assertErrContains("line 2: token_count = 0");
  }

  @Test
  void conflictingGoldAnswers() {
    weigh("gold_conflict.jsonl", "-m", "rejection")
        .assertExit(1)
        .assertErrContains("line 2: gold_answer \"2\" differs from \"1\" at line 1");
  }

  @Test
  void errorInTheValidationFileNamesThatFile() throws Exception {
    Path valid = tmp.resolve("valid.jsonl");
    Files.writeString(valid, "{\"loss\": 1.0}\n{\"loss\": -1}\n");
    weigh("iwsi.jsonl", "-m", "iwsi", "--valid", valid.toString())
        .assertExit(1)
        .assertErrContains("valid.jsonl line 2: loss = -1.0 is negative");
  }

  @Test
  void usageErrors() {
    weigh("iwsi.jsonl", "-m", "nope").assertExit(2).assertErrContains("Unknown --method 'nope'");
    weigh("iwsi.jsonl", "-m", "iwsi").assertExit(2).assertErrContains("exactly one of --valid");
    weigh("iwsi.jsonl", "-m", "iwsi", "--valid-mean-loss", "2", "--keep-fraction", "0")
        .assertExit(2)
        .assertErrContains("--keep-fraction = 0.0 is outside (0, 1]");
    weigh("losses.jsonl", "-m", "kl-dro", "--temperature", "0")
        .assertExit(2)
        .assertErrContains("--temperature = 0.0 must be finite and > 0");
    weigh("losses.jsonl", "-m", "loss-reweighting", "--strategy", "cubic")
        .assertExit(2)
        .assertErrContains("expected one of [lin-upper, quadratic, extremes]");
    run("weigh", "-m", "iwsi", "-i", "-", "--valid-mean-loss", "2")
        .assertExit(2)
        .assertErrContains("pass a file, not stdin");
    run("weigh", "-m", "lmsi", "-i", tmp.resolve("absent.jsonl").toString())
        .assertExit(2)
        .assertErrContains("--input file not found");
  }

  /** Stand-in for the lead's demo subcommand. */
  @picocli.CommandLine.Command(name = "demo")
  static final class DemoStub implements Runnable {
    @Override
    public void run() {}
  }

  @Test
  void topLevelCommandAcceptsExtraSubcommands() {
    picocli.CommandLine cl = ReweighCli.commandLine();
    cl.addSubcommand("demo", new DemoStub());
    org.junit.jupiter.api.Assertions.assertEquals(0, cl.execute("demo"));
    org.junit.jupiter.api.Assertions.assertTrue(cl.getSubcommands().containsKey("weigh"));
    run().assertExit(2).assertErrContains("Missing subcommand");
  }
}
