package dev.reweigh.demo.train;

/**
 * One training sample: a prompt, the response to learn, and its coefficient in the loss.
 *
 * @param prompt "Q: ... A:"
 * @param response the continuation (a sampled or gold chain of thought)
 * @param weight the coefficient c_s (DPO: its magnitude is set per step, see {@link DpoCoefficients})
 * @param refLogProb reference-model log pi_ref(response|prompt), for DPO (0 otherwise)
 */
public record Example(String prompt, String response, double weight, double refLogProb) {
  public static Example of(String prompt, String response, double weight) {
    return new Example(prompt, response, weight, 0.0);
  }
}
