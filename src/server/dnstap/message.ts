// One dnstap payload (a Dnstap protobuf holding one Message) from what the listener knows:
// the type, the two ends' addresses and ports, the times, and the wire messages verbatim.

import protobuf from 'protobufjs/light.js';
import { addressBytes } from './address.js';
import { DNSTAP_SCHEMA, type MessageTypeValue } from './schema.js';

const Dnstap = protobuf.Root.fromJSON(DNSTAP_SCHEMA as unknown as protobuf.INamespace).lookupType('dnstap.Dnstap');

export { addressBytes };

/** dnstap.proto's SocketProtocol: UDP 1, TCP 2, DOT 3, DOH 4. */
const SOCKET_PROTOCOL = { udp: 1, tcp: 2, tls: 3, https: 4 } as const;

export interface TapEvent {
  type: MessageTypeValue;
  protocol: 'udp' | 'tcp' | 'tls' | 'https';
  /** The initiator's address and port (the client; aop itself for RESOLVER_*). */
  queryAddress: string;
  queryPort: number;
  /** The responder's (aop's listener; the upstream server for RESOLVER_*). */
  responseAddress: string;
  responsePort: number;
  /** Milliseconds since the epoch, with a fraction (performance.timeOrigin + performance.now()). */
  queryTime?: number;
  responseTime?: number;
  queryMessage?: Uint8Array;
  responseMessage?: Uint8Array;
  /** RESOLVER_*: the zone the server was asked as authoritative for, wire format. */
  queryZone?: Uint8Array;
}

function seconds(ms: number): { sec: number; nsec: number } {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)) };
}

/** The encoded Dnstap message for one event. */
export function encodeTap(e: TapEvent, identity: Uint8Array | undefined, version: Uint8Array | undefined): Uint8Array {
  const qa = addressBytes(e.queryAddress);
  const ra = addressBytes(e.responseAddress);
  const message: Record<string, unknown> = {
    type: e.type,
    socketFamily: (qa ?? ra)?.length === 16 ? 2 : 1,
    socketProtocol: SOCKET_PROTOCOL[e.protocol],
  };
  // Port 0 is not known (the resolver's own source port), not a port.
  if (e.queryPort > 0) message.queryPort = e.queryPort;
  if (e.responsePort > 0) message.responsePort = e.responsePort;
  if (qa) message.queryAddress = qa;
  if (ra) message.responseAddress = ra;
  if (e.queryTime !== undefined) {
    const t = seconds(e.queryTime);
    message.queryTimeSec = t.sec;
    message.queryTimeNsec = t.nsec;
  }
  if (e.responseTime !== undefined) {
    const t = seconds(e.responseTime);
    message.responseTimeSec = t.sec;
    message.responseTimeNsec = t.nsec;
  }
  if (e.queryMessage) message.queryMessage = e.queryMessage;
  if (e.responseMessage) message.responseMessage = e.responseMessage;
  if (e.queryZone) message.queryZone = e.queryZone;
  const top: Record<string, unknown> = { type: 1, message };
  if (identity) top.identity = identity;
  if (version) top.version = version;
  return Dnstap.encode(top).finish();
}

/** Decode a payload (tests, and anyone checking a capture without dnstap-read). */
export function decodeTap(payload: Uint8Array): Record<string, unknown> {
  return Dnstap.toObject(Dnstap.decode(payload), { longs: Number, enums: String, bytes: Buffer }) as Record<string, unknown>;
}
