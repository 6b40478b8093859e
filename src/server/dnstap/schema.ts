// The part of the dnstap schema (dnstap.info, the dnstap.proto of github.com/dnstap/dnstap.pb,
// proto2, package dnstap) that aop writes, as a protobufjs JSON descriptor: field numbers and
// types are the format; names follow the .proto so a reader's decoder and ours agree.

export const DNSTAP_SCHEMA = {
  nested: {
    dnstap: {
      nested: {
        // proto2 as the .proto says (a JSON type defaults to proto3, which would leave out a field set to its first enum value).
        Dnstap: {
          edition: 'proto2',
          fields: {
            identity: { type: 'bytes', id: 1 },
            version: { type: 'bytes', id: 2 },
            extra: { type: 'bytes', id: 3 },
            message: { type: 'Message', id: 14 },
            type: { rule: 'required', type: 'Type', id: 15 },
          },
          nested: { Type: { values: { MESSAGE: 1 } } },
        },
        SocketFamily: { values: { INET: 1, INET6: 2 } },
        SocketProtocol: { values: { UDP: 1, TCP: 2, DOT: 3, DOH: 4, DNSCryptUDP: 5, DNSCryptTCP: 6, DOQ: 7 } },
        Message: {
          edition: 'proto2',
          fields: {
            type: { rule: 'required', type: 'Type', id: 1 },
            socketFamily: { type: 'SocketFamily', id: 2 },
            socketProtocol: { type: 'SocketProtocol', id: 3 },
            queryAddress: { type: 'bytes', id: 4 },
            responseAddress: { type: 'bytes', id: 5 },
            queryPort: { type: 'uint32', id: 6 },
            responsePort: { type: 'uint32', id: 7 },
            queryTimeSec: { type: 'uint64', id: 8 },
            queryTimeNsec: { type: 'fixed32', id: 9 },
            queryMessage: { type: 'bytes', id: 10 },
            queryZone: { type: 'bytes', id: 11 },
            responseTimeSec: { type: 'uint64', id: 12 },
            responseTimeNsec: { type: 'fixed32', id: 13 },
            responseMessage: { type: 'bytes', id: 14 },
          },
          nested: {
            Type: {
              values: {
                AUTH_QUERY: 1, AUTH_RESPONSE: 2, RESOLVER_QUERY: 3, RESOLVER_RESPONSE: 4,
                CLIENT_QUERY: 5, CLIENT_RESPONSE: 6, FORWARDER_QUERY: 7, FORWARDER_RESPONSE: 8,
                STUB_QUERY: 9, STUB_RESPONSE: 10, TOOL_QUERY: 11, TOOL_RESPONSE: 12,
                UPDATE_QUERY: 13, UPDATE_RESPONSE: 14,
              },
            },
          },
        },
      },
    },
  },
} as const;

/** dnstap.Message.Type values aop sends. */
export const MessageType = {
  AUTH_QUERY: 1, AUTH_RESPONSE: 2, RESOLVER_QUERY: 3, RESOLVER_RESPONSE: 4, CLIENT_QUERY: 5, CLIENT_RESPONSE: 6,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

/** The Frame Streams content type of a dnstap stream. */
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';
