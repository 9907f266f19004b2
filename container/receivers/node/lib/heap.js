'use strict';
// On limit_changed: can V8's heap outgrow the container's new limit?
//
// V8 fixes its heap limit (heap_size_limit: --max-old-space-size, or a default from the machine's
// memory) when node starts; nothing changes it while node runs. A heap allowed to grow to the
// container's limit or past it gets the process OOM-killed before V8 collects harder. Only a
// restart with a lower --max-old-space-size fixes that; the hint suggests 75% of the new limit,
// leaving a quarter for what is not V8's heap (buffers, code, stacks, native memory).

const v8 = require('node:v8');

const MIB = 1024 * 1024;
const SUGGESTED_HEAP_FRACTION = 0.75;

function v8HeapLimitBytes() {
  return v8.getHeapStatistics().heap_size_limit;
}

// The container's new limit from a limit_changed event, or null.
function newLimitBytes(ev) {
  if (Number.isSafeInteger(ev.new_limit_bytes)) return ev.new_limit_bytes;
  if (ev.sample && Number.isSafeInteger(ev.sample.limit_bytes)) return ev.sample.limit_bytes;
  return null;
}

// null when the heap fits under limitBytes, else {heapLimitBytes, limitBytes, suggestedMaxOldSpaceMb,
// message}.
function heapCheck(heapLimitBytes, limitBytes) {
  if (!(limitBytes > 0) || heapLimitBytes < limitBytes) return null;
  const suggestedMaxOldSpaceMb = Math.max(Math.floor((limitBytes * SUGGESTED_HEAP_FRACTION) / MIB), 1);
  const message = `V8's heap limit (${Math.round(heapLimitBytes / MIB)} MiB) is not below the container's ` +
    `memory limit (${Math.round(limitBytes / MIB)} MiB): the heap can outgrow the container, which is then ` +
    'OOM-killed before V8 collects harder. Node cannot lower its heap limit while it runs: only a restart ' +
    `with --max-old-space-size=${suggestedMaxOldSpaceMb} (75% of the limit, in MiB; e.g. in NODE_OPTIONS) fixes this`;
  return { heapLimitBytes, limitBytes, suggestedMaxOldSpaceMb, message };
}

module.exports = { heapCheck, newLimitBytes, v8HeapLimitBytes };
