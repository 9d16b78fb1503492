// PFX (PKCS#12) for the customer to save or load, built and read with pkijs. Written the way
// crates/dojang-npki and OpenSSL 3 write it, so both read it without `-legacy`: the key (a
// PKCS#8 PrivateKeyInfo carrying R as randomNum) in a shrouded key bag and the certificates in
// an encrypted safe, both PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), integrity by an HMAC-SHA256
// MAC, friendlyName and localKeyId on the key and its certificate.

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { randomBytes, toArrayBuffer, toBytes } from './bytes.js';

const BAG = {
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  cert: '1.2.840.113549.1.12.10.1.3',
};
const FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const LOCAL_KEY_ID = '1.2.840.113549.1.9.21';

/** The PBKDF2 and MAC iterations crates/dojang-npki writes. */
export const PFX_ITERATIONS = 10_000;

function parseDer(bytes, what) {
  const parsed = asn1js.fromBER(toArrayBuffer(bytes));
  if (parsed.offset === -1) throw new Error(`${what} is not DER`);
  return parsed.result;
}

function attributes(friendlyName, keyId) {
  return [
    new pkijs.Attribute({ type: FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({ type: LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) })] }),
  ];
}

/**
 * A PFX holding `pkcs8` (DER, randomNum kept) and the certificate `certDer` (and the chain's
 * CA certificates, without attributes), protected by `password`.
 */
export async function buildPfx({ pkcs8, certDer, chainDers = [], password, friendlyName, iterations = PFX_ITERATIONS }) {
  const pw = toArrayBuffer(new TextEncoder().encode(password));
  const keyId = randomBytes(20);
  const keyInfo = new pkijs.PrivateKeyInfo({ schema: parseDer(pkcs8, 'the private key') });
  const leaf = new pkijs.Certificate({ schema: parseDer(certDer, 'the certificate') });
  const certBags = [
    new pkijs.SafeBag({ bagId: BAG.cert, bagValue: new pkijs.CertBag({ parsedValue: leaf }), bagAttributes: attributes(friendlyName, keyId) }),
    ...chainDers.map(
      (der) => new pkijs.SafeBag({ bagId: BAG.cert, bagValue: new pkijs.CertBag({ parsedValue: new pkijs.Certificate({ schema: parseDer(der, 'a CA certificate') }) }) }),
    ),
  ];
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            {
              privacyMode: 0,
              value: new pkijs.SafeContents({
                safeBags: [
                  new pkijs.SafeBag({
                    bagId: BAG.shroudedKey,
                    bagValue: new pkijs.PKCS8ShroudedKeyBag({ parsedValue: keyInfo }),
                    bagAttributes: attributes(friendlyName, keyId),
                  }),
                ],
              }),
            },
            { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) },
          ],
        },
      }),
    },
  });
  const encryption = {
    password: pw,
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 },
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: iterations,
  };
  const auth = pfx.parsedValue.authenticatedSafe;
  const keyBag = auth.parsedValue.safeContents[0].value.safeBags[0].bagValue;
  await keyBag.makeInternalValues(encryption);
  keyBag.encryptedData = flatOctets(keyBag.encryptedData);
  await auth.makeInternalValues({ safeContents: [{}, encryption] });
  auth.safeContents = auth.safeContents.map(definiteEncryptedData);
  await pfx.makeInternalValues({ password: pw, iterations, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' });
  return new Uint8Array(pfx.toSchema().toBER(false));
}

// pkijs splits encrypted content longer than 1 KiB into a constructed OCTET STRING and
// encodes what holds it with indefinite lengths: valid BER, which OpenSSL reads, but not DER,
// which stricter readers (the Rust client among them) require. These two put the pieces back
// together so that the whole PFX is DER.

/** One primitive OCTET STRING with the bytes of `os`, whether it was split or not. */
function flatOctets(os) {
  if (!os.idBlock.isConstructed) return os;
  const parts = os.valueBlock.value.map((p) => new Uint8Array(p.valueBlock.valueHexView));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new asn1js.OctetString({ valueHex: out.buffer });
}

/** An encrypted-data ContentInfo re-made with its content in one piece (definite lengths). */
function definiteEncryptedData(info) {
  if (info.contentType !== '1.2.840.113549.1.7.6') return info;
  const data = new pkijs.EncryptedData({ schema: parseDer(new Uint8Array(info.content.toBER(false)), 'the encrypted safe') });
  const eci = data.encryptedContentInfo;
  const flat = new pkijs.EncryptedContentInfo({
    contentType: eci.contentType,
    contentEncryptionAlgorithm: eci.contentEncryptionAlgorithm,
    encryptedContent: flatOctets(eci.encryptedContent),
    disableSplit: true,
  });
  return new pkijs.ContentInfo({ contentType: info.contentType, content: new pkijs.EncryptedData({ version: data.version, encryptedContentInfo: flat }).toSchema() });
}

/** The PFX password is wrong (the MAC does not verify). */
export class PfxPasswordError extends Error {
  constructor() {
    super('the PFX password is wrong');
    this.name = 'PfxPasswordError';
  }
}

/**
 * Opens a PFX: its private key (PKCS#8 DER) and certificates (DER; the one matching the key's
 * localKeyId first, else the first non-CA one).
 */
export async function openPfx(bytes, password) {
  const pw = toArrayBuffer(new TextEncoder().encode(password));
  const pfx = new pkijs.PFX({ schema: parseDer(bytes, 'the PFX') });
  try {
    await pfx.parseInternalValues({ password: pw, checkIntegrity: true });
  } catch (e) {
    if (/integrity|MAC|mac/i.test(String(e?.message))) throw new PfxPasswordError();
    throw e;
  }
  const auth = pfx.parsedValue.authenticatedSafe;
  const count = auth.safeContents.length;
  await auth.parseInternalValues({ safeContents: Array.from({ length: count }, () => ({ password: pw })) });
  let key = null;
  let keyId = null;
  const certs = [];
  for (const sc of auth.parsedValue.safeContents) {
    for (const bag of sc.value.safeBags) {
      const id = bag.bagAttributes?.find((a) => a.type === LOCAL_KEY_ID)?.values?.[0];
      if (bag.bagId === BAG.shroudedKey) {
        await bag.bagValue.parseInternalValues({ password: pw });
        key = new Uint8Array(bag.bagValue.parsedValue.toSchema().toBER(false));
        if (id) keyId = new Uint8Array(id.valueBlock.valueHexView);
      } else if (bag.bagId === '1.2.840.113549.1.12.10.1.1') {
        key = new Uint8Array(bag.bagValue.toSchema().toBER(false));
        if (id) keyId = new Uint8Array(id.valueBlock.valueHexView);
      } else if (bag.bagId === BAG.cert) {
        const der = new Uint8Array(bag.bagValue.parsedValue.toSchema().toBER(false));
        certs.push({ der, keyId: id ? new Uint8Array(id.valueBlock.valueHexView) : null });
      }
    }
  }
  if (!key) throw new Error('the PFX holds no private key');
  const same = (a, b) => a && b && a.length === b.length && a.every((x, i) => x === b[i]);
  certs.sort((a, b) => Number(same(b.keyId, keyId)) - Number(same(a.keyId, keyId)));
  return { pkcs8: toBytes(key), certificates: certs.map((c) => c.der) };
}
