//! Just enough TOML to read Cargo manifests for the tidy checks: every `key = value` with its
//! full dotted path, whether written under a `[table]` header, as a dotted key or inside an
//! inline table. Comments, strings and values spanning several lines (arrays) are handled.

/// One assignment: the full key path (table headers, dotted keys and inline tables joined)
/// and the value as written (strings keep their quotes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) path: Vec<String>,
    pub(crate) value: String,
}

/// Every assignment in `text`, in order.
pub(crate) fn entries(text: &str) -> Vec<Entry> {
    let mut table: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let inner = line.trim_start_matches('[').trim_end_matches(']');
            table = split_top(inner, '.').iter().map(|k| unquote(k)).collect();
            continue;
        }
        assignments(&table, line, &mut out);
    }
    out
}

/// Whether some assignment has exactly this path and value.
pub(crate) fn has(entries: &[Entry], path: &[&str], value: &str) -> bool {
    entries
        .iter()
        .any(|e| e.value == value && e.path.iter().map(String::as_str).eq(path.iter().copied()))
}

/// The assignments of `key = value` (or an inline table of them) under `prefix`.
fn assignments(prefix: &[String], text: &str, out: &mut Vec<Entry>) {
    let Some((key, value)) = split_once_top(text, '=') else {
        return;
    };
    let mut path = prefix.to_vec();
    path.extend(split_top(key, '.').iter().map(|k| unquote(k)));
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        for part in split_top(inner, ',') {
            if !part.trim().is_empty() {
                assignments(&path, part.trim(), out);
            }
        }
    } else {
        out.push(Entry {
            path,
            value: value.to_string(),
        });
    }
}

fn unquote(key: &str) -> String {
    key.trim().trim_matches('"').trim_matches('\'').to_string()
}

/// Lines with comments removed, where a line whose brackets, braces or multi-line string are
/// still open continues on the next.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut quote: Option<&str> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(q) = quote {
            if rest.starts_with(q) {
                current.push_str(q);
                rest = &rest[q.len()..];
                quote = None;
                continue;
            }
            if c == '\\' && q.starts_with('"') && rest.len() > 1 {
                let escaped: String = rest.chars().take(2).collect();
                current.push_str(&escaped);
                rest = &rest[escaped.len()..];
                continue;
            }
            current.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        match c {
            '#' => {
                let end = rest.find('\n').unwrap_or(rest.len());
                rest = &rest[end..];
                continue;
            }
            '"' | '\'' => {
                let q = ["\"\"\"", "'''", "\"", "'"]
                    .into_iter()
                    .find(|q| rest.starts_with(q))
                    .unwrap_or("\"");
                quote = Some(q);
                current.push_str(q);
                rest = &rest[q.len()..];
                continue;
            }
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            '\n' if depth <= 0 => {
                lines.push(std::mem::take(&mut current));
                depth = 0;
                rest = &rest[1..];
                continue;
            }
            _ => {}
        }
        current.push(if c == '\n' { ' ' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    lines.push(current);
    lines
}

/// `text` split at `sep` where it is outside strings, brackets and braces.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for at in top_level(text, sep) {
        parts.push(&text[start..at]);
        start = at + sep.len_utf8();
    }
    parts.push(&text[start..]);
    parts
}

fn split_once_top(text: &str, sep: char) -> Option<(&str, &str)> {
    let at = *top_level(text, sep).first()?;
    Some((&text[..at], &text[at + sep.len_utf8()..]))
}

/// Byte offsets of `sep` outside strings, brackets and braces.
fn top_level(text: &str, sep: char) -> Vec<usize> {
    let mut found = Vec::new();
    let (mut depth, mut quote) = (0i32, None::<char>);
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            _ if c == sep && depth == 0 => found.push(i),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lints_workspace(text: &str) -> bool {
        has(&entries(text), &["lints", "workspace"], "true")
    }

    #[test]
    fn finds_the_key_in_each_spelling() {
        assert!(lints_workspace("[lints]\nworkspace = true\n"));
        assert!(lints_workspace(
            "[package]\nname = \"x\"\n[lints] # house rules\n workspace=true # yes"
        ));
        assert!(lints_workspace(
            "lints.workspace = true\n[package]\nname = \"x\""
        ));
        assert!(lints_workspace("lints = { workspace = true }\n"));
        assert!(lints_workspace("[ \"lints\" ]\n\"workspace\" = true\n"));
    }

    #[test]
    fn a_substring_is_not_the_key() {
        // all of these contain both "[lints]" and "workspace = true"
        assert!(!lints_workspace("[package]\nworkspace = true\n[lints]\n"));
        assert!(!lints_workspace("[lints]\n# workspace = true\n"));
        assert!(!lints_workspace("[lints.rust]\nworkspace = true\n"));
        assert!(!lints_workspace(
            "[lints]\nworkspace = false\n# [lints] workspace = true"
        ));
        assert!(!lints_workspace(
            "[package]\ndescription = \"[lints] workspace = true\"\n"
        ));
    }

    #[test]
    fn values_may_span_lines() {
        let text = "[workspace]\nmembers = [\n  \"a\", # first\n  \"b\",\n]\nresolver = \"2\"\n";
        let e = entries(text);
        let members = e.iter().find(|x| x.path == ["workspace", "members"]);
        assert!(members.is_some_and(|m| m.value.starts_with('[') && m.value.contains("\"b\"")));
        assert!(has(&e, &["workspace", "resolver"], "\"2\""));
        let text =
            "[package]\ndescription = \"\"\"\nline [one\n\"\"\"\n[lints]\nworkspace = true\n";
        assert!(lints_workspace(text));
    }
}
