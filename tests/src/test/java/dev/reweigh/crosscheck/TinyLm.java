package dev.reweigh.crosscheck;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The end-to-end cross-checks' model: Embedding -> Linear -> tanh -> Linear, initialised from a
 * fixed seed.
 */
final class TinyLm {
  final EmbeddingImpl emb;
  final LinearImpl hidden;
  final LinearImpl head;
  final Module[] modules;

  TinyLm(int v, int d, long seed) {
    torch.manual_seed(seed);
    emb = new EmbeddingImpl(v, d);
    hidden = new LinearImpl(d, d);
    head = new LinearImpl(d, v);
    modules = new Module[] {emb, hidden, head};
  }

  Tensor logits(Tensor tokens) {
    return head.forward(torch.tanh(hidden.forward(emb.forward(tokens))));
  }

  /**
   * Every parameter's gradient. The Tensors that {@code TensorVector.get} returns point into the
   * vector's storage, so the vector must stay reachable while they are used: once it is
   * unreachable the GC may free it, and reading a parameter's {@code grad()} then crashes the
   * JVM.
   */
  List<double[]> gradsAndZero() {
    List<double[]> out = new ArrayList<>();
    for (Module m : modules) {
      TensorVector ps = m.parameters();
      try {
        for (long i = 0; i < ps.size(); i++) {
          out.add(T.toDoubles(ps.get(i).grad()));
        }
      } finally {
        Reference.reachabilityFence(ps);
      }
    }
    for (Module m : modules) {
      m.zero_grad(true);
    }
    return out;
  }
}
