//! Floats in saved adapters, written so that loading gives back the same bits.
//!
//! Finite values are JSON numbers: serde_json writes the shortest representation that reads
//! back to the same `f64`, and this crate enables its `float_roundtrip` parser, so they come
//! back exactly. JSON has no literal for the non-finite values (serde_json would write `null`,
//! which cannot be read back as a number), so they are the strings `"inf"`, `"-inf"` and
//! `"nan"`; NaN is read back as the canonical NaN.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An `f64` that serialises exactly (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exact(pub(crate) f64);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("nan")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct ExactVisitor;

impl Visitor<'_> for ExactVisitor {
    type Value = Exact;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a number or one of "inf", "-inf", "nan""#)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Exact, E> {
        Ok(Exact(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Exact, E> {
        Ok(Exact(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Exact, E> {
        Ok(Exact(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Exact, E> {
        match v.to_ascii_lowercase().as_str() {
            "inf" | "+inf" | "infinity" | "+infinity" => Ok(Exact(f64::INFINITY)),
            "-inf" | "-infinity" => Ok(Exact(f64::NEG_INFINITY)),
            "nan" => Ok(Exact(f64::NAN)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExactVisitor)
    }
}

/// `#[serde(with = "crate::float::exact")]` for an `f64` field.
pub(crate) mod exact {
    use super::Exact;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Exact(*v).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Exact::deserialize(d).map(|e| e.0)
    }
}

/// `#[serde(default, with = "crate::float::exact_opt")]` for an `Option<f64>` field (`None` is
/// `null`).
pub(crate) mod exact_opt {
    use super::Exact;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Exact).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Exact>::deserialize(d).map(|o| o.map(|e| e.0))
    }
}

/// `#[serde(with = "crate::float::exact_vec")]` for a `Vec<f64>` field.
pub(crate) mod exact_vec {
    use super::Exact;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| Exact(*x)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Exact>::deserialize(d).map(|v| v.into_iter().map(|e| e.0).collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Exact;

    #[test]
    fn every_kind_of_float_comes_back_with_the_same_bits() {
        let values = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.0 / 3.0,
            1.977_777_777_777_777_9,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            -f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for v in values {
            let json = serde_json::to_string(&Exact(v)).unwrap();
            let back: Exact = serde_json::from_str(&json).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits(), "{v} written as {json}");
            // through a serde_json::Value too (how approximators embed the adapter)
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let back: Exact = serde_json::from_str(&value.to_string()).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits(), "{v} through a Value");
        }
        assert_eq!(
            serde_json::to_string(&Exact(f64::NEG_INFINITY)).unwrap(),
            r#""-inf""#
        );
        assert!(serde_json::from_str::<Exact>(r#""lots""#).is_err());
        assert_eq!(serde_json::from_str::<Exact>("3").unwrap().0, 3.0);
    }
}
