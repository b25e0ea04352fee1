package dev.reweigh.demo.train;

/**
 * One supervised training sample: a prompt, the response to learn, and its weight c_s in the
 * objective {@code (1/B) sum_s c_s loss_s}.
 *
 * @param prompt "Q: ... A:"
 * @param response the continuation (a sampled or gold chain of thought)
 * @param weight the coefficient c_s (1 for plain SFT)
 */
public record Example(String prompt, String response, double weight) {}
