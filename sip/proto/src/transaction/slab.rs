//! The table of live transactions: a dense vector of slots reused oldest-freed first, addressed
//! by id (slot index in the low 32 bits, the slot's generation in the high 32 bits).
//!
//! A hash map keyed by id spreads its entries over its whole preallocated table, so every page
//! of it becomes resident after a few thousand transactions (at ~330 bytes an entry, 22 MB per
//! 64 Ki buckets). Here the memory touched is the peak number of live transactions times the
//! entry size, a lookup is an index, and a stale id (from a timer or the TU, after its
//! transaction ended) misses because the slot's generation has moved on. Reusing the slot freed
//! longest ago spreads the reuses over every slot, so an id comes back only after 2^32 uses of
//! each: TUs may keep ids as keys (dialogs, pending decisions) long after the transaction.

use std::collections::VecDeque;

/// One slot: its current generation and, while occupied, the transaction.
#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Live values addressed by `u64` ids that are never reused while the value lives and, after
/// it is removed, not for another 2^32 uses of its slot.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Vacant slot indices, the longest vacant first.
    free: VecDeque<u32>,
    len: usize,
}

fn id_of(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

/// Split an id into slot index and generation (truncation is the encoding).
fn parts(id: u64) -> (usize, u32) {
    ((id & 0xffff_ffff) as usize, (id >> 32) as u32)
}

impl<T> Slab<T> {
    /// An empty table with room for `capacity` values before the vector grows (untouched
    /// capacity is address space only: slots are filled in order).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: Vec::with_capacity(capacity),
            free: VecDeque::new(),
            len: 0,
        }
    }

    /// The id the next [`Slab::insert`] will return.
    pub(crate) fn next_id(&self) -> u64 {
        match self.free.front() {
            Some(&index) => {
                let generation = self
                    .slots
                    .get(index as usize)
                    .map_or(0, |slot| slot.generation);
                id_of(index, generation)
            }
            // More than 2^32 live transactions cannot fit in memory anyway.
            None => id_of(self.slots.len() as u32, 0),
        }
    }

    /// Store `value`, returning its id (the one [`Slab::next_id`] announced).
    pub(crate) fn insert(&mut self, value: T) -> u64 {
        self.len += 1;
        while let Some(index) = self.free.pop_front() {
            if let Some(slot) = self.slots.get_mut(index as usize) {
                slot.value = Some(value);
                return id_of(index, slot.generation);
            }
        }
        let index = self.slots.len() as u32;
        self.slots.push(Slot {
            generation: 0,
            value: Some(value),
        });
        id_of(index, 0)
    }

    /// The value with `id`, if it still lives.
    pub(crate) fn get(&self, id: &u64) -> Option<&T> {
        let (index, generation) = parts(*id);
        match self.slots.get(index) {
            Some(slot) if slot.generation == generation => slot.value.as_ref(),
            _ => None,
        }
    }

    /// The value with `id`, if it still lives.
    pub(crate) fn get_mut(&mut self, id: &u64) -> Option<&mut T> {
        let (index, generation) = parts(*id);
        match self.slots.get_mut(index) {
            Some(slot) if slot.generation == generation => slot.value.as_mut(),
            _ => None,
        }
    }

    /// Take the value with `id` out; its slot's next occupant gets a new generation.
    pub(crate) fn remove(&mut self, id: &u64) -> Option<T> {
        let (index, generation) = parts(*id);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push_back(index as u32);
        self.len -= 1;
        Some(value)
    }

    /// Live values.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every live value with its id, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.slots.iter().enumerate().filter_map(|(index, slot)| {
            let value = slot.value.as_ref()?;
            Some((id_of(index as u32, slot.generation), value))
        })
    }

    /// Every live value, in slot order.
    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|slot| slot.value.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_address_live_values_and_stale_ids_miss() {
        let mut s = Slab::with_capacity(2);
        let a_id = s.next_id();
        let a = s.insert("a");
        assert_eq!(a, a_id);
        let b = s.insert("b");
        assert_eq!((s.get(&a), s.get(&b), s.len()), (Some(&"a"), Some(&"b"), 2));
        assert_eq!(s.remove(&a), Some("a"));
        assert_eq!(s.remove(&a), None, "removed once");
        assert_eq!(s.get(&a), None);
        // The freed slot is reused under a new id; the old id still misses.
        let c_id = s.next_id();
        let c = s.insert("c");
        assert_eq!(c, c_id);
        assert_ne!(c, a);
        assert_eq!(c & 0xffff_ffff, a & 0xffff_ffff, "same slot");
        assert_eq!(s.get(&a), None);
        assert_eq!(s.get_mut(&a), None);
        assert_eq!(s.get(&c), Some(&"c"));
        if let Some(v) = s.get_mut(&c) {
            *v = "c2";
        }
        let all: Vec<_> = s.iter().collect();
        assert_eq!(all, vec![(c, &"c2"), (b, &"b")]);
        assert_eq!(s.values().count(), 2);
        assert_eq!(s.get(&(1 << 40)), None, "unknown slot");
        // The slot freed longest ago is reused first.
        s.remove(&b);
        s.remove(&c);
        let d = s.insert("d");
        assert_eq!(d & 0xffff_ffff, b & 0xffff_ffff);
    }
}
