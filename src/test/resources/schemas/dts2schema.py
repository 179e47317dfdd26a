# Converts the TypeScript declaration of a Kubernetes custom resource, as the npm packages
# @kubernetes-models/* generate them from the resource's CRD, into a strict JSON schema (every
# object lists its fields, no others; non-optional fields required). Used once per schema of
# keda/ and argo-rollouts/ (see README.md here); not run by the build:
#   python3 dts2schema.py <Kind>.d.ts "<apiVersion> <Kind>" "<description>" > <kind>.json
import re, json, sys
src = open(sys.argv[1]).read()
# strip comments
src = re.sub(r'/\*\*.*?\*/', '', src, flags=re.S)
i0 = src.index('export interface ')
body = src[src.index('{', i0):]
toks = re.findall(r'"[^"]*"|\[key: string\]|Array<|[{}>;:?|]|[A-Za-z_][A-Za-z0-9_.\[\]"]*', body)
pos = 0
def peek(): return toks[pos]
def take(t=None):
    global pos
    v = toks[pos]; pos += 1
    if t is not None and v != t: raise SystemExit(f"expected {t} got {v} at {pos}: {toks[pos-5:pos+5]}")
    return v
def parse_type():
    first = parse_one()
    if peek() != '|':
        return first
    options = [first]
    while peek() == '|':
        take(); options.append(parse_one())
    if all(set(o) == {"type"} for o in options):
        return {"type": [o["type"] for o in options]}
    return {"anyOf": options}
def parse_one():
    t = peek()
    if t == '{': return parse_object()
    if t == 'Array<':
        take(); item = parse_type(); take('>'); return {"type": "array", "items": item}
    take()
    if t == 'string': return {"type": "string"}
    if t == 'number': return {"type": "number"}
    if t == "boolean": return {"type": "boolean"}
    if t == "any": return {}
    if t == 'IObjectMeta': return {"$ref": "#/$defs/ObjectMeta"}
    if t.startswith('"'): return {"const": t.strip('"')}
    raise SystemExit("unknown type " + t)
def parse_object():
    take('{')
    if peek() == '[key: string]':
        take(); take(':'); v = parse_type(); take(';') if peek() == ';' else None; take('}')
        return {"type": "object", "additionalProperties": v}
    props, req = {}, []
    while peek() != '}':
        name = take().strip('"'); opt = False
        if peek() == '?': take(); opt = True
        take(':'); props[name] = parse_type()
        if peek() == ';': take()
        if not opt: req.append(name)
    take('}')
    o = {"type": "object", "properties": props, "additionalProperties": False}
    if req: o["required"] = req
    return o
root = parse_object()
meta = {"type": "object", "properties": {
  "name": {"type": "string"}, "namespace": {"type": "string"},
  "labels": {"type": "object", "additionalProperties": {"type": "string"}},
  "annotations": {"type": "object", "additionalProperties": {"type": "string"}}}, "additionalProperties": False}
print(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": sys.argv[2],
  "description": sys.argv[3], **root, "$defs": {"ObjectMeta": meta}}, indent=2))
