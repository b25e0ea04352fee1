package dev.reweigh.testkit;

/**
 * bf16 bit patterns (round to nearest even, NaN kept quiet), written independently of the
 * library: the test modules' twin of its conversion.
 */
public final class Bf16 {
  private Bf16() {}

  public static short bits(float f) {
    int b = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((b >>> 16) | 0x40);
    }
    int lower = b & 0xffff;
    int upper = b >>> 16;
    if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) != 0)) {
      upper++;
    }
    return (short) upper;
  }

  public static float value(short h) {
    return Float.intBitsToFloat((h & 0xffff) << 16);
  }

  public static float round(float f) {
    return value(bits(f));
  }

  public static short[] bits(float[] a) {
    short[] out = new short[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = bits(a[i]);
    }
    return out;
  }

  public static float[] values(short[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = value(a[i]);
    }
    return out;
  }
}
