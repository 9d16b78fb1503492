// Money, dates (shown in Korea time, KST) and the center's clock.

import { L, lang } from './i18n.js';

let offsetMs = 0;
/** Aligns the page's clock with the center's (which a demo may shift with DOJANG_CLOCK_OFFSET). */
export function setServerNow(iso) {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) offsetMs = t - Date.now();
}

export function serverNow() {
  return new Date(Date.now() + offsetMs);
}

export function won(n) {
  const v = Number(n) || 0;
  if (v === 0) return L('무료', 'Free');
  return lang() === 'en' ? `KRW ${v.toLocaleString('en-US')}` : `${v.toLocaleString('ko-KR')}원`;
}

const kst = (iso) => new Date(Date.parse(iso) + 9 * 3600 * 1000);
const pad = (n) => String(n).padStart(2, '0');

export function date(iso) {
  if (!iso) return '-';
  const d = kst(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function dateTime(iso) {
  if (!iso) return '-';
  const d = kst(iso);
  return `${date(iso)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} KST`;
}

/** Whole days from the center's now until `iso` (negative once past). */
export function daysLeft(iso) {
  return Math.floor((Date.parse(iso) - serverNow().getTime()) / 86400000);
}

export function years(days) {
  const y = Math.round((Number(days) / 365) * 10) / 10;
  return L(`${y}년`, `${y} year${y === 1 ? '' : 's'}`);
}

/** Seconds left until `iso` on the center's clock. */
export function secondsLeft(iso) {
  return Math.max(0, Math.round((Date.parse(iso) - serverNow().getTime()) / 1000));
}

export function mmss(seconds) {
  return `${Math.floor(seconds / 60)}:${pad(seconds % 60)}`;
}

/** The state of a certificate as a customer reads it. */
export function stateText(state) {
  switch (state) {
    case 'good':
      return L('정상', 'Valid');
    case 'suspended':
      return L('효력정지', 'Suspended');
    case 'revoked':
      return L('폐기', 'Revoked');
    case 'expired':
      return L('만료', 'Expired');
    default:
      return L('확인 불가', 'Unknown');
  }
}

export const REASONS = [
  ['keyCompromise', '인증서 분실·도난·유출 (개인키 유출)', 'Lost, stolen or leaked (key compromise)'],
  ['cessationOfOperation', '더 이상 사용하지 않음', 'No longer used'],
  ['affiliationChanged', '정보 변경 (소속·이름 등)', 'Details changed (affiliation, name…)'],
  ['superseded', '다른 인증서로 교체', 'Replaced by another certificate'],
  ['unspecified', '기타', 'Other'],
];

export function reasonText(reason) {
  const r = REASONS.find(([id]) => id === reason);
  if (r) return L(r[1], r[2]);
  if (reason === 'certificateHold') return L('효력정지', 'Suspended (hold)');
  return reason || '-';
}
