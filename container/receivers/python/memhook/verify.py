"""Standard Webhooks v1 verification: secrets, signature, timestamp window."""
import base64
import binascii
import hashlib
import hmac

TOLERANCE_S = 5 * 60   # Standard Webhooks: a timestamp further than this from now is a replay
SECRET_PREFIX = "whsec_"


def parse_secret(secret):
    """The HMAC key of one secret: "whsec_<base64>" is the decoded bytes, any other string its UTF-8
    bytes (memhook takes a plain secret the same way); bytes are the key as they are. Raises
    ValueError on an empty key or a whsec_ secret that is not base64."""
    if isinstance(secret, (bytes, bytearray)):
        key = bytes(secret)
    elif secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"a {SECRET_PREFIX} secret is not valid base64") from None
    else:
        key = secret.encode()
    if not key:
        raise ValueError("a secret is empty")
    return key


def parse_secrets(secrets):
    """The keys of several secrets (a list, or one string of space-separated secrets)."""
    if isinstance(secrets, (str, bytes)):
        secrets = secrets.split()
    keys = [parse_secret(s) for s in secrets]
    if not keys:
        raise ValueError("no secret: refusing to accept unsigned webhooks")
    return keys


def verify(keys, msg_id, timestamp, signatures, body, now):
    """None when one "v1,<sig>" of signatures is base64(HMAC-SHA256(key, "{id}.{ts}.{body}")) for
    one of the keys and the timestamp is within 5 minutes of now (Unix seconds); otherwise why not,
    in the words of the standardwebhooks libraries."""
    if not msg_id or not timestamp or not signatures:
        return "Missing required headers"
    ts = timestamp.strip()
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 12):   # Unix seconds, nothing else
        return "Invalid Signature Headers"
    ts = int(ts)
    if now - ts > TOLERANCE_S:
        return "Message timestamp too old"
    if ts > now + TOLERANCE_S:
        return "Message timestamp too new"
    signed = f"{msg_id}.{ts}.".encode() + body
    wants = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()) for k in keys]
    for entry in signatures.split(" "):
        version, _, sig = entry.partition(",")
        if version != "v1":
            continue
        got = sig.encode()
        # compare with every key, never stopping early: the time taken says nothing of which
        if any([hmac.compare_digest(want, got) for want in wants]):
            return None
    return "No matching signature found"


def sign(key, msg_id, timestamp, body):
    """The webhook-signature header memhook sends for body (used by tests and tools)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
