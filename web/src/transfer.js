// Certificate copy over the center's relay (`/api/v1/transfers`, docs/copy.md), the page's
// counterpart of crates/dojang-client/src/transfer.rs. The cryptography is ./crypto/copy.js;
// this module only moves its messages:
//
// - the receiving device: `Receiving.open` draws the secret and the transfer id, posts its
//   SPAKE2 message and gets the code (the number is code + secret); `next()` polls until an
//   offer comes and judges it — a wrong number is reported (the center counts it) with the
//   next round's message — and hands over the files; after keeping them, `accept()`;
// - the sending device: `send` with the typed number and the files returns once the receiver
//   confirmed that it opened exactly what was sent — only then may a move delete the source.
//
// `http` is { get(path, extra), post(path, body, extra) } as ./api.js exports them (a test
// passes one bound to a server's address); refusals are that module's ApiError.

import { base64Decode, base64Encode } from './crypto/bytes.js';
import { CopyProtocolError, ReceiverRound, WrongNumberError, formatNumber, isTransferId, makeOffer, newSecret, newTransferId } from './crypto/copy.js';

/** How often a device asks the center whether the other side moved. */
export const POLL_MS = 400;
/** A transfer lives five minutes at the center; a device gives up a little after that. */
const PATIENCE_MS = 330_000;

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

/** The copy was stopped on this device (the page was left, 취소). */
export class StoppedError extends Error {
  constructor() {
    super('stopped');
    this.name = 'StoppedError';
  }
}

function stopIfAborted(signal) {
  if (signal?.aborted) throw new StoppedError();
}

function bytesOf(b64, what) {
  try {
    return base64Decode(b64);
  } catch {
    throw new CopyProtocolError('malformed', `${what} is not base64`);
  }
}

// ---------------------------------------------------------------------------------------------
// The receiving device

export class Receiving {
  /** Opens a copy at the center; the number to show is `number`. */
  static async open(http) {
    const secret = newSecret();
    const id = newTransferId();
    const round = new ReceiverRound(secret, id);
    const created = await http.post('/api/v1/transfers', { id, receiver_message: base64Encode(round.message) });
    if (!/^[0-9]{4}$/.test(created?.code || '')) throw new CopyProtocolError('malformed', 'the center gave no four-digit code');
    return new Receiving(http, { id, secret, round, created });
  }

  constructor(http, { id, secret, round, created }) {
    this.http = http;
    this.id = id;
    this.secret = secret;
    this.round = round;
    this.code = created.code;
    this.token = created.receiver_token;
    this.expiresAt = created.expires_at;
    this.attemptsLeft = created.attempts_left;
  }

  /** 'SSSS-XXXX-XXXX', to show on this device only. */
  get number() {
    return formatNumber(this.code, this.secret);
  }

  /**
   * Waits for the next offer and judges it: { kind: 'wrong', attemptsLeft } (a sender typed
   * a wrong number; the copy still waits), { kind: 'dead' } (that was the last try), or
   * { kind: 'arrived', payload, confirm } (keep the files, then `accept(confirm)`). Refusals
   * of the center (expired…) are thrown as ApiError; a box changed on the way as
   * CopyProtocolError (the copy is then called off).
   */
  async next({ signal, onPoll = () => {} } = {}) {
    const path = `/api/v1/transfers/${this.id}`;
    const deadline = Date.now() + PATIENCE_MS;
    let view;
    for (;;) {
      stopIfAborted(signal);
      view = await this.http.get(path, bearer(this.token));
      this.attemptsLeft = view.attempts_left;
      this.expiresAt = view.expires_at || this.expiresAt;
      onPoll(view);
      if (view.state === 'offered') break;
      if (Date.now() > deadline) throw new CopyProtocolError('timed_out', 'the other device did not answer in time');
      await sleep(POLL_MS, signal);
    }
    stopIfAborted(signal);
    const o = view.offer;
    if (!o) throw new CopyProtocolError('malformed', 'the offer is empty');
    const offer = { senderMessage: bytesOf(o.sender_message, "the sender's message"), senderConfirm: bytesOf(o.sender_confirm, "the sender's confirmation"), sealed: bytesOf(o.sealed, 'the sealed certificate') };
    try {
      const { payload, receiverConfirm } = await this.round.open(offer);
      return { kind: 'arrived', payload, confirm: receiverConfirm };
    } catch (e) {
      if (!(e instanceof WrongNumberError)) {
        await this.cancel();
        throw e;
      }
      const next = new ReceiverRound(this.secret, this.id);
      const outcome = await this.http.post(`${path}/reject`, { receiver_message: base64Encode(next.message) }, bearer(this.token));
      this.attemptsLeft = outcome.attempts_left;
      if (outcome.state === 'dead') return { kind: 'dead', attemptsLeft: 0 };
      this.round = next;
      return { kind: 'wrong', attemptsLeft: outcome.attempts_left };
    }
  }

  /** Tells the sender (through the center) that the files are kept. */
  async accept(confirm) {
    await this.http.post(`/api/v1/transfers/${this.id}/accept`, { receiver_confirm: base64Encode(confirm) }, bearer(this.token));
    this.secret = '';
  }

  /** Calls the copy off at the center (best effort: it expires anyway). */
  async cancel() {
    this.secret = '';
    try {
      await this.http.post(`/api/v1/transfers/${this.id}/cancel`, {}, bearer(this.token));
    } catch {
      // gone already
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The sending device

/**
 * Sends `payload` ({ signCert, signKey, kmCert?, kmKey? }) to the device showing `number`
 * ({ code, secret }, from parseNumber) and resolves once that device confirmed it kept exactly
 * what was sent. Throws CopyProtocolError with code `wrong_number` (and `attemptsLeft`),
 * `transfer_dead`, `not_confirmed` or `timed_out`, or the center's ApiError (not found,
 * expired, busy…). `onOffered()` is called once the offer is at the center.
 */
export async function send(http, { number, payload, signal, onOffered = () => {} }) {
  const { code, secret } = number;
  let id;
  let accepted;
  let check;
  for (let tries = 1; ; tries++) {
    stopIfAborted(signal);
    const found = await http.get(`/api/v1/transfers/code/${code}`);
    if (!isTransferId(found?.id)) throw new CopyProtocolError('malformed', 'the transfer id is not right');
    const made = await makeOffer({ secret, transferId: found.id, receiverMessage: bytesOf(found.receiver_message, "the receiver's message"), payload });
    const body = { round: found.round, sender_message: base64Encode(made.offer.senderMessage), sender_confirm: base64Encode(made.offer.senderConfirm), sealed: base64Encode(made.offer.sealed) };
    try {
      accepted = await http.post(`/api/v1/transfers/${found.id}/offer`, body);
    } catch (e) {
      // The receiver moved on to a new round between the look-up and the offer.
      if (tries < 3 && e?.code === 'stale_round') continue;
      throw e;
    }
    id = found.id;
    check = made.check;
    break;
  }
  onOffered();
  const token = accepted.attempt_token;
  const deadline = Date.now() + PATIENCE_MS;
  let view;
  for (;;) {
    view = await http.get(`/api/v1/transfers/${id}/attempt`, bearer(token));
    if (view.outcome !== 'pending') break;
    if (Date.now() > deadline) throw new CopyProtocolError('timed_out', 'the other device did not answer in time');
    // Once offered, the try is counted whatever this page does: keep polling to the verdict.
    await sleep(POLL_MS);
  }
  if (view.outcome === 'wrong_number') {
    const e = new CopyProtocolError('wrong_number', 'the authentication number is wrong');
    e.attemptsLeft = view.attempts_left;
    throw e;
  }
  if (view.outcome === 'dead') {
    const e = new CopyProtocolError('transfer_dead', 'the number was wrong too many times; the copy is cancelled');
    e.attemptsLeft = 0;
    throw e;
  }
  if (view.outcome !== 'accepted') throw new CopyProtocolError('malformed', `unknown outcome ${view.outcome}`);
  const confirm = view.receiver_confirm ? bytesOf(view.receiver_confirm, "the receiver's confirmation") : new Uint8Array(0);
  if (!check(confirm)) throw new CopyProtocolError('not_confirmed', 'the receiving device did not confirm what was sent');
  await http.post(`/api/v1/transfers/${id}/finish`, {}, bearer(token));
}
