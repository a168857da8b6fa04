import { isIpLiteral } from './address';
import { addressRefusal, hostAllowlisted, type OutboundPolicy } from './policy';

/** Why an outbound call did not happen or failed. Messages never carry the URL's secrets. */
export type OutboundErrorKind = 'invalid_url' | 'refused' | 'unreachable' | 'timeout' | 'too_large';

export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
  ) {
    super(message);
  }

  /** A refused or malformed URL stays so; the network, a slow or a chatty receiver may do better next time. */
  get retryable(): boolean {
    return this.kind !== 'refused' && this.kind !== 'invalid_url';
  }
}

/**
 * The URL as it may appear in errors, logs and workflow histories: scheme,
 * host and port only. Tokens ride in userinfo, the query and often the path
 * (chat webhooks put theirs there), so all three are left out.
 */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '[invalid URL]';
  }
  const rest = u.pathname !== '/' || u.search || u.hash ? '/…' : '';
  return `${u.protocol}//${u.host}${rest}`;
}

/** Host of a parsed URL without the brackets of an IPv6 literal, lower case. */
export function hostOf(u: URL): string {
  return u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** Names reserved for the local host (RFC 6761): they need no DNS to be known as loopback. */
function isLocalhostName(host: string): boolean {
  const h = host.replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** Parses an outbound URL: http(s) only. The WHATWG parser turns `2130706433` and `0x7f.1` into `127.0.0.1`. */
export function parseOutboundUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OutboundError('invalid_url', 'not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new OutboundError('invalid_url', `${redactUrl(u)}: only http and https URLs are called`);
  }
  return u;
}

/**
 * What can be known of a URL without resolving it, for registration time: a
 * host that is an IP literal (in any form the URL parser reads: `2130706433`,
 * `0x7f.1`, `[::1]`, `[::ffff:127.0.0.1]`) or a localhost name is judged
 * here; other names are judged when called, on the addresses they resolve to.
 */
function judgeUrl(url: string, policy: OutboundPolicy): OutboundError | undefined {
  let u: URL;
  try {
    u = parseOutboundUrl(url);
  } catch (err) {
    if (err instanceof OutboundError) return err;
    throw err;
  }
  const host = hostOf(u);
  if (isIpLiteral(host)) {
    const refusal = addressRefusal(host, host, policy);
    return refusal === undefined ? undefined : new OutboundError('refused', refusal);
  }
  if (isLocalhostName(host) && !policy.allowPrivate && !hostAllowlisted(host, policy)) {
    return new OutboundError(
      'refused',
      `${host} names the local host; outbound calls there are refused (set FERRY_ALLOW_PRIVATE_WEBHOOKS=true or list it in FERRY_OUTBOUND_ALLOWLIST to allow it)`,
    );
  }
  return undefined;
}

/** Why the URL may not be registered for outbound calls, or undefined when it may (see judgeUrl). */
export function outboundUrlProblem(url: string, policy: OutboundPolicy): string | undefined {
  return judgeUrl(url, policy)?.message;
}

/** outboundUrlProblem as an exception: an OutboundError of kind `refused` or `invalid_url`. */
export function checkOutboundUrl(url: string, policy: OutboundPolicy): void {
  const problem = judgeUrl(url, policy);
  if (problem) throw problem;
}
