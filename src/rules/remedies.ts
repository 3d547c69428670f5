/**
 * Fix and check for every cause a verdict can name (issue "Troubleshooting"; protocols.md §7 signals, §5.2 the
 * "Remote Assistance" firewall rules, §1.5 IP-HTTPS authentication modes, §4.7 policy modes that leave traffic clear):
 * what to change, in the terms the administrator finds in Windows, and the commands that confirm it.
 */

import type { FactsOf, Reason, ReasonCode } from '../classify/reasons.js';

/** What the cause's sentence does not say but the fix depends on: where the traffic went. */
export interface RemedyContext {
  /** Both ends are fe80:: addresses on the IP-HTTPS link. */
  linkLocal: boolean;
}

/** A fix that applies in one case only: `label` says when (in `explain` and docs/verdicts.md), `applies` decides it. */
interface Variant<C extends ReasonCode> {
  label: string;
  applies: (facts: FactsOf<C>, ctx: RemedyContext) => boolean;
  fix: string;
}

export interface Remedy<C extends ReasonCode = ReasonCode> {
  /** What to change and where, unless a variant applies. */
  fix: string;
  /** Fixes for particular cases, the first that applies wins. */
  variants?: Variant<C>[];
  /** Windows commands that show the state on the live client (or, where said, on the DirectAccess server). */
  confirm: string[];
}

const remedy = <C extends ReasonCode>(r: Remedy<C>): Remedy<C> => r;

// Windows commands, named once (PowerShell unless netsh/auditpol).
const RULES = 'Get-NetIPsecRule -PolicyStore ActiveStore | Format-Table DisplayName, Enabled, Profile, Mode, InboundSecurity, OutboundSecurity';
const MM_SA = 'Get-NetIPsecMainModeSA';
const QM_SA = 'Get-NetIPsecQuickModeSA | Format-List *';
const QM_CRYPTO = 'Get-NetIPsecQuickModeCryptoSet -PolicyStore ActiveStore | Format-List DisplayName, Proposal';
const RA_RULES = 'Get-NetFirewallRule -DisplayGroup "Remote Assistance" | Format-Table DisplayName, Enabled, Profile, Direction, Action';
const PROFILE = 'Get-NetConnectionProfile';
const IPHTTPS_IF = 'netsh interface httpstunnel show interfaces';
const IPHTTPS_STATE = 'Get-NetIPHttpsState';
const IPHTTPS_CONFIG = 'Get-NetIPHttpsConfiguration | Format-List Profile, ServerURL, AuthMode, StrongCRLRequired';
const IPHTTPS_MODE = 'Get-NetIPHttpsConfiguration | Format-List Profile, AuthMode, ServerURL   # on the DirectAccess server';
const IKE_FAILURES = 'Get-WinEvent -LogName Security -FilterXPath "*[System[(EventID=4653 or EventID=4654)]]" -MaxEvents 20   # after: auditpol /set /subcategory:"IPsec Main Mode" /failure:enable';
const KERBEROS = 'klist; w32tm /query /status';

const REQUIRE_RULE = 'a connection security rule between the two clients (Windows Defender Firewall with Advanced Security › Connection Security Rules, or the DirectAccess client GPO) covering fe80::/64 on the IP-HTTPS interface and the IP-HTTPS prefix, set to "Require authentication for inbound and outbound connections", first authentication Computer (Kerberos V5), enabled for the profile the IP-HTTPS interface is in (Public on the Internet)';
const ENCRYPTION_ONLY = 'In that rule\'s IPsec settings (Customize › Data protection, or Set-NetIPsecQuickModeCryptoSet), keep only ESP proposals with encryption (AES-GCM or AES-CBC with SHA-256) and tick "Require encryption for all connection security rules that use these settings"';
const SYN_UNANSWERED = 'The peer never answered. On the peer, enable the built-in "Remote Assistance (TCP-In)" inbound rule for the profile its IP-HTTPS interface is in (RemoteAssistance-In-TCP-EdgeScope covers Public; the "-Active" rule only Domain and Private), and check that a connection security rule in Require mode is not dropping the plaintext while its negotiation fails';
const LINK_LOCAL_INSTEAD = 'connect to the peer\'s fe80:: address on the IP-HTTPS interface instead of its global address (Remote Assistance: msra /offerra <fe80::…%interface>)';

/** What to check when Kerberos authentication failed (protocols.md §7 row 11). */
const KERBEROS_FIX = 'check that both computers get Kerberos tickets (the DirectAccess infrastructure tunnel up, a domain controller reachable, clocks within 5 minutes, the peer\'s host/ SPN registered) and that the rules on both clients ask for the same first authentication method (Computer Kerberos V5).';

/** An error Notify: the fix follows the error's kind (protocols.md §4.4). */
const NOTIFY_FIX = 'The negotiation was refused with an error Notify: compare the connection security rules, their authentication methods and crypto sets on both clients, and read the IPsec failure events of that time.';
const NOTIFY_VARIANTS: Variant<'authip.notify' | 'ike.notify'>[] = [{
  label: 'when the error is about authentication (AUTHENTICATION-FAILED, ERROR_IPSEC_IKE_AUTH_FAIL, Kerberos, certificates)',
  applies: (f) => /AUTH_?FAIL|AUTHENTICATION|KERB|CERT/i.test(`${f.notify} ${f.detail}`),
  fix: `The responder refused the authentication: ${KERBEROS_FIX}`,
}, {
  label: 'when no proposal was chosen',
  applies: (f) => /PROPOSAL/i.test(`${f.notify} ${f.detail}`),
  fix: 'The responder accepted none of the proposals: make the Main Mode and Quick Mode crypto sets of the two clients share a proposal (with encryption).',
}];

/** Every cause code a verdict can carry, with its fix and its checks on the live client. */
export const REMEDIES: { [C in ReasonCode]?: Remedy<C> } = {
  'ipsec.none': remedy<'ipsec.none'>({
    fix: `Require IPsec for this traffic: ${REQUIRE_RULE}. If an AuthIP or IKE negotiation came before the clear packets, the rule lets traffic through unencapsulated (Request mode, or authenticated-firewall "no encapsulation"): set it to Require. Then allow Remote Assistance (TCP-In) only "if the connection is secure", with encryption required.`,
    confirm: [RULES, MM_SA, QM_SA],
  }),
  'ah.integrity_only': remedy<'ah.integrity_only'>({
    fix: `The data protection is AH, which authenticates but never encrypts. ${ENCRYPTION_ONLY}; the clients renegotiate at their next Quick Mode.`,
    confirm: [QM_SA, QM_CRYPTO],
  }),
  'esp.null': remedy<'esp.null'>({
    fix: `The Quick Mode proposal lets ESP run without encryption (RFC 2410 NULL). ${ENCRYPTION_ONLY}; the clients renegotiate at their next Quick Mode.`,
    confirm: [QM_SA, QM_CRYPTO],
  }),
  'esp.undetermined': remedy<'esp.undetermined'>({
    fix: 'Nothing to change yet: the capture cannot tell NULL from real encryption. Capture again with whole packets (netsh trace start capture=yes without packettruncatebytes, or pktmon start --capture --pkt-size 0) and run da-audit again, or read the SA\'s encryption algorithm on a client.',
    confirm: [QM_SA],
  }),
  'esp.sa_bound': remedy<'esp.sa_bound'>({
    fix: 'Nothing to change on the clients: this flow carries more SAs than da-audit tracks per flow. Split the capture in time (editcap -i 600 capture.pcapng part.pcapng) and audit each part, or read the SAs on a client.',
    confirm: [QM_SA],
  }),
  'esp.one_direction': remedy<'esp.one_direction'>({
    fix: 'The other client has no inbound SA for this traffic, or its answers are filtered: check that its connection security rule covers the same endpoints and is enabled for the profile of its IP-HTTPS interface, and that its "Remote Assistance (TCP-In)" rule is enabled for that profile; then start the session again so the SAs are renegotiated.',
    confirm: [QM_SA, RULES, RA_RULES],
  }),
  'tcp.syn_unanswered': remedy<'tcp.syn_unanswered'>({
    fix: `${SYN_UNANSWERED}, and ${LINK_LOCAL_INSTEAD}.`,
    variants: [{
      label: 'when both ends are fe80:: addresses',
      applies: (_f, ctx) => ctx.linkLocal,
      fix: `${SYN_UNANSWERED}.`,
    }],
    confirm: [RA_RULES, PROFILE, MM_SA],
  }),
  'tcp.refused': remedy<'tcp.refused'>({
    fix: 'The peer answered with a RST: nothing listened on that port. Start the Remote Assistance invitation or offer on the peer first (msra.exe opens a dynamic port); if Remote Assistance uses a fixed port here, give it to da-audit with --ra-port.',
    confirm: ['Get-NetTCPConnection -State Listen | Where-Object OwningProcess -eq (Get-Process msra).Id   # on the peer', RA_RULES],
  }),
  'tcp.reset': remedy<'tcp.reset'>({
    fix: 'The connection was reset after it started: the Remote Assistance session was closed on one side, or its IPsec SA was deleted mid-session. Look for Quick Mode failures or SA deletions at that time on both clients.',
    confirm: [QM_SA, IKE_FAILURES],
  }),
  'tcp.unknown': remedy<'tcp.unknown'>({
    fix: 'The capture does not show how the connection went: capture on both clients from before the session starts.',
    confirm: [RA_RULES],
  }),
  'udp.one_way': remedy<'udp.one_way'>({
    fix: 'Nothing came back from the peer: check its inbound firewall rules for this traffic and its connection security rule.',
    confirm: [RA_RULES, RULES],
  }),
  'icmpv6.admin_prohibited': remedy<'icmpv6.admin_prohibited'>({
    fix: `The DirectAccess server (or a firewall on the way) refuses traffic between two clients' global IP-HTTPS addresses: ${LINK_LOCAL_INSTEAD}, where the connection security rule protects it; or allow client-to-client traffic on the DirectAccess server.`,
    variants: [{
      label: 'when both ends are fe80:: addresses',
      applies: (_f, ctx) => ctx.linkLocal,
      fix: 'A firewall refused the packet (ICMPv6 code 1). On the peer, enable the "Remote Assistance (TCP-In)" rule for the profile of its IP-HTTPS interface; if a negotiation came first, the peer\'s rule is in authenticated-firewall mode and refuses the plaintext copy: set the connection security rule to Require with encryption.',
    }],
    confirm: [RA_RULES, RULES, IPHTTPS_IF],
  }),
  'icmpv6.unreachable': remedy<'icmpv6.unreachable'>({
    fix: 'No route to the peer: check that the peer\'s IP-HTTPS interface is up and that the address its name resolved to is current (ipconfig /flushdns; Resolve-DnsName <peer>).',
    confirm: [IPHTTPS_IF, IPHTTPS_STATE, 'Get-NetRoute -AddressFamily IPv6 | Where-Object InterfaceAlias -eq IPHTTPSInterface'],
  }),
  'ike.no_response': remedy<'ike.no_response'>({
    fix: 'The peer never answered Main Mode #1: UDP 500 (and 4500) is blocked on the way, or the peer has no connection security rule for the initiator\'s address (or it is disabled for the profile of its IP-HTTPS interface). Check the rule on the peer.',
    confirm: [RULES, MM_SA, PROFILE],
  }),
  'authip.notify': remedy<'authip.notify'>({
    fix: NOTIFY_FIX,
    variants: NOTIFY_VARIANTS,
    confirm: [MM_SA, IKE_FAILURES, KERBEROS],
  }),
  'ike.notify': remedy<'ike.notify'>({
    fix: NOTIFY_FIX,
    variants: NOTIFY_VARIANTS,
    confirm: [MM_SA, IKE_FAILURES, KERBEROS],
  }),
  'ike.failed_after_auth': remedy<'ike.failed_after_auth'>({
    fix: 'Main Mode authenticated, then Quick Mode failed: the two clients share no Quick Mode (data protection) proposal, or the peer\'s rule does not cover this traffic. Compare the Quick Mode crypto sets and the rules\' endpoints and protocols on both clients.',
    variants: [{
      label: 'when Kerberos failed in clear (a GSS-API status or a KRB-ERROR in Main Mode #3/#4)',
      applies: (f) => f.detail.startsWith('Kerberos failed'),
      fix: `Kerberos authentication failed in Main Mode: ${KERBEROS_FIX}`,
    }],
    confirm: [QM_CRYPTO, RULES, IKE_FAILURES, KERBEROS],
  }),
  'ike.in_progress': remedy<'ike.in_progress'>({
    fix: 'The negotiation had not ended when the capture did: capture longer, until the session is up or has failed.',
    confirm: [MM_SA, QM_SA],
  }),
  'iphttps.auth_none': remedy<'iphttps.auth_none'>({
    fix: `Make the IP-HTTPS server authenticate its clients (on the DirectAccess server: Set-NetIPHttpsConfiguration -AuthMode Certificates, or "Use computer certificates" for IP-HTTPS in the Remote Access Management console), so it forwards link-local unicast between clients; or connect to the peer's global IP-HTTPS address, which the DirectAccess rules protect.`,
    confirm: [IPHTTPS_MODE, IPHTTPS_IF, IPHTTPS_STATE],
  }),
  'iphttps.tls_alert': remedy<'iphttps.tls_alert'>({
    fix: 'The TLS handshake of IP-HTTPS failed. Check that the client trusts the IP-HTTPS server certificate and can reach its CRL (StrongCRLRequired), that in Certificates mode the client has a valid computer certificate, and that nothing in front of the DirectAccess server (a TLS-inspecting firewall, a load balancer or proxy) refuses the NULL cipher suites Windows 8+ clients offer: publish IP-HTTPS without TLS inspection.',
    confirm: [IPHTTPS_IF, IPHTTPS_STATE, IPHTTPS_CONFIG],
  }),
  'iphttps.reset_after_hello': remedy<'iphttps.reset_after_hello'>({
    fix: 'Something on the way to the DirectAccess server, or the listener on port 443, refused the TLS handshake of IP-HTTPS: a TLS-inspecting firewall or load balancer that does not accept the NULL cipher suites, or a port 443 service that is not the IP-HTTPS listener. Publish IP-HTTPS straight to the DirectAccess server, without TLS inspection, and check the ServerURL.',
    confirm: [IPHTTPS_IF, IPHTTPS_CONFIG],
  }),
  'iphttps.http_status': remedy<'iphttps.http_status'>({
    fix: 'The IP-HTTPS URL does not reach the IP-HTTPS listener: the client\'s ServerURL (…/IPHTTPS) must name the DirectAccess server\'s IP-HTTPS URL, and no web server or reverse proxy may answer it in its place.',
    confirm: [IPHTTPS_CONFIG, IPHTTPS_IF],
  }),
  'iphttps.reconnects': remedy<'iphttps.reconnects'>({
    fix: 'The client retries IP-HTTPS and every attempt fails: fix the failure its attempts show (above), then the link comes up at the next retry (or at once with: netsh interface httpstunnel reset, or a restart of the IP Helper service).',
    confirm: [IPHTTPS_IF, IPHTTPS_STATE],
  }),
  'teredo.no_answer': remedy<'teredo.no_answer'>({
    fix: 'UDP 3544 to the DirectAccess server (its two consecutive public IPv4 addresses) is blocked on the way, or Teredo is disabled on the server, or the client sits behind a NAT Teredo cannot traverse. Open UDP 3544 outbound, or leave Teredo to fail and let the client use IP-HTTPS (the fallback it takes).',
    confirm: ['netsh interface teredo show state', 'Get-NetTeredoState', IPHTTPS_IF],
  }),
  '6to4.no_answer': remedy<'6to4.no_answer'>({
    fix: 'IPv4 protocol 41 to the DirectAccess server is blocked on the way (firewalls and many NATs drop it), or 6to4 is disabled on the server. Allow protocol 41, or disable 6to4 on the clients (Set-Net6to4Configuration -State Disabled) so they go straight to Teredo or IP-HTTPS.',
    confirm: ['netsh interface 6to4 show state', 'Get-Net6to4Configuration', IPHTTPS_IF],
  }),
  'icmpv6.packet_too_big': remedy<'icmpv6.packet_too_big'>({
    fix: 'Let path MTU discovery work: allow ICMPv6 Packet Too Big (type 2) through every firewall on the path and on both clients (Windows Defender Firewall: "Core Networking - Packet Too Big (ICMPv6-In)"); if it still stalls, lower the MTU of the tunnel interface (netsh interface ipv6 set subinterface IPHTTPSInterface mtu=1280) so ESP fits.',
    confirm: ['Get-NetIPInterface -AddressFamily IPv6 | Where-Object InterfaceAlias -like "*IPHTTPS*" | Format-Table InterfaceAlias, NlMtu', 'Get-NetFirewallRule -DisplayName "Core Networking - Packet Too Big (ICMPv6-In)" | Format-Table DisplayName, Enabled, Profile'],
  }),
  'dns.peer_global': remedy<'dns.peer_global'>({
    fix: `Connect by the peer's link-local address instead: ${LINK_LOCAL_INSTEAD.replace(/^connect to /, '')}; or require IPsec for client-to-client traffic on the global addresses too (a connection security rule for the IP-HTTPS prefix).`,
    confirm: ['Resolve-DnsName <peer> -Type AAAA', 'Get-NetNeighbor -InterfaceAlias IPHTTPSInterface', RULES],
  }),
  'fleet.sides_disagree': remedy<'fleet.sides_disagree'>({
    fix: 'The protection ended between the two clients: something on the way removed IPsec (an IPsec tunnel to the DirectAccess server that forwards the traffic in clear, instead of transport mode from client to client), or one client sent it outside the rule. Require transport-mode IPsec between the clients themselves (a connection security rule on both, for each other\'s addresses), and check the SAs on both.',
    confirm: [QM_SA, RULES],
  }),
  'pair.no_data': remedy<'pair.no_data'>({
    fix: 'Nothing to change yet: no data packet between the clients is in the capture. Capture on the IP-HTTPS tunnel interface while the session runs (netsh trace start capture=yes), then run da-audit again.',
    confirm: [MM_SA, QM_SA],
  }),
};

/** The fix for a cause, or null when its code has none (an `encrypted` verdict has no cause). */
export function fixOf(cause: Reason, ctx: RemedyContext): { code: ReasonCode; text: string } | null {
  const r = REMEDIES[cause.code] as Remedy | undefined;
  if (!r) return null;
  const variant = r.variants?.find((v) => v.applies(cause.facts as never, ctx));
  return { code: cause.code, text: variant?.fix ?? r.fix };
}

/** The Windows commands that confirm a cause on the live client. */
export function confirmOf(code: ReasonCode): string[] {
  return (REMEDIES[code] as Remedy | undefined)?.confirm ?? [];
}
