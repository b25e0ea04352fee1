package dev.reweigh.spark;

import dev.reweigh.cli.ReweighCli;
import java.util.Arrays;

/**
 * Runs {@code reweigh} in a child JVM for {@link StreamingLoadsNoSparkTest}. With a first argument
 * {@code --load-spark} it loads a Spark class first (the test's positive control).
 */
public final class StreamingMain {
  private StreamingMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--load-spark")) {
      Class.forName("org.apache.spark.sql.SparkSession");
      args = Arrays.copyOfRange(args, 1, args.length);
    }
    System.exit(ReweighCli.commandLine().execute(args));
  }
}
