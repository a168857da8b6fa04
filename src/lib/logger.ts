import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs; callers add workflowId / uploadId / serverId with `.child()`. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
