'use strict';
// Standard Webhooks v1 verification with the npm `standardwebhooks` library, against any of several
// secrets (rotation), on a clock the caller gives (the library reads Date.now() itself).

const { Webhook, WebhookVerificationError } = require('standardwebhooks');

const SECRET_PREFIX = 'whsec_';
// Standard Webhooks: reject a webhook-timestamp more than 5 minutes from now (a replay).
const TOLERANCE_SECONDS = 5 * 60;

// The HMAC keys of secrets: a string of space-separated secrets, an array of strings or Buffers, or
// one Buffer. A "whsec_" secret's key is its base64 part decoded; any other string's key is its
// UTF-8 bytes (as memhook takes it). Throws when there is none or a whsec_ part is not base64.
function parseSecrets(secrets) {
  let list;
  if (typeof secrets === 'string') list = secrets.split(/\s+/);
  else if (Buffer.isBuffer(secrets) || secrets instanceof Uint8Array) list = [secrets];
  else if (Array.isArray(secrets)) list = secrets;
  else list = [];
  list = list.filter((s) => s !== '' && s !== undefined && s !== null);
  if (list.length === 0) throw new Error('no secret: refusing to accept unsigned webhooks');
  return list.map((s) => {
    if (typeof s !== 'string') return Uint8Array.from(s);
    if (!s.startsWith(SECRET_PREFIX)) return Uint8Array.from(Buffer.from(s, 'utf8'));
    const b64 = s.slice(SECRET_PREFIX.length);
    // Node's decoder skips what is not base64: refuse it here rather than verify with a wrong key.
    if (b64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new Error(`a ${SECRET_PREFIX} secret is not valid base64`);
    }
    return Uint8Array.from(Buffer.from(b64, 'base64'));
  });
}

// The library's Webhook with its timestamp check on our clock (nowMs: () => Unix milliseconds).
// Same words as the library's own check, so logs read alike whatever the clock.
class ClockedWebhook extends Webhook {
  constructor(key, nowMs) {
    super(key, { format: 'raw' });
    this.nowMs = nowMs;
  }

  verifyTimestamp(timestampHeader) {
    const now = Math.floor(this.nowMs() / 1000);
    const timestamp = parseInt(timestampHeader, 10);
    if (Number.isNaN(timestamp)) throw new WebhookVerificationError('Invalid Signature Headers');
    if (now - timestamp > TOLERANCE_SECONDS) throw new WebhookVerificationError('Message timestamp too old');
    if (timestamp > now + TOLERANCE_SECONDS) throw new WebhookVerificationError('Message timestamp too new');
    return new Date(timestamp * 1000);
  }
}

// A function (body, headers) -> null when one of the keys verifies the request (signature and
// timestamp), else the library's reason. body: the raw bytes (Buffer) or the exact string.
function makeVerifier(keys, nowMs) {
  const hooks = keys.map((k) => new ClockedWebhook(k, nowMs));
  return function verify(body, headers) {
    const flat = {};
    for (const [k, v] of Object.entries(headers || {})) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(' ') : v;
    headers = flat;
    let why = 'No matching signature found';
    for (const hook of hooks) {
      try {
        hook.verify(body, headers, { jsonParse: false });
        return null;
      } catch (e) {
        why = e.message;
        if (!(e instanceof WebhookVerificationError)) return `unverifiable request: ${why}`;
        // Missing headers or a bad timestamp fail every key alike.
        if (why !== 'No matching signature found') return why;
      }
    }
    return why;
  };
}

module.exports = { parseSecrets, makeVerifier, TOLERANCE_SECONDS };
