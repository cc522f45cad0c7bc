// Validates every object of a multi-document YAML file (rendered by `kubectl kustomize`) against the schema of its
// apiVersion/kind: the Kubernetes API from kubernetes-models, KEDA and prometheus-operator CRDs from their
// @kubernetes-models packages. Prints {"objects":[{apiVersion, kind, name, object, errors}]} as JSON; an object with
// no known schema is an error too.
//
// kubernetes-models' compiled validators check types, enums, formats and required fields but accept any extra
// field (their schemas carry no additionalProperties: false), so a misspelt field would pass. The validator reads
// every property its schema declares, and iterates the keys of free-form maps: running it over a proxy that records
// those reads tells which fields the schema knows, and every other field is reported as unknown.
//
// Usage: node validate.mjs rendered.yaml        node validate.mjs --to-json file.yaml (one document, as JSON)
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";

const [mode, file] = process.argv[2] === "--to-json" ? ["to-json", process.argv[3]] : ["validate", process.argv[2]];
if (!file) {
  console.error("usage: node validate.mjs <rendered.yaml> | --to-json <file.yaml>");
  process.exit(2);
}

const text = readFileSync(file, "utf8");
if (mode === "to-json") {
  console.log(JSON.stringify(parse(text)));
  process.exit(0);
}

/** The package module that defines a kind: core API groups in kubernetes-models, CRDs in their own packages. */
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

/** Wraps a value so reads of its properties (and of its children's) are recorded per JSON pointer. */
function track(value, pointer, reads) {
  if (value === null || typeof value !== "object") return value;
  const known = reads.get(pointer);
  if (known) return known.proxy;
  const entry = { read: new Set(), iterated: false, proxy: null };
  reads.set(pointer, entry);
  entry.proxy = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") entry.read.add(key);
      const child = Reflect.get(target, key, receiver);
      return typeof key === "string" && Object.hasOwn(target, key) ? track(child, `${pointer}/${key}`, reads) : child;
    },
    ownKeys(target) {
      entry.iterated = true;
      return Reflect.ownKeys(target);
    },
  });
  return entry.proxy;
}

/**
 * Fields of objects the schema describes but never reads. An object whose validator read nothing at all is free-form
 * in the schema (x-kubernetes-preserve-unknown-fields, or a type of "object" only) and is left alone.
 */
function unknownFields(value, pointer, reads, found) {
  if (value === null || typeof value !== "object") return found;
  const entry = reads.get(pointer);
  if (!entry || (entry.read.size === 0 && !entry.iterated)) return found;
  for (const key of Object.keys(value)) {
    const child = `${pointer}/${key}`;
    if (!Array.isArray(value) && !entry.iterated && !entry.read.has(key)) {
      found.push(`${child || "/"}: unknown field "${key}"`);
    } else {
      unknownFields(value[key], child, reads, found);
    }
  }
  return found;
}

const objects = [];
for (const document of parseAllDocuments(text)) {
  if (document.errors.length > 0) {
    objects.push({ apiVersion: null, kind: null, name: null, object: null, errors: document.errors.map(e => e.message) });
    continue;
  }
  const object = document.toJS();
  if (object === null) continue;
  const { apiVersion, kind } = object;
  const name = object.metadata?.name ?? null;
  const errors = [];
  let model;
  try {
    model = (await import(modulePath(String(apiVersion), String(kind))))[kind];
  } catch {
    errors.push(`no schema for ${apiVersion} ${kind}`);
  }
  if (model) {
    const reads = new Map();
    try {
      model.prototype.validate.call(track(object, "", reads));
    } catch (error) {
      errors.push(...String(error.message).split(", "));
    }
    errors.push(...unknownFields(object, "", reads, []));
  }
  objects.push({ apiVersion, kind, name, object, errors });
}
console.log(JSON.stringify({ objects }));
