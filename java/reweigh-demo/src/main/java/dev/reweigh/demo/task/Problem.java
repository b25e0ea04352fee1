package dev.reweigh.demo.task;

/**
 * One arithmetic chain: the prompt the model sees, the gold chain of thought that follows it, the
 * gold answer, and the chain's definition (start value and signed operands in prompt order) that
 * {@link ChainChecker} verifies a response against.
 *
 * @param prompt "Q: 23 a)+07 b)-03 A:" (the model continues from here)
 * @param response " b)23-03=20 a)20+07=27 The answer is 27.\n" (gold steps, ends with a newline)
 * @param answer the gold answer
 * @param shifted true when the problem comes from the shifted slice (more steps)
 * @param start the start value
 * @param operands signed operand of step a, b, c, ... in prompt order
 */
public record Problem(
    String prompt, String response, int answer, boolean shifted, int start, int[] operands) {

  /** The full gold text: prompt followed by response. */
  public String text() {
    return prompt + response;
  }

  /** The marker of step i: 'a', 'b', ... */
  public static char marker(int i) {
    return (char) ('a' + i);
  }
}
