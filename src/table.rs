//! An open-addressing hash table for the lookups inference makes per token:
//! WordPiece pieces and n-gram features. Keys are integers with one value
//! reserved for free slots, values are small `Copy` data stored beside
//! the key, and probing is linear in a power-of-two array at most half full:
//! a lookup is one multiply and usually one compare, where a general map
//! (hashbrown with FxHash) spends several times the instructions.

/// Ask for the cache line of `x` ahead of its use (a hint; no effect on results).
#[inline(always)]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults, and `x` is a valid reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Longest string packed into a `[u64; 2]` key by [`pack`].
pub const SHORT_KEY: usize = 15;

/// The key of `b[at..at + len]`: its bytes with `set` ORed into each (0x20
/// lowercases ASCII letters and keeps digits), little-endian, and the length
/// in the top byte; `None` when longer than [`SHORT_KEY`] bytes. Loads 16
/// bytes at once when `b` has them (the tokenizer's word buffer always does).
#[inline(always)]
pub fn pack(b: &[u8], at: usize, len: usize, set: u8) -> Option<[u64; 2]> {
    if len > SHORT_KEY {
        return None;
    }
    let v = match b.get(at..at + 16) {
        Some(w) => u128::from_le_bytes(w.try_into().expect("16 bytes")),
        None => {
            let [lo, hi] = pack_le(&b[at..at + len]);
            u128::from(lo) | u128::from(hi) << 64
        }
    };
    let v =
        (v | u128::from_le_bytes([set; 16])) & ((1u128 << (8 * len)) - 1) | (len as u128) << 120;
    Some([v as u64, (v >> 64) as u64])
}

/// `b` (at most 16 bytes) as two little-endian words, zero-padded: a few
/// overlapping loads rather than a loop over the bytes.
#[inline]
fn pack_le(b: &[u8]) -> [u64; 2] {
    let n = b.len();
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let u32_at = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes")));
    match n {
        // Overlapping loads put the same bytes in the same places.
        8.. => [
            u64_at(0),
            if n > 8 {
                u64_at(n - 8) >> (8 * (16 - n))
            } else {
                0
            },
        ],
        4..=7 => [u32_at(0) | u32_at(n - 4) << (8 * (n - 4)), 0],
        _ => [b.iter().rev().fold(0, |k, &c| k << 8 | u64::from(c)), 0],
    }
}

/// A one-hash Bloom filter: one bit per key, chosen by the top bits of the
/// key's 64-bit hash (which the caller mixes). Lookups that usually miss
/// (bigrams that are no feature, words in no list, word starts where no
/// phrase begins) are answered from a bit array small enough to stay in
/// cache, before the larger table behind it is touched.
#[derive(Debug, Clone)]
pub struct BitFilter {
    bits: Box<[u64]>,
    shift: u32,
}

impl BitFilter {
    /// A filter of `n_bits` bits (rounded up to a power of two, at least 64).
    pub fn with_bits(n_bits: usize) -> Self {
        let n_bits = n_bits.next_power_of_two().max(64);
        BitFilter {
            bits: vec![0; n_bits / 64].into_boxed_slice(),
            shift: 64 - n_bits.trailing_zeros(),
        }
    }

    #[inline(always)]
    fn bit(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    pub fn insert(&mut self, hash: u64) {
        let b = self.bit(hash);
        self.bits[b / 64] |= 1 << (b % 64);
    }

    /// `false` only if no inserted hash has the same bit.
    #[inline(always)]
    pub fn may_contain(&self, hash: u64) -> bool {
        let b = self.bit(hash);
        self.bits[b / 64] & (1 << (b % 64)) != 0
    }
}

/// Fibonacci hashing: the top bits of the product mix every bit of `x`.
#[inline(always)]
pub fn fib_hash(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A key of a [`Table`].
pub trait Key: Copy + Eq {
    /// Marks free slots; never stored (`insert` rejects it, `get` misses it).
    const EMPTY: Self;
    fn hash(self) -> u64;
}

/// Multiply to 128 bits and fold the halves (foldhash's mixer): every input
/// bit reaches the low bits the table indexes with.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

const SEED: [u64; 2] = [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344];

impl Key for u64 {
    const EMPTY: u64 = 0;
    #[inline(always)]
    fn hash(self) -> u64 {
        fold_mul(self ^ SEED[0], SEED[1])
    }
}

/// Two words rather than `u128`, whose 16-byte alignment would pad each slot.
impl Key for [u64; 2] {
    const EMPTY: [u64; 2] = [0, 0];
    #[inline(always)]
    fn hash(self) -> u64 {
        fold_mul(self[0] ^ SEED[0], self[1] ^ SEED[1])
    }
}

/// Map from `K` to `V` (see the module documentation).
#[derive(Debug, Clone)]
pub struct Table<K, V> {
    /// Power-of-two length, at most half occupied, so every probe sequence
    /// reaches a free slot.
    slots: Box<[(K, V)]>,
    len: usize,
}

impl<K: Key, V: Copy + Default> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            slots: vec![(K::EMPTY, V::default()); 8].into_boxed_slice(),
            len: 0,
        }
    }
}

impl<K: Key, V: Copy + Default> Table<K, V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot of `k`: where it is, or the free slot where it would go.
    #[inline(always)]
    fn slot(&self, k: K) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = k.hash() as usize & mask;
        loop {
            let s = self.slots[i].0;
            if s == k || s == K::EMPTY {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub fn get(&self, k: K) -> Option<V> {
        let (s, v) = self.slots[self.slot(k)];
        (s == k && s != K::EMPTY).then_some(v)
    }

    /// The value of `k`, inserting `v` first if `k` is absent.
    ///
    /// # Panics
    /// If `k` is [`Key::EMPTY`].
    pub fn get_or_insert(&mut self, k: K, v: V) -> &mut V {
        assert!(k != K::EMPTY, "the reserved key cannot be stored");
        let mut i = self.slot(k);
        if self.slots[i].0 == K::EMPTY {
            if 2 * (self.len + 1) > self.slots.len() {
                self.grow();
                i = self.slot(k);
            }
            self.slots[i] = (k, v);
            self.len += 1;
        }
        &mut self.slots[i].1
    }

    /// Set `k` to `v`, returning the old value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let old = self.get(k);
        *self.get_or_insert(k, v) = v;
        old
    }

    fn grow(&mut self) {
        let bigger = vec![(K::EMPTY, V::default()); self.slots.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.slots, bigger);
        for (k, v) in old.iter().filter(|(k, _)| *k != K::EMPTY) {
            let i = self.slot(*k);
            self.slots[i] = (*k, *v);
        }
    }
}

impl<K: Key, V: Copy + Default> FromIterator<(K, V)> for Table<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut t = Table::default();
        for (k, v) in iter {
            t.insert(k, v);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bit_filter_keeps_what_it_holds_and_uses_its_top_bits() {
        let mut f = BitFilter::with_bits(100); // rounded up to 128
        assert_eq!(f.bits.len(), 2);
        for x in 0..20u64 {
            f.insert(fib_hash(x));
        }
        assert!((0..20u64).all(|x| f.may_contain(fib_hash(x))));
        // Hashes that differ only below the top 7 bits share a bit.
        let h = fib_hash(3);
        assert!(f.may_contain(h ^ ((1 << 57) - 1)));
        let passed = (1000..2000u64)
            .filter(|&x| f.may_contain(fib_hash(x)))
            .count();
        assert!(passed < 400, "{passed} of 1000 with 20 of 128 bits set");
    }

    proptest! {
        #[test]
        fn pack_le_is_the_bytes_in_order(b in proptest::collection::vec(any::<u8>(), 0..=16)) {
            let mut want = [0u8; 16];
            want[..b.len()].copy_from_slice(&b);
            let k = pack_le(&b);
            let mut got = [0u8; 16];
            got[..8].copy_from_slice(&k[0].to_le_bytes());
            got[8..].copy_from_slice(&k[1].to_le_bytes());
            prop_assert_eq!(got, want);
        }
    }

    use rustc_hash::FxHashMap;

    #[test]
    fn insert_get_and_miss() {
        let mut t: Table<u64, u32> = Table::default();
        assert_eq!(t.get(7), None);
        assert_eq!(t.insert(7, 1), None);
        assert_eq!(t.insert(7, 2), Some(1));
        assert_eq!(t.get(7), Some(2));
        assert_eq!(t.get(8), None);
        assert_eq!(
            t.get(u64::EMPTY),
            None,
            "the free-slot marker is never found"
        );
        *t.get_or_insert(9, 0) += 5;
        *t.get_or_insert(9, 0) += 5;
        assert_eq!(t.get(9), Some(10));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn grows_and_keeps_every_key() {
        let mut t: Table<[u64; 2], u32> = Table::default();
        for i in 1..=10_000u64 {
            t.insert([i, i << 56], i as u32);
        }
        assert_eq!(t.len(), 10_000);
        assert!(t.slots.len() >= 2 * t.len());
        for i in 1..=10_000u64 {
            assert_eq!(t.get([i, i << 56]), Some(i as u32));
            assert_eq!(t.get([i, 1]), None);
        }
    }

    #[test]
    #[should_panic(expected = "reserved key")]
    fn empty_key_is_rejected() {
        Table::<u64, u32>::default().insert(0, 1);
    }

    proptest! {
        #[test]
        fn agrees_with_fxhashmap(
            ops in proptest::collection::vec((1u64..300, any::<u32>()), 0..600),
            probes in proptest::collection::vec(0u64..400, 0..100),
        ) {
            let mut t: Table<u64, u32> = Table::default();
            let mut m: FxHashMap<u64, u32> = FxHashMap::default();
            for &(k, v) in &ops {
                prop_assert_eq!(t.insert(k, v), m.insert(k, v));
            }
            prop_assert_eq!(t.len(), m.len());
            for k in probes.into_iter().chain(ops.iter().map(|o| o.0)) {
                prop_assert_eq!(t.get(k), m.get(&k).copied());
            }
        }
    }
}
