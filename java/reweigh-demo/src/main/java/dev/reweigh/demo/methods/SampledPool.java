package dev.reweigh.demo.methods;

import dev.reweigh.demo.task.AnswerExtractor;
import dev.reweigh.demo.task.ChainChecker;
import dev.reweigh.demo.task.Problem;
import dev.reweigh.weighting.SelfConsistency;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * n sampled responses for every unlabelled question, their extracted answers (null when
 * unparsable; such responses do not vote) and each question's majority vote.
 */
public final class SampledPool {
  private final List<Problem> questions;
  private final int n;
  private final List<String> responses;
  private final List<String> answers;
  private final List<SelfConsistency.Vote> votes;

  /** @param responses flattened: response i of question q at {@code q * n + i} */
  public SampledPool(List<Problem> questions, int n, List<String> responses) {
    if (responses.size() != questions.size() * n) {
      throw new IllegalArgumentException("responses: " + responses.size() + " != questions * n");
    }
    this.questions = List.copyOf(questions);
    this.n = n;
    this.responses = List.copyOf(responses);
    List<String> a = new ArrayList<>(responses.size());
    for (String r : responses) {
      OptionalInt x = AnswerExtractor.extract(r);
      a.add(x.isPresent() ? Integer.toString(x.getAsInt()) : null);
    }
    this.answers = java.util.Collections.unmodifiableList(a);
    this.votes = new ArrayList<>(questions.size());
    for (int q = 0; q < questions.size(); q++) {
      votes.add(SelfConsistency.vote(answers.subList(q * n, (q + 1) * n)));
    }
  }

  public int questions() {
    return questions.size();
  }

  public int n() {
    return n;
  }

  public Problem question(int q) {
    return questions.get(q);
  }

  public String response(int q, int i) {
    return responses.get(q * n + i);
  }

  /** The extracted answer, or null when unparsable. */
  public String answer(int q, int i) {
    return answers.get(q * n + i);
  }

  /** All n answers of question q (null entries are unparsable). */
  public List<String> answers(int q) {
    return answers.subList(q * n, (q + 1) * n);
  }

  public SelfConsistency.Vote vote(int q) {
    return votes.get(q);
  }

  /** Whether response i of question q gives the gold answer (used for reporting and the upper bound). */
  public boolean correct(int q, int i) {
    String a = answer(q, i);
    return a != null && Integer.parseInt(a) == questions.get(q).answer();
  }

  /** Whether every step of response i of question q is right ({@link ChainChecker}). */
  public boolean chainRight(int q, int i) {
    return ChainChecker.allStepsRight(questions.get(q), response(q, i));
  }

  /** Total sampled responses. */
  public int size() {
    return responses.size();
  }
}
