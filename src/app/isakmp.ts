/** One ISAKMP message → JSON-ready facts: IKEv1 (RFC 2408/2409), IKEv2 (RFC 7296), AuthIP ([MS-AIPS] §2.2) and MS-IKEE §2.2. */

import { A, anomalyDef } from '../anomalies/registry.js';
import { hex, hex32, u16be, u16le, u32be } from '../util/bytes.js';

export type IkeProtocol = 'IKEv1' | 'IKEv2' | 'AuthIP';

/** RFC 2408 §3.1: the fixed ISAKMP header. */
const ISAKMP_HEADER_LEN = 28;
/** Payloads walked per message (architecture §4: a hard cap bounds a payload loop). */
const MAX_PAYLOADS = 64;
/** Proposals plus transforms per SA payload, and attributes per transform. */
const MAX_SA_ITEMS = 64;

/** Payload types this module reads (RFC 2408 §3.1, RFC 3947 §3, RFC 7296 §3.2, [MS-AIPS] §2.2.3, [MS-IKEE] §2.2.3). */
const PayloadType = {
  Sa: 1, Proposal: 2, Transform: 3, Notify: 11, VendorId: 13, NatD: 20, NatDDraft: 130,
  GssApi: 0x81, Fragment: 0x84, Crypto: 0x85, GssId: 0x86, Auth: 0x87,
  V2Notify: 41, V2VendorId: 43, V2Encrypted: 46, V2EncryptedFragment: 53,
} as const;

/** One payload of the top-level chain. */
export interface IsakmpPayload {
  type: number;
  name: string;
  /** The declared length, generic header included. */
  length: number;
  /** Offset from the start of the message. */
  offset: number;
}

/** A Windows error or SSPI status code ([MS-ERREF]) carried by NOTIFY_STATUS or a GSS-API payload. */
export interface WindowsError {
  code: number;
  /** "0x000035e9" */
  hex: string;
  /** Symbolic name when known, else null. */
  name: string | null;
}

export interface IsakmpVendorId {
  hex: string;
  /** The name the hash stands for, or null when unknown. */
  name: string | null;
  /** "MS NT5 ISAKMPOAKLEY" only: the 4-byte version suffix and the Windows release it denotes ([MS-AIPS] note <3>). */
  msVersion?: number;
  windows?: string;
}

export interface IsakmpNotify {
  type: number;
  name: string;
  /** An error type (IKEv1/IKEv2 below 16384), or a NOTIFY_STATUS carrying a non-zero Windows error code. */
  error: boolean;
  protocolId: number;
  /** The SPI in hex ('' when none; AuthIP notifies have no SPI field, [MS-AIPS] §2.2.3.5). */
  spi: string;
  /** Notification data in hex. */
  data: string;
  /** AuthIP only: the Flags byte says the notify must be acknowledged (RELIABLE_NOTIFY_FLAG 0x01). */
  reliable?: boolean;
  /** NOTIFY_STATUS (AuthIP 0x9C54, MS-IKEE 0x9C43, IKEv2 0x3039): the Windows error code in the data. */
  windowsError?: WindowsError;
}

export interface IsakmpAttribute {
  type: number;
  name: string;
  /** TV and TLV values of up to 4 bytes as numbers; longer TLV values as hex. */
  value: number | string;
  valueName: string | null;
}

export interface IsakmpTransform {
  number: number;
  id: number;
  idName: string;
  attributes: IsakmpAttribute[];
}

export interface IsakmpProposal {
  number: number;
  protocolId: number;
  protocolName: string;
  spi: string;
  transforms: IsakmpTransform[];
}

/** An IKEv1-encoded SA payload (also used by AuthIP Main Mode, [MS-AIPS] §2.2.3). */
export interface IsakmpSa {
  doi: number;
  situation: number;
  /** Walked only for the IPsec DOI with SIT_IDENTITY_ONLY (RFC 2407 §4.6.1); empty otherwise. */
  proposals: IsakmpProposal[];
}

/** AuthIP Crypto payload header fields in clear ([MS-AIPS] §2.2.3.2). */
export interface AuthipCrypto {
  seqNum: number;
  /** The optional 8-byte IV of an E=0 Crypto payload in hex ('' when absent or when E=1). */
  iv: string;
}

export interface AuthipAuthMethod {
  method: number;
  name: string;
}

export interface KerberosFacts {
  /** Ticket realm (AP-REQ) or server realm (KRB-ERROR). */
  realm: string | null;
  /** Service principal name components joined by '/', e.g. "host/pc1.example.com". */
  sname: string | null;
  /** AP-REQ: the encryption type of the ticket's enc-part (RFC 3961/4120). */
  ticketEtype: number | null;
  ticketEtypeName: string | null;
  /** KRB-ERROR: error-code (RFC 4120 §7.5.9). */
  errorCode: number | null;
  errorName: string | null;
}

export type GssMechanism = 'kerberos' | 'ntlm' | 'tls' | 'none' | 'unknown';

/** An AuthIP GSS-API payload 0x81 ([MS-AIPS] §2.2.3.1). */
export interface GssToken {
  status: WindowsError;
  flags: number;
  flagNames: string[];
  tokenLength: number;
  mechanism: GssMechanism;
  /** Kerberos AP-REQ / AP-REP / KRB-ERROR (RFC 1964 §1.1 TOK_ID), NTLM message type, TLS handshake; null when unknown. */
  tokenKind: string | null;
  kerberos: KerberosFacts | null;
}

/** MS-IKEE Fragment payload 0x84 (= Cisco fragmentation 132), or IKEv2 Encrypted Fragment 53 (RFC 7383 §2.5). */
export interface IsakmpFragment {
  kind: 'ms-ikee' | 'ikev2';
  /** MS-IKEE Fragment_ID (null for IKEv2). */
  id: number | null;
  number: number;
  /** IKEv2 Total Fragments (null for MS-IKEE, which flags the last fragment instead). */
  total: number | null;
  last: boolean;
}

/** Everything readable in clear in one ISAKMP message. Plain data: safe to JSON.stringify. */
export interface IsakmpMessage {
  frame: number;
  initiatorSpi: string;
  responderSpi: string;
  nextPayload: number;
  version: { major: number; minor: number };
  protocol: IkeProtocol;
  exchange: number;
  exchangeName: string;
  /** IKEv1/AuthIP: E, C, A; IKEv2: I, V, R. */
  flags: { value: number; names: string[] };
  /** E flag (IKEv1, AuthIP) or an SK/SKF payload (IKEv2). */
  encrypted: boolean;
  messageId: number;
  /** The header's Length field. */
  length: number;
  /** Bytes parsed: the smaller of the header length and the bytes present (at least the header). */
  parsedLength: number;
  payloads: IsakmpPayload[];
  vendorIds: IsakmpVendorId[];
  notifies: IsakmpNotify[];
  sa: IsakmpSa[];
  /** NAT-D hashes in hex (RFC 3947 payload 20, draft payload 130). */
  natD: string[];
  crypto: AuthipCrypto | null;
  authMethods: AuthipAuthMethod[];
  gss: GssToken[];
  /** GSS_ID payloads 0x86: security principal names (UTF-16LE, no terminator). */
  gssIds: string[];
  fragments: IsakmpFragment[];
  /** Anomaly ids (`isakmp.*`, see src/anomalies/registry.ts), each once, in the order met. */
  anomalies: string[];
}

// --- names -------------------------------------------------------------------------------------------

const EXCHANGES_V1: Record<number, string> = {
  0: 'None', 1: 'Base', 2: 'Identity Protection (Main Mode)', 3: 'Authentication Only', 4: 'Aggressive',
  5: 'Informational', 6: 'Transaction (Config Mode)', 32: 'Quick Mode', 33: 'New Group Mode',
};
const EXCHANGES_V2: Record<number, string> = {
  34: 'IKE_SA_INIT', 35: 'IKE_AUTH', 36: 'CREATE_CHILD_SA', 37: 'INFORMATIONAL', 38: 'IKE_SESSION_RESUME', 43: 'IKE_INTERMEDIATE',
};
/** [MS-AIPS] §2.2.1 private exchange types. */
const EXCHANGES_AUTHIP: Record<number, string> = { 0xf3: 'Main Mode', 0xf4: 'Quick Mode', 0xf5: 'Extended Mode', 0xf6: 'Notify' };

const PAYLOADS_V1: Record<number, string> = {
  1: 'SA', 2: 'Proposal', 3: 'Transform', 4: 'KE', 5: 'ID', 6: 'CERT', 7: 'CR', 8: 'HASH', 9: 'SIG', 10: 'Nonce',
  11: 'Notification', 12: 'Delete', 13: 'Vendor ID', 14: 'Attributes', 20: 'NAT-D', 21: 'NAT-OA',
  130: 'NAT-D (draft)', 131: 'NAT-OA (draft)', 132: 'Fragment',
};
const PAYLOADS_AUTHIP: Record<number, string> = {
  0x81: 'GSS-API', 0x85: 'Crypto', 0x86: 'GSS_ID', 0x87: 'Auth', 0x88: 'Key Dictation', 0x89: 'Key Dictation Weight',
};
const PAYLOADS_V2: Record<number, string> = {
  33: 'SA', 34: 'KE', 35: 'IDi', 36: 'IDr', 37: 'CERT', 38: 'CERTREQ', 39: 'AUTH', 40: 'Nonce', 41: 'Notify', 42: 'Delete',
  43: 'Vendor ID', 44: 'TSi', 45: 'TSr', 46: 'SK', 47: 'CP', 48: 'EAP', 49: 'GSPM', 53: 'SKF',
};

function payloadName(type: number, protocol: IkeProtocol): string {
  const name = protocol === 'IKEv2' ? PAYLOADS_V2[type] : (protocol === 'AuthIP' ? PAYLOADS_AUTHIP[type] : undefined) ?? PAYLOADS_V1[type];
  return name ?? (type >= 128 ? `Private ${type}` : `Unknown ${type}`);
}

/** RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706 §7 (DPD), [MS-IKEE] §2.2.6 private types. */
const NOTIFY_V1: Record<number, string> = {
  1: 'INVALID_PAYLOAD_TYPE', 2: 'DOI_NOT_SUPPORTED', 3: 'SITUATION_NOT_SUPPORTED', 4: 'INVALID_COOKIE',
  5: 'INVALID_MAJOR_VERSION', 6: 'INVALID_MINOR_VERSION', 7: 'INVALID_EXCHANGE_TYPE', 8: 'INVALID_FLAGS',
  9: 'INVALID_MESSAGE_ID', 10: 'INVALID_PROTOCOL_ID', 11: 'INVALID_SPI', 12: 'INVALID_TRANSFORM_ID',
  13: 'ATTRIBUTES_NOT_SUPPORTED', 14: 'NO_PROPOSAL_CHOSEN', 15: 'BAD_PROPOSAL_SYNTAX', 16: 'PAYLOAD_MALFORMED',
  17: 'INVALID_KEY_INFORMATION', 18: 'INVALID_ID_INFORMATION', 19: 'INVALID_CERT_ENCODING', 20: 'INVALID_CERTIFICATE',
  21: 'CERT_TYPE_UNSUPPORTED', 22: 'INVALID_CERT_AUTHORITY', 23: 'INVALID_HASH_INFORMATION', 24: 'AUTHENTICATION_FAILED',
  25: 'INVALID_SIGNATURE', 26: 'ADDRESS_NOTIFICATION', 27: 'NOTIFY_SA_LIFETIME', 28: 'CERTIFICATE_UNAVAILABLE',
  29: 'UNSUPPORTED_EXCHANGE_TYPE', 30: 'UNEQUAL_PAYLOAD_LENGTHS',
  16384: 'CONNECTED', 24576: 'RESPONDER_LIFETIME', 24577: 'REPLAY_STATUS', 24578: 'INITIAL_CONTACT',
  36136: 'R_U_THERE', 36137: 'R_U_THERE_ACK',
  0x9c43: 'NOTIFY_STATUS', 0x9c44: 'NOTIFY_DOS_COOKIE', 0x9c45: 'EXCHANGE_INFO',
};
/** [MS-AIPS] §2.2.3.5. */
const NOTIFY_AUTHIP: Record<number, string> = {
  0x9c45: 'EXCHANGE_INFO', 0x9c54: 'NOTIFY_STATUS', 0x9c55: 'NOTIFY_DOS_COOKIE', 0x9c56: 'NOTIFY_ACK',
  0x9c57: 'NOTIFY_QM_SYNCHRONIZE', 0x9c58: 'NOTIFY_ACQUIRE',
};
/** RFC 7296 §3.10.1 and the IANA IKEv2 Notify Message Types registry; 0x3039 from [MS-IKEE] §2.2.7. */
const NOTIFY_V2: Record<number, string> = {
  1: 'UNSUPPORTED_CRITICAL_PAYLOAD', 4: 'INVALID_IKE_SPI', 5: 'INVALID_MAJOR_VERSION', 7: 'INVALID_SYNTAX',
  9: 'INVALID_MESSAGE_ID', 11: 'INVALID_SPI', 14: 'NO_PROPOSAL_CHOSEN', 17: 'INVALID_KE_PAYLOAD',
  24: 'AUTHENTICATION_FAILED', 34: 'SINGLE_PAIR_REQUIRED', 35: 'NO_ADDITIONAL_SAS', 36: 'INTERNAL_ADDRESS_FAILURE',
  37: 'FAILED_CP_REQUIRED', 38: 'TS_UNACCEPTABLE', 39: 'INVALID_SELECTORS', 40: 'UNACCEPTABLE_ADDRESSES',
  41: 'UNEXPECTED_NAT_DETECTED', 42: 'USE_ASSIGNED_HoA', 43: 'TEMPORARY_FAILURE', 44: 'CHILD_SA_NOT_FOUND',
  45: 'INVALID_GROUP_ID', 46: 'AUTHORIZATION_FAILED', 47: 'STATE_NOT_FOUND', 0x3039: 'NOTIFY_STATUS',
  16384: 'INITIAL_CONTACT', 16385: 'SET_WINDOW_SIZE', 16386: 'ADDITIONAL_TS_POSSIBLE', 16387: 'IPCOMP_SUPPORTED',
  16388: 'NAT_DETECTION_SOURCE_IP', 16389: 'NAT_DETECTION_DESTINATION_IP', 16390: 'COOKIE', 16391: 'USE_TRANSPORT_MODE',
  16392: 'HTTP_CERT_LOOKUP_SUPPORTED', 16393: 'REKEY_SA', 16394: 'ESP_TFC_PADDING_NOT_SUPPORTED',
  16395: 'NON_FIRST_FRAGMENTS_ALSO', 16396: 'MOBIKE_SUPPORTED', 16404: 'MULTIPLE_AUTH_SUPPORTED',
  16405: 'ANOTHER_AUTH_FOLLOWS', 16406: 'REDIRECT_SUPPORTED', 16407: 'REDIRECT', 16408: 'REDIRECTED_FROM',
  16418: 'CHILDLESS_IKEV2_SUPPORTED', 16430: 'IKEV2_FRAGMENTATION_SUPPORTED', 16431: 'SIGNATURE_HASH_ALGORITHMS',
  16438: 'INTERMEDIATE_EXCHANGE_SUPPORTED',
};

/** The NOTIFY_STATUS types whose data is a Windows error code. */
const NOTIFY_STATUS = { AuthIp: 0x9c54, Ikee: 0x9c43, V2: 0x3039 } as const;
const NOTIFY_DOS_COOKIE_AUTHIP = 0x9c55;

/**
 * Windows error codes seen in NOTIFY_STATUS and GSS-API Status: ERROR_IPSEC_IKE_* from protocols.md §4.4
 * ([MS-ERREF] §2.2) and the SSPI SEC_E_* / SEC_I_* codes a Kerberos or NTLM exchange returns ([MS-ERREF] §2.1).
 */
const WINDOWS_ERRORS: Record<number, string> = {
  0: 'ERROR_SUCCESS',
  0x35e9: 'ERROR_IPSEC_IKE_AUTH_FAIL', 0x35ea: 'ERROR_IPSEC_IKE_ATTRIB_FAIL', 0x35eb: 'ERROR_IPSEC_IKE_NEGOTIATION_PENDING',
  0x35ed: 'ERROR_IPSEC_IKE_TIMED_OUT', 0x35ee: 'ERROR_IPSEC_IKE_NO_CERT', 0x35ef: 'ERROR_IPSEC_IKE_SA_DELETED',
  0x35f5: 'ERROR_IPSEC_IKE_DROP_NO_RESPONSE', 0x35f9: 'ERROR_IPSEC_IKE_CRL_FAILED', 0x3601: 'ERROR_IPSEC_IKE_NO_POLICY',
  0x3603: 'ERROR_IPSEC_IKE_KERBEROS_ERROR', 0x3613: 'ERROR_IPSEC_IKE_INVALID_PAYLOAD', 0x3617: 'ERROR_IPSEC_IKE_NO_PEER_CERT',
  0x362c: 'ERROR_IPSEC_IKE_POLICY_MATCH', 0x362e: 'ERROR_IPSEC_IKE_INVALID_HASH', 0x363a: 'ERROR_IPSEC_IKE_MM_LIMIT',
  0x363b: 'ERROR_IPSEC_IKE_NEGOTIATION_DISABLED', 0x363d: 'ERROR_IPSEC_IKE_MM_EXPIRED',
  0x363e: 'ERROR_IPSEC_IKE_PEER_MM_ASSUMED_INVALID', 0x3641: 'ERROR_IPSEC_IKE_INVALID_UMATTS',
  0x3642: 'ERROR_IPSEC_IKE_DOS_COOKIE_SENT', 0x3646: 'ERROR_IPSEC_IKE_INVALID_MM_FOR_QM',
  0x00090312: 'SEC_I_CONTINUE_NEEDED', 0x80090302: 'SEC_E_UNSUPPORTED_FUNCTION', 0x80090303: 'SEC_E_TARGET_UNKNOWN',
  0x80090304: 'SEC_E_INTERNAL_ERROR', 0x80090308: 'SEC_E_INVALID_TOKEN', 0x8009030c: 'SEC_E_LOGON_DENIED',
  0x8009030d: 'SEC_E_UNKNOWN_CREDENTIALS', 0x8009030e: 'SEC_E_NO_CREDENTIALS',
  0x80090311: 'SEC_E_NO_AUTHENTICATING_AUTHORITY', 0x80090322: 'SEC_E_WRONG_PRINCIPAL', 0x80090324: 'SEC_E_TIME_SKEW',
};

/** A Windows error code with its name; unlisted codes of the ERROR_IPSEC_IKE_* range (0x35E8–0x3649) say so. */
function windowsError(code: number): WindowsError {
  const listed = WINDOWS_ERRORS[code];
  const name = listed ?? (code >= 0x35e8 && code <= 0x3649 ? 'ERROR_IPSEC_IKE_* (unlisted)' : null);
  return { code, hex: hex32(code), name };
}

/** [MS-AIPS] §2.2.3.3: GSS_ID holds a Unicode principal name (UTF-16LE assumed, protocols.md §4.4). */
const UTF16LE = new TextDecoder('utf-16le');

/** [MS-AIPS] §2.2.3.4. */
const AUTH_METHODS: Record<number, string> = { 2: 'Kerberos', 3: 'Anonymous', 4: 'TLS', 5: 'NTLM' };

/** [MS-AIPS] §2.2.3.1 GSS-API flags. */
const GSS_FLAGS: [number, string][] = [
  [0x01, 'NEW_GSS_EXCHANGE'], [0x02, 'IMPERSONATION_ACTIVE'], [0x04, 'RETRY_CURRENT_AUTHENTICATION'],
  [0x08, 'EXPLICIT_CREDENTIALS'], [0x10, 'RESPONDER_AUTH_COMPLETE'],
];

/** RFC 4120 §7.5.9. */
const KRB_ERRORS: Record<number, string> = {
  6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN', 7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN', 14: 'KDC_ERR_ETYPE_NOSUPP',
  18: 'KDC_ERR_CLIENT_REVOKED', 23: 'KDC_ERR_KEY_EXPIRED', 24: 'KDC_ERR_PREAUTH_FAILED', 25: 'KDC_ERR_PREAUTH_REQUIRED',
  31: 'KRB_AP_ERR_BAD_INTEGRITY', 32: 'KRB_AP_ERR_TKT_EXPIRED', 33: 'KRB_AP_ERR_TKT_NYV', 34: 'KRB_AP_ERR_REPEAT',
  35: 'KRB_AP_ERR_NOT_US', 36: 'KRB_AP_ERR_BADMATCH', 37: 'KRB_AP_ERR_SKEW', 38: 'KRB_AP_ERR_BADADDR',
  39: 'KRB_AP_ERR_BADVERSION', 40: 'KRB_AP_ERR_MSG_TYPE', 41: 'KRB_AP_ERR_MODIFIED', 42: 'KRB_AP_ERR_BADORDER',
  44: 'KRB_AP_ERR_BADKEYVER', 45: 'KRB_AP_ERR_NOKEY', 46: 'KRB_AP_ERR_MUT_FAIL', 47: 'KRB_AP_ERR_BADDIRECTION',
  48: 'KRB_AP_ERR_METHOD', 49: 'KRB_AP_ERR_BADSEQ', 50: 'KRB_AP_ERR_INAPP_CKSUM', 60: 'KRB_ERR_GENERIC',
  68: 'KDC_ERR_WRONG_REALM',
};
/** RFC 3961 §8, RFC 4757, RFC 8009. */
const KRB_ETYPES: Record<number, string> = {
  1: 'des-cbc-crc', 3: 'des-cbc-md5', 17: 'aes128-cts-hmac-sha1-96', 18: 'aes256-cts-hmac-sha1-96',
  19: 'aes128-cts-hmac-sha256-128', 20: 'aes256-cts-hmac-sha384-192', 23: 'rc4-hmac', 24: 'rc4-hmac-exp',
};

/**
 * Vendor IDs, matched as prefixes of the VID data: MD5 hashes of the strings named (recomputed in the unit
 * tests), some followed by version or capability bytes. protocols.md §4.5 ([MS-AIPS] §6 notes <3>, <4>) and
 * the NAT-T / DPD / XAUTH / Cisco ones Wireshark knows ([WS:packet-isakmp.c]).
 */
const VENDOR_IDS: [prefix: string, name: string][] = [
  ['1e2b516905991c7d7c96fcbfb587e461', 'MS NT5 ISAKMPOAKLEY'],
  ['621b04bb09882ac1e15935fefa24aeee', 'GSSAPI'],
  ['26244d38eddb61b3172a36e3d0cfb819', 'Vid-Initial-Contact'],
  ['72872b95fcda2eb708efe322119b4971', 'NLBS_PRESENT'],
  // Cisco appends 4 capability bytes to md5("FRAGMENTATION"); Windows sends the bare hash.
  ['4048b7d56ebce88525e7de7f00d6c2d3', 'FRAGMENTATION'],
  ['fb1de3cdf341b7ea16b7e5be0855f120', 'MS-Negotiation Discovery Capable'],
  ['214ca4faffa7f32d6748e5303395ae83', 'MS-MamieExists'],
  ['e3a5966a76379fe707228231e5ce8652', 'IKE CGA version 1'],
  ['ad2c0dd0b9c32083ccba25b8861ec455', 'A GSS-API Authentication Method for IKE'],
  ['b46d8914f3aaa3f2fedeb7c7db2943ca', 'A GSS-API Authentication Method for IKE\\n'],
  ['4a131c81070358455c5728f20e95452f', 'RFC 3947'],
  ['4df37928e9fc4fd1b3262170d515c662', 'draft-ietf-ipsec-nat-t-ike'],
  ['4485152d18b6bbcd0be8a8469579ddcc', 'draft-ietf-ipsec-nat-t-ike-00'],
  ['16f6ca16e4a4066d83821a0f0aeaa862', 'draft-ietf-ipsec-nat-t-ike-01'],
  ['cd60464335df21f87cfdb2fc68b6a448', 'draft-ietf-ipsec-nat-t-ike-02'],
  ['90cb80913ebb696e086381b5ec427b1f', 'draft-ietf-ipsec-nat-t-ike-02\\n'],
  ['7d9419a65310ca6f2c179d9215529d56', 'draft-ietf-ipsec-nat-t-ike-03'],
  ['9909b64eed937c6573de52ace952fa6b', 'draft-ietf-ipsec-nat-t-ike-04'],
  ['80d0bb3def54565ee84645d4c85ce3ee', 'draft-ietf-ipsec-nat-t-ike-05'],
  ['4d1e0e136deafa34c4f3ea9f02ec7285', 'draft-ietf-ipsec-nat-t-ike-06'],
  ['439b59f8ba676c4c7737ae22eab8f582', 'draft-ietf-ipsec-nat-t-ike-07'],
  ['8f8d83826d246b6fc7a8a6a428c11de8', 'draft-ietf-ipsec-nat-t-ike-08'],
  ['42ea5b6f898d9773a575df26e7dd19e1', 'draft-ietf-ipsec-nat-t-ike-09'],
  // RFC 3706 §8 gives these 16 bytes (14-byte vendor hash, then major 1, minor 0).
  ['afcad71368a1f1c96b8696fc77570100', 'RFC 3706 DPD'],
  // The first 8 bytes of md5("draft-ietf-ipsra-isakmp-xauth-06.txt").
  ['09002689dfd6b712', 'XAUTH'],
  // The first 14 bytes of md5("CISCO-UNITY"), then a major and a minor version byte.
  ['12f5f28c457168a9702d9fe274cc', 'CISCO-UNITY'],
  ['882fe56d6fd20dbc2251613b2ebe5beb', 'strongSwan'],
  ['7003cbc1097dbe9c2600ba6983bc8b35', 'KAME/racoon'],
];

/** "MS NT5 ISAKMPOAKLEY" version suffix → Windows release ([MS-AIPS] note <3>; 2–4 from Wireshark). */
const MS_VERSIONS: Record<number, string> = {
  2: 'Windows 2000', 3: 'Windows XP SP1', 4: 'Windows Server 2003 / XP SP2', 5: 'Windows Vista',
  6: 'Windows Vista SP1 / Server 2008', 7: 'Windows 7', 8: 'Windows Server 2008 R2',
  9: 'Windows 8 or later / Server 2012 or later',
};

/** RFC 2407 §4.4.1. */
const PROTOCOL_IDS: Record<number, string> = { 1: 'ISAKMP', 2: 'AH', 3: 'ESP', 4: 'IPCOMP' };
/** Transform IDs: KEY_IKE for ISAKMP (RFC 2407 §4.4.2), ESP (§4.4.4, RFC 4106, RFC 4543) and AH (§4.4.3, RFC 4868). */
const TRANSFORMS_ESP: Record<number, string> = {
  1: 'ESP_DES_IV64', 2: 'ESP_DES', 3: 'ESP_3DES', 4: 'ESP_RC5', 5: 'ESP_IDEA', 6: 'ESP_CAST', 7: 'ESP_BLOWFISH',
  11: 'ESP_NULL', 12: 'ESP_AES-CBC', 13: 'ESP_AES-CTR', 18: 'ESP_AES-GCM_8', 19: 'ESP_AES-GCM_12', 20: 'ESP_AES-GCM_16',
  23: 'ESP_NULL_AUTH_AES-GMAC',
};
const TRANSFORMS_AH: Record<number, string> = { 2: 'AH_MD5', 3: 'AH_SHA', 4: 'AH_DES', 5: 'AH_SHA2-256', 6: 'AH_SHA2-384', 7: 'AH_SHA2-512' };

function transformName(protocolId: number, id: number): string {
  const name = protocolId === 1 ? (id === 1 ? 'KEY_IKE' : undefined) : protocolId === 3 ? TRANSFORMS_ESP[id] : protocolId === 2 ? TRANSFORMS_AH[id] : undefined;
  return name ?? `Unknown ${id}`;
}

/** Phase 1 (ISAKMP proposal) attributes, RFC 2409 Appendix A, with value names for the classes that have them. */
const P1_ATTRS: Record<number, [name: string, values?: Record<number, string>]> = {
  1: ['Encryption-Algorithm', { 1: 'DES-CBC', 2: 'IDEA-CBC', 3: 'Blowfish-CBC', 4: 'RC5-R16-B64-CBC', 5: '3DES-CBC', 6: 'CAST-CBC', 7: 'AES-CBC', 8: 'CAMELLIA-CBC' }],
  2: ['Hash-Algorithm', { 1: 'MD5', 2: 'SHA', 3: 'Tiger', 4: 'SHA2-256', 5: 'SHA2-384', 6: 'SHA2-512' }],
  3: ['Authentication-Method', {
    1: 'Pre-shared key', 2: 'DSS signatures', 3: 'RSA signatures', 4: 'Encryption with RSA', 5: 'Revised encryption with RSA',
    9: 'ECDSA with SHA-256', 10: 'ECDSA with SHA-384', 11: 'ECDSA with SHA-512',
  }],
  4: ['Group-Description', {
    1: '768-bit MODP', 2: '1024-bit MODP', 5: '1536-bit MODP', 14: '2048-bit MODP', 15: '3072-bit MODP', 16: '4096-bit MODP',
    17: '6144-bit MODP', 18: '8192-bit MODP', 19: '256-bit random ECP', 20: '384-bit random ECP', 21: '521-bit random ECP',
    24: '2048-bit MODP with 256-bit prime order subgroup',
  }],
  5: ['Group-Type'], 6: ['Group-Prime'], 7: ['Group-Generator-One'], 8: ['Group-Generator-Two'], 9: ['Group-Curve-A'],
  10: ['Group-Curve-B'], 11: ['Life-Type', { 1: 'Seconds', 2: 'Kilobytes' }], 12: ['Life-Duration'], 13: ['PRF'],
  14: ['Key-Length'], 15: ['Field-Size'], 16: ['Group-Order'],
};
/** Phase 2 (AH/ESP proposal) attributes, RFC 2407 §4.5, RFC 3947 §5, [MS-IKEE] §2.2.2, [MS-AIPS] §3.10.4.2. */
const P2_ATTRS: Record<number, [name: string, values?: Record<number, string>]> = {
  1: ['SA-Life-Type', { 1: 'Seconds', 2: 'Kilobytes' }], 2: ['SA-Life-Duration'], 3: ['Group-Description', P1_ATTRS[4]![1]],
  4: ['Encapsulation-Mode', {
    1: 'Tunnel', 2: 'Transport', 3: 'UDP-Encapsulated-Tunnel', 4: 'UDP-Encapsulated-Transport',
    0xf003: 'UDP-Encapsulated-Tunnel (draft)', 0xf004: 'UDP-Encapsulated-Transport (draft)',
    62000: 'IPSEC_TRANSPORT_AUTH_FW', 62001: 'IPSEC_TRANSPORT_UDP_AUTH_FW',
  }],
  5: ['Authentication-Algorithm', { 1: 'HMAC-MD5', 2: 'HMAC-SHA', 3: 'DES-MAC', 4: 'KPDK', 5: 'HMAC-SHA2-256', 6: 'HMAC-SHA2-384', 7: 'HMAC-SHA2-512' }],
  6: ['Key-Length'],
};
const ATTR_AUTH_METHOD = 3;
/**
 * Private-use authentication methods mean different things to different vendors: Windows (protocols.md §4.6,
 * racoon's oakley.h) uses 65001 for GSS-API Kerberos and 65005 (0xFDED, [MS-IKEE] §2.2.4) for CGA, while
 * draft-beaulieu-ike-xauth uses the same numbers for XAUTHInitPreShared and XAUTHInitRSA. The message's vendor IDs decide.
 */
const AUTH_METHOD_MS: Record<number, string> = { 65001: 'GSS-API Kerberos', 65005: 'CGA' };
const AUTH_METHOD_XAUTH: Record<number, string> = { 65001: 'XAUTHInitPreShared', 65005: 'XAUTHInitRSA' };

// --- the parser ---------------------------------------------------------------------------------------

/** Collects facts for one message; anomalies are kept once each. */
class Facts {
  readonly msg: IsakmpMessage;
  constructor(msg: IsakmpMessage) {
    this.msg = msg;
  }
  note(code: number): void {
    const id = anomalyDef(code).id;
    if (!this.msg.anomalies.includes(id)) this.msg.anomalies.push(id);
  }
}

/** At least the 28-byte header, with major version 1 or 2: what parseIsakmp and IsakmpHeader accept. */
function isIsakmp(buf: Uint8Array, start: number, end: number): boolean {
  const major = end - start >= ISAKMP_HEADER_LEN ? buf[start + 17]! >> 4 : 0;
  return major === 1 || major === 2;
}

/** [MS-AIPS] §2.2.1: AuthIP keeps the IKEv1 header (major 1; a minor above 0 MUST be accepted) with private exchange types. */
function ikeProtocol(major: number, exchange: number): IkeProtocol {
  return major === 2 ? 'IKEv2' : exchange >= 0xf3 && exchange <= 0xf6 ? 'AuthIP' : 'IKEv1';
}

/**
 * The header fields that place a message in its negotiation (RFC 2408 §3.1), read without allocating: the
 * negotiation is found first, and the message is parsed whole only if the negotiation still keeps messages.
 */
export class IsakmpHeader {
  protocol: IkeProtocol = 'IKEv1';
  /**
   * The initiator and responder SPIs (cookies), as two 32-bit halves each, signed: only compared for equality,
   * and a value ≥ 2^31 would be a heap-allocated double on this V8 (see flow-key.ts).
   */
  initiatorSpiHi = 0;
  initiatorSpiLo = 0;
  responderSpiHi = 0;
  responderSpiLo = 0;
  flags = 0;

  /** Reads the header of buf[start, end); false when parseIsakmp would return null (not ISAKMP). */
  read(buf: Uint8Array, start: number, end: number): boolean {
    if (!isIsakmp(buf, start, end)) return false;
    this.protocol = ikeProtocol(buf[start + 17]! >> 4, buf[start + 18]!);
    this.initiatorSpiHi = u32be(buf, start) | 0;
    this.initiatorSpiLo = u32be(buf, start + 4) | 0;
    this.responderSpiHi = u32be(buf, start + 8) | 0;
    this.responderSpiLo = u32be(buf, start + 12) | 0;
    this.flags = buf[start + 19]!;
    return true;
  }
}

/**
 * Parses the ISAKMP message in `buf[start, end)`. Returns null when it is not ISAKMP: shorter than the
 * 28-byte header, or a major version other than 1 or 2. Never reads at or past `end`; every length is
 * checked against the bytes present, and problems become anomaly ids in the result.
 */
export function parseIsakmp(buf: Uint8Array, start: number, end: number, frame: number): IsakmpMessage | null {
  if (!isIsakmp(buf, start, end)) return null;
  const version = buf[start + 17]!;
  const major = version >> 4;
  const exchange = buf[start + 18]!;
  const flags = buf[start + 19]!;
  const protocol = ikeProtocol(major, exchange);
  const length = u32be(buf, start + 24);
  const present = end - start;
  const msg: IsakmpMessage = {
    frame,
    initiatorSpi: hex(buf, start, start + 8),
    responderSpi: hex(buf, start + 8, start + 16),
    nextPayload: buf[start + 16]!,
    version: { major, minor: version & 0x0f },
    protocol,
    exchange,
    exchangeName: exchangeName(protocol, exchange),
    flags: { value: flags, names: flagNames(protocol, flags) },
    encrypted: protocol !== 'IKEv2' && (flags & 0x01) !== 0,
    messageId: u32be(buf, start + 20),
    length,
    parsedLength: ISAKMP_HEADER_LEN,
    payloads: [], vendorIds: [], notifies: [], sa: [], natD: [], crypto: null, authMethods: [], gss: [], gssIds: [], fragments: [],
    anomalies: [],
  };
  const f = new Facts(msg);
  if (length < ISAKMP_HEADER_LEN) {
    f.note(A.IsakmpLengthTooSmall);
    return msg;
  }
  // Use the smaller of the declared length and the bytes present: a cut message is parsed as far as it goes.
  const cut = length > present;
  if (cut) f.note(A.IsakmpTruncated);
  else if (length < present) f.note(A.IsakmpLengthMismatch);
  const limit = cut ? end : start + length;
  msg.parsedLength = limit - start;
  // RFC 2408 §3.1: with E set, everything after the header is ciphertext. AuthIP differs: its Crypto payload
  // header, seqNUM and IV stay in clear ([MS-AIPS] §2.2.3.2.1), so the walk reads that one payload.
  if (msg.encrypted && (protocol === 'IKEv1' || msg.nextPayload !== PayloadType.Crypto)) {
    if (protocol === 'AuthIP') f.note(A.IsakmpAuthipNoCryptoPayload);
    return msg;
  }
  walkPayloads(buf, start, limit, cut, f);
  if (protocol === 'AuthIP') checkAuthipShape(f);
  if (msg.sa.length > 0) nameAuthMethods(msg);
  return msg;
}

function exchangeName(protocol: IkeProtocol, exchange: number): string {
  const table = protocol === 'IKEv2' ? EXCHANGES_V2 : protocol === 'AuthIP' ? EXCHANGES_AUTHIP : EXCHANGES_V1;
  return table[exchange] ?? `Unknown ${exchange}`;
}

function flagNames(protocol: IkeProtocol, flags: number): string[] {
  const bits: [number, string][] = protocol === 'IKEv2' ? [[0x08, 'I'], [0x10, 'V'], [0x20, 'R']] : [[0x01, 'E'], [0x02, 'C'], [0x04, 'A']];
  return bits.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/**
 * Walks the generic payload headers (RFC 2408 §3.2): next(1) reserved(1) length(2). Each step advances by the
 * payload length, which must be at least 4 and fit the message [tcpdump print-isakmp.c item_len guard], and the
 * walk stops after MAX_PAYLOADS. In a cut message, running out of bytes is the truncation already noted.
 */
function walkPayloads(b: Uint8Array, start: number, limit: number, cut: boolean, f: Facts): void {
  const msg = f.msg;
  let type = msg.nextPayload;
  let at = start + ISAKMP_HEADER_LEN;
  while (type !== 0) {
    if (msg.payloads.length === MAX_PAYLOADS) {
      f.note(A.IsakmpTooManyPayloads);
      return;
    }
    if (limit - at < 4) {
      if (!cut) f.note(A.IsakmpPayloadMissing);
      return;
    }
    const next = b[at]!;
    const len = u16be(b, at + 2);
    msg.payloads.push({ type, name: payloadName(type, msg.protocol), length: len, offset: at - start });
    if (len < 4 || len > limit - at) {
      if (len < 4 || !cut) f.note(A.IsakmpPayloadLengthInvalid);
      return;
    }
    readPayload(b, type, at + 4, at + len, f);
    at += len;
    // RFC 7296 §3.14, RFC 7383 §2.5: SK and SKF are last; their Next Payload names the first inner payload.
    if (msg.protocol === 'IKEv2' && (type === PayloadType.V2Encrypted || type === PayloadType.V2EncryptedFragment)) break;
    // [MS-AIPS] §2.2.3.2.1: with E set, the Crypto payload holds all the others, encrypted.
    if (msg.protocol === 'AuthIP' && msg.encrypted) break;
    type = next;
  }
  if (at < limit) f.note(A.IsakmpTrailingBytes);
}

/** Reads the body [at, end) of one payload whose bounds were checked. */
function readPayload(b: Uint8Array, type: number, at: number, end: number, f: Facts): void {
  const msg = f.msg;
  if (msg.protocol === 'IKEv2') {
    if (type === PayloadType.V2Notify) readNotifyV2(b, at, end, f);
    else if (type === PayloadType.V2VendorId) msg.vendorIds.push(vendorId(b, at, end));
    else if (type === PayloadType.V2Encrypted) msg.encrypted = true;
    else if (type === PayloadType.V2EncryptedFragment) {
      msg.encrypted = true;
      // RFC 7383 §2.5: Fragment Number(2) Total Fragments(2), then the encrypted content.
      if (end - at < 4) f.note(A.IsakmpPayloadBodyInvalid);
      else {
        const number = u16be(b, at);
        const total = u16be(b, at + 2);
        msg.fragments.push({ kind: 'ikev2', id: null, number, total, last: number === total });
      }
    }
    return;
  }
  switch (type) {
    case PayloadType.Sa: readSa(b, at, end, f); return;
    case PayloadType.Notify: if (msg.protocol === 'AuthIP') readNotifyAuthip(b, at, end, f); else readNotifyV1(b, at, end, f); return;
    case PayloadType.VendorId: msg.vendorIds.push(vendorId(b, at, end)); return;
    case PayloadType.NatD:
    case PayloadType.NatDDraft: msg.natD.push(hex(b, at, end)); return;
    case PayloadType.Fragment: readFragment(b, at, end, f); return;
  }
  if (msg.protocol !== 'AuthIP') return;
  switch (type) {
    case PayloadType.Crypto: readCrypto(b, at, end, f); return;
    case PayloadType.Auth: readAuth(b, at, end, f); return;
    case PayloadType.GssApi: readGss(b, at, end, f); return;
    case PayloadType.GssId: msg.gssIds.push(UTF16LE.decode(b.subarray(at, end))); return;
  }
}

function vendorId(b: Uint8Array, at: number, end: number): IsakmpVendorId {
  const h = hex(b, at, end);
  const hit = VENDOR_IDS.find(([prefix]) => h.startsWith(prefix));
  const vid: IsakmpVendorId = { hex: h, name: hit ? hit[1] : null };
  // [MS-AIPS] note <3>: the 16-byte hash is followed by a 4-byte big-endian version.
  if (hit && hit[1] === 'MS NT5 ISAKMPOAKLEY' && end - at === 20) {
    const v = u32be(b, at + 16);
    vid.msVersion = v;
    vid.windows = MS_VERSIONS[v] ?? `unknown version ${v}`;
  }
  return vid;
}

/** RFC 2408 §3.14: DOI(4) Protocol-ID(1) SPI Size(1) Notify Message Type(2) SPI Data. */
function readNotifyV1(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 8 || 8 + b[at + 5]! > end - at) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  const spiEnd = at + 8 + b[at + 5]!;
  pushNotify(f, u16be(b, at + 6), b[at + 4]!, hex(b, at + 8, spiEnd), b, spiEnd, end, NOTIFY_V1);
}

/** RFC 7296 §3.10: Protocol ID(1) SPI Size(1) Notify Message Type(2) SPI Data. */
function readNotifyV2(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 4 || 4 + b[at + 1]! > end - at) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  const spiEnd = at + 4 + b[at + 1]!;
  pushNotify(f, u16be(b, at + 2), b[at]!, hex(b, at + 4, spiEnd), b, spiEnd, end, NOTIFY_V2);
}

/** [MS-AIPS] §2.2.3.5: DOI(4) Protocol-ID(1) Flags(1) Notify Message Type(2) Data; no SPI. */
function readNotifyAuthip(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 8) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  const n = pushNotify(f, u16be(b, at + 6), b[at + 4]!, '', b, at + 8, end, NOTIFY_AUTHIP);
  n.reliable = (b[at + 5]! & 0x01) !== 0;
}

function pushNotify(f: Facts, type: number, protocolId: number, spi: string, b: Uint8Array, data: number, end: number,
  names: Record<number, string>): IsakmpNotify {
  // AuthIP messages may also carry the IKEv1 notify types it inherits ([MS-AIPS] §2.2.3.5).
  const name = names[type] ?? (names === NOTIFY_AUTHIP ? NOTIFY_V1[type] : undefined) ?? `Unknown ${type}`;
  const n: IsakmpNotify = { type, name, error: type > 0 && type < 16384, protocolId, spi, data: hex(b, data, end) };
  const len = end - data;
  // NOTIFY_STATUS carries a 4-byte Windows error; MS-IKEE prepends the Quick Mode message ID when the failure
  // is a Quick Mode one ([MS-IKEE] §2.2.6), so the code is the last 4 of 8 bytes then.
  const isStatus = f.msg.protocol === 'AuthIP' ? type === NOTIFY_STATUS.AuthIp
    : f.msg.protocol === 'IKEv2' ? type === NOTIFY_STATUS.V2 : type === NOTIFY_STATUS.Ikee;
  if (isStatus && (len === 4 || len === 8)) {
    const code = u32be(b, end - 4);
    n.windowsError = windowsError(code);
    n.error = code !== 0;
  }
  f.msg.notifies.push(n);
  return n;
}

/** MS-IKEE §2.2.3.1 Fragment payload: Fragment_ID(2) Fragment_Number(1) Flags(1, 0x01 LAST_FRAGMENT) data. */
function readFragment(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 4) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  f.msg.fragments.push({ kind: 'ms-ikee', id: u16be(b, at), number: b[at + 2]!, total: null, last: (b[at + 3]! & 0x01) !== 0 });
}

/** [MS-AIPS] §2.2.3.2: seqNUM(4), then with E clear an optional 8-byte IV (payload length 4 + 4 + ivLen). */
function readCrypto(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 4) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  f.msg.crypto = { seqNum: u32be(b, at), iv: f.msg.encrypted ? '' : hex(b, at + 4, end) };
}

/** [MS-AIPS] §2.2.3.4: (Auth_Method(2) Flags(2))*, the count following from the payload length. */
function readAuth(b: Uint8Array, at: number, end: number, f: Facts): void {
  if ((end - at) % 4 !== 0) f.note(A.IsakmpPayloadBodyInvalid);
  for (let p = at; end - p >= 4; p += 4) {
    const method = u16be(b, p);
    f.msg.authMethods.push({ method, name: AUTH_METHODS[method] ?? `Unknown ${method}` });
  }
}

/**
 * RFC 2408 §3.4–3.6, RFC 2407 §4.6.1: DOI(4) Situation(4), then Proposal payloads (#, Protocol-ID, SPI size,
 * #transforms, SPI), each holding Transform payloads (#, Transform-ID, reserved(2), attributes). Every element
 * must be at least its header and fit its parent; at most MAX_SA_ITEMS elements.
 */
function readSa(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 8) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  const sa: IsakmpSa = { doi: u32be(b, at), situation: u32be(b, at + 4), proposals: [] };
  f.msg.sa.push(sa);
  // Other DOIs and the secrecy/integrity situations add variable fields this walk does not know.
  if (sa.doi !== 1 || (sa.situation & ~1) !== 0) return;
  let p = at + 8;
  let items = 0;
  while (p < end) {
    if (end - p < 8 || ++items > MAX_SA_ITEMS) return f.note(A.IsakmpSaStructureInvalid);
    const next = b[p]!;
    const len = u16be(b, p + 2);
    const spiSize = b[p + 6]!;
    if (len < 8 + spiSize || len > end - p) return f.note(A.IsakmpSaStructureInvalid);
    const protocolId = b[p + 5]!;
    const proposal: IsakmpProposal = {
      number: b[p + 4]!, protocolId, protocolName: PROTOCOL_IDS[protocolId] ?? `Unknown ${protocolId}`,
      spi: hex(b, p + 8, p + 8 + spiSize), transforms: [],
    };
    sa.proposals.push(proposal);
    const pEnd = p + len;
    let t = p + 8 + spiSize;
    while (t < pEnd) {
      if (pEnd - t < 8 || ++items > MAX_SA_ITEMS) return f.note(A.IsakmpSaStructureInvalid);
      const tNext = b[t]!;
      const tLen = u16be(b, t + 2);
      if (tLen < 8 || tLen > pEnd - t) return f.note(A.IsakmpSaStructureInvalid);
      const id = b[t + 5]!;
      const transform: IsakmpTransform = { number: b[t + 4]!, id, idName: transformName(protocolId, id), attributes: [] };
      proposal.transforms.push(transform);
      if (!readAttributes(b, t + 8, t + tLen, protocolId === 1 ? P1_ATTRS : P2_ATTRS, transform.attributes)) {
        return f.note(A.IsakmpSaStructureInvalid);
      }
      t += tLen;
      if (tNext === 0) break;
    }
    p = pEnd;
    if (next === 0) break;
  }
}

/** RFC 2408 §3.3 data attributes: AF(1 bit)|type(15); AF=1 → 2-byte value (TV), AF=0 → length(2) value (TLV). */
function readAttributes(b: Uint8Array, at: number, end: number, table: typeof P1_ATTRS, out: IsakmpAttribute[]): boolean {
  let p = at;
  while (p < end) {
    if (end - p < 4 || out.length === MAX_SA_ITEMS) return false;
    const word = u16be(b, p);
    const type = word & 0x7fff;
    let value: number | string;
    if (word & 0x8000) {
      value = u16be(b, p + 2);
      p += 4;
    } else {
      const len = u16be(b, p + 2);
      if (len > end - p - 4) return false;
      value = len > 0 && len <= 4 ? bigEndian(b, p + 4, p + 4 + len) : hex(b, p + 4, p + 4 + len);
      p += 4 + len;
    }
    const [name, values] = table[type] ?? [`Unknown ${type}`];
    out.push({ type, name, value, valueName: typeof value === 'number' ? values?.[value] ?? null : null });
  }
  return true;
}

/** An unsigned big-endian number of 1–4 bytes. */
function bigEndian(b: Uint8Array, at: number, end: number): number {
  let v = 0;
  for (let i = at; i < end; i++) v = v * 256 + b[i]!;
  return v;
}

/** Names the private-use authentication methods 65001/65005 by the vendor IDs of the message (see AUTH_METHOD_MS). */
function nameAuthMethods(msg: IsakmpMessage): void {
  const names = msg.vendorIds.map((v) => v.name);
  const ms = names.includes('MS NT5 ISAKMPOAKLEY') || names.includes('GSSAPI');
  const xauth = names.includes('XAUTH');
  for (const sa of msg.sa) {
    for (const p of sa.proposals) {
      if (p.protocolId !== 1) continue;
      for (const t of p.transforms) {
        for (const a of t.attributes) {
          if (a.type !== ATTR_AUTH_METHOD || typeof a.value !== 'number' || a.valueName !== null) continue;
          const m = AUTH_METHOD_MS[a.value];
          const x = AUTH_METHOD_XAUTH[a.value];
          if (m === undefined || x === undefined) continue;
          a.valueName = ms && !xauth ? m : xauth && !ms ? x : `${m} or ${x}`;
        }
      }
    }
  }
}

/** [MS-AIPS] §2.2.3.2: a Crypto payload right after the header, except in a lone NOTIFY_DOS_COOKIE message. */
function checkAuthipShape(f: Facts): void {
  const { payloads, notifies } = f.msg;
  if (payloads.length === 0 || payloads[0]!.type === PayloadType.Crypto) return;
  const dosCookie = payloads.length === 1 && notifies.length === 1 && notifies[0]!.type === NOTIFY_DOS_COOKIE_AUTHIP;
  if (!dosCookie) f.note(A.IsakmpAuthipNoCryptoPayload);
}

// --- GSS-API tokens -----------------------------------------------------------------------------------

/** Kerberos V5 mechanism OID 1.2.840.113554.1.2.2 and Microsoft's variant 1.2.840.48018.1.2.2 (DER, tag and length included). */
const KRB5_OIDS = ['06092a864886f712010202', '06092a864882f712010202'];
/** RFC 4120 §5.5.1, §5.5.2, §5.9.1: APPLICATION tags of KRB_AP_REQ (14), KRB_AP_REP (15), KRB_ERROR (30). */
const KRB_MESSAGES: Record<number, string> = { 0x6e: 'AP-REQ', 0x6f: 'AP-REP', 0x7e: 'KRB-ERROR' };
/** RFC 1964 §1.1 TOK_ID values. */
const KRB_TOK_IDS: Record<string, string> = { '0100': 'AP-REQ', '0200': 'AP-REP', '0300': 'KRB-ERROR' };
const NTLM_TYPES: Record<number, string> = { 1: 'NEGOTIATE', 2: 'CHALLENGE', 3: 'AUTHENTICATE' };

/** [MS-AIPS] §2.2.3.1: Status(4) Flags(1) GSS-API token. */
function readGss(b: Uint8Array, at: number, end: number, f: Facts): void {
  if (end - at < 5) {
    f.note(A.IsakmpPayloadBodyInvalid);
    return;
  }
  const flags = b[at + 4]!;
  const tok = at + 5;
  const gss: GssToken = {
    status: windowsError(u32be(b, at)), flags, flagNames: GSS_FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n),
    tokenLength: end - tok, mechanism: 'unknown', tokenKind: null, kerberos: null,
  };
  f.msg.gss.push(gss);
  if (end === tok) {
    // §2.2.3.1: anonymous authentication, or a finished GSS exchange with nothing to return.
    gss.mechanism = 'none';
    return;
  }
  if (end - tok >= 12 && hex(b, tok, tok + 8) === '4e544c4d53535000') {
    // "NTLMSSP\0" then MessageType (little-endian) [MS-NLMP] §2.2.1.
    gss.mechanism = 'ntlm';
    gss.tokenKind = NTLM_TYPES[u16le(b, tok + 8)] ?? null;
    return;
  }
  if (end - tok >= 6 && b[tok] === 0x16 && b[tok + 1] === 0x03) {
    // A TLS handshake record ([MS-AIPS] §2.2.3.1: TLS tokens are records without GSS framing).
    gss.mechanism = 'tls';
    gss.tokenKind = b[tok + 5] === 1 ? 'ClientHello' : b[tok + 5] === 2 ? 'ServerHello' : 'handshake';
    return;
  }
  readKerberos(b, tok, end, gss, f);
}

/**
 * RFC 1964 §1.1: [APPLICATION 0] { thisMech OID, TOK_ID(2), Kerberos message }. A Kerberos message without
 * the framing is accepted too. The DER is read along fixed paths (no recursion), each step bounded by its parent.
 */
function readKerberos(b: Uint8Array, tok: number, tokEnd: number, gss: GssToken, f: Facts): void {
  let p = tok;
  let end = tokEnd;
  let framed = false;
  const outer = derAt(b, p, end);
  if (outer && outer.tag === 0x60) {
    const oid = derAt(b, outer.at, outer.end);
    if (!oid || !KRB5_OIDS.includes(hex(b, outer.at, oid.end))) return;
    framed = true;
    gss.mechanism = 'kerberos';
    if (outer.end - oid.end < 2) return f.note(A.IsakmpKerberosTokenMalformed);
    gss.tokenKind = KRB_TOK_IDS[hex(b, oid.end, oid.end + 2)] ?? null;
    p = oid.end + 2;
    end = outer.end;
  }
  const message = derAt(b, p, end);
  const kind = message ? KRB_MESSAGES[message.tag] : undefined;
  if (!message || kind === undefined) {
    if (framed) f.note(A.IsakmpKerberosTokenMalformed);
    return;
  }
  gss.mechanism = 'kerberos';
  gss.tokenKind = kind;
  const seq = inner(b, message, 0x30);
  if (!seq) return f.note(A.IsakmpKerberosTokenMalformed);
  const k: KerberosFacts = { realm: null, sname: null, ticketEtype: null, ticketEtypeName: null, errorCode: null, errorName: null };
  gss.kerberos = k;
  if (kind === 'AP-REQ') {
    // AP-REQ ::= SEQUENCE { pvno[0], msg-type[1], ap-options[2], ticket[3] Ticket, authenticator[4] }
    // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno[0], realm[1], sname[2], enc-part[3] } — unencrypted but enc-part.
    const ticket = inner(b, inner(b, derChild(b, seq, 0xa3), 0x61), 0x30);
    if (!ticket) return;
    k.realm = derText(b, inner(b, derChild(b, ticket, 0xa1), 0x1b));
    k.sname = principal(b, derChild(b, ticket, 0xa2));
    k.ticketEtype = derInt(b, inner(b, derChild(b, inner(b, derChild(b, ticket, 0xa3), 0x30), 0xa0), 0x02));
    k.ticketEtypeName = k.ticketEtype === null ? null : KRB_ETYPES[k.ticketEtype] ?? null;
  } else if (kind === 'KRB-ERROR') {
    // KRB-ERROR ::= SEQUENCE { …, error-code[6], crealm[7] opt, cname[8] opt, realm[9], sname[10], … }
    k.errorCode = derInt(b, inner(b, derChild(b, seq, 0xa6), 0x02));
    k.errorName = k.errorCode === null ? null : KRB_ERRORS[k.errorCode] ?? null;
    k.realm = derText(b, inner(b, derChild(b, seq, 0xa9), 0x1b));
    k.sname = principal(b, derChild(b, seq, 0xaa));
  }
}

/** A DER element: its tag byte and content [at, end). */
interface Der {
  tag: number;
  at: number;
  end: number;
}

/** The DER element at `at` (X.690 §8.1): one-byte tags, definite lengths of up to 4 bytes, content within `limit`. */
function derAt(b: Uint8Array, at: number, limit: number): Der | null {
  if (limit - at < 2) return null;
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let len = b[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || limit - p < n) return null;
    len = bigEndian(b, p, p + n);
    p += n;
  }
  if (len > limit - p) return null;
  return { tag, at: p, end: p + len };
}

/** The single element inside `outer` (an explicit tag or APPLICATION wrapper) when it has tag `tag`. */
function inner(b: Uint8Array, outer: Der | null, tag: number): Der | null {
  if (!outer) return null;
  const e = derAt(b, outer.at, outer.end);
  return e && e.tag === tag ? e : null;
}

/** The first child of constructed `parent` with tag `tag`, scanning at most 16 children. */
function derChild(b: Uint8Array, parent: Der | null, tag: number): Der | null {
  if (!parent) return null;
  let p = parent.at;
  for (let i = 0; i < 16 && p < parent.end; i++) {
    const e = derAt(b, p, parent.end);
    if (!e) return null;
    if (e.tag === tag) return e;
    p = e.end;
  }
  return null;
}

/** A non-negative INTEGER of up to 4 content bytes (Kerberos etypes and error codes), else null. */
function derInt(b: Uint8Array, e: Der | null): number | null {
  if (!e || e.end - e.at < 1 || e.end - e.at > 4 || b[e.at]! & 0x80) return null;
  return bigEndian(b, e.at, e.end);
}

/** A KerberosString (GeneralString, IA5 in practice) as text, byte per character. */
function derText(b: Uint8Array, e: Der | null): string | null {
  if (!e) return null;
  let s = '';
  for (let i = e.at; i < e.end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** PrincipalName ::= SEQUENCE { name-type[0], name-string[1] SEQUENCE OF KerberosString } → "a/b" (at most 8 parts). */
function principal(b: Uint8Array, ctx: Der | null): string | null {
  const strings = inner(b, derChild(b, inner(b, ctx, 0x30), 0xa1), 0x30);
  if (!strings) return null;
  const parts: string[] = [];
  let p = strings.at;
  for (let i = 0; i < 8 && p < strings.end; i++) {
    const e = derAt(b, p, strings.end);
    if (!e || e.tag !== 0x1b) break;
    parts.push(derText(b, e)!);
    p = e.end;
  }
  return parts.length > 0 ? parts.join('/') : null;
}
