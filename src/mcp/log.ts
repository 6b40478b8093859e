// The logger the hand-off and the demo agents write to: the shape of src/server/log.ts's Logger
// (declared here because src/mcp may not import src/server), of which only warn and info are required.

export interface McpLogger {
  warn(msg: string): void;
  info(msg: string): void;
  debug?(msg: string): void;
  error?(msg: string): void;
}

export const quietLogger: McpLogger = { warn() {}, info() {} };
