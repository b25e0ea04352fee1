package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Iwsi;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code iwsi}: majority filter, then keep the fraction k of the majority-kept candidates with the
 * lowest DS weight, ranked over the whole input (Jiang et al., arXiv:2408.09849, Eq. 3-5).
 *
 * <p>Two passes: the first computes every majority-kept candidate's DS weight and keeps only those
 * numbers (8 bytes per majority-kept candidate) to find sigma, the ceil(k*n)-th smallest; the
 * second recomputes each weight and writes the output.
 */
final class IwsiMethod extends MajorityLossMethod {

  private final double keepFraction;
  private double[] gathered = new double[1024];
  private int n;
  private double sigma;

  IwsiMethod(double validMeanLoss, double keepFraction) {
    super(validMeanLoss);
    this.keepFraction = keepFraction;
    parameters.put("keep_fraction", keepFraction);
  }

  @Override
  int observationPasses() {
    return 1;
  }

  @Override
  void observe(int pass, List<Candidate> q) {
    boolean[] majority = majority(q);
    double[] wDS = Iwsi.dsWeights(Responses.losses(q), validMeanLoss);
    for (int i = 0; i < wDS.length; i++) {
      if (majority[i]) {
        if (n == gathered.length) {
          gathered = Arrays.copyOf(gathered, 2 * n);
        }
        gathered[n++] = wDS[i];
      }
    }
  }

  @Override
  void endPass(int pass) {
    if (n == 0) {
      sigma = Double.NEGATIVE_INFINITY; // nothing passed the majority vote: nothing to keep
      notes.add("no candidate passed the majority vote");
    } else {
      sigma = Iwsi.threshold(Arrays.copyOf(gathered, n), keepFraction);
      notes.add("sigma (keep threshold on ds_weight) = " + sigma + " over " + n
          + " majority-kept candidates");
    }
    gathered = null;
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    boolean[] majority = majority(q);
    double[] wDS = Iwsi.dsWeights(Responses.losses(q), validMeanLoss);
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      boolean keep = majority[i] && wDS[i] <= sigma;
      Map<String, Object> extra = new HashMap<>();
      extra.put("ds_weight", Double.isInfinite(wDS[i]) ? null : wDS[i]);
      d[i] = new Decision(keep ? 1.0 : 0.0, keep, extra);
    }
    return d;
  }

  @Override
  String streaming() {
    return "two passes (the global percentile needs all DS weights first); memory: 8 bytes per"
        + " majority-kept candidate plus one question at a time; needs a file, not stdin";
  }
}
