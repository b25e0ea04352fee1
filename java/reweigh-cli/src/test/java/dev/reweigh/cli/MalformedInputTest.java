package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.resource;
import static dev.reweigh.cli.CliRunner.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed lines: exit code 1 and a message naming the file and line number. */
class MalformedInputTest {

  @TempDir Path tmp;

  private CliRunner.Result weigh(String file, String... extra) {
    return CliRunner.weigh(tmp, resource(file), extra);
  }

  /** A malformed input, the method arguments that read it, and what the message must name. */
  record Malformed(String file, String[] args, String... messages) {
    @Override
    public String toString() {
      return file;
    }
  }

  static Stream<Malformed> malformed() {
    return Stream.of(
        new Malformed("bad_json.jsonl", new String[] {"-m", "lmsi"},
            "bad_json.jsonl line 3: not valid JSON"),
        new Malformed("negative_loss.jsonl", new String[] {"-m", "kl-dro"},
            "line 4: loss = -0.5 is negative"),
        new Malformed("string_loss.jsonl", new String[] {"-m", "kl-dro"},
            "line 1: field \"loss\" must be a number, got \"1.5\""),
        new Malformed("nan_loss.jsonl", new String[] {"-m", "kl-dro"},
            "line 2: not valid JSON"),
        new Malformed("not_object.jsonl", new String[] {"-m", "lmsi"},
            "line 2: expected a JSON object, got ARRAY"),
        new Malformed("regrouped.jsonl", new String[] {"-m", "lmsi"},
            "line 5: question_id \"a\" reappears", "first seen at line 1"),
        new Malformed("zero_tokens.jsonl",
            new String[] {"-m", "sharpening-sft", "--reward", "length-normalized"},
            "line 2: token_count = 0"),
        new Malformed("gold_conflict.jsonl", new String[] {"-m", "rejection"},
            "line 2: gold_answer \"2\" differs from \"1\" at line 1"));
  }

  /** Exit code 1 and a message naming the file's line (blank lines counted). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedLineNamesItsLine(Malformed m) {
    weigh(m.file(), m.args()).assertExit(1).assertErrContains(m.messages());
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
  void errorInTheValidationFileNamesThatFile() throws Exception {
    Path valid = tmp.resolve("valid.jsonl");
    Files.writeString(valid, "{\"loss\": 1.0}\n{\"loss\": -1}\n");
    weigh("iwsi.jsonl", "-m", "iwsi", "--valid", valid.toString())
        .assertExit(1)
        .assertErrContains("valid.jsonl line 2: loss = -1.0 is negative");
  }

  @Test
  void usageErrors() {
    // Each row: the message the usage error must contain, the input, the arguments.
    for (String[] c : new String[][] {
        {"Unknown --method 'nope'",
            "iwsi.jsonl", "-m", "nope"},
        {"exactly one of --valid",
            "iwsi.jsonl", "-m", "iwsi"},
        {"--keep-fraction = 0.0 is outside (0, 1]",
            "iwsi.jsonl", "-m", "iwsi", "--valid-mean-loss", "2", "--keep-fraction", "0"},
        {"--temperature = 0.0 must be finite and > 0",
            "losses.jsonl", "-m", "kl-dro", "--temperature", "0"},
        {"expected one of [lin-upper, quadratic, extremes]",
            "losses.jsonl", "-m", "loss-reweighting", "--strategy", "cubic"}}) {
      weigh(c[1], Arrays.copyOfRange(c, 2, c.length)).assertExit(2).assertErrContains(c[0]);
    }
    run("weigh", "-m", "iwsi", "-i", "-", "--valid-mean-loss", "2")
        .assertExit(2)
        .assertErrContains("pass a file, not stdin");
    run("weigh", "-m", "lmsi", "-i", tmp.resolve("absent.jsonl").toString())
        .assertExit(2)
        .assertErrContains("--input file not found");
  }

  /** Stand-in for a plugged-in subcommand such as the demo. */
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
