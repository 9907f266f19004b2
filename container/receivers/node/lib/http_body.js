'use strict';
// The raw body of a webhook request, as signed: read from the request, or taken from what a body
// parser left (express.raw, express.text, or a req.rawBody some frameworks keep).

// cb(err, body): err has .status (413 too large, 400 unreadable, 500 a parser already consumed it).
function readBody(req, maxBytes, cb) {
  const given = takenBody(req);
  if (given !== null) {
    if (given.length > maxBytes) return cb(httpError(413, `body over ${maxBytes} bytes`));
    return cb(null, given);
  }
  // body-parser marks what it parsed (req._body); a consumed stream has ended either way.
  if (req._body === true || req.readableEnded) {
    return cb(httpError(500, 'the body was already parsed, so its signature cannot be checked: ' +
      'mount this handler before express.json(), or behind express.raw({type: "application/json"})'));
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) {
    req.resume();
    return cb(httpError(413, `body over ${maxBytes} bytes`));
  }
  const chunks = [];
  let len = 0;
  let done = false;
  const finish = (err, body) => {
    if (done) return;
    done = true;
    cb(err, body);
  };
  req.on('data', (c) => {
    len += c.length;
    if (len > maxBytes) {
      req.removeAllListeners('data');
      req.resume();
      finish(httpError(413, `body over ${maxBytes} bytes`));
    } else {
      chunks.push(c);
    }
  });
  req.on('end', () => finish(null, Buffer.concat(chunks)));
  req.on('error', (e) => finish(httpError(400, `reading the body failed: ${e.message}`)));
  return undefined;
}

function takenBody(req) {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body, 'utf8');
  return null;
}

function httpError(status, message) {
  const e = new Error(message);
  e.status = status;
  return e;
}

module.exports = { readBody };
