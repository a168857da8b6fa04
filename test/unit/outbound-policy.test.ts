import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import {
  classifyAddress,
  DEFAULT_POLICY,
  outboundUrlProblem,
  parseAllowlist,
  redactUrl,
  type OutboundPolicy,
} from '../../src/lib/outbound';

const allowPrivate: OutboundPolicy = { ...DEFAULT_POLICY, allowPrivate: true };
const policyWith = (allowlist: string, allow = false): OutboundPolicy => ({
  allowPrivate: allow,
  ...parseAllowlist(allowlist),
});

describe('outbound addresses: classification', () => {
  const cases: [string, ReturnType<typeof classifyAddress>][] = [
    ['93.184.215.14', 'public'],
    ['2606:4700::6810:85e5', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.10.10', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    // IPv6 forms that reach an IPv4 address are judged by that address.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a00:1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
  ];
  for (const [address, expected] of cases) {
    it(`${address} is ${expected}`, () => assert.equal(classifyAddress(address), expected));
  }
});

describe('outbound URLs: what registration refuses', () => {
  const refusedByDefault = [
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://0177.0.0.1/hook',
    'http://127.1/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:7f00:1]:8080/hook',
    'http://10.0.0.5/hook',
    'http://0.0.0.0/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://localhost:9000/hook',
    'http://api.localhost/hook',
  ];
  for (const url of refusedByDefault) {
    it(`refuses ${url}`, () => assert.match(outboundUrlProblem(url, DEFAULT_POLICY) ?? '', /refused/));
  }

  it('leaves public literals and names to be judged when called', () => {
    assert.equal(outboundUrlProblem('https://93.184.215.14/hook', DEFAULT_POLICY), undefined);
    assert.equal(outboundUrlProblem('https://hooks.example.com/x?token=1', DEFAULT_POLICY), undefined);
  });

  it('refuses what is not an http(s) URL', () => {
    assert.match(outboundUrlProblem('file:///etc/passwd', DEFAULT_POLICY) ?? '', /http/);
    assert.match(outboundUrlProblem('gopher://example.com/', DEFAULT_POLICY) ?? '', /http/);
  });

  it('lets an operator open private ranges, but not link-local or metadata addresses', () => {
    assert.equal(outboundUrlProblem('http://127.0.0.1:8080/hook', allowPrivate), undefined);
    assert.equal(outboundUrlProblem('http://10.0.0.5/hook', allowPrivate), undefined);
    assert.equal(outboundUrlProblem('http://localhost/hook', allowPrivate), undefined);
    assert.match(outboundUrlProblem('http://169.254.169.254/', allowPrivate) ?? '', /metadata/);
    assert.match(outboundUrlProblem('http://[fd00:ec2::254]/', allowPrivate) ?? '', /metadata/);
    assert.match(outboundUrlProblem('http://169.254.1.1/', allowPrivate) ?? '', /link-local/);
  });

  it('allows exactly what the allowlist names, metadata included', () => {
    const policy = policyWith('10.0.0.0/8, hooks.internal, *.corp.example, 169.254.169.254, ::1');
    assert.equal(outboundUrlProblem('http://10.9.9.9/', policy), undefined);
    assert.equal(outboundUrlProblem('http://[::ffff:10.9.9.9]/', policy), undefined);
    assert.equal(outboundUrlProblem('http://169.254.169.254/', policy), undefined);
    assert.equal(outboundUrlProblem('http://[::1]/', policy), undefined);
    assert.match(outboundUrlProblem('http://127.0.0.1/', policy) ?? '', /loopback/);
    assert.match(outboundUrlProblem('http://192.168.0.1/', policy) ?? '', /private/);
    assert.match(outboundUrlProblem('http://169.254.170.2/', policy) ?? '', /metadata/);
  });

  it('parses allowlist entries and refuses nonsense, naming it', () => {
    const { hosts, networks } = parseAllowlist(' Hooks.Internal ,*.corp.example,[::1],127.0.0.0/8,,');
    assert.deepEqual(hosts, ['hooks.internal', '*.corp.example']);
    assert.equal(networks.length, 2);
    assert.throws(() => parseAllowlist('10.0.0.0/99'), /10\.0\.0\.0\/99/);
    assert.throws(() => parseAllowlist('http://x/'), /http:\/\/x\//);
  });

  it('reads the policy from the configuration, refusing a bad allowlist at start-up', () => {
    const required = { API_TOKENS: 'a', FERRY_SECRET_KEY: Buffer.alloc(32).toString('base64') };
    assert.deepEqual(loadConfig(required).outbound, DEFAULT_POLICY);
    const c = loadConfig({
      ...required,
      FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
      FERRY_OUTBOUND_ALLOWLIST: 'a.b',
    });
    assert.equal(c.outbound.allowPrivate, true);
    assert.deepEqual(c.outbound.hosts, ['a.b']);
    assert.throws(
      () => loadConfig({ ...required, FERRY_OUTBOUND_ALLOWLIST: '1.2.3.4/40' }),
      (err: unknown) => err instanceof ConfigError && /FERRY_OUTBOUND_ALLOWLIST/.test(err.message),
    );
  });
});

describe('outbound URLs: redaction', () => {
  it('keeps scheme, host and port, and drops userinfo, path, query and fragment', () => {
    const shown = redactUrl(
      'https://user:s3cret@hooks.example.com:8443/services/T0/B0/XyZtoken?token=abc#frag',
    );
    assert.equal(shown, 'https://hooks.example.com:8443/…');
    for (const secret of ['s3cret', 'user', 'XyZtoken', 'abc', 'frag']) assert.ok(!shown.includes(secret));
    assert.equal(redactUrl('http://example.com/'), 'http://example.com');
    assert.equal(redactUrl('not a url with a token'), '[invalid URL]');
  });
});
