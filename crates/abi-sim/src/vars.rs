//! [`Vars`]: the named values of one draw, passed between simulation functions.

use crate::error::{Result, SimError};

/// One named value of a single draw: a scalar, vector or array of `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    shape: Vec<usize>,
    data: Vec<f64>,
}

impl Value {
    /// An array of the given shape (row-major data).
    pub fn array(shape: Vec<usize>, data: Vec<f64>) -> Result<Self> {
        if shape.iter().product::<usize>() != data.len() {
            return Err(SimError::invalid(
                "Value::array",
                format!("{} values cannot fill shape {shape:?}", data.len()),
            ));
        }
        Ok(Self { shape, data })
    }

    /// The shape (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values, row-major.
    pub fn data(&self) -> &[f64] {
        &self.data
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value {
            shape: vec![],
            data: vec![v],
        }
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::from(v as f64)
    }
}

impl From<Vec<f64>> for Value {
    fn from(v: Vec<f64>) -> Self {
        Value {
            shape: vec![v.len()],
            data: v,
        }
    }
}

impl<const N: usize> From<[f64; N]> for Value {
    fn from(v: [f64; N]) -> Self {
        Value::from(v.to_vec())
    }
}

/// Named values of one draw, in insertion order.
///
/// ```
/// use abi_sim::Vars;
/// let v = Vars::new().with("mu", 0.5).with("x", vec![1.0, 2.0]);
/// assert_eq!(v.scalar("mu").unwrap(), 0.5);
/// assert_eq!(v.vector("x").unwrap(), &[1.0, 2.0]);
/// assert!(v.scalar("sigma").unwrap_err().to_string().contains("available"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    entries: Vec<(String, Value)>,
}

impl Vars {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a value, builder style.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Adds or replaces a value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The value of that name.
    pub fn get(&self, name: &str) -> Result<&Value> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| SimError::MissingKey {
                name: name.to_string(),
                available: self.names().map(String::from).collect(),
            })
    }

    /// A scalar value.
    pub fn scalar(&self, name: &str) -> Result<f64> {
        let v = self.get(name)?;
        match v.data.as_slice() {
            [x] => Ok(*x),
            _ => Err(SimError::Shape {
                name: name.to_string(),
                expected: vec![],
                got: v.shape.clone(),
                context: "asked for a scalar".into(),
            }),
        }
    }

    /// A non-negative integer scalar (e.g. a number of observations).
    pub fn count(&self, name: &str) -> Result<usize> {
        let x = self.scalar(name)?;
        if x < 0.0 || x.fract() != 0.0 || !x.is_finite() {
            return Err(SimError::invalid(name, format!("{x} is not a count")));
        }
        Ok(x as usize)
    }

    /// The values of an entry as a flat slice.
    pub fn vector(&self, name: &str) -> Result<&[f64]> {
        Ok(self.get(name)?.data())
    }

    /// The names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
