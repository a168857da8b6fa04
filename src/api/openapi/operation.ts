import type { z } from 'zod';

/**
 * What /openapi.json says of one route, kept next to the resource's routes
 * (src/api/<resource>/openapi.ts). Every schema here is the zod schema the
 * route validates with, so changing one changes the document.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express's form: `/v1/servers/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** `bearer` unless said otherwise; `public` needs no token. */
  auth?: 'bearer' | 'public' | 'bearerOrEventToken';
  /** Path parameters, by name, each with the schema that decides whether the route knows it. */
  params?: Record<string, Param>;
  query?: { schema: z.ZodObject; example: Record<string, string> };
  headers?: Record<string, Param & { required?: boolean }>;
  body?: {
    schema: z.ZodType;
    /** Named examples, each valid for `schema`. */
    examples: Record<string, unknown>;
    /** @default 'application/json' */
    contentType?: string;
    description?: string;
  };
  /** Successful answers by status. */
  responses: Record<number, Answer>;
  /** Error answers beyond the ones the document adds by itself (400, 401, 404, 413), by status. */
  errors?: Record<number, string>;
}

export interface Param {
  schema: z.ZodType;
  description: string;
  example: string;
}

export interface Answer {
  description: string;
  /** @default 'application/json' when there is an example */
  contentType?: string;
  example?: unknown;
  headers?: Record<string, string>;
}

/** `/v1/servers/:id` → `/v1/servers/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}
