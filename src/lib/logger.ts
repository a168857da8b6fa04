import pino from 'pino';
import { logContext } from './observability/log-context';

export type Logger = pino.Logger;

/**
 * JSON logs. Every line also carries the fields of the activity or request it
 * is logged from (workflowId, serverId, transferId, …: see
 * observability/log-context.ts), so call sites need not repeat them; a field a
 * call site or a child logger sets itself wins.
 */
export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: (logged, _level, logger) => {
      const context = logContext();
      if (!context) return {};
      const bound = logger.bindings();
      return Object.fromEntries(
        Object.entries(context).filter(([key]) => !(key in logged) && !(key in bound)),
      );
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
