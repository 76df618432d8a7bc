/**
 * Values of the server's own structured DataTypes between an upstream and the gateway.
 *
 * The upstream node-opcua client decodes a structure with the definitions it read from that server
 * (its own classes, whose encoding NodeIds are the upstream's); a downstream client must get the
 * same value encoded with the gateway's NodeIds. Choice: the body is re-encoded, not re-built field
 * by field: the upstream object's binary body (Part 6 §5.2.6, the same bytes the server sent, or
 * the raw bytes when the client could not decode it) is decoded with the gateway's own codec for the
 * mirrored DataType, found by the encoding NodeId mapped by namespace URI. Only where the two
 * namespace tables differ are NodeIds, ExpandedNodeIds and QualifiedNames inside re-indexed, field
 * by field along the definition. Towards the upstream (Write, Call) the body goes as the raw
 * ExtensionObject with the upstream's encoding NodeId, so the upstream decodes it as it would a
 * direct client's. A structure the gateway has no codec for is an UnsupportedValue error (the
 * caller answers BadDataTypeIdUnknown and logs the type), never a value passed on undecodable.
 */
import {
  type AddressSpace,
  BinaryStream,
  DataType,
  ExpandedNodeId,
  type ExtensionObject,
  NodeId,
  QualifiedName,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { OpaqueStructure } from "node-opcua-extension-object";
import { RedundancyError } from "../errors.ts";
import { dataTypeManager } from "../node-opcua-private.ts";
import type { IndexMap } from "./value-remap.ts";

interface FieldLike {
  name: string;
  fieldType: string;
  isArray?: boolean;
  category: string;
}
interface StructureLike {
  schema: { name: string; encodingDefaultBinary?: NodeId; fields: FieldLike[] };
  encode(stream: BinaryStream): void;
  decode(stream: BinaryStream): void;
  binaryStoreSize(): number;
}
type Constructor = new () => StructureLike;
interface CodecSource {
  getExtensionObjectConstructorFromBinaryEncoding(encoding: NodeId): Constructor;
}

/**
 * A raw ExtensionObject (encoding NodeId + body) that survives node-opcua's Variant copies: they
 * copy an ExtensionObject as `new value.constructor(value)`, which empties a plain OpaqueStructure.
 */
class RawStructure extends OpaqueStructure {
  constructor(nodeIdOrCopy: NodeId | OpaqueStructure, buffer?: Buffer) {
    if (nodeIdOrCopy instanceof OpaqueStructure) super(nodeIdOrCopy.nodeId, nodeIdOrCopy.buffer);
    else super(nodeIdOrCopy, buffer ?? Buffer.alloc(0));
  }
}

/** A value the gateway cannot represent for the other side. */
export function unsupported(what: string): RedundancyError {
  return new RedundancyError("ERR_UNSUPPORTED_VALUE", what, { statusCode: "BadDataTypeIdUnknown" });
}

function isOpaque(value: unknown): value is OpaqueStructure {
  return value instanceof OpaqueStructure;
}

function bodyOf(value: StructureLike | OpaqueStructure): Buffer {
  if (isOpaque(value)) return value.buffer;
  const stream = new BinaryStream(value.binaryStoreSize());
  value.encode(stream);
  return stream.buffer;
}

function encodingOf(value: StructureLike | OpaqueStructure): NodeId | undefined {
  return isOpaque(value) ? value.nodeId : value.schema.encodingDefaultBinary;
}

function remapId(value: unknown, map: IndexMap): unknown {
  if (value instanceof ExpandedNodeId) {
    if (value.namespaceUri) return value;
    return new ExpandedNodeId(
      value.identifierType,
      value.value,
      map(value.namespace) ?? value.namespace,
      null,
      value.serverIndex,
    );
  }
  if (value instanceof NodeId)
    return new NodeId(value.identifierType, value.value, map(value.namespace) ?? value.namespace);
  if (value instanceof QualifiedName)
    return new QualifiedName({
      name: value.name,
      namespaceIndex: map(value.namespaceIndex) ?? value.namespaceIndex,
    });
  return value;
}

const ID_TYPES = new Set(["NodeId", "ExpandedNodeId", "QualifiedName"]);

/** NodeIds, ExpandedNodeIds and QualifiedNames inside a decoded structure, in place. */
function remapInside(value: StructureLike, map: IndexMap): void {
  const record = value as unknown as Record<string, unknown>;
  for (const field of value.schema.fields) {
    const current = record[field.name];
    if (current === undefined || current === null) continue;
    const each = (f: (v: unknown) => unknown) =>
      field.isArray && Array.isArray(current) ? current.map(f) : f(current);
    if (ID_TYPES.has(field.fieldType)) record[field.name] = each((v) => remapId(v, map));
    else if (field.category === "complex")
      each((v) => {
        if (v && typeof v === "object" && "schema" in v) remapInside(v as StructureLike, map);
        return v;
      });
  }
}

export class StructureCodec {
  readonly #addressSpace: AddressSpace;
  /** Index maps upstream → gateway and back; null when the two namespace tables agree. */
  readonly #toDownstream: IndexMap | null;
  readonly #toUpstream: IndexMap | null;

  constructor(addressSpace: AddressSpace, toDownstream: IndexMap | null, toUpstream: IndexMap | null) {
    this.#addressSpace = addressSpace;
    this.#toDownstream = toDownstream;
    this.#toUpstream = toUpstream;
  }

  #codecs(): CodecSource {
    return dataTypeManager(this.#addressSpace) as CodecSource;
  }

  /** An upstream structure as the gateway's own object (standard structures pass as they are). */
  #down(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    const structure = value as StructureLike | OpaqueStructure;
    const encoding = encodingOf(structure);
    if (!encoding || encoding.namespace === 0) return value;
    const mapped = this.#toDownstream
      ? new NodeId(encoding.identifierType, encoding.value, this.#toDownstream(encoding.namespace) ?? -1)
      : encoding;
    let Codec: Constructor;
    try {
      if (mapped.namespace < 0) throw new RangeError("namespace not mirrored");
      Codec = this.#codecs().getExtensionObjectConstructorFromBinaryEncoding(mapped);
    } catch {
      const name = isOpaque(structure) ? "an undecoded structure" : structure.schema.name;
      throw unsupported(`no definition for ${name} (encoding ${encoding.toString()})`);
    }
    const copy = new Codec();
    copy.decode(new BinaryStream(bodyOf(structure)));
    if (this.#toDownstream) remapInside(copy, this.#toDownstream);
    return copy;
  }

  /** A gateway structure as the raw ExtensionObject the upstream server knows. */
  #up(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    const structure = value as StructureLike | OpaqueStructure;
    const encoding = encodingOf(structure);
    if (!encoding || encoding.namespace === 0) return value;
    if (isOpaque(structure))
      throw unsupported(`no definition for the structure with encoding ${encoding.toString()}`);
    if (!this.#toUpstream) return new RawStructure(encoding, bodyOf(structure));
    const namespace = this.#toUpstream(encoding.namespace);
    if (namespace === undefined) throw unsupported(`${structure.schema.name} is not an upstream type`);
    // a copy: the written value is the downstream client's request
    const Codec = structure.constructor as Constructor;
    const copy = new Codec();
    copy.decode(new BinaryStream(bodyOf(structure)));
    remapInside(copy, this.#toUpstream);
    return new RawStructure(new NodeId(encoding.identifierType, encoding.value, namespace), bodyOf(copy));
  }

  toDownstream(variant: Variant): Variant {
    return this.#convert(variant, (v) => this.#down(v));
  }

  toUpstream(variant: Variant): Variant {
    return this.#convert(variant, (v) => this.#up(v));
  }

  #convert(variant: Variant, each: (value: unknown) => unknown): Variant {
    if (variant.dataType !== DataType.ExtensionObject) return variant;
    const value =
      variant.arrayType === VariantArrayType.Scalar
        ? each(variant.value)
        : ((variant.value as ExtensionObject[] | null) ?? []).map(each);
    return new Variant({
      dataType: DataType.ExtensionObject,
      arrayType: variant.arrayType,
      dimensions: variant.dimensions,
      value,
    });
  }
}
