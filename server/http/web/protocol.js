// The asio_server protocol, version 1 (shared/PROTOCOL.md), for the browser.
// Every frame is a 12-byte big-endian header, then the payload:
//   magic 0xA5 | version 1 | type | flags | u32 request id | u32 payload length
// Over the WebSocket each binary message carries exactly one frame.

export const MAGIC = 0xa5;
export const VERSION = 1;
export const HEADER_SIZE = 12;

export const Type = Object.freeze({
  HELLO: 0x01,
  MESSAGE: 0x02,
  ECHO: 0x03,
  PING: 0x04,
  HELLO_REPLY: 0x81,
  ACK: 0x82,
  ECHO_REPLY: 0x83,
  PONG: 0x84,
  GOAWAY: 0x7e,
  ERROR: 0x7f,
});

const typeNames = new Map(Object.entries(Type).map(([name, value]) => [value, name]));

export function typeName(type) {
  return typeNames.get(type) ?? `0x${type.toString(16).padStart(2, "0")}`;
}

export const ErrorCode = Object.freeze({
  1: "malformed frame",
  2: "frame too large",
  3: "unknown type",
  4: "server busy",
  5: "shutting down",
});

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8"); // invalid bytes become U+FFFD

export const encodeText = (text) => encoder.encode(text);
export const decodeText = (bytes) => decoder.decode(bytes);

export class FrameError extends Error {
  name = "FrameError";
}

function isU32(n) {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

// One frame: header and payload (a Uint8Array, or a string sent as UTF-8).
export function encodeFrame(type, id, payload = new Uint8Array(0)) {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`bad type ${type}`);
  if (!isU32(id)) throw new RangeError(`bad request id ${id}`);
  const body = typeof payload === "string" ? encodeText(payload) : payload;
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  const view = new DataView(frame.buffer);
  view.setUint8(0, MAGIC);
  view.setUint8(1, VERSION);
  view.setUint8(2, type);
  view.setUint8(3, 0); // flags: send 0
  view.setUint32(4, id); // DataView is big-endian unless told otherwise
  view.setUint32(8, body.length);
  frame.set(body, HEADER_SIZE);
  return frame;
}

// Exactly one frame from an ArrayBuffer (or a view of one); throws FrameError.
export function decodeFrame(buffer) {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  if (bytes.length < HEADER_SIZE) {
    throw new FrameError(`short frame: ${bytes.length} bytes, the header alone is ${HEADER_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = view.getUint8(0);
  if (magic !== MAGIC) throw new FrameError(`bad magic 0x${magic.toString(16)}`);
  const version = view.getUint8(1);
  if (version !== VERSION) throw new FrameError(`unsupported version ${version}`);
  const length = view.getUint32(8);
  if (length !== bytes.length - HEADER_SIZE) {
    throw new FrameError(`length ${length} but ${bytes.length - HEADER_SIZE} payload bytes`);
  }
  return {
    type: view.getUint8(2),
    flags: view.getUint8(3), // unknown bits are ignored
    id: view.getUint32(4),
    payload: bytes.subarray(HEADER_SIZE),
  };
}

// ERROR (0x7F): u16 code, then UTF-8 text for a person.
export function parseError(payload) {
  if (payload.length < 2) throw new FrameError("ERROR payload shorter than its u16 code");
  const code = new DataView(payload.buffer, payload.byteOffset, payload.length).getUint16(0);
  return { code, meaning: ErrorCode[code] ?? "unknown code", text: decodeText(payload.subarray(2)) };
}

// GOAWAY (0x7E): u32, the last request id the server will answer.
export function parseGoaway(payload) {
  if (payload.length < 4) throw new FrameError("GOAWAY payload shorter than its u32 id");
  return { lastId: new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(0) };
}
