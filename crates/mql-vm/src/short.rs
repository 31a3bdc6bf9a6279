//! [`ShortVec`]: a list kept inside its owner up to a few items, so a lead's
//! result (its scores, tiers, segments and stage path) needs no allocation in
//! the usual case. It reads like a slice.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A list of `Copy` items stored inline up to `N` items, on the heap beyond.
#[derive(Clone)]
pub struct ShortVec<T: Copy + Default, const N: usize> {
    len: usize,
    inline: [T; N],
    /// Every item, once there are more than `N`.
    heap: Vec<T>,
}

impl<T: Copy + Default, const N: usize> ShortVec<T, N> {
    pub fn new() -> Self {
        ShortVec {
            len: 0,
            inline: [T::default(); N],
            heap: Vec::new(),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.len < N {
            self.inline[self.len] = item;
        } else {
            if self.len == N {
                self.heap.reserve(N * 2);
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(item);
        }
        self.len += 1;
    }

    /// A copy of the items of a slice.
    pub fn from_slice(items: &[T]) -> Self {
        let mut v = ShortVec::new();
        if items.len() <= N {
            v.inline[..items.len()].copy_from_slice(items);
            v.len = items.len();
        } else {
            v.heap = items.to_vec();
            v.len = items.len();
        }
        v
    }

    pub fn as_slice(&self) -> &[T] {
        if self.len <= N {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        if self.len <= N {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap
        }
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.as_slice().to_vec()
    }
}

impl<T: Copy + Default, const N: usize> Default for ShortVec<T, N> {
    fn default() -> Self {
        ShortVec::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for ShortVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for ShortVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a ShortVec<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for ShortVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = ShortVec::new();
        for x in iter {
            v.push(x);
        }
        v
    }
}

impl<T: Copy + Default, const N: usize> From<Vec<T>> for ShortVec<T, N> {
    fn from(items: Vec<T>) -> Self {
        ShortVec::from_slice(&items)
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for ShortVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for ShortVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq<Vec<T>> for ShortVec<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq<[T]> for ShortVec<T, N> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

#[cfg(test)]
mod tests {
    use super::ShortVec;

    #[test]
    fn keeps_every_item_in_order_inline_and_beyond() {
        let mut v: ShortVec<u32, 2> = ShortVec::new();
        assert!(v.is_empty());
        v.push(7);
        v.push(8);
        assert_eq!(v.as_slice(), &[7, 8]);
        v.push(9);
        v.push(10);
        assert_eq!(v.as_slice(), &[7, 8, 9, 10]);
        assert_eq!(v.len(), 4);
        assert!(v.contains(&9));
        assert_eq!(v[3], 10);
        let w: ShortVec<u32, 2> = [1, 2, 3].into_iter().collect();
        assert_eq!(w, vec![1, 2, 3]);
        assert_eq!(ShortVec::<u32, 4>::from_slice(&[5, 6]), vec![5, 6]);
        assert_eq!(format!("{w:?}"), "[1, 2, 3]");
    }
}
