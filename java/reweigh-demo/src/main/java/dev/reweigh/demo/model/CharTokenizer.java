package dev.reweigh.demo.model;

/**
 * Character-level tokenizer over a fixed alphabet. Id 0 is padding; the newline ends a response.
 * The alphabet is fixed (not learned from data) so every run and every split share the same ids.
 */
public final class CharTokenizer {
  /** Padding id; never a training target. */
  public static final int PAD = 0;

  private static final String ALPHABET =
      "\n !?.,:=+-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ)";

  private final int[] idOf = new int[128];

  public CharTokenizer() {
    java.util.Arrays.fill(idOf, -1);
    for (int i = 0; i < ALPHABET.length(); i++) {
      idOf[ALPHABET.charAt(i)] = i + 1;
    }
  }

  /** Vocabulary size, padding included. */
  public int vocabSize() {
    return ALPHABET.length() + 1;
  }

  /** The id of the character that ends a response. */
  public int eos() {
    return idOf['\n'];
  }

  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < ids.length; i++) {
      char c = text.charAt(i);
      int id = c < 128 ? idOf[c] : -1;
      if (id < 0) {
        throw new IllegalArgumentException("text: character '" + c + "' at index " + i
            + " is not in the tokenizer's alphabet");
      }
      ids[i] = id;
    }
    return ids;
  }

  public char decode(int id) {
    if (id <= 0 || id > ALPHABET.length()) {
      throw new IllegalArgumentException("id: " + id + " is not a character id");
    }
    return ALPHABET.charAt(id - 1);
  }
}
