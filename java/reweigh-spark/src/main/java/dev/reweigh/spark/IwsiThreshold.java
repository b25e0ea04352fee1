package dev.reweigh.spark;

import dev.reweigh.weighting.Iwsi;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaDoubleRDD;
import scala.Tuple2;

/**
 * IWSI's Eq. 5 threshold over a distributed set of DS weights, exactly: sigma is the {@code
 * Iwsi.keepRank(n, k)}-th smallest value (the core's {@code ceil(k*n)} and tie rule), found by a
 * radix selection on the values' bit patterns. DS weights are {@code >= 1} or +infinity, so their
 * IEEE-754 bits order like the values. Pass 1 counts n and a histogram of the top 16 bits; the
 * bucket holding the rank is refined 16 bits at a time, and as soon as it holds at most {@link
 * #COLLECT} values they are collected and sorted on the driver. At most 4 passes over the values
 * (64 bits), typically 2.
 */
final class IwsiThreshold {

  /** Largest bucket collected to the driver (8 bytes a value). */
  static final long COLLECT = 1L << 21;

  private IwsiThreshold() {}

  /** sigma and the number of passes it took; sigma is -infinity when there are no values. */
  record Result(double sigma, long n, int passes) {}

  static Result select(JavaDoubleRDD values, double keepFraction) {
    return select(values, keepFraction, COLLECT);
  }

  /** As {@link #select(JavaDoubleRDD, double)}, collecting buckets of at most {@code collect}. */
  static Result select(JavaDoubleRDD values, double keepFraction, long collect) {
    long prefix = 0;
    int known = 0;
    int passes = 1;
    TreeMap<Integer, Long> hist = histogram(values, prefix, known);
    long n = 0;
    for (long c : hist.values()) {
      n += c;
    }
    if (n == 0) {
      return new Result(Double.NEGATIVE_INFINITY, 0, passes);
    }
    long rank = Iwsi.keepRank(n, keepFraction);
    while (true) {
      long below = 0;
      int bucket = -1;
      long inBucket = 0;
      for (Map.Entry<Integer, Long> e : hist.entrySet()) {
        if (below + e.getValue() >= rank) {
          bucket = e.getKey();
          inBucket = e.getValue();
          break;
        }
        below += e.getValue();
      }
      rank -= below;
      prefix = (prefix << 16) | bucket;
      known += 16;
      if (known == 64) {
        return new Result(Double.longBitsToDouble(prefix), n, passes);
      }
      passes++;
      if (inBucket <= collect) {
        double[] v = collect(values, prefix, known);
        Arrays.sort(v);
        return new Result(v[(int) (rank - 1)], n, passes);
      }
      hist = histogram(values, prefix, known);
    }
  }

  /** Whether the top {@code known} bits of {@code bits} equal {@code prefix}. */
  private static boolean matches(long bits, long prefix, int known) {
    return known == 0 || (bits >>> (64 - known)) == prefix;
  }

  private static TreeMap<Integer, Long> histogram(JavaDoubleRDD values, long prefix, int known) {
    List<Tuple2<Integer, Long>> counts =
        values
            .filter(v -> matches(Double.doubleToRawLongBits(v), prefix, known))
            .mapToPair(
                v -> new Tuple2<>(
                    (int) ((Double.doubleToRawLongBits(v) >>> (48 - known)) & 0xFFFF), 1L))
            .reduceByKey(Long::sum)
            .collect();
    TreeMap<Integer, Long> hist = new TreeMap<>();
    for (Tuple2<Integer, Long> t : counts) {
      hist.put(t._1(), t._2());
    }
    return hist;
  }

  private static double[] collect(JavaDoubleRDD values, long prefix, int known) {
    List<Double> v =
        new ArrayList<>(
            values.filter(x -> matches(Double.doubleToRawLongBits(x), prefix, known)).collect());
    double[] a = new double[v.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = v.get(i);
    }
    return a;
  }
}
