package dev.memhook;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, bounded RFC 8259 JSON reader for memhook's payloads (the JDK has none).
 *
 * <p>Objects become {@code Map<String,Object>} (insertion-ordered, unmodifiable), arrays {@code
 * List<Object>}, strings {@code String}, integers {@code Long} (a {@code BigInteger} beyond 64
 * bits), other numbers {@code Double}, {@code true}/{@code false} {@code Boolean}, and null {@link
 * #NULL}. Refused with {@link JsonException}: invalid UTF-8, nesting deeper than {@link
 * #MAX_DEPTH}, a duplicate key, a lone surrogate, control characters in strings, leading zeros,
 * trailing commas or garbage, numbers longer than {@link #MAX_NUMBER_CHARS}, and input longer than
 * the caller's bound.
 */
public final class Json {
  /** memhook nests three deep (body, sample, psi); 64 leaves room and keeps the stack small. */
  public static final int MAX_DEPTH = 64;

  /** A 64-bit integer is 20 characters; a double's longest form is about 25. */
  public static final int MAX_NUMBER_CHARS = 64;

  /** JSON's null, distinct from a missing key (Map.get returns Java null then). */
  public static final Object NULL =
      new Object() {
        @Override
        public String toString() {
          return "null";
        }
      };

  /** A payload that is not JSON, with the character offset where reading stopped. */
  public static final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;

    JsonException(String why, int offset) {
      super(why + " at offset " + offset);
    }
  }

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** The value of UTF-8 bytes at most maxBytes long; throws JsonException when it is none. */
  public static Object parse(byte[] utf8, int maxBytes) throws JsonException {
    if (utf8.length > maxBytes) {
      throw new JsonException("longer than " + maxBytes + " bytes", 0);
    }
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(utf8))
              .toString();
    } catch (CharacterCodingException e) {
      throw new JsonException("not UTF-8", 0);
    }
    return parse(s);
  }

  /** The value of text; throws JsonException when it is none. */
  public static Object parse(String text) throws JsonException {
    Json p = new Json(text);
    p.skipSpace();
    Object v = p.value(0);
    p.skipSpace();
    if (p.pos != text.length()) {
      throw new JsonException("trailing characters", p.pos);
    }
    return v;
  }

  private Object value(int depth) throws JsonException {
    if (pos >= text.length()) {
      throw new JsonException("unexpected end", pos);
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return word("true", Boolean.TRUE);
      case 'f':
        return word("false", Boolean.FALSE);
      case 'n':
        return word("null", NULL);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw new JsonException("unexpected character", pos);
    }
  }

  private Object word(String w, Object v) throws JsonException {
    if (!text.startsWith(w, pos)) {
      throw new JsonException("unexpected word", pos);
    }
    pos += w.length();
    return v;
  }

  private Map<String, Object> object(int depth) throws JsonException {
    if (depth > MAX_DEPTH) {
      throw new JsonException("nested deeper than " + MAX_DEPTH, pos);
    }
    pos++; // {
    Map<String, Object> m = new LinkedHashMap<>();
    skipSpace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(m);
    }
    while (true) {
      skipSpace();
      if (peek() != '"') {
        throw new JsonException("expected a key", pos);
      }
      int keyAt = pos;
      String k = string();
      skipSpace();
      expect(':');
      skipSpace();
      Object v = value(depth);
      if (m.putIfAbsent(k, v) != null) {
        throw new JsonException("duplicate key \"" + k + "\"", keyAt);
      }
      skipSpace();
      char c = peek();
      pos++;
      if (c == '}') {
        return Collections.unmodifiableMap(m);
      }
      if (c != ',') {
        throw new JsonException("expected , or }", pos - 1);
      }
    }
  }

  private List<Object> array(int depth) throws JsonException {
    if (depth > MAX_DEPTH) {
      throw new JsonException("nested deeper than " + MAX_DEPTH, pos);
    }
    pos++; // [
    List<Object> a = new ArrayList<>();
    skipSpace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(a);
    }
    while (true) {
      skipSpace();
      a.add(value(depth));
      skipSpace();
      char c = peek();
      pos++;
      if (c == ']') {
        return Collections.unmodifiableList(a);
      }
      if (c != ',') {
        throw new JsonException("expected , or ]", pos - 1);
      }
    }
  }

  private String string() throws JsonException {
    pos++; // "
    StringBuilder b = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new JsonException("unterminated string", pos);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw new JsonException("control character in a string", pos - 1);
      }
      if (Character.isSurrogate(c)) {
        // The decoder already refused unpaired surrogates in UTF-8; a String given directly may
        // still hold them.
        if (Character.isHighSurrogate(c)
            && pos < text.length()
            && Character.isLowSurrogate(text.charAt(pos))) {
          b.append(c).append(text.charAt(pos++));
          continue;
        }
        throw new JsonException("unpaired surrogate", pos - 1);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (pos >= text.length()) {
        throw new JsonException("unterminated escape", pos);
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"':
        case '\\':
        case '/':
          b.append(e);
          break;
        case 'b':
          b.append('\b');
          break;
        case 'f':
          b.append('\f');
          break;
        case 'n':
          b.append('\n');
          break;
        case 'r':
          b.append('\r');
          break;
        case 't':
          b.append('\t');
          break;
        case 'u':
          char u = hex4();
          if (Character.isHighSurrogate(u)) {
            if (!text.startsWith("\\u", pos)) {
              throw new JsonException("unpaired surrogate escape", pos);
            }
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw new JsonException("unpaired surrogate escape", pos - 6);
            }
            b.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            throw new JsonException("unpaired surrogate escape", pos - 6);
          } else {
            b.append(u);
          }
          break;
        default:
          throw new JsonException("invalid escape", pos - 1);
      }
    }
  }

  private char hex4() throws JsonException {
    if (pos + 4 > text.length()) {
      throw new JsonException("\\u needs four hex digits", pos);
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0 || text.charAt(pos + i) > 'f') {
        throw new JsonException("\\u needs four hex digits", pos);
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private Object number() throws JsonException {
    int start = pos;
    boolean integer = true;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw new JsonException("expected a digit", pos);
    }
    if (peek() == '.') {
      integer = false;
      pos++;
      if (!isDigit(peek())) {
        throw new JsonException("expected a digit after .", pos);
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw new JsonException("expected a digit in the exponent", pos);
      }
      digits();
    }
    if (pos - start > MAX_NUMBER_CHARS) {
      throw new JsonException("number longer than " + MAX_NUMBER_CHARS + " characters", start);
    }
    String s = text.substring(start, pos);
    if (integer) {
      BigInteger big = new BigInteger(s);
      return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }
    double d = Double.parseDouble(s);
    if (Double.isInfinite(d)) {
      throw new JsonException("number out of range", start);
    }
    return d;
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void expect(char c) throws JsonException {
    if (peek() != c) {
      throw new JsonException("expected " + c, pos);
    }
    pos++;
  }

  private void skipSpace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** s as a JSON string literal (quotes and escapes), for logs and tests. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
