package dev.memhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks v1 verification: {@code webhook-signature} holds space-separated {@code
 * v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>}; any one matching any
 * key is enough (rotation on either side), and the timestamp must be within {@link #TOLERANCE_S}
 * of now.
 */
public final class Verifier {
  /** Standard Webhooks' replay window. */
  public static final long TOLERANCE_S = 5 * 60;

  private static final String PREFIX = "whsec_";
  private final List<byte[]> keys;

  private Verifier(List<byte[]> keys) {
    this.keys = keys;
  }

  /**
   * A verifier for secrets: each {@code whsec_<base64>} (the key is the decoded bytes) or a plain
   * string (its UTF-8 bytes). Throws IllegalArgumentException when there is none, one is empty,
   * or a whsec_ one is not base64: a receiver must not start verifying nothing.
   */
  public static Verifier of(List<String> secrets) {
    List<byte[]> keys = new ArrayList<>();
    for (String s : secrets) {
      byte[] key;
      if (s.startsWith(PREFIX)) {
        try {
          key = Base64.getDecoder().decode(s.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("a " + PREFIX + " secret is not valid base64");
        }
      } else {
        key = s.getBytes(StandardCharsets.UTF_8);
      }
      if (key.length == 0) {
        throw new IllegalArgumentException("a secret is empty");
      }
      keys.add(key);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no secret given");
    }
    return new Verifier(keys);
  }

  /** The secrets in a space-separated list (MEMHOOK_SECRET's form). */
  public static List<String> split(String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.trim().split("\\s+")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Null when the headers verify body at nowUnixSeconds, otherwise why not (the words of the
   * Standard Webhooks libraries).
   */
  public String check(String id, String timestamp, String signatures, byte[] body, long nowUnixS) {
    if (isBlank(id) || isBlank(timestamp) || isBlank(signatures)) {
      return "Missing required headers";
    }
    long ts;
    try {
      String t = timestamp.trim();
      if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new NumberFormatException();
      }
      ts = Long.parseLong(t);
    } catch (NumberFormatException e) {
      return "Invalid Signature Headers";
    }
    if (nowUnixS - ts > TOLERANCE_S) {
      return "Message timestamp too old";
    }
    if (ts - nowUnixS > TOLERANCE_S) {
      return "Message timestamp too new";
    }
    byte[] head = (id + "." + ts + ".").getBytes(StandardCharsets.UTF_8);
    List<byte[]> wants = new ArrayList<>();
    for (byte[] key : keys) {
      wants.add(Base64.getEncoder().encode(hmac(key, head, body)));
    }
    for (String entry : signatures.split(" ")) {
      int comma = entry.indexOf(',');
      if (comma < 0 || !entry.substring(0, comma).equals("v1")) {
        continue;
      }
      byte[] got = entry.substring(comma + 1).getBytes(StandardCharsets.US_ASCII);
      for (byte[] want : wants) {
        if (MessageDigest.isEqual(want, got)) {
          return null;
        }
      }
    }
    return "No matching signature found";
  }

  /** The v1 signature header value for body under key (tests and the vectors runner sign). */
  public static String sign(byte[] key, String id, long timestamp, byte[] body) {
    byte[] head = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
    return "v1," + Base64.getEncoder().encodeToString(hmac(key, head, body));
  }

  private static byte[] hmac(byte[] key, byte[] head, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(head);
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
