//! Dictionary encoding: each distinct text of a column is kept once and rows hold its number.

use std::collections::HashMap;

/// The code of "no value" in every dictionary.
pub const NONE: u32 = 0;

/// The distinct values of one column; code 0 is "no value".
#[derive(Debug, Clone)]
pub struct Dict {
    values: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Default for Dict {
    fn default() -> Self {
        Dict {
            values: vec![String::new()],
            codes: HashMap::new(),
        }
    }
}

impl Dict {
    /// The code of a value, adding it if new; `None` and the empty text are [`NONE`].
    pub fn code(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return NONE;
        };
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(value.to_string());
        self.codes.insert(value.to_string(), code);
        code
    }

    /// The code of a value already in the dictionary.
    pub fn find(&self, value: &str) -> Option<u32> {
        self.codes.get(value).copied()
    }

    /// The value of a code; `None` for [`NONE`] and unknown codes.
    pub fn value(&self, code: u32) -> Option<&str> {
        match code {
            NONE => None,
            c => self.values.get(c as usize).map(String::as_str),
        }
    }

    /// Every value, code order, code 0 (the empty text) first.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Number of codes, "no value" included.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.len() <= 1
    }

    /// Rebuilds a dictionary from its values in code order (code 0 first), as read back from disk.
    pub fn from_values(values: Vec<String>) -> Dict {
        let mut values = values;
        if values.is_empty() {
            values.push(String::new());
        }
        let codes = values
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, v)| (v.clone(), i as u32))
            .collect();
        Dict { values, codes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_none_is_zero() {
        let mut d = Dict::default();
        assert_eq!(d.code(None), NONE);
        assert_eq!(d.code(Some("")), NONE);
        let a = d.code(Some("/a"));
        assert_eq!(d.code(Some("/b")), a + 1);
        assert_eq!(d.code(Some("/a")), a);
        assert_eq!(d.value(a), Some("/a"));
        assert_eq!(d.value(NONE), None);
        let back = Dict::from_values(d.values().to_vec());
        assert_eq!(back.find("/b"), Some(a + 1));
    }
}
