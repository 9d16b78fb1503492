// The financial certificate (금융인증서) kept in the bank's cloud, through the center's remote
// signing API in the Cloud Signature Consortium v1 shape (/csc/v1/): sign in with the
// internet-banking ID and password (HTTP Basic, as CSC `auth/login` has it), read the
// credential, unlock it with the six-digit PIN (`credentials/authorize` → a single-use SAD)
// and have the cloud sign a SHA-256 hash (`signatures/signHash`). The page holds the access
// token in memory only; the PIN goes in one request body and is not kept.

import { post } from './api.js';
import { base64Encode } from './crypto/bytes.js';

const RSA = '1.2.840.113549.1.1.1';
const SIGN_ALGO = { [RSA]: '1.2.840.113549.1.1.11', '1.2.840.10045.2.1': '1.2.840.10045.4.3.2' };
const SHA256 = '2.16.840.1.101.3.4.2.1';

export class CloudSession {
  constructor(token, expiresIn) {
    this.token = token;
    this.expiresAt = Date.now() + Number(expiresIn || 0) * 1000;
  }

  /** `auth/login`: the internet-banking ID and password as HTTP Basic credentials. */
  static async login(bankingId, password) {
    const basic = base64Encode(new TextEncoder().encode(`${bankingId}:${password}`));
    const answer = await post('/csc/v1/auth/login', {}, { headers: { Authorization: `Basic ${basic}` } });
    return new CloudSession(answer.access_token, answer.expires_in);
  }

  call(path, body) {
    return post(path, body, { headers: { Authorization: `Bearer ${this.token}` } });
  }

  /** The customer's financial certificates in force (serials), newest first. */
  async credentials() {
    return (await this.call('/csc/v1/credentials/list', {})).credentialIDs || [];
  }

  /** One credential: key, certificate (with its chain), PIN format, dojang's autoRenew / pinLocked. */
  info(credentialId) {
    return this.call('/csc/v1/credentials/info', { credentialID: credentialId, certificates: 'chain' });
  }

  /**
   * Has the cloud sign SHA-256(`message`) with the credential after unlocking it with `pin`:
   * { signature (base64), vidRandom (base64 R, when the center gives it), keyAlgo }.
   */
  async sign(credentialId, info, pin, message) {
    const { SAD } = await this.call('/csc/v1/credentials/authorize', { credentialID: credentialId, numSignatures: 1, PIN: pin });
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', message));
    const keyAlgo = info?.key?.algo?.[0] || RSA;
    const answer = await this.call('/csc/v1/signatures/signHash', {
      credentialID: credentialId,
      SAD,
      hash: [base64Encode(hash)],
      hashAlgo: SHA256,
      signAlgo: SIGN_ALGO[keyAlgo] || SIGN_ALGO[RSA],
    });
    return { signature: answer.signatures?.[0], vidRandom: answer.vid_random || null };
  }

  setAutoRenew(credentialId, on) {
    return this.call('/api/v1/financial/auto-renew', { credentialID: credentialId, on });
  }

  /** `auth/revoke`: ends the cloud session at the center. */
  async logout() {
    try {
      await this.call('/csc/v1/auth/revoke', {});
    } catch {
      // Gone already (expired): nothing to end.
    }
    this.token = null;
  }
}

/** The credential's status as the page's words know it (CSC says `valid` for good). */
export function credentialState(info) {
  const s = info?.cert?.status;
  return s === 'valid' ? 'good' : s || 'unknown';
}
