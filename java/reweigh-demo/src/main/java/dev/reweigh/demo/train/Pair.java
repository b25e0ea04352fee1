package dev.reweigh.demo.train;

/**
 * One preference pair for DPO-Sharpening (docs/methods.md §4): two responses y, y' to one
 * prompt, their log-probs under the frozen pi_base and their self-rewards r(y), r(y').
 *
 * @param prompt "Q: ... A:"
 * @param first y (the chosen response for sigmoid DPO)
 * @param second y' (the rejected response for sigmoid DPO)
 * @param refFirst ln pi_base(y|x)
 * @param refSecond ln pi_base(y'|x)
 * @param rewardFirst r(y)
 * @param rewardSecond r(y')
 */
public record Pair(
    String prompt, String first, String second, double refFirst, double refSecond,
    double rewardFirst, double rewardSecond) {}
