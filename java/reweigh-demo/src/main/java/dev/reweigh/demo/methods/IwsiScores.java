package dev.reweigh.demo.methods;

import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.LossStats;
import dev.reweigh.demo.train.Scorer;
import dev.reweigh.weighting.Iwsi;
import java.util.ArrayList;
import java.util.List;

/**
 * IWSI's inputs (Jiang et al., AAAI 2025, arXiv:2408.09849): per-sample losses L_i of the
 * majority-kept samples and the validation mean loss Lv (Eq. 8), both under the round's model and
 * over the same span: the whole "Q: ... A: ..." text (the reference code's choice) or the response
 * only.
 */
record IwsiScores(List<Selection.Pick> picks, double[] losses, double validMeanLoss) {

  static IwsiScores compute(RoundInput in, boolean wholeText) {
    Scorer scorer = wholeText ? in.wholeTextScorer() : in.responseScorer();
    List<Selection.Pick> picks = Selection.majority(in.pool());
    LossStats st = scorer.score(in.model(), Selection.examples(in.pool(), picks));
    List<Example> valid = new ArrayList<>(in.valid().size());
    for (Problem p : in.valid()) {
      valid.add(Example.of(p.prompt(), p.response(), 1.0));
    }
    LossStats vst = scorer.score(in.model(), valid);
    return new IwsiScores(picks, toDouble(st.loss()), Iwsi.validMeanLoss(toDouble(vst.loss())));
  }

  static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }
}
