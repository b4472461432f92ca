//! `KeyList`: a list whose items can also be looked up by a key they carry.

use std::ops::{Index, IndexMut};

/// An item of a [`KeyList`]: it carries its own key.
pub trait Keyed {
    /// The item's key (a relation id, a unit name).
    fn key(&self) -> &str;
}

/// A list that can be indexed by position or by key, as charms.reactive's
/// `KeyList`. Keys need not be unique: lookup by key gives the first match.
///
/// ```
/// use reactive_core::endpoint::{KeyList, Keyed};
/// #[derive(Debug, PartialEq)]
/// struct Unit(&'static str);
/// impl Keyed for Unit {
///     fn key(&self) -> &str { self.0 }
/// }
/// let list = KeyList::new(vec![Unit("app/0"), Unit("app/1")]);
/// assert_eq!(list[1], Unit("app/1"));
/// assert_eq!(list["app/0"], Unit("app/0"));
/// assert_eq!(list.keys(), vec!["app/0", "app/1"]);
/// assert!(list.contains_key("app/1"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KeyList<T> {
    items: Vec<T>,
}

impl<T> Default for KeyList<T> {
    fn default() -> Self {
        KeyList { items: Vec::new() }
    }
}

impl<T: Keyed> KeyList<T> {
    /// A list of `items`, in the order given.
    pub fn new(items: Vec<T>) -> Self {
        KeyList { items }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The items in order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// The item at `index`.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    /// The item at `index`, mutably.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.items.get_mut(index)
    }

    /// The first item whose key is `key`.
    pub fn by_key(&self, key: &str) -> Option<&T> {
        self.items.iter().find(|i| i.key() == key)
    }

    /// The first item whose key is `key`, mutably.
    pub fn by_key_mut(&mut self, key: &str) -> Option<&mut T> {
        self.items.iter_mut().find(|i| i.key() == key)
    }

    /// The position of the first item whose key is `key`.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.items.iter().position(|i| i.key() == key)
    }

    /// Every key, in order (repeated keys repeat).
    pub fn keys(&self) -> Vec<&str> {
        self.items.iter().map(Keyed::key).collect()
    }

    /// Every item, in order.
    pub fn values(&self) -> Vec<&T> {
        self.items.iter().collect()
    }

    /// Every (key, item) pair, in order.
    pub fn items(&self) -> Vec<(&str, &T)> {
        self.items.iter().map(|i| (i.key(), i)).collect()
    }

    /// Whether some item has the key `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.by_key(key).is_some()
    }

    /// Whether `value` is in the list.
    pub fn contains(&self, value: &T) -> bool
    where
        T: PartialEq,
    {
        self.items.contains(value)
    }

    /// Remove and return the first item whose key is `key`.
    pub(crate) fn remove_key(&mut self, key: &str) -> Option<T> {
        let index = self.position(key)?;
        Some(self.items.remove(index))
    }

    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
    }

    pub(crate) fn as_vec_mut(&mut self) -> &mut Vec<T> {
        &mut self.items
    }
}

impl<T: Keyed> Index<usize> for KeyList<T> {
    type Output = T;

    /// The item at a position. Panics when out of range, like a slice; use
    /// [`KeyList::get`] to handle absence.
    fn index(&self, index: usize) -> &T {
        &self.items[index]
    }
}

impl<T: Keyed> Index<&str> for KeyList<T> {
    type Output = T;

    /// The first item with a key. Panics when absent, like a map; use
    /// [`KeyList::by_key`] to handle absence.
    fn index(&self, key: &str) -> &T {
        match self.by_key(key) {
            Some(item) => item,
            None => panic!("no item with key `{key}`"),
        }
    }
}

impl<T: Keyed> IndexMut<usize> for KeyList<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.items[index]
    }
}

impl<T: Keyed> IndexMut<&str> for KeyList<T> {
    fn index_mut(&mut self, key: &str) -> &mut T {
        match self.position(key) {
            Some(index) => &mut self.items[index],
            None => panic!("no item with key `{key}`"),
        }
    }
}

impl<'a, T: Keyed> IntoIterator for &'a KeyList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}
