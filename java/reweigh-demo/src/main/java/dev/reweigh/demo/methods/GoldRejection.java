package dev.reweigh.demo.methods;

/**
 * Upper bound: rejection-sampling self-training with the gold answers (STaR-style), every
 * response whose answer is correct, weight 1. It is also EAST's uniform baseline (a = 0 on the
 * same gold-filtered data, arXiv:2503.23913). Uses labels the label-free methods never see.
 */
public final class GoldRejection implements DemoMethod {
  @Override
  public String name() {
    return "gold-RS";
  }

  @Override
  public Selected select(RoundInput in) {
    return Picks.set(in.pool(), Picks.gold(in.pool()), null);
  }
}
