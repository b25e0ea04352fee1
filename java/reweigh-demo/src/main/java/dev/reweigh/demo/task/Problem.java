package dev.reweigh.demo.task;

/**
 * One arithmetic word problem: the prompt the model sees, the gold chain of thought that follows
 * it, and the gold answer.
 *
 * @param prompt "Q: ... A:" (the model continues from here)
 * @param response " 7+5=12. 12-3=9. The answer is 9.\n" (gold steps, ends with a newline)
 * @param answer the gold answer
 * @param shifted true when the problem comes from the shifted part of the distribution (more
 *     steps, larger numbers)
 */
public record Problem(String prompt, String response, int answer, boolean shifted) {

  /** The full gold text: prompt followed by response. */
  public String text() {
    return prompt + response;
  }
}
