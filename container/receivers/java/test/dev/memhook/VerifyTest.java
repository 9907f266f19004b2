package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

final class VerifyTest {
  private VerifyTest() {}

  static final long NOW = 1_764_105_060L;

  static void testStandardWebhooksChecks() {
    Verifier v = Verifier.of(List.of(Fixtures.SECRET));
    byte[] body = Fixtures.bytes("{\"event\":\"entered\",\"level\":1}");
    String sig = Verifier.sign(Fixtures.KEY, "msg_1", NOW, body);
    eq(null, v.check("msg_1", Long.toString(NOW), sig, body, NOW), "well signed");
    eq(null, v.check("msg_1", Long.toString(NOW), sig, body, NOW + 300), "300 s old");
    eq(null, v.check("msg_1", Long.toString(NOW), sig, body, NOW - 300), "300 s ahead");
    eq("Message timestamp too old", v.check("msg_1", "" + NOW, sig, body, NOW + 301), "stale");
    eq("Message timestamp too new", v.check("msg_1", "" + NOW, sig, body, NOW - 301), "future");
    byte[] tampered = body.clone();
    tampered[3] ^= 1;
    eq("No matching signature found", v.check("msg_1", "" + NOW, sig, tampered, NOW), "body");
    eq("No matching signature found", v.check("msg_2", "" + NOW, sig, body, NOW), "id");
    String other = Verifier.sign(Fixtures.KEY, "msg_1", NOW + 1, body);
    eq("No matching signature found", v.check("msg_1", "" + NOW, other, body, NOW), "timestamp");
    eq("Missing required headers", v.check(null, "" + NOW, sig, body, NOW), "no id");
    eq("Missing required headers", v.check("msg_1", null, sig, body, NOW), "no timestamp");
    eq("Missing required headers", v.check("msg_1", "" + NOW, "", body, NOW), "no signature");
    eq("Invalid Signature Headers", v.check("msg_1", "12x", sig, body, NOW), "not a number");
    eq("Invalid Signature Headers", v.check("msg_1", "-5", sig, body, NOW), "negative");
    eq("Invalid Signature Headers", v.check("msg_1", "9".repeat(30), sig, body, NOW), "huge");
    eq(null, v.check("msg_1", "" + NOW, "v1,bm90IGl0 v2,xyz " + sig, body, NOW), "one of many");
    eq("No matching signature found",
        v.check("msg_1", "" + NOW, sig.replace("v1,", "v2,"), body, NOW), "only v1 counts");
  }

  static void testSecretsAndRotation() {
    byte[] body = Fixtures.bytes("{}");
    byte[] oldKey = "old-key".getBytes(StandardCharsets.UTF_8);
    String sigOld = Verifier.sign(oldKey, "m", NOW, body);
    String sigNew = Verifier.sign(Fixtures.KEY, "m", NOW, body);
    Verifier both = Verifier.of(Verifier.split("  old-key " + Fixtures.SECRET + " "));
    eq(null, both.check("m", "" + NOW, sigOld, body, NOW), "old key, receiver holds both");
    eq(null, both.check("m", "" + NOW, sigNew, body, NOW), "new key, receiver holds both");
    Verifier oldOnly = Verifier.of(List.of("old-key"));
    eq("No matching signature found", oldOnly.check("m", "" + NOW, sigNew, body, NOW), "old only");
    eq(null, oldOnly.check("m", "" + NOW, sigNew + " " + sigOld, body, NOW), "memhook sends two");
    TestMain.throwsA(IllegalArgumentException.class, () -> Verifier.of(List.of("whsec_%%%")),
        "a whsec_ secret that is not base64");
    TestMain.throwsA(IllegalArgumentException.class, () -> Verifier.of(List.of("whsec_")),
        "an empty key");
    TestMain.throwsA(IllegalArgumentException.class, () -> Verifier.of(List.of()), "no secret");
    TestMain.throwsA(IllegalArgumentException.class,
        () -> Receiver.builder().secrets("whsec_!!").build(), "the builder refuses it too");
    String whsec = "whsec_" + Base64.getEncoder().encodeToString(oldKey);
    eq(null, Verifier.of(List.of(whsec)).check("m", "" + NOW, sigOld, body, NOW),
        "whsec_ decodes to the same key");
  }

  static void testReceiverStatuses() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      rig.r.registerOnEnteredSeverity(1, () -> rig.calls.add("entered 1"));
      String body = Fixtures.body("entered", 1, 0, 1, "");
      Map<String, String> h = Fixtures.headers("msg_a", NOW, body);
      eq(Receiver.Outcome.UNVERIFIED, rig.r.receive(h, Fixtures.bytes(body + " ")), "tampered");
      Map<String, String> upper = new java.util.HashMap<>();
      h.forEach((k, val) -> upper.put(k.toUpperCase(), val));
      eq(204, rig.r.handle(upper, Fixtures.bytes(body)), "headers in any case");
      eq(Receiver.Outcome.DUPLICATE, rig.r.receive(h, Fixtures.bytes(body)), "the same id again");
      rig.clock.unixS.addAndGet(301);
      eq(Receiver.Outcome.LATE, rig.send(body, "msg_b"), "signed now, new id, seq 1 again: late");
      Map<String, String> stale = Fixtures.headers("msg_c", NOW, body);
      eq(401, rig.r.handle(stale, Fixtures.bytes(body)), "301 s old");
      for (String notEvent : new String[] {"{\"hello\":\"world\"}", "[1]", "\"entered\"",
          "{\"event\":1,\"level\":1}", "{\"event\":\"entered\"}", "{\"event\":\"entered\",\"level\":null}",
          "{\"event\":\"entered\",\"level\":-1}", "{\"event\":\"entered\",\"level\":1.5}",
          "{\"event\":\"entered\",\"level\":1,\"seq\":\"7\"}",
          "{\"event\":\"entered\",\"level\":99999999999}",
          "{\"event\":\"entered\",\"level\":1,\"instance\":7}", "not json"}) {
        eq(Receiver.Outcome.NOT_AN_EVENT, rig.send(notEvent, "msg_" + notEvent.hashCode()),
            "400 for " + notEvent);
      }
      byte[] big = new byte[Receiver.MAX_BODY_BYTES + 1];
      eq(413, rig.r.handle(Fixtures.headers("msg_big", NOW, ""), big), "over 64 KiB");
      eq(Receiver.Outcome.ACCEPTED,
          rig.send("{\"event\":\"hibernated\",\"level\":0,\"seq\":2,\"instance\":\""
              + Fixtures.INSTANCE + "\"}", "msg_new_kind"), "an unknown kind is accepted");
      eq(List.of("entered 1"), rig.calls(), "one call for the one event applied");
      check(rig.logged("not one this library knows"), "the unknown kind is logged");
      check(rig.logged("rejected: Message timestamp too old (401)"), "the reason is logged");
    }
    try (Receiver none = Receiver.builder().softMaxHeap(false, Double.NaN).log(l -> {}).build()) {
      eq(401, none.handle(Map.of(), new byte[0]), "no secret: nothing is accepted");
      TestMain.throwsA(IllegalStateException.class, () -> none.serve("127.0.0.1", 0),
          "no secret: refuses to serve");
    }
  }

  static void testDedupRemembersTenMinutesAtMostTenThousand() {
    SeenIds s = new SeenIds(600_000, 3);
    check(s.addIfNew("a", 0), "a new");
    check(!s.addIfNew("a", 599_999), "a again within 10 min");
    check(s.addIfNew("a", 600_000), "a again after 10 min: forgotten");
    check(s.addIfNew("b", 600_001) && s.addIfNew("c", 600_002) && s.addIfNew("d", 600_003),
        "b c d");
    check(s.addIfNew("a", 600_004), "a pushed out by the bound");
    check(!s.addIfNew("d", 600_005), "d still remembered");
  }
}
