// The one base of every aop error: a stable `code` string callers and tests branch on (the
// message is for people and may change), and the standard `cause`. As the MCP SDK's single
// SdkError, one base lets a caller tell aop's own failures from everything else with one
// `instanceof`, and docs/errors.md lists every code.

export class AopError extends Error {
  /** Stable, documented in docs/errors.md; subclasses narrow it to their own codes. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // The subclass's own name (`TransportError`), so stacks and `String(err)` say which it is.
    this.name = new.target.name;
    this.code = code;
  }
}

/** Whether `err` is one of aop's errors with this code (or any code, without one). */
export function isAopError(err: unknown, code?: string): err is AopError {
  return err instanceof AopError && (code === undefined || err.code === code);
}
