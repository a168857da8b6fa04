import fc from 'fast-check';

/** One request the fuzzer sends: everything raw, so that it can be wrong in every way. */
export interface FuzzRequest {
  /** `METHOD /template` of the operation it was made from. */
  operation: string;
  method: string;
  /** Raw request target, path and query, as it goes on the wire. */
  target: string;
  headers: Record<string, string>;
  body?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  example?: unknown;
}

/** What the fuzzer needs of one operation of /openapi.json. */
export interface FuzzOperation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { contentType: string; examples: unknown[]; properties: string[] };
}

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>> };

/** Every operation of the document, with the first example of its body. */
export function fuzzOperations(doc: unknown): FuzzOperation[] {
  return Object.entries((doc as Doc).paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const content = (op.requestBody as { content?: Record<string, Record<string, unknown>> } | undefined)
        ?.content;
      const [contentType, media] = Object.entries(content ?? {})[0] ?? [];
      const examples = (media?.examples ?? {}) as Record<string, { value: unknown }>;
      const schema = (media?.schema ?? {}) as { properties?: Record<string, unknown> };
      return {
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        ...(contentType
          ? {
              body: {
                contentType,
                examples: Object.values(examples).map((e) => e.value),
                properties: Object.keys(schema.properties ?? {}),
              },
            }
          : {}),
      };
    }),
  );
}

// Strings with the characters that break things: controls, NUL, lone surrogates, bidi overrides, emoji.
const nasty = fc.string({
  unit: fc.constantFrom(
    '\u0000',
    '\n',
    '\r',
    '\t',
    '\u001f',
    '\u007f',
    '\u202e',
    '\ud800',
    '\udfff',
    '😀',
    'é',
    '"',
    '\\',
    '/',
    '%',
    'a',
  ),
  maxLength: 20,
});
const tricks = fc.constantFrom(
  '..',
  '../../etc/passwd',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '//',
  '%00',
  '\u0000',
  '%',
  '%zz',
  '__proto__',
  'constructor',
  "' OR 1=1 --",
  '${7*7}',
  'x'.repeat(5000),
  '-1',
  '1e309',
  'NaN',
  '00000000-0000-0000-0000-000000000000',
);
const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, -0, 0.5, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 64),
);

/** Any value a field might wrongly get. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  nasty,
  tricks,
  numbers,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), numbers), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), numbers), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A path or query value as text: sometimes encoded, sometimes raw (tricks survive that way). */
const hostileText = fc.oneof(
  tricks,
  nasty,
  fc.string(),
  fc.uuid(),
  numbers.map(String),
  fc.constantFrom('', ' ', 'a/b', '..%2f..', '%2F', '?', '#', ';', 'a'.repeat(300)),
);

/** Percent-encodes the UTF-8 bytes of a text (a lone surrogate becomes U+FFFD, as Node sends it). */
const escape = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Puts a text on the wire as a path segment or query value: encoded, or raw (tricks survive that way) with only the bytes Node refuses to send escaped. */
function wire(text: string, encode: boolean): string {
  const keep = encode ? /^[A-Za-z0-9._~-]$/ : /^[\u0021-\u007e]$/;
  return [...text].map((c) => (keep.test(c) && c !== '#' && c !== '?' ? c : escape(c))).join('');
}

/** Paths to every value inside an example: `[]`, `['data']`, `['Records', 0, 's3']`… */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

/** A copy of `value` with the value at `path` (or a new key under it) replaced. */
function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head] = setAt(copy[head], rest, replacement);
  return copy;
}

function bodyArbitrary(op: FuzzOperation): fc.Arbitrary<{ text?: string; contentType?: string }> {
  const examples = op.body?.examples.length ? op.body.examples : [{}];
  const example = fc.constantFrom(...examples.map((e) => (typeof e === 'object' && e !== null ? e : {})));
  const fields = [...(op.body?.properties ?? []), 'unknownField', '__proto__', 'constructor'];
  const asJson = (value: unknown) => ({ text: JSON.stringify(value), contentType: 'application/json' });
  // A value inside a valid body, or a new key next to it, spoiled.
  const spoiled = example.chain((e) =>
    fc
      .tuple(
        fc.constantFrom(...pathsOf(e)),
        fc.option(fc.constantFrom(...fields), { nil: undefined }),
        hostileValue,
      )
      .map(([path, extra, v]) => setAt(e, extra === undefined || path.length > 0 ? path : [extra], v)),
  );
  return fc.oneof(
    // A value of a valid body spoiled, or a field dropped.
    { weight: 6, arbitrary: spoiled.map(asJson) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(example, fc.constantFrom(...fields))
        .map(([e, k]) => asJson(Object.fromEntries(Object.entries(e).filter(([f]) => f !== k)))),
    },
    // The same key twice: JSON.parse keeps the last.
    {
      weight: 1,
      arbitrary: fc.tuple(example, fc.constantFrom(...fields), hostileValue).map(([e, k, v]) => ({
        text: JSON.stringify(e).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'},`),
        contentType: 'application/json',
      })),
    },
    { weight: 2, arbitrary: fc.oneof(hostileValue, fc.jsonValue()).map(asJson) },
    // Not JSON, or JSON under a wrong or unreadable content type.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom('{', '{"a":', '[1,2', 'nul', '{"a":1}}', "{'a':1}", '\u0000', '', '[]', '"x"'),
            fc.string(),
          ),
          fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        )
        .map(([text, contentType]) => ({ text, contentType })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          'text/plain',
          'application/json; charset=utf-16',
          'application/json; charset=klingon',
          'multipart/form-data; boundary=x',
          'application/xml',
        )
        .chain((contentType) => example.map((e) => ({ text: JSON.stringify(e), contentType }))),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        text: '['.repeat(20_000) + ']'.repeat(20_000),
        contentType: 'application/json',
      }),
    },
    // Oversized: past every route's JSON limit but the batch one's.
    { weight: 1, arbitrary: example.map((e) => asJson({ ...e, pad: 'x'.repeat(3 * 1024 * 1024) })) },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

/** Requests made from one operation: its path, query, headers and body, each possibly spoiled. */
export function requestArbitrary(op: FuzzOperation, token: string, ids: string[]): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const segment = (p: Parameter) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(typeof p.example === 'string' ? p.example : '') },
      { weight: 2, arbitrary: fc.constantFrom(...ids) },
      { weight: 6, arbitrary: fc.tuple(hostileText, fc.boolean()).map(([t, enc]) => wire(t, enc)) },
    );
  const query = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...queryParams.map((p) => p.name), 'unknown', '__proto__', 'limit'),
        fc.string({ maxLength: 6 }),
      ),
      fc.oneof(hostileText, fc.constant('10')),
      fc.boolean(),
    ),
    { maxLength: 4 },
  );
  const auth = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${token}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        `Basic ${token}`,
        `Bearer ${token}x`,
        'bearer \u00ff',
      ),
    },
  );
  const headers = fc.record({
    authorization: auth,
    chunkSha: fc.oneof(
      fc.constant('9f86d081884c7d659a9feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
      hostileText,
    ),
    idempotencyKey: fc.option(hostileText, { nil: undefined }),
  });
  const body: fc.Arbitrary<{ text?: string; contentType?: string }> = op.body
    ? bodyArbitrary(op)
    : fc.oneof(fc.constant({}), fc.constant({ text: '{"a":1}', contentType: 'application/json' }));
  return fc.tuple(fc.tuple(...pathParams.map(segment)), query, headers, body).map(([segments, q, h, b]) => {
    let i = 0;
    const path = op.path.replace(/\{\w+\}/g, () => segments[i++] ?? '');
    const search = q.map(([k, v, enc]) => `${wire(k, true)}=${wire(v, enc)}`).join('&');
    const out: Record<string, string> = {};
    if (h.authorization) out.authorization = h.authorization;
    if (op.path.includes('/chunks/')) out['x-chunk-sha256'] = wire(h.chunkSha, true);
    if (h.idempotencyKey !== undefined) out['idempotency-key'] = wire(h.idempotencyKey, true);
    if (b.contentType) out['content-type'] = b.contentType;
    return {
      operation: `${op.method} ${op.path}`,
      method: op.method,
      target: search ? `${path}?${search}` : path,
      headers: out,
      ...(b.text !== undefined ? { body: b.text } : {}),
    };
  });
}
