package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

final class JsonTest {
  private JsonTest() {}

  static final String MUTANTS = "{}[]\",:\\0-e.u";

  static Object parse(String s) throws Json.JsonException {
    return Json.parse(s.getBytes(StandardCharsets.UTF_8), 1 << 20);
  }

  static void testPayloadTypes() throws Exception {
    Map<?, ?> m = (Map<?, ?>) parse(Fixtures.body("entered", 2, 1, 7, "\"dropped_before\":2"));
    eq("entered", m.get("event"), "event");
    eq(2L, m.get("level"), "level is a Long");
    eq(12.5, ((Map<?, ?>) m.get("sample")).get("local_free_percent"), "a double");
    eq(2L, m.get("dropped_before"), "the last key");
    Map<?, ?> v = (Map<?, ?>) parse(
        "{\"n\":null,\"t\":true,\"f\":false,\"a\":[1,-0,1E+2,-1.5e-3],\"s\":\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\"}");
    eq(Json.NULL, v.get("n"), "null is Json.NULL");
    check(!v.containsKey("missing") && v.get("missing") == null, "a missing key is Java null");
    eq(Boolean.TRUE, v.get("t"), "true");
    eq(Boolean.FALSE, v.get("f"), "false");
    eq(List.of(1L, 0L, 100.0, -0.0015), v.get("a"), "numbers");
    eq("\u00e9\ud83d\ude00/\"\\\b\f\n\r\t", v.get("s"), "escapes");
    eq(Long.MAX_VALUE, parse("9223372036854775807"), "the largest long");
    eq(Long.MIN_VALUE, parse("-9223372036854775808"), "the smallest long");
    eq(new BigInteger("9223372036854775808"), parse("9223372036854775808"), "beyond a long");
    eq(List.of(), parse(" \t\r\n[ ] "), "whitespace around");
    eq("é", parse("\"é\""), "UTF-8 in a string");
  }

  static void testHostileInputIsRefused() {
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    String[] bad = {
      "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{a:1}",
      "{'a':1}", "{\"a\":1,\"a\":2}", "01", "-", "-01", "1.", ".5", "1e", "1e+", "+1", "0x10",
      "NaN", "Infinity", "-Infinity", "1e999", "tru", "nul", "True", "\"abc", "\"\\x\"",
      "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
      "\"a\nb\"", "\"a\u0000b\"", "\"\t\"", "{\"a\":1}x", "[1][2]", "1 2", "\ufeff{}", "\u00a0[]",
      deep, "1" + "0".repeat(Json.MAX_NUMBER_CHARS), "\"\\u0\"",
      "\"\\u\u0663\u0663\u0663\u0663\"",
    };
    for (String s : bad) {
      TestMain.throwsA(Json.JsonException.class, () -> parse(s), "refuses " + Json.quote(s));
    }
    for (String lone : new String[] {"[\"\ud800\"]", "\"\udc00\"", "\"a\ud800"}) {
      TestMain.throwsA(Json.JsonException.class, () -> Json.parse(lone),
          "a String with a lone surrogate");
    }
    byte[][] badUtf8 = {
      {(byte) 0xc3, 0x28}, // a lead byte without its continuation
      {'"', (byte) 0xc0, (byte) 0xaf, '"'}, // overlong '/'
      {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'}, // a surrogate encoded in UTF-8
      {'"', (byte) 0xff, '"'},
      {'"', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // above U+10FFFF
    };
    for (byte[] b : badUtf8) {
      TestMain.throwsA(Json.JsonException.class, () -> Json.parse(b, 100), "refuses bad UTF-8");
    }
    TestMain.throwsA(
        Json.JsonException.class, () -> Json.parse(new byte[101], 100), "refuses over the bound");
  }

  static void testDepthAtTheBoundAndFarBeyond() throws Exception {
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    check(parse(ok) instanceof List, "MAX_DEPTH levels are read");
    String objs = "{\"a\":".repeat(Json.MAX_DEPTH) + "1" + "}".repeat(Json.MAX_DEPTH);
    check(parse(objs) instanceof Map, "MAX_DEPTH objects are read");
    // A million brackets: refused at depth 65, no StackOverflowError.
    TestMain.throwsA(Json.JsonException.class, () -> parse("[".repeat(1_000_000)), "a deep bomb");
    TestMain.throwsA(
        Json.JsonException.class, () -> parse("1".repeat(1_000_000)), "a million digits");
  }

  /** Mutations of a real payload: each parses or is refused, nothing else is thrown. */
  static void testMutatedPayloadsNeverThrowAnythingElse() {
    byte[] base = Fixtures.bytes(Fixtures.body("entered", 2, 1, 7, "\"dropped_before\":2"));
    Random rnd = new Random(20261206);
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] b = base.clone();
      int edits = 1 + rnd.nextInt(4);
      for (int e = 0; e < edits; e++) {
        int at = rnd.nextInt(b.length);
        switch (rnd.nextInt(3)) {
          case 0 -> b[at] = (byte) rnd.nextInt(256);
          case 1 -> b[at] = (byte) MUTANTS.charAt(rnd.nextInt(MUTANTS.length()));
          default -> b = java.util.Arrays.copyOf(b, at); // truncated
        }
        if (b.length == 0) {
          break;
        }
      }
      try {
        Json.parse(b, 1 << 16);
      } catch (Json.JsonException expected) {
        refused++;
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("mutation " + i + " threw " + e + " on "
            + new String(b, StandardCharsets.ISO_8859_1));
      }
    }
    check(refused > 15_000, "most mutations are refused (" + refused + ")");
  }

  static void testResultsAreUnmodifiable() throws Exception {
    Map<?, ?> m = (Map<?, ?>) parse("{\"a\":[1]}");
    TestMain.throwsA(UnsupportedOperationException.class, () -> m.clear(), "map");
    TestMain.throwsA(
        UnsupportedOperationException.class, () -> ((List<?>) m.get("a")).clear(), "list");
  }
}
