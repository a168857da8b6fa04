import type { z } from 'zod';

/** One per-source event token. */
export interface EventToken {
  source: string;
  token: string;
}

/** Parses FERRY_EVENT_TOKENS (`name:token,…`), reporting each malformed entry. */
export function parseEventTokens(value: string, ctx: z.RefinementCtx): EventToken[] {
  const tokens: EventToken[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const match = /^([A-Za-z0-9._-]{1,64}):(\S{8,})$/.exec(entry);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be name:token (token of 8 or more characters)',
      });
      continue;
    }
    tokens.push({ source: match[1] as string, token: match[2] as string });
  }
  return tokens;
}
