// The center's JSON API. Every state change is a JSON POST (the server refuses anything else
// and anything sent from another site); the staff console adds its CSRF token.

import { L, lang } from './i18n.js';

/** A refusal or failure, with the server's own words in both languages. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message_en || body?.error_description || body?.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error || 'error';
    this.ko = body?.message_ko || body?.message || '';
    // The cloud signer (CSC API) answers in its own shape: error_description is the English.
    this.en = body?.message_en || body?.error_description || body?.message || '';
    this.attemptsLeft = body?.attempts_left;
  }

  /** What the customer reads, in the chosen language. */
  text() {
    return (lang() === 'en' ? this.en || this.ko : this.ko || this.en) || L('요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.', 'The request failed. Try again in a moment.');
  }
}

let staffCsrf = null;
export function setStaffCsrf(token) {
  staffCsrf = token;
}

/**
 * A request to the center. `extra.headers` adds headers (a bearer token for certificate login
 * and the cloud signer); secrets go only in headers or bodies, never in the URL.
 */
export async function api(method, path, body, extra = {}) {
  const headers = { Accept: 'application/json', ...(extra.headers || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (staffCsrf && path.startsWith('/api/v1/staff/')) headers['X-CSRF-Token'] = staffCsrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, {
      error: 'network',
      message_ko: '인증센터에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.',
      message_en: 'The certificate center cannot be reached. Check your connection and try again.',
    });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, extra) => api('GET', path, undefined, extra);
export const post = (path, body = {}, extra) => api('POST', path, body, extra);

/** A refusal found on the page itself, shown like the center's own. */
export function clientError(ko, en) {
  return new ApiError(400, { error: 'client_check', message_ko: ko, message_en: en });
}
