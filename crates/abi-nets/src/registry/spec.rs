//! [`NetworkSpec`]: a network named as in a registry, with settings given as serde values.

use crate::error::{NetError, NetResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A network by registry name and its settings (a JSON object); keys that are not given take
/// the registered defaults. This is what approximators store in their model files, so that
/// loading rebuilds each network through the registry.
///
/// ```
/// use abi_nets::NetworkSpec;
/// let spec = NetworkSpec::new("spline_coupling_flow")
///     .set("depth=3")?
///     .set("subnet_widths=[64,64]")?
///     .set("transform.bins=8")?;
/// assert_eq!(spec.settings["depth"], 3);
/// assert_eq!(spec.settings["transform"]["bins"], 8);
/// # Ok::<(), abi_nets::NetError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The registry name, e.g. `coupling_flow`.
    pub name: String,
    /// Settings over the registered defaults.
    #[serde(default)]
    pub settings: Map<String, Value>,
}

impl NetworkSpec {
    /// The network `name` with its registered defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            settings: Map::new(),
        }
    }

    /// The network `name` with every setting of `config`.
    pub fn of<C: Serialize>(name: impl Into<String>, config: &C) -> NetResult<Self> {
        let name = name.into();
        match serde_json::to_value(config) {
            Ok(Value::Object(settings)) => Ok(Self { name, settings }),
            Ok(other) => Err(NetError::Settings {
                network: name,
                reason: format!("settings must be an object, got {other}"),
            }),
            Err(e) => Err(NetError::Settings {
                network: name,
                reason: e.to_string(),
            }),
        }
    }

    /// The network of a typed configuration, under its canonical registry name.
    ///
    /// ```
    /// use abi_nets::{MafConfig, NetworkSpec};
    /// let spec = NetworkSpec::from_config(&MafConfig { hidden: 20, ..MafConfig::default() })?;
    /// assert_eq!((spec.name.as_str(), &spec.settings["hidden"]), ("maf", &20.into()));
    /// # Ok::<(), abi_nets::NetError>(())
    /// ```
    pub fn from_config<C: crate::InferenceConfig>(config: &C) -> NetResult<Self> {
        Self::of(C::NAME, config)
    }

    /// Parses `name` or a JSON object `{"name": ..., "settings": {...}}`.
    pub fn parse(text: &str) -> NetResult<Self> {
        let text = text.trim();
        if text.starts_with('{') {
            serde_json::from_str(text).map_err(|e| NetError::Settings {
                network: text.to_string(),
                reason: e.to_string(),
            })
        } else {
            Ok(Self::new(text))
        }
    }

    /// Overrides one setting from `key=value`: the key may be a dotted path into nested
    /// settings (`transform.bins=8`), the value is JSON (`3`, `[64,64]`, `{"kind":"spline"}`,
    /// `true`) or else taken as a string (`activation=silu`).
    pub fn set(mut self, assignment: &str) -> NetResult<Self> {
        let (key, raw) = assignment
            .split_once('=')
            .ok_or_else(|| self.error(format!("override `{assignment}` is not key=value")))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(self.error(format!("override `{assignment}` has an empty key")));
        }
        let value = serde_json::from_str(raw.trim())
            .unwrap_or_else(|_| Value::String(raw.trim().to_string()));
        let mut path: Vec<&str> = key.split('.').collect();
        let last = path.pop().unwrap_or(key);
        let mut node = &mut self.settings;
        for part in path {
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = match entry {
                Value::Object(m) => m,
                _ => unreachable!("made an object above"),
            };
        }
        node.insert(last.to_string(), value);
        Ok(self)
    }

    /// Merges a JSON object of settings into these (nested objects merge key by key).
    pub fn merge(mut self, settings: &Map<String, Value>) -> Self {
        merge_into(&mut self.settings, settings);
        self
    }

    fn error(&self, reason: String) -> NetError {
        NetError::Settings {
            network: self.name.clone(),
            reason,
        }
    }
}

impl From<&str> for NetworkSpec {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

/// Deep merge: nested objects merge key by key, anything else replaces. A nested object that
/// changes a string value of the base's (the tag of another variant, e.g. `{"kind":
/// "spline"}` over `{"kind": "affine"}`, or another solver `method`) replaces it whole, so
/// that the old variant's fields do not linger.
pub(crate) fn merge_into(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) if !changes_a_tag(b, o) => merge_into(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn changes_a_tag(base: &Map<String, Value>, over: &Map<String, Value>) -> bool {
    over.iter().any(|(k, v)| match (base.get(k), v) {
        (Some(Value::String(old)), Value::String(new)) => old != new,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_json_and_strings() -> NetResult<()> {
        let s = NetworkSpec::new("x")
            .set("a=1")?
            .set("b=[1, 2]")?
            .set("c=silu")?
            .set("d.e.f=true")?;
        assert_eq!(s.settings["a"], 1);
        assert_eq!(s.settings["b"], serde_json::json!([1, 2]));
        assert_eq!(s.settings["c"], "silu");
        assert_eq!(s.settings["d"]["e"]["f"], true);
        assert!(NetworkSpec::new("x").set("novalue").is_err());
        assert!(NetworkSpec::new("x").set("a..b=1").is_err());
        Ok(())
    }

    #[test]
    fn merging_keeps_nested_settings_unless_a_variant_changes() {
        let base = serde_json::json!({"solver": {"method": "dopri", "rtol": 1e-3}, "depth": 2});
        let Value::Object(mut base) = base else {
            unreachable!()
        };
        let over = serde_json::json!({"solver": {"rtol": 1e-4}});
        let Value::Object(over) = over else {
            unreachable!()
        };
        merge_into(&mut base, &over);
        assert_eq!(
            base["solver"],
            serde_json::json!({"method": "dopri", "rtol": 1e-4})
        );
        let other = serde_json::json!({"solver": {"method": "rk4", "steps": 20}});
        let Value::Object(other) = other else {
            unreachable!()
        };
        merge_into(&mut base, &other);
        assert_eq!(
            base["solver"],
            serde_json::json!({"method": "rk4", "steps": 20})
        );
        assert_eq!(base["depth"], 2);
    }

    #[test]
    fn parses_names_and_objects() -> NetResult<()> {
        assert_eq!(NetworkSpec::parse("maf")?, NetworkSpec::new("maf"));
        let s = NetworkSpec::parse(r#"{"name": "maf", "settings": {"hidden": 20}}"#)?;
        assert_eq!(s.settings["hidden"], 20);
        assert!(NetworkSpec::parse(r#"{"name": "maf", "extra": 1}"#).is_err());
        Ok(())
    }
}
