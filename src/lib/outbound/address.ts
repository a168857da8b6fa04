import ipaddr from 'ipaddr.js';

/**
 * What an IP address is, for deciding whether Ferry may call it. `public` is
 * the only class allowed by default; `loopback`, `private`, `carrierGradeNat`
 * and `unspecified` are internal networks an operator may open as a whole
 * (FERRY_ALLOW_PRIVATE_WEBHOOKS); `linkLocal`, `metadata` and `reserved` stay
 * closed unless the allowlist names them, since cloud metadata services live
 * there and no webhook receiver does.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'carrierGradeNat'
  | 'unspecified'
  | 'linkLocal'
  | 'metadata'
  | 'reserved';

export type AddressTier = 'public' | 'internal' | 'closed';

const TIER: Record<AddressClass, AddressTier> = {
  public: 'public',
  loopback: 'internal',
  private: 'internal',
  carrierGradeNat: 'internal',
  unspecified: 'internal',
  linkLocal: 'closed',
  metadata: 'closed',
  reserved: 'closed',
};

export function tierOf(cls: AddressClass): AddressTier {
  return TIER[cls];
}

/**
 * Cloud instance metadata and host services reachable from a VM. Most sit in
 * link-local space already; these are named because some do not (AWS's IPv6
 * endpoint is in unique-local space, Alibaba's in CGNAT space, Azure's
 * WireServer in public space), and opening private ranges must not open them.
 */
const METADATA: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [
  '169.254.169.254/32', // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
  '169.254.170.2/32', // AWS ECS task metadata
  'fd00:ec2::254/128', // AWS IMDS over IPv6
  '100.100.100.200/32', // Alibaba Cloud
  '168.63.129.16/32', // Azure WireServer
].map((cidr) => ipaddr.parseCIDR(cidr));

const IPV4_CLASS: Partial<Record<string, AddressClass>> = {
  unicast: 'public',
  private: 'private',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
};

const IPV6_CLASS: Partial<Record<string, AddressClass>> = {
  unicast: 'public',
  // 6to4 and Teredo addresses route through relays on the internet, not to the embedded IPv4 address.
  '6to4': 'public',
  teredo: 'public',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  loopback: 'loopback',
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
};

/** IPv6 forms that reach an IPv4 address: IPv4-mapped (::ffff:a.b.c.d), SIIT (rfc6145) and NAT64 (rfc6052). */
const EMBEDS_IPV4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

function embeddedIpv4(addr: ipaddr.IPv6): ipaddr.IPv4 {
  const [hi = 0, lo = 0] = addr.parts.slice(6);
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * The address an IP literal really reaches: IPv6 forms that carry an IPv4
 * address become that IPv4 address, so `::ffff:127.0.0.1` is loopback.
 * Throws on anything that is not an IP address.
 */
export function effectiveAddress(literal: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const addr = ipaddr.parse(literal);
  if (addr.kind() === 'ipv6' && EMBEDS_IPV4.has(addr.range())) return embeddedIpv4(addr as ipaddr.IPv6);
  return addr;
}

/** Classifies an IP address (either family, any form ipaddr.js parses). */
export function classifyAddress(literal: string): AddressClass {
  const addr = effectiveAddress(literal);
  if (METADATA.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return 'metadata';
  const range = addr.range();
  const table = addr.kind() === 'ipv4' ? IPV4_CLASS : IPV6_CLASS;
  // Multicast, broadcast, documentation, benchmarking and other special ranges: nothing to call there.
  return table[range] ?? 'reserved';
}

/** True when the string is an IP address (v4 dotted-quad or v6, without brackets). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(host) || ipaddr.IPv6.isValid(host);
}
