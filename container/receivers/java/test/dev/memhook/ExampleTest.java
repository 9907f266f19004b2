package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The example receiver as a process: its environment, its "listening on" and "call" lines. */
final class ExampleTest {
  private ExampleTest() {}

  static ProcessBuilder example(String secret) {
    String java = System.getProperty("java.home") + "/bin/java";
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.memhook.example.Example");
    pb.environment().remove("SUBSCRIBE_URL");
    pb.environment().put("PORT", "0");
    pb.environment().put("HOST", "127.0.0.1");
    if (secret == null) {
      pb.environment().remove("MEMHOOK_SECRET");
    } else {
      pb.environment().put("MEMHOOK_SECRET", secret);
    }
    return pb;
  }

  static void testPrintsOneLinePerCall() throws Exception {
    Process p = example("whsec_bm90LXRoaXM= " + Fixtures.SECRET)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      check(first != null && first.matches("listening on [0-9]+"), "listening: " + first);
      URI url = URI.create("http://127.0.0.1:" + first.substring(13) + "/");
      HttpClient c = HttpClient.newHttpClient();
      long now = System.currentTimeMillis() / 1000;
      String[] bodies = {
        Fixtures.body("entered", 1, 0, 1, ""), Fixtures.body("entered", 2, 1, 2, ""),
        Fixtures.body("remaining", 2, 2, 3, ""), Fixtures.body("left", 1, 2, 4, ""),
        Fixtures.body("left", 0, 1, 5, ""), Fixtures.body("normal", 0, 0, 6, ""),
        Fixtures.body("limit_changed", 0, 0, 7, "\"old_limit_bytes\":1,\"new_limit_bytes\":2"),
        Fixtures.body("oom_kill", 0, 0, 8, ""), Fixtures.body("target_lost", 0, 0, 9, ""),
        Fixtures.body("target_found", 0, 0, 10, ""),
      };
      for (int i = 0; i < bodies.length; i++) {
        eq(204, HttpTest.post(c, url, Fixtures.headers("m" + i, now, bodies[i]),
            Fixtures.bytes(bodies[i])), "delivery " + i);
      }
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < bodies.length; i++) {
        lines.add(out.readLine());
      }
      eq(List.of("call entered 1 elevated", "call entered 2 high", "call remaining 2 high",
          "call left 2 high", "call left 1 elevated", "call normal",
          "call limit_changed 0 normal", "call oom_kill 0 normal", "call target_lost",
          "call target_found"), lines, "the call lines");
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static void testRefusesToStartWithoutASecret() throws Exception {
    for (String secret : new String[] {null, "whsec_%%"}) {
      Process p = example(secret).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      check(p.waitFor(20, TimeUnit.SECONDS), "exits");
      eq(2, p.exitValue(), "exit 2 for " + secret + ": " + out);
    }
  }
}
