package dev.reweigh.spark;

import dev.reweigh.cli.ReweighCli;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code spark-submit} entry point: {@code reweigh weigh --engine spark} with the given
 * arguments (the master comes from spark-submit unless {@code --master} is given), e.g. {@code
 * spark-submit --class dev.reweigh.spark.WeighMain reweigh-spark-VERSION-submit.jar -m iwsi
 * --valid-mean-loss 2.1 -i s3a://bucket/pool.parquet -o s3a://bucket/weighed.parquet}.
 */
public final class WeighMain {

  private WeighMain() {}

  /**
   * Runs {@code reweigh weigh --engine spark ARGS} (or {@code reweigh weigh ARGS} when ARGS
   * name another {@code --engine}, e.g. the streaming one for a comparison) and exits with its
   * code.
   *
   * @param args the options of {@code reweigh weigh}
   */
  public static void main(String[] args) {
    List<String> a = new ArrayList<>(List.of("weigh"));
    if (!List.of(args).contains("--engine")) {
      a.addAll(List.of("--engine", "spark"));
    }
    a.addAll(List.of(args));
    System.exit(ReweighCli.commandLine().execute(a.toArray(new String[0])));
  }
}
