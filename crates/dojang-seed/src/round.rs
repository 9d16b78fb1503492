//! The SEED round function and key schedule (RFC 4269 §2), on 32-bit words.
//!
//! A 128-bit block is four big-endian words `L0 L1 R0 R1`. Each of the 16 Feistel rounds
//! XORs `F(K_i, R)` into `L` and swaps the halves; the last round does not swap. `F` mixes the
//! two words of `R` through three applications of `G`, which is four S-box lookups and a
//! bit-mask permutation.

use crate::sbox::{lookup, S1, S2};

/// The masks of `G`'s permutation layer.
const M0: u8 = 0xfc;
const M1: u8 = 0xf3;
const M2: u8 = 0xcf;
const M3: u8 = 0x3f;

/// The key-schedule constants: the golden-ratio word 0x9E3779B9 rotated left by the round
/// index.
const KC0: u32 = 0x9e37_79b9;

/// `G(X)`: S1/S2 on alternate bytes, then each output byte takes two (masked) bits from every
/// S-box output.
fn g(x: u32) -> u32 {
    let [x3, x2, x1, x0] = x.to_be_bytes();
    let y0 = lookup(&S1, x0);
    let y1 = lookup(&S2, x1);
    let y2 = lookup(&S1, x2);
    let y3 = lookup(&S2, x3);
    let z0 = (y0 & M0) ^ (y1 & M1) ^ (y2 & M2) ^ (y3 & M3);
    let z1 = (y0 & M1) ^ (y1 & M2) ^ (y2 & M3) ^ (y3 & M0);
    let z2 = (y0 & M2) ^ (y1 & M3) ^ (y2 & M0) ^ (y3 & M1);
    let z3 = (y0 & M3) ^ (y1 & M0) ^ (y2 & M1) ^ (y3 & M2);
    u32::from_be_bytes([z3, z2, z1, z0])
}

/// `F(K, (C, D))`, additions modulo 2³².
fn f(key: &[u32; 2], c: u32, d: u32) -> (u32, u32) {
    let c = c ^ key[0];
    let a = g(c ^ d ^ key[1]);
    let b = g(a.wrapping_add(c));
    let d_out = g(b.wrapping_add(a));
    (d_out.wrapping_add(b), d_out)
}

/// Expands a 128-bit key `A B C D` into 16 round-key pairs:
/// `K_{i,0} = G(A + C − KC_i)`, `K_{i,1} = G(B − D + KC_i)`, then `A‖B` rotates right by 8
/// bits after odd rounds and `C‖D` left by 8 after even ones.
pub(crate) fn key_schedule(key: &[u8; 16]) -> [[u32; 2]; 16] {
    let [a, b, c, d] = words(key);
    let mut ab = (u64::from(a) << 32) | u64::from(b);
    let mut cd = (u64::from(c) << 32) | u64::from(d);
    let mut round_keys = [[0u32; 2]; 16];
    for (i, pair) in (0u32..).zip(round_keys.iter_mut()) {
        let kc = KC0.rotate_left(i);
        let (a, b) = ((ab >> 32) as u32, ab as u32);
        let (c, d) = ((cd >> 32) as u32, cd as u32);
        *pair = [g(a.wrapping_add(c).wrapping_sub(kc)), g(b.wrapping_sub(d).wrapping_add(kc))];
        if i % 2 == 0 {
            ab = ab.rotate_right(8);
        } else {
            cd = cd.rotate_left(8);
        }
    }
    round_keys
}

/// The four big-endian words of a 16-byte key or block.
fn words(bytes: &[u8; 16]) -> [u32; 4] {
    let mut out = [0u32; 4];
    for (w, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *w = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}

fn feistel<'k>(keys: impl Iterator<Item = &'k [u32; 2]>, block: &[u8; 16]) -> [u8; 16] {
    let [mut l0, mut l1, mut r0, mut r1] = words(block);
    for key in keys {
        let (f0, f1) = f(key, r0, r1);
        (l0, l1, r0, r1) = (r0, r1, l0 ^ f0, l1 ^ f1);
    }
    // Undo the last swap: the output is R16 ‖ L16.
    let mut out = [0u8; 16];
    for (chunk, w) in out.chunks_exact_mut(4).zip([r0, r1, l0, l1]) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

pub(crate) fn encrypt(round_keys: &[[u32; 2]; 16], block: &[u8; 16]) -> [u8; 16] {
    feistel(round_keys.iter(), block)
}

/// Decryption is the same network with the round keys in reverse order.
pub(crate) fn decrypt(round_keys: &[[u32; 2]; 16], block: &[u8; 16]) -> [u8; 16] {
    feistel(round_keys.iter().rev(), block)
}
