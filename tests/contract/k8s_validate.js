#!/usr/bin/env node
// Validates Kubernetes objects against the official OpenAPI schemas, offline: the validators the
// npm package kubernetes-models generates from the Kubernetes OpenAPI definitions. Reads JSON
// lines {"what": "...", "object": {...}} from the file named (or stdin); picks the schema by the
// object's own apiVersion and kind (never filling them in), or by the line's "schema" for objects
// without them (a WatchEvent); prints one line per object and exits
// 1 when any is invalid, has a kind without a schema here, or when there is no object at all.
// Unknown fields are not caught by these schemas (Kubernetes' OpenAPI allows them): the fake
// API server checks Event fields itself, and manifests go through validate_manifests.py.
"use strict";
const fs = require("fs");
const path = require("path");

// The model class of apiVersion/kind: kubernetes-models/<apiVersion>/<Kind> ("v1/Pod",
// "rbac.authorization.k8s.io/v1/Role", "events.k8s.io/v1/Event"), the apimachinery's meta/v1
// Status for v1 Status, or null.
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind)) return null;
  const module = apiVersion === "v1" && kind === "Status"
    ? "@kubernetes-models/apimachinery/apis/meta/v1/Status"
    : `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return require(module)[kind] || null;
  } catch (e) {
    return null;
  }
}

// Objects that carry no apiVersion/kind of their own name their schema in the line's "schema":
// "WatchEvent" (meta/v1, the lines of a watch).
const NAMED = { WatchEvent: "@kubernetes-models/apimachinery/apis/meta/v1/WatchEvent" };
function namedModel(name) {
  try {
    return NAMED[name] ? require(NAMED[name])[name] || null : null;
  } catch (e) {
    return null;
  }
}

const text = fs.readFileSync(process.argv[2] || 0, "utf8");
let n = 0, bad = 0;
for (const line of text.split("\n")) {
  if (!line.trim()) continue;
  const { what, object, schema } = JSON.parse(line);
  n++;
  const Model = schema ? namedModel(schema) : object && modelFor(object.apiVersion, object.kind);
  if (!Model) {
    console.log(`INVALID ${what}: no schema for ${schema || (object && object.apiVersion) + " " + (object && object.kind)}`);
    bad++;
    continue;
  }
  // The model takes apiVersion and kind from the object itself (they picked it): nothing is
  // filled in that the object lacks.
  try {
    new Model(object).validate();
    console.log(`ok ${what} (${schema || object.apiVersion + " " + object.kind})`);
  } catch (e) {
    bad++;
    console.log(`INVALID ${what}: ${String(e.message).replace(/\n/g, " ")}`);
  }
}
if (n === 0) {
  console.log("INVALID: no object to validate");
  process.exit(1);
}
console.log(`${n - bad}/${n} valid`);
process.exit(bad ? 1 : 0);
