import ipaddr from 'ipaddr.js';
import { classifyAddress, effectiveAddress, isIpLiteral, tierOf } from './address';

/**
 * Which addresses outbound calls (webhooks, validators) may reach. Public
 * addresses always; internal networks (loopback, private, CGNAT) when
 * `allowPrivate` is set; anything, link-local and cloud metadata included,
 * when the allowlist names the host or a network holding the address.
 */
export interface OutboundPolicy {
  allowPrivate: boolean;
  /** Host names, matched exactly (case-insensitive) or by a `*.` suffix. */
  hosts: readonly string[];
  /** Networks (a bare address is a /32 or /128). */
  networks: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export const DEFAULT_POLICY: OutboundPolicy = { allowPrivate: false, hosts: [], networks: [] };

/**
 * Parses FERRY_OUTBOUND_ALLOWLIST: comma-separated host names (`hooks.internal`,
 * `*.corp.example`), addresses (`10.1.2.3`, `::1`) and networks (`10.0.0.0/8`).
 * Throws on an entry that is none of these, naming it.
 */
export function parseAllowlist(text: string): Pick<OutboundPolicy, 'hosts' | 'networks'> {
  const hosts: string[] = [];
  const networks: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of text.split(',')) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (!entry) continue;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) throw new Error(`"${entry}" is not a network (address/prefix)`);
      const [net, bits] = ipaddr.parseCIDR(entry);
      networks.push(
        net.kind() === 'ipv6' && bits >= 96 ? narrowMapped(net as ipaddr.IPv6, bits) : [net, bits],
      );
    } else if (isIpLiteral(entry)) {
      const addr = effectiveAddress(entry);
      networks.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(entry)) {
      hosts.push(entry);
    } else {
      throw new Error(`"${entry}" is not a host name, an IP address or a network`);
    }
  }
  return { hosts, networks };
}

/** `::ffff:10.0.0.0/104` names IPv4 addresses, which is how they are matched. */
function narrowMapped(net: ipaddr.IPv6, bits: number): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return net.isIPv4MappedAddress() ? [net.toIPv4Address(), bits - 96] : [net, bits];
}

export function hostAllowlisted(host: string, policy: OutboundPolicy): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return policy.hosts.some((entry) =>
    entry.startsWith('*.') ? h.endsWith(entry.slice(1)) && h.length > entry.length - 1 : h === entry,
  );
}

function addressAllowlisted(address: string, policy: OutboundPolicy): boolean {
  const addr = effectiveAddress(address);
  return policy.networks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/**
 * Why `address` (reached through `host`) may not be called, or undefined when
 * it may. The message names the kind of address, never the URL.
 */
export function addressRefusal(host: string, address: string, policy: OutboundPolicy): string | undefined {
  const cls = classifyAddress(address);
  const tier = tierOf(cls);
  if (tier === 'public') return undefined;
  if (hostAllowlisted(host, policy) || addressAllowlisted(address, policy)) return undefined;
  if (tier === 'internal' && policy.allowPrivate) return undefined;
  const how =
    tier === 'internal'
      ? 'set FERRY_ALLOW_PRIVATE_WEBHOOKS=true or list it in FERRY_OUTBOUND_ALLOWLIST to allow it'
      : 'list it in FERRY_OUTBOUND_ALLOWLIST to allow it';
  return `${address} is a ${describe[cls]} address; outbound calls there are refused (${how})`;
}

const describe: Record<ReturnType<typeof classifyAddress>, string> = {
  public: 'public',
  loopback: 'loopback',
  private: 'private-network',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  metadata: 'cloud metadata',
  reserved: 'reserved or non-unicast',
};
