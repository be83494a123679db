//! `group` and `ungroup`: several entries under one group name (e.g. the inputs of a fusion
//! network), and back.
//!
//! [`Data`] is flat, so a group `g` is the entries named `g/<member>`
//! ([`GROUP_SEPARATOR`]); [`Data::group`] collects them with the group name stripped.

use super::step::{Step, invalid, restrict_keys};
use crate::data::{Data, GROUP_SEPARATOR};
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// The entry name of `member` in group `group`.
fn member_name(group: &str, member: &str) -> String {
    format!("{group}{GROUP_SEPARATOR}{member}")
}

/// Moves entry `from` to `to` (and its log-det), refusing to overwrite.
fn relabel(
    transform: &str,
    data: &mut Data,
    ldj: Option<&mut LogDet>,
    from: &str,
    to: &str,
) -> Result<()> {
    if data.contains(to) {
        return Err(invalid(
            transform,
            format!("moving `{from}` to `{to}` would replace the entry `{to}`"),
        ));
    }
    let a = data
        .remove(from)
        .ok_or_else(|| data.missing(transform, from))?;
    data.set(to, a);
    if let Some(l) = ldj {
        l.rename(from, to);
    }
    Ok(())
}

/// Puts entries into group `into`: entry `k` becomes `into/m`, `m` being `k` without
/// `prefix`. The inverse moves them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Entries.
    pub keys: Vec<String>,
    /// The group.
    pub into: String,
    /// A common prefix of the keys, removed from the member names (default none).
    #[serde(default)]
    pub prefix: String,
}

impl Group {
    fn member(&self, key: &str) -> String {
        member_name(&self.into, key.strip_prefix(&self.prefix).unwrap_or(key))
    }
}

impl Step for Group {
    fn name(&self) -> &'static str {
        "group"
    }

    fn validate(&self) -> Result<()> {
        if self.into.is_empty() {
            return Err(invalid(self.name(), "the group name is empty"));
        }
        match self
            .keys
            .iter()
            .find(|k| !k.starts_with(&self.prefix) || **k == self.prefix)
        {
            Some(k) => Err(invalid(
                self.name(),
                format!(
                    "`{k}` is not the prefix `{}` followed by a name",
                    self.prefix
                ),
            )),
            None => Ok(()),
        }
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for k in &self.keys {
            relabel(self.name(), data, ldj.as_deref_mut(), k, &self.member(k))?;
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            let m = self.member(k);
            if data.contains(&m) {
                relabel(self.name(), data, None, &m, k)?;
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}

/// Takes the members out of group `key`: `key/m` becomes `prefix` + `m`. `fit` records the
/// members so that the inverse can put them back (an unfitted inverse passes data through).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ungroup {
    /// The group.
    pub key: String,
    /// Prefix added to the member names (default none).
    #[serde(default)]
    pub prefix: String,
    /// The member names, recorded by `fit` for the inverse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
}

impl Ungroup {
    /// Member names of the group present in `data`, or a missing-key error naming the group.
    fn present(&self, data: &Data) -> Result<Vec<String>> {
        let members = data.group_members(&self.key);
        if members.is_empty() {
            return Err(data.missing(self.name(), &member_name(&self.key, "*")));
        }
        Ok(members)
    }
}

impl Step for Ungroup {
    fn name(&self) -> &'static str {
        "ungroup"
    }

    fn validate(&self) -> Result<()> {
        if self.key.is_empty() {
            return Err(invalid(self.name(), "the group name is empty"));
        }
        Ok(())
    }

    fn fit(&mut self, data: &Data, _merge: bool) -> Result<()> {
        self.members = Some(self.present(data)?);
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for m in self.present(data)? {
            let to = format!("{}{m}", self.prefix);
            relabel(
                self.name(),
                data,
                ldj.as_deref_mut(),
                &member_name(&self.key, &m),
                &to,
            )?;
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for m in self.members.iter().flatten() {
            let from = format!("{}{m}", self.prefix);
            if data.contains(&from) {
                relabel(self.name(), data, None, &from, &member_name(&self.key, m))?;
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(!data.group_members(&self.key).is_empty())
    }
}
