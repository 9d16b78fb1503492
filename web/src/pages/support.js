// 고객지원: questions customers ask (from the source documents), the support hours, and an
// inquiry form the center stores. Nothing the customer wrote is shown back after sending.

import { ApiError, post } from '../api.js';
import { add, field, h, replace, uid } from '../dom.js';
import { L } from '../i18n.js';

const FAQ = [
  ['공동인증서는 언제 사용하나요?', 'When do I use a joint certificate?',
    '인터넷뱅킹, 전자상거래, 보험·증권 거래 등 온라인에서 본인임을 증명할 때 사용합니다. 개인은 은행·신용카드·보험용(무료)이나 범용(4,400원)을, 사업자 번호가 필요한 곳에서는 법인 범용 인증서를 씁니다.',
    'To prove who you are online: internet banking, shopping, insurance and securities. People use the banking/card/insurance certificate (free) or the general-purpose one (KRW 4,400); businesses use the corporate one.'],
  ['발급받으려면 무엇이 필요한가요?', 'What do I need to get one?',
    '먼저 신분증을 가지고 영업점에서 인터넷뱅킹에 가입해야 합니다. 발급할 때는 인터넷뱅킹 ID, 주민등록번호, ARS 전화를 받을 휴대폰, 출금계좌와 비밀번호, 보안카드 또는 OTP가 필요합니다.',
    'Sign up for internet banking at a branch first (bring your ID card). Then you need your banking ID, resident registration number, your phone for the ARS call, your withdrawal account and its password, and your security card or OTP device.'],
  ['재발급은 언제 하나요? 이전 인증서는 어떻게 되나요?', 'When do I reissue? What happens to the old certificate?',
    'PC를 포맷했거나 인증서를 잃어버렸을 때, 인증서 비밀번호를 잊었을 때 재발급합니다. 재발급하면 기존 인증서는 자동으로 폐기되고, 새 인증서의 유효기간은 기존과 같습니다. 개인용 인증서는 재발급 수수료가 없습니다.',
    'After formatting your PC, losing the certificate or forgetting its password. The old certificate is revoked at once and the new one keeps its end date. Personal certificates are reissued free.'],
  ['갱신은 언제 할 수 있나요?', 'When can I renew?',
    '유효기간 만료 30일 전부터 만료일까지 갱신할 수 있습니다. 유효기간이 지난 인증서는 갱신할 수 없으니 새로 발급받아 주세요. 만료 30일 전에 문자로 안내해 드립니다.',
    'From 30 days before the end of validity until it ends. An expired certificate cannot be renewed: issue a new one. We text you 30 days before.'],
  ['인증서는 어디에 저장하는 것이 좋나요?', 'Where should I keep my certificate?',
    '자주 쓰는 내 PC라면 하드디스크, 여러 사람이 쓰는 PC라면 이동식 디스크(USB)에 저장하고 쓸 때만 연결하는 것이 안전합니다. 휴대폰으로 옮겨 쓸 수도 있습니다.',
    'On your own PC, the hard disk; on a shared PC, a USB disk you plug in only when needed. You can also move it to your phone.'],
  ['“인증서 발급이 실패했습니다”라고 나오면 어떻게 하나요?', 'What if issuance fails?',
    '화면에 나온 안내(무엇이 잘못되었는지, 다음에 무엇을 할지)를 확인하고 해당 단계를 다시 진행해 주세요. 입력 시간이 지나 신청이 취소되었다면 처음부터 다시 진행합니다. 계속되면 고객센터(평일 09:00–18:00)로 문의해 주세요.',
    'Read what the page says failed and what to do next, and repeat that step. If the procedure timed out, start again. If it keeps failing, call the customer center (weekdays 09:00–18:00).'],
  ['ARS 전화를 받지 못했어요.', 'I missed the ARS call.',
    '전화가 오면 바로 받아 안내하는 승인번호 6자리를 입력해 주세요. 놓쳤다면 “승인번호 다시 받기”를 누르면 새 전화가 걸려 옵니다. 등록된 휴대폰 번호가 바뀌었다면 영업점에서 변경해 주세요.',
    'Answer the call and enter the 6-digit number it tells you. If you missed it, ask for a new call. If your phone number changed, update it at a branch.'],
  ['보안카드가 잠겼어요.', 'My security card is locked.',
    '보안카드 번호를 5회 연속 잘못 입력하면 보안카드가 잠깁니다. 신분증을 가지고 영업점을 방문하거나 고객센터로 문의하면 본인 확인 후 잠금을 풀어 드립니다.',
    'Five wrong entries in a row lock the card. Visit a branch with your ID card, or call the customer center, to unlock it after an identity check.'],
  ['인증서 비밀번호를 잊어버렸어요.', 'I forgot my certificate password.',
    '인증서 비밀번호는 은행도 알 수 없습니다. 인증서를 재발급받아 주세요.',
    'The bank cannot know your certificate password. Reissue the certificate.'],
  ['다른 은행에서 받은 인증서를 쓸 수 있나요?', 'Can I use a certificate from another bank?',
    '네. 타기관 인증서 등록/해제 메뉴에서 인터넷뱅킹 ID와 주민등록번호, ARS 인증으로 본인 확인을 한 뒤 인증서를 등록하면 새로 발급받지 않아도 됩니다.',
    'Yes: under Other banks’ certificates, identify yourself (banking ID, RRN, ARS call) and register it — then you need no new one.'],
  ['금융인증서 비밀번호를 5번 틀렸어요.', 'I typed a wrong PIN five times.',
    '금융인증서는 비밀번호를 5번 연속 틀리면 잠깁니다. 금융인증서 재발급에서 본인 확인을 다시 하고 새 비밀번호를 정하면 다시 쓸 수 있습니다 (이전 금융인증서는 폐기됩니다).',
    'Five wrong PINs in a row lock the financial certificate. Reissue it (identity checks again, a new PIN) to use it again; the old one is revoked.'],
];

const CATEGORIES = [
  ['issue', '발급·재발급', 'Issue / reissue'],
  ['renew', '갱신', 'Renewal'],
  ['revoke', '폐기·효력정지', 'Revoke / suspend'],
  ['error', '오류·장애', 'Errors'],
  ['financial', '금융인증서', 'Financial certificate'],
  ['other', '기타', 'Other'],
];

function inquiryForm() {
  const result = h('div', { 'aria-live': 'polite' });
  const name = field({ label: L('이름', 'Name'), name: 'name', attrs: { autocomplete: 'name', required: true, maxlength: 40 } });
  const contact = field({
    label: L('연락받을 전화번호 또는 이메일', 'Phone or e-mail to answer to'),
    name: 'contact',
    attrs: { autocomplete: 'tel', required: true, maxlength: 100 },
  });
  const categoryId = uid('category');
  const category = h('select', { id: categoryId, name: 'category', required: true }, CATEGORIES.map(([v, ko, en]) => h('option', { value: v }, L(ko, en))));
  const title = field({ label: L('제목', 'Title'), name: 'title', attrs: { required: true, maxlength: 100 } });
  const bodyId = uid('body');
  const body = h('textarea', { id: bodyId, name: 'body', rows: 6, required: true, maxlength: 2000, 'aria-describedby': `${bodyId}-hint` });
  const agreeId = uid('agree');
  const agree = h('input', { type: 'checkbox', id: agreeId, name: 'agree', required: true });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, L('문의 보내기', 'Send'));
  const form = h(
    'form',
    { class: 'form', novalidate: true, 'data-testid': 'inquiry-form' },
    error,
    name.wrap,
    contact.wrap,
    h('div', { class: 'field' }, h('label', { for: categoryId }, L('문의 유형', 'Kind of question')), category),
    title.wrap,
    h(
      'div',
      { class: 'field' },
      h('label', { for: bodyId }, L('문의 내용', 'Your question')),
      body,
      h('p', { class: 'hint', id: `${bodyId}-hint` }, L('주민등록번호, 비밀번호, 보안카드 번호는 절대 쓰지 마세요. (주민등록번호 형태의 숫자는 자동으로 가려서 저장합니다)', 'Never write your resident registration number, passwords or security card codes (numbers shaped like an RRN are masked before storing).')),
    ),
    h('div', { class: 'field check' }, agree, h('label', { for: agreeId }, L('답변을 위한 개인정보(이름, 연락처) 수집·이용에 동의합니다. (필수, 답변 후 1년 보관)', 'I agree to the use of my name and contact to answer (required; kept one year after the answer).'))),
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const res = await post('/api/v1/inquiries', {
        name: name.input.value,
        contact: contact.input.value,
        category: category.value,
        title: title.input.value,
        body: body.value,
        agree: agree.checked,
      });
      form.reset();
      replace(
        result,
        h('div', { class: 'panel success', 'data-testid': 'inquiry-received' }, h('p', {}, h('strong', {}, L(`문의가 접수되었습니다 (접수번호 ${res.number}).`, `Your inquiry was received (number ${res.number}).`))), h('p', {}, L(res.message_ko, res.message_en))),
      );
      result.querySelector('strong')?.focus?.();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.text() : String(err);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', {}, form, result);
}

export function renderSupport({ main, app }) {
  add(main, 
    h('h1', {}, L('고객지원', 'Support')),
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, L('고객센터 운영시간', 'Customer center hours')),
      h('p', { class: 'big' }, L(app.info?.support?.hours_ko || '평일 09:00–18:00', app.info?.support?.hours_en || 'Weekdays 09:00–18:00')),
      h('p', {}, L('전화 ', 'Phone '), h('strong', {}, app.info?.support?.phone || '1588-0000'), L(' · 보안카드·OTP 잠금 해제는 신분증을 가지고 영업점을 방문해 주세요.', ' · To unlock a security card or OTP, visit a branch with your ID card.')),
    ),
    h(
      'section',
      { 'aria-labelledby': 'faq-h' },
      h('h2', { id: 'faq-h' }, L('자주 묻는 질문', 'Frequently asked questions')),
      h('div', { class: 'faq' }, FAQ.map(([qko, qen, ako, aen]) => h('details', {}, h('summary', {}, L(qko, qen)), h('p', {}, L(ako, aen))))),
    ),
    h('section', { 'aria-labelledby': 'ask-h' }, h('h2', { id: 'ask-h' }, L('문의하기', 'Ask us')), inquiryForm()),
  );
  return null;
}
