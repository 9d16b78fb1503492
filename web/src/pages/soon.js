// 타기관 인증서 등록/해제 and 금융인증서: their flows come with issue 6. Until then these pages
// say so plainly and point to what works today — no pretend forms.

import { add, h } from '../dom.js';
import { L } from '../i18n.js';

export function renderSoon({ main }, which) {
  const other = which === 'other-ca';
  add(main, 
    h('h1', {}, other ? L('타기관 인증서 등록/해제', 'Certificates from other banks') : L('금융인증서', 'Financial certificate'), ' ', h('span', { class: 'badge soon' }, L('준비 중', 'Coming soon'))),
    h(
      'p',
      { class: 'lead' },
      other
        ? L(
            '다른 은행이나 증권사에서 발급받은 공동인증서를 이 은행의 인터넷뱅킹에서 쓰려면 인증서를 등록해야 합니다. 등록하면 새로 발급받지 않아도 됩니다.',
            'To use a joint certificate from another bank here, you register it; then you need not get a new one.',
          )
        : L(
            '금융인증서는 은행의 클라우드에 보관되어 PC나 휴대폰에 파일을 옮길 필요가 없는 인증서입니다. 6자리 비밀번호로 사용하며, 만료 30일 전에 안내해 드립니다.',
            'A financial certificate is kept in the bank’s cloud, so there are no files to move; you use it with a 6-digit PIN, and we remind you 30 days before it ends.',
          ),
    ),
    h(
      'div',
      { class: 'panel notice', role: 'note' },
      h('p', {}, h('strong', {}, L('이 서비스는 아직 준비 중입니다.', 'This service is not available yet.'))),
      h(
        'p',
        {},
        other
          ? L('지금은 이 인증센터에서 공동인증서를 새로 발급받거나, 보유한 인증서를 인증서 관리에서 확인할 수 있습니다.', 'For now you can get a joint certificate here, or check the certificates you hold.')
          : L('지금은 공동인증서(은행·신용카드·보험용, 범용)를 발급받아 사용하실 수 있습니다.', 'For now you can get a joint certificate (banking or general purpose).'),
      ),
      h('p', {}, h('a', { class: 'button primary', href: '#/issue' }, L('공동인증서 발급/재발급', 'Issue a joint certificate')), ' ', h('a', { class: 'button', href: '#/manage' }, L('인증서 관리', 'My certificates')), ' ', h('a', { class: 'button', href: '#/support' }, L('고객지원', 'Support'))),
    ),
  );
  return null;
}
