// --log-level and --log-format, shared by every command that logs (aop serve, aop mcp), and the
// logger they make. JSON lines unless stderr is a terminal (docs/operations.md, Logs).

import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LevelledLogger, type LogLevel } from '../../base/log.js';

/** The option definitions, for `.options(...)` in a command's chain; `level` is the command's default level. */
export function logOptions(level: LogLevel) {
  return {
    'log-level': { choices: LOG_LEVELS, default: level, describe: 'Log to stderr from this level' },
    'log-format': { choices: LOG_FORMATS, default: 'auto' as LogFormat, describe: 'Log lines as json, as text (time level message key=value), or auto: text on a terminal, else json' },
  } as const;
}

/** The logger the parsed options ask for. */
export function loggerFrom(a: { 'log-level'?: unknown; 'log-format'?: unknown }): LevelledLogger {
  return createLogger({ level: a['log-level'] as LogLevel | undefined, format: a['log-format'] as LogFormat | undefined });
}
