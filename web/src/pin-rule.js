// The financial certificate's PIN rule (금융인증서 비밀번호), as crates/dojang-flows
// (financial/pin.rs) judges a new PIN: six digits, and none a thief would try first — one digit
// repeated, digits in sequence (wrapping: 890123), a pair or triple repeated, or the birth date
// (the RRN's first six digits). Shown item by item as the customer types; the center checks it
// again and has the last word.

import { L } from './i18n.js';

function sequential(d) {
  const steps = d.slice(1).map((x, i) => (((x - d[i]) % 10) + 10) % 10);
  return steps.every((s) => s === 1) || steps.every((s) => s === 9);
}

/**
 * Each rule with whether `pin` meets it; `again` is the second entry, `birth` YYMMDD when the
 * page knows it (the identify step's first six digits), else that rule is left to the center.
 */
export function pinChecks(pin, again, birth) {
  const six = /^[0-9]{6}$/.test(pin);
  const d = six ? Array.from(pin, Number) : [];
  const out = [
    {
      id: 'six-digits',
      ok: six,
      text: L('숫자 6자리', 'exactly six digits'),
      why: L('금융인증서 비밀번호는 숫자 6자리여야 합니다.', 'The PIN must be exactly six digits.'),
    },
    {
      id: 'repeated-digits',
      ok: six && !d.every((x) => x === d[0]),
      text: L('같은 숫자 반복 아님 (예: 111111)', 'not one digit repeated (like 111111)'),
      why: L('같은 숫자만 반복된 비밀번호(예: 111111)는 쓸 수 없습니다.', 'The PIN may not be one digit repeated (like 111111).'),
    },
    {
      id: 'sequential-digits',
      ok: six && !sequential(d),
      text: L('연속된 숫자 아님 (예: 123456, 654321)', 'not digits in sequence (like 123456 or 654321)'),
      why: L('연속된 숫자(예: 123456, 654321)는 비밀번호로 쓸 수 없습니다.', 'The PIN may not be digits in sequence (like 123456 or 654321).'),
    },
    {
      id: 'repeated-pattern',
      ok: six && !((pin.slice(0, 2) === pin.slice(2, 4) && pin.slice(2, 4) === pin.slice(4, 6)) || pin.slice(0, 3) === pin.slice(3, 6)),
      text: L('같은 묶음 반복 아님 (예: 121212, 123123)', 'no pair or triple repeated (like 121212 or 123123)'),
      why: L('같은 숫자 묶음이 반복된 비밀번호(예: 121212, 123123)는 쓸 수 없습니다.', 'The PIN may not repeat a pair or triple (like 121212 or 123123).'),
    },
  ];
  if (birth) {
    out.push({
      id: 'birth-date',
      ok: six && pin !== birth,
      text: L('생년월일(주민등록번호 앞 6자리) 아님', 'not your birth date (the RRN’s first six digits)'),
      why: L('생년월일(주민등록번호 앞 6자리)은 비밀번호로 쓸 수 없습니다.', 'The PIN may not be your birth date (the RRN’s first six digits).'),
    });
  }
  out.push({ id: 'same', ok: six && pin === again, text: L('확인 입력과 일치', 'both entries match'), why: L('확인을 위해 같은 비밀번호를 두 번 입력해 주세요.', 'Type the same PIN twice.') });
  return out;
}

export function pinPasses(pin, again, birth) {
  return pinChecks(pin, again, birth).every((c) => c.ok);
}
