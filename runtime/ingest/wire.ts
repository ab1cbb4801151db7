/**
 * Protobuf decoding by reflection over the parsed OTLP schema, on
 * protobufjs's Reader. protobufjs's own decode() compiles a function per
 * message with `new Function`, which workerd forbids, and the Worker build
 * shares this code. Output has the OTLP JSON mapping's shape: lowerCamelCase
 * names, a oneof as its one set key, bytes as Uint8Array, unset fields
 * absent; 64-bit integers are protobufjs Longs (where JSON has strings).
 */
import protobuf from 'protobufjs';

type Obj = Record<string, unknown>;

interface FieldPlan {
  readonly name: string;
  readonly repeated: boolean;
  /** The wire type a single value arrives with. */
  readonly wire: number;
  /** Reads one scalar value; absent for message fields. */
  readonly read?: (reader: protobuf.Reader) => unknown;
  readonly packable: boolean;
  /** The message type, for message fields. */
  readonly message?: Plan;
}

/** Indexed by field number. */
type Plan = (FieldPlan | undefined)[];

const plans = new Map<protobuf.Type, Plan>();
/**
 * Node's Buffer decodes UTF-8 natively (protobufjs's BufferReader uses it, a
 * quarter faster here); workerd's Buffer stand-in differs in those methods,
 * so there the plain Reader and Writer are used.
 */
const NATIVE_UTF8 = (() => {
  try {
    const probe = Buffer.from('hé') as Buffer & { utf8Slice?: (start: number, end: number) => string };
    return typeof process !== 'undefined' && process.release?.name === 'node' && probe.utf8Slice?.(0, 3) === 'hé';
  } catch {
    return false;
  }
})();

const SCALARS = new Set(['string', 'bytes', 'bool', 'double', 'float', 'int32', 'uint32', 'fixed32', 'fixed64', 'sfixed64', 'int64', 'uint64']);

/** Field number → how to read it, per message type; built once. */
function planFor(type: protobuf.Type): Plan {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = [];
  plans.set(type, plan); // before recursing: messages refer to themselves (AnyValue)
  for (const field of type.fieldsArray) {
    // type.lookup, not field.resolve(): resolving builds the message's constructor with `new Function`.
    const resolved = SCALARS.has(field.type) ? null : type.lookup(field.type);
    if (!SCALARS.has(field.type) && !(resolved instanceof protobuf.Type)) throw new Error(`wire: ${type.name}.${field.name}: unknown type ${field.type}`);
    const message = resolved instanceof protobuf.Type ? planFor(resolved) : undefined;
    plan[field.id] = {
      name: field.name,
      repeated: field.repeated,
      wire: message ? WIRE_BYTES : wireOf(field.type),
      read: message ? undefined : READERS[field.type],
      packable: PACKABLE.has(field.type),
      message,
    };
  }
  return plan;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** One reader per scalar type. 64-bit integers stay protobufjs Longs: the mapper reads their halves. */
const READERS: Record<string, (reader: protobuf.Reader) => unknown> = {
  string: (r) => r.string(),
  bytes: (r) => r.bytes(),
  bool: (r) => r.bool(),
  double: (r) => r.double(),
  float: (r) => r.float(),
  int32: (r) => r.int32(),
  uint32: (r) => r.uint32(),
  fixed32: (r) => r.fixed32(),
  fixed64: (r) => r.fixed64(),
  sfixed64: (r) => r.sfixed64(),
  int64: (r) => r.int64(),
  uint64: (r) => r.uint64(),
};

function wireOf(type: string): number {
  if (type === 'string' || type === 'bytes') return WIRE_BYTES;
  if (type === 'double' || type.endsWith('fixed64')) return WIRE_FIXED64;
  if (type === 'float' || type.endsWith('fixed32')) return WIRE_FIXED32;
  return WIRE_VARINT;
}

/** Numeric types that may arrive packed (several values in one length-delimited field). */
const PACKABLE = new Set(['double', 'float', 'int32', 'uint32', 'fixed32', 'fixed64', 'sfixed64', 'int64', 'uint64', 'bool']);

function decodeMessage(reader: protobuf.Reader, end: number, plan: Plan): Obj {
  const out: Obj = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = plan[tag >>> 3];
    const wire = tag & 7;
    if (!field) {
      reader.skipType(wire);
      continue;
    }
    let value: unknown;
    if (field.message) {
      if (wire !== WIRE_BYTES) throw new Error(`wire: ${field.name} is a message, got wire type ${wire}`);
      const length = reader.uint32();
      value = decodeMessage(reader, reader.pos + length, field.message);
    } else if (field.repeated && wire === WIRE_BYTES && field.packable) {
      const stop = reader.uint32() + reader.pos;
      const list = (out[field.name] ??= []) as unknown[];
      while (reader.pos < stop) list.push(field.read!(reader));
      continue;
    } else {
      if (wire !== field.wire) throw new Error(`wire: ${field.name} expects wire type ${field.wire}, got ${wire}`);
      value = field.read!(reader);
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  if (reader.pos > end) throw new Error('wire: a field runs past the end of its message');
  return out;
}

/** Decodes `bytes` as `type`; throws on malformed input. */
export function decodeWire(type: protobuf.Type, bytes: Uint8Array): Obj {
  const reader = NATIVE_UTF8 ? protobuf.Reader.create(bytes) : new protobuf.Reader(bytes);
  return decodeMessage(reader, bytes.length, planFor(type));
}

/** `{ [1]: int64, [2]: string }`, the shape of every Export…PartialSuccess inside its response (field 1). */
export function encodePartialSuccess(rejected: number, errorMessage: string): Uint8Array {
  if (rejected === 0 && !errorMessage) return new Uint8Array();
  const inner = new protobuf.Writer(); // the plain Writer: see NATIVE_UTF8
  if (rejected) inner.uint32((1 << 3) | WIRE_VARINT).int64(rejected);
  if (errorMessage) inner.uint32((2 << 3) | WIRE_BYTES).string(errorMessage);
  return new protobuf.Writer().uint32((1 << 3) | WIRE_BYTES).bytes(inner.finish()).finish();
}

/** google.rpc.Status { int32 code = 1; string message = 2 }. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return new protobuf.Writer().uint32((1 << 3) | WIRE_VARINT).int32(code).uint32((2 << 3) | WIRE_BYTES).string(message).finish();
}
