package dev.reweigh.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads JSONL candidates one line at a time (constant memory), validating every field that is
 * present and every field the method requires. Blank lines are skipped. Errors are {@link
 * InputException}s naming the file and 1-based line number.
 */
final class CandidateReader implements Closeable {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final BufferedReader in;
  private final String source;
  private final Set<Field> required;
  private long line;

  CandidateReader(BufferedReader in, String source, Set<Field> required) {
    this.in = in;
    this.source = source;
    this.required = Set.copyOf(required);
  }

  /** The next candidate, or {@code null} at end of input. */
  Candidate next() {
    String text;
    try {
      do {
        text = in.readLine();
        if (text == null) {
          return null;
        }
        line++;
      } while (text.isBlank());
    } catch (IOException e) {
      throw new UncheckedIOException(source + " line " + (line + 1) + ": read failed", e);
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InputException(
          where() + ": not valid JSON: " + e.getOriginalMessage().replace('\n', ' '));
    }
    if (!(node instanceof ObjectNode)) {
      throw new InputException(where() + ": expected a JSON object, got " + node.getNodeType());
    }
    ObjectNode o = (ObjectNode) node;
    String questionId = id(o, Field.QUESTION_ID);
    id(o, Field.RESPONSE_ID);
    String answer = answer(o, Field.ANSWER);
    String gold = answer(o, Field.GOLD_ANSWER);
    Double loss = number(o, Field.LOSS);
    if (loss != null && loss < 0) {
      throw new InputException(where() + ": loss = " + loss + " is negative; a loss must be >= 0");
    }
    Double logProbSum = number(o, Field.LOG_PROB_SUM);
    Long tokenCount = count(o, Field.TOKEN_COUNT);
    return new Candidate(source, line, o, questionId, answer, gold, loss, logProbSum, tokenCount);
  }

  private String where() {
    return source + " line " + line;
  }

  /** The field's node, or null when absent or JSON null; throws if required and missing. */
  private JsonNode get(ObjectNode o, Field f) {
    JsonNode v = o.get(f.json);
    if (v == null || v.isNull()) {
      if (required.contains(f)) {
        throw new InputException(where() + ": missing required field \"" + f.json + "\"");
      }
      return null;
    }
    return v;
  }

  /**
   * The field's node as {@link #get} returns it, which must pass {@code ok} when present; {@code
   * what} names the accepted values in the message.
   */
  private JsonNode typed(ObjectNode o, Field f, Predicate<JsonNode> ok, String what) {
    JsonNode v = get(o, f);
    if (v != null && !ok.test(v)) {
      throw new InputException(
          where() + ": field \"" + f.json + "\" must be " + what + ", got " + v);
    }
    return v;
  }

  private String id(ObjectNode o, Field f) {
    JsonNode v = typed(o, f, n -> n.isTextual() || n.isIntegralNumber(), "a string or an integer");
    return v == null ? null : v.asText();
  }

  /** Answers: string or number; absent or null means "could not be parsed". */
  private String answer(ObjectNode o, Field f) {
    JsonNode v = typed(o, f, n -> n.isTextual() || n.isNumber(), "a string, a number or null");
    if (v == null) {
      return null;
    }
    return v.isTextual() ? v.textValue() : v.numberValue().toString();
  }

  private Double number(ObjectNode o, Field f) {
    JsonNode v = typed(o, f, JsonNode::isNumber, "a number");
    if (v == null) {
      return null;
    }
    double d = v.doubleValue();
    if (!Double.isFinite(d)) {
      throw new InputException(where() + ": field \"" + f.json + "\" = " + v + " is not finite");
    }
    return d;
  }

  private Long count(ObjectNode o, Field f) {
    JsonNode v =
        typed(
            o,
            f,
            n -> n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0,
            "a non-negative integer");
    return v == null ? null : v.longValue();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
