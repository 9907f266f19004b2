'use strict';
// memhook-receiver: memhook's events in a Node.js app (README.md).

const { MemhookReceiver, KINDS, callWords, HOLD_MS, MAX_BODY_BYTES } = require('./receiver');
const { parseSecrets } = require('./verify');
const { heapCheck } = require('./heap');
const { SseParser, Subscription } = require('./stream');

module.exports = {
  MemhookReceiver, Subscription, KINDS, callWords, parseSecrets, heapCheck, SseParser, HOLD_MS, MAX_BODY_BYTES,
};
