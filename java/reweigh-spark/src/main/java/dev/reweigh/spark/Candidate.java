package dev.reweigh.spark;

import dev.reweigh.cli.unit.Response;

/**
 * One validated input row as the weighting methods see it; absent or null fields are {@code
 * null}.
 *
 * @param where "question_id ..., response_id ..." for messages
 * @param questionId question id as text
 * @param answer the answer as text, or null
 * @param goldAnswer the gold answer as text, or null
 * @param loss the loss, or null
 * @param logProbSum log pi(y|x), or null
 * @param tokenCount |y|, or null
 */
record Candidate(
    String where,
    String questionId,
    String answer,
    String goldAnswer,
    Double loss,
    Double logProbSum,
    Long tokenCount)
    implements Response {}
