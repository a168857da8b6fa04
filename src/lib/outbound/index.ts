/**
 * Every HTTP call Ferry makes to a URL a user gave it goes through here
 * (README, "Security"): `checkOutboundUrl` / `outboundUrlProblem` when the URL
 * is registered, `outboundFetch` when it is called, `redactUrl` wherever it is
 * shown. The policy comes from the configuration (`config.outbound`).
 */
export { classifyAddress, type AddressClass } from './address';
export { outboundFetch, type OutboundRequest, type OutboundResponse } from './fetch';
export { DEFAULT_POLICY, parseAllowlist, type OutboundPolicy } from './policy';
export {
  checkOutboundUrl,
  OutboundError,
  outboundUrlProblem,
  redactUrl,
  type OutboundErrorKind,
} from './url';
