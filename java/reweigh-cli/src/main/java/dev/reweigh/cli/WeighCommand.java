package dev.reweigh.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.LossReweighting;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code reweigh weigh}: offline curation for any trainer. Reads JSONL candidates, applies one
 * method, writes every input object back with {@code weight} and {@code keep} added (plus
 * method-specific fields), and a JSON summary. Schema and streaming behaviour: README.md.
 */
@Command(
    name = "weigh",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Weigh and filter JSONL candidates (one object per line: question_id, response_id,"
            + " answer, gold_answer, loss, log_prob_sum, token_count) and write them back with"
            + " weight and keep.")
public final class WeighCommand implements Callable<Integer> {

  /** The methods, as named on the command line. */
  static final List<String> METHODS =
      List.of(
          "lmsi", "iwsi", "iwsi-w", "east", "sharpening-sft", "loss-reweighting", "kl-dro",
          "rejection");

  /** Completion candidates for --method. */
  static final class MethodNames extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    MethodNames() {
      super(METHODS);
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(
      names = {"-m", "--method"},
      required = true,
      completionCandidates = MethodNames.class,
      description = "One of: ${COMPLETION-CANDIDATES}.")
  String method;

  @Option(
      names = {"-i", "--input"},
      required = true,
      paramLabel = "FILE",
      description = "Input JSONL; '-' reads stdin (one-pass methods only).")
  String input;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "-",
      paramLabel = "FILE",
      description = "Output JSONL (default: stdout).")
  String output;

  @Option(
      names = "--summary",
      paramLabel = "FILE",
      description = "Write the JSON summary here (default: stderr).")
  Path summaryFile;

  @Option(
      names = "--valid",
      paramLabel = "FILE",
      description = "iwsi, iwsi-w: validation JSONL with a loss per line; Lv is their mean (Eq. 8).")
  Path valid;

  @Option(
      names = "--valid-mean-loss",
      paramLabel = "Lv",
      description = "iwsi, iwsi-w: the validation mean loss Lv, instead of --valid.")
  Double validMeanLoss;

  @Option(
      names = "--keep-fraction",
      defaultValue = "0.8",
      paramLabel = "k",
      description = "iwsi: fraction k in (0, 1] kept by DS weight (default: ${DEFAULT-VALUE}).")
  double keepFraction;

  @Option(
      names = "--clip",
      defaultValue = "2.0",
      paramLabel = "C",
      description = "iwsi-w: clip C > 0 (default: ${DEFAULT-VALUE}).")
  double clip;

  @Option(
      names = {"-a", "--exponent"},
      defaultValue = "1.0",
      paramLabel = "a",
      description = "east: exponent a of h^a (default: ${DEFAULT-VALUE}).")
  double a;

  @Option(
      names = "--target",
      defaultValue = "auto",
      description =
          "east: responses trained on: gold, majority, or auto (gold where the question has a"
              + " gold_answer; default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--reward",
      defaultValue = "sequence-logprob",
      description =
          "sharpening-sft: sequence-logprob, length-normalized or majority (default:"
              + " ${DEFAULT-VALUE}).")
  String reward;

  @Option(
      names = "--strategy",
      defaultValue = "lin-upper",
      description =
          "loss-reweighting: lin-upper, quadratic or extremes (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(
      names = "--temperature",
      paramLabel = "r",
      description =
          "loss-reweighting, kl-dro: temperature r > 0 (default: the strategy's official default"
              + " (lin-upper 0.4, quadratic 1.0, extremes 0.4); kl-dro 1.0).")
  Double temperature;

  @Option(
      names = "--batch-size",
      defaultValue = "0",
      paramLabel = "B",
      description =
          "loss-reweighting, kl-dro: weights sum to 1 over each batch of B consecutive lines;"
              + " 0 = the whole input (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--engine",
      defaultValue = "streaming",
      description =
          "streaming (this JVM, JSONL; default) or spark (reweigh-spark on the classpath: JSONL"
              + " or Parquet in, a Spark output directory out).")
  String engine;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description =
          "--engine spark: jsonl or parquet, for input and output (default: parquet when the"
              + " input name ends in .parquet, else jsonl).")
  String format;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "--engine spark: the Spark master (default: the one spark-submit sets, else local[*]).")
  String master;

  /** Used by picocli. */
  public WeighCommand() {}

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    try {
      WeighMethod m = method();
      if (!"streaming".equals(engine)) {
        return EngineLookup.run(engine, request(m), err, this::usage);
      }
      if (format != null || master != null) {
        throw usage("--format and --master need --engine spark");
      }
      int passes = m.observationPasses() + 1;
      if (passes > 1 && "-".equals(input)) {
        throw usage(
            "--method " + method + " reads its input " + passes + " times ("
                + m.streaming() + "); pass a file, not stdin");
      }
      checkDistinctFiles();
      for (int pass = 0; pass < m.observationPasses(); pass++) {
        try (UnitReader units = open(m)) {
          for (List<Candidate> u = units.next(); u != null; u = units.next()) {
            m.observe(pass, u);
          }
        }
        m.endPass(pass);
      }
      Summary summary = new Summary();
      long candidates = 0;
      long answered = 0;
      try (UnitReader units = open(m);
          Writer out = outputWriter()) {
        for (List<Candidate> u = units.next(); u != null; u = units.next()) {
          Decision[] d = decide(m, u);
          for (int i = 0; i < d.length; i++) {
            ObjectNode o = u.get(i).node();
            o.put("weight", d[i].weight());
            o.put("keep", d[i].keep());
            for (Map.Entry<String, Object> e : d[i].extra().entrySet()) {
              o.putPOJO(e.getKey(), e.getValue());
            }
            out.write(MAPPER.writeValueAsString(o));
            out.write('\n');
          }
          summary.add(d);
          candidates += u.size();
          for (Candidate c : u) {
            answered += c.answer() == null ? 0 : 1;
          }
        }
      }
      if (candidates == 0) {
        // An empty input is legal (docs/design.md §7.1): the methods' notes say nothing about it.
        m.notes.clear();
        m.notes.add(WeighEngine.EMPTY_INPUT_NOTE);
      } else if (m.usesAnswers() && answered == 0) {
        m.notes.add("no line has an \"answer\": every question was dropped");
      }
      ObjectNode s =
          summary.toJson(MAPPER, method, m, passes, m.unit() == UnitReader.Unit.QUESTION);
      String json = MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(s);
      if (summaryFile != null) {
        Files.writeString(summaryFile, json + "\n", StandardCharsets.UTF_8);
      } else {
        err.println(json);
        err.flush();
      }
      return 0;
    } catch (InputException e) {
      err.println("reweigh weigh: " + e.getMessage());
      err.flush();
      return ReweighCli.EXIT_INPUT;
    } catch (IOException | UncheckedIOException e) {
      err.println("reweigh weigh: " + e);
      err.flush();
      return ReweighCli.EXIT_INPUT;
    }
  }

  /** Runs the method on one unit; a core IllegalArgumentException is reported with the lines. */
  private static Decision[] decide(WeighMethod m, List<Candidate> u) {
    try {
      return m.decide(u);
    } catch (IllegalArgumentException e) {
      Candidate first = u.get(0);
      throw new InputException(
          first.source() + " lines " + first.line() + "-" + u.get(u.size() - 1).line() + ": "
              + e.getMessage(), e);
    }
  }

  /** This run's options, with the parameters {@code m} resolved, for another engine. */
  private WeighRequest request(WeighMethod m) {
    return new WeighRequest(method, m.parameters, input, output, format, master, summaryFile);
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private WeighMethod method() throws IOException {
    switch (method) {
      case "lmsi":
        return new LmsiMethod();
      case "rejection":
        return new RejectionMethod();
      case "iwsi":
        requireFraction(keepFraction, "--keep-fraction");
        return withValidFile(new IwsiMethod(validMeanLoss(), keepFraction));
      case "iwsi-w":
        requirePositive(clip, "--clip");
        return withValidFile(new IwsiClippedMethod(validMeanLoss(), clip));
      case "east":
        if (!Double.isFinite(a)) {
          throw usage("--exponent = " + a + " is not finite");
        }
        return new EastMethod(a, choice(target, "--target", EastMethod.Target.class));
      case "sharpening-sft":
        return new SharpeningSftMethod(choice(reward, "--reward", SelfReward.class));
      case "loss-reweighting":
        {
          LossReweighting.Strategy s =
              choice(strategy, "--strategy", LossReweighting.Strategy.class);
          double r = temperature == null ? s.defaultTemperature() : temperature;
          requirePositive(r, "--temperature");
          requireBatchSize();
          return new LossReweightingMethod(s, r, batchSize);
        }
      case "kl-dro":
        {
          double r = temperature == null ? 1.0 : temperature;
          requirePositive(r, "--temperature");
          requireBatchSize();
          return new KlDroMethod(r, batchSize);
        }
      default:
        throw usage("Unknown --method '" + method + "'; expected one of " + METHODS);
    }
  }

  private void requireFraction(double v, String name) {
    if (!(v > 0 && v <= 1)) {
      throw usage(name + " = " + v + " is outside (0, 1]");
    }
  }

  private void requirePositive(double v, String name) {
    if (!(v > 0 && Double.isFinite(v))) {
      throw usage(name + " = " + v + " must be finite and > 0");
    }
  }

  private void requireBatchSize() {
    if (batchSize < 0) {
      throw usage("--batch-size = " + batchSize + " is negative");
    }
  }

  /** Parses a kebab-case choice ("lin-upper") into its enum constant (LIN_UPPER). */
  private <E extends Enum<E>> E choice(String value, String option, Class<E> type) {
    String constant = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : EnumSet.allOf(type)) {
      if (e.name().equals(constant)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : EnumSet.allOf(type)) {
      names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    throw usage("Invalid value for " + option + ": '" + value + "'; expected one of " + names);
  }

  /** Lv from --valid-mean-loss or, Eq. 8, the mean loss of the --valid file. */
  private double validMeanLoss() throws IOException {
    if ((validMeanLoss == null) == (valid == null)) {
      throw usage("--method " + method + " needs exactly one of --valid FILE or --valid-mean-loss");
    }
    if (validMeanLoss != null) {
      requirePositive(validMeanLoss, "--valid-mean-loss");
      return validMeanLoss;
    }
    double[] losses = new double[64];
    int n = 0;
    try (CandidateReader r =
        new CandidateReader(
            Files.newBufferedReader(valid, StandardCharsets.UTF_8),
            valid.toString(),
            EnumSet.of(Field.LOSS))) {
      for (Candidate c = r.next(); c != null; c = r.next()) {
        if (n == losses.length) {
          losses = Arrays.copyOf(losses, 2 * n);
        }
        losses[n++] = c.loss();
      }
    } catch (NoSuchFileException e) {
      throw usage("--valid file not found: " + valid);
    }
    if (n == 0) {
      throw new InputException(valid + ": the validation file has no lines");
    }
    double lv = Iwsi.validMeanLoss(Arrays.copyOf(losses, n));
    if (!(lv > 0)) {
      throw new InputException(valid + ": the validation mean loss is " + lv + "; it must be > 0");
    }
    return lv;
  }

  /** Records the --valid file in the summary's parameters. */
  private WeighMethod withValidFile(WeighMethod m) {
    if (valid != null) {
      m.parameters.put("valid_file", valid.toString());
    }
    return m;
  }

  private void checkDistinctFiles() throws IOException {
    if ("-".equals(input) || "-".equals(output)) {
      return;
    }
    Path in = Path.of(input);
    Path out = Path.of(output);
    if (Files.exists(in) && Files.exists(out) && Files.isSameFile(in, out)) {
      throw usage("--output must differ from --input");
    }
  }

  private UnitReader open(WeighMethod m) throws IOException {
    BufferedReader r;
    if ("-".equals(input)) {
      r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    } else {
      try {
        r = Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw usage("--input file not found: " + input);
      }
    }
    return new UnitReader(new CandidateReader(r, input, m.required()), m.unit(), m.batchSize());
  }

  private Writer outputWriter() throws IOException {
    if ("-".equals(output)) {
      PrintWriter out = spec.commandLine().getOut();
      return new Writer() {
        @Override
        public void write(char[] cbuf, int off, int len) {
          out.write(cbuf, off, len);
        }

        @Override
        public void flush() {
          out.flush();
        }

        @Override
        public void close() {
          out.flush(); // never close stdout
        }
      };
    }
    return new BufferedWriter(Files.newBufferedWriter(Path.of(output), StandardCharsets.UTF_8));
  }
}
