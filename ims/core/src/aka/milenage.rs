//! The Milenage algorithm set f1, f1*, f2, f3, f4, f5, f5* (TS 35.206 §4.1) over AES-128
//! (the kernel function E_K of TS 35.206 §3).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

use super::keys::{Ak, Amf, Ck, Ik, Key, Mac, Opc, Rand, Res};
use super::sqn::Sqn;

type Block = [u8; 16];

/// E_K(input) with AES-128: the Rijndael kernel of TS 35.206 §3.
pub(crate) fn aes_encrypt(key: &[u8; 16], input: &Block) -> Block {
    Aes128::new(&(*key).into()).encrypt(input)
}

trait EncryptBlock {
    fn encrypt(&self, input: &Block) -> Block;
}

impl EncryptBlock for Aes128 {
    fn encrypt(&self, input: &Block) -> Block {
        let mut b = (*input).into();
        self.encrypt_block(&mut b);
        b.into()
    }
}

fn xor(a: &Block, b: &Block) -> Block {
    let mut out = [0u8; 16];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b)) {
        *o = x ^ y;
    }
    out
}

/// rot(x, r): cyclic rotation of x by r bits towards the most significant bit (TS 35.206
/// §4.1). Every r Milenage uses is a multiple of 8, so this rotates bytes.
fn rot_bytes(x: &Block, r_bytes: usize) -> Block {
    let mut out = *x;
    out.rotate_left(r_bytes % 16);
    out
}

/// The constant c_i: 128 bits, all zero except the last byte (TS 35.206 §4.1 defaults).
fn constant(last: u8) -> Block {
    let mut c = [0u8; 16];
    c[15] = last;
    c
}

/// Milenage keyed for one subscriber: the AES key schedule of K plus OPc.
///
/// `Debug` shows neither K nor OPc.
#[derive(Clone)]
pub struct Milenage {
    cipher: Aes128,
    opc: Block,
}

impl std::fmt::Debug for Milenage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Milenage(<redacted>)")
    }
}

/// The outputs of f2, f3, f4 and f5 for one RAND (TS 35.206 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct F2345 {
    pub(crate) res: Res,
    pub(crate) ck: Ck,
    pub(crate) ik: Ik,
    pub(crate) ak: Ak,
}

impl Milenage {
    /// Key Milenage with K and OPc (the form an HSS stores).
    pub fn new(k: &Key, opc: &Opc) -> Self {
        Self {
            cipher: Aes128::new(&(*k.as_bytes()).into()),
            opc: *opc.as_bytes(),
        }
    }

    /// Key Milenage with K and OP; OPc is derived (TS 35.206 §4.1).
    pub fn with_op(k: &Key, op: &super::keys::Op) -> Self {
        Self::new(k, &Opc::from_op(k, op))
    }

    /// OPc in use.
    pub fn opc(&self) -> Opc {
        Opc::new(self.opc)
    }

    /// TEMP = E_K(RAND ⊕ OPc).
    fn temp(&self, rand: &Rand) -> Block {
        self.cipher.encrypt(&xor(rand.as_bytes(), &self.opc))
    }

    /// OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc with IN1 = SQN‖AMF‖SQN‖AMF,
    /// r1 = 64, c1 = 0.
    fn out1(&self, rand: &Rand, sqn: Sqn, amf: Amf) -> Block {
        let temp = self.temp(rand);
        let s = sqn.to_bytes();
        let a = amf.as_bytes();
        let mut in1 = [0u8; 16];
        in1[..6].copy_from_slice(&s);
        in1[6..8].copy_from_slice(a);
        in1[8..14].copy_from_slice(&s);
        in1[14..].copy_from_slice(a);
        let x = xor(&temp, &rot_bytes(&xor(&in1, &self.opc), 8));
        xor(&self.cipher.encrypt(&xor(&x, &constant(0))), &self.opc)
    }

    /// OUT_i = E_K(rot(TEMP ⊕ OPc, r_i) ⊕ c_i) ⊕ OPc for i = 2..5.
    fn out_n(&self, temp: &Block, r_bytes: usize, c: u8) -> Block {
        let x = xor(&rot_bytes(&xor(temp, &self.opc), r_bytes), &constant(c));
        xor(&self.cipher.encrypt(&x), &self.opc)
    }

    /// f1: the network authentication code MAC-A (TS 35.206 §4.1).
    pub fn f1(&self, rand: &Rand, sqn: Sqn, amf: Amf) -> Mac {
        let o = self.out1(rand, sqn, amf);
        Mac::new([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
    }

    /// f1*: the resynchronisation authentication code MAC-S (TS 35.206 §4.1).
    pub fn f1_star(&self, rand: &Rand, sqn: Sqn, amf: Amf) -> Mac {
        let o = self.out1(rand, sqn, amf);
        Mac::new([o[8], o[9], o[10], o[11], o[12], o[13], o[14], o[15]])
    }

    /// f2 (RES), f3 (CK), f4 (IK) and f5 (AK) together, sharing TEMP.
    pub(crate) fn f2345(&self, rand: &Rand) -> F2345 {
        let temp = self.temp(rand);
        let o2 = self.out_n(&temp, 0, 1);
        F2345 {
            res: Res::new([o2[8], o2[9], o2[10], o2[11], o2[12], o2[13], o2[14], o2[15]]),
            ak: Ak::new([o2[0], o2[1], o2[2], o2[3], o2[4], o2[5]]),
            ck: Ck::new(self.out_n(&temp, 4, 2)),
            ik: Ik::new(self.out_n(&temp, 8, 4)),
        }
    }

    /// f2: the response RES / XRES (64 bits).
    pub fn f2(&self, rand: &Rand) -> Res {
        self.f2345(rand).res
    }

    /// f3: the cipher key CK.
    pub fn f3(&self, rand: &Rand) -> Ck {
        Ck::new(self.out_n(&self.temp(rand), 4, 2))
    }

    /// f4: the integrity key IK.
    pub fn f4(&self, rand: &Rand) -> Ik {
        Ik::new(self.out_n(&self.temp(rand), 8, 4))
    }

    /// f5: the anonymity key AK that conceals SQN in AUTN.
    pub fn f5(&self, rand: &Rand) -> Ak {
        self.f2345(rand).ak
    }

    /// f5*: the anonymity key AK* that conceals SQN_MS in AUTS.
    pub fn f5_star(&self, rand: &Rand) -> Ak {
        let o = self.out_n(&self.temp(rand), 12, 8);
        Ak::new([o[0], o[1], o[2], o[3], o[4], o[5]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aka::keys::Op;

    // TS 35.208 §4, test set 1 (the full six sets run from tests/data/ts35208.txt).
    #[test]
    fn test_set_1() {
        let k = Key::from_hex("465b5ce8b199b49faa5f0a2ee238a6bc").unwrap();
        let op = Op::from_hex("cdc202d5123e20f62b6d676ac72cb318").unwrap();
        let rand = Rand::from_hex("23553cbe9637a89d218ae64dae47bf35").unwrap();
        let sqn = Sqn::from_bytes([0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07]);
        let amf = Amf::new([0xb9, 0xb9]);
        let m = Milenage::with_op(&k, &op);
        assert_eq!(m.opc().to_hex(), "cd63cb71954a9f4e48a5994e37a02baf");
        assert_eq!(m.f1(&rand, sqn, amf).to_hex(), "4a9ffac354dfafb3");
        assert_eq!(m.f1_star(&rand, sqn, amf).to_hex(), "01cfaf9ec4e871e9");
        assert_eq!(m.f2(&rand).to_hex(), "a54211d5e3ba50bf");
        assert_eq!(m.f3(&rand).to_hex(), "b40ba9a3c58b2a05bbf0d987b21bf8cb");
        assert_eq!(m.f4(&rand).to_hex(), "f769bcd751044604127672711c6d3441");
        assert_eq!(m.f5(&rand).to_hex(), "aa689c648370");
        assert_eq!(m.f5_star(&rand).to_hex(), "451e8beca43b");
    }

    #[test]
    fn debug_is_redacted() {
        let m = Milenage::new(&Key::new(*b"CANARY-CANARY-XX"), &Opc::new([0x5a; 16]));
        assert_eq!(format!("{m:?}"), "Milenage(<redacted>)");
    }

    #[test]
    fn rot_moves_bytes_towards_msb() {
        let x: Block = core::array::from_fn(|i| i as u8);
        let r = rot_bytes(&x, 8);
        assert_eq!(r[0], 8);
        assert_eq!(r[15], 7);
    }
}
