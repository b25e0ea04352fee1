package dev.reweigh.demo.methods;

/**
 * LMSI (Huang et al. 2023, arXiv:2210.11610): keep every response that agrees with its question's
 * majority answer, weight 1.
 */
public final class Lmsi implements DemoMethod {
  @Override
  public String name() {
    return "LMSI";
  }

  @Override
  public Selected select(RoundInput in) {
    return Picks.set(in.pool(), Picks.majority(in.pool()), null);
  }
}
