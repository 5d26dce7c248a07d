//! An object as YAML for the `y` view: `metadata.managedFields` dropped,
//! environment values of secret-looking names masked in the document
//! until revealed, every line cleaned.

use serde_json::Value;

use crate::model::document::{DocLine, Document, LineKind, looks_secret};

/// Stands in for a masked value while serialising; unlikely in a real
/// object, and a plain YAML scalar (never quoted).
const STAND_IN: &str = "OPSBOARD-MASKED-VALUE-";

/// The YAML document of `object`.
pub fn yaml(object: &Value) -> Result<Document, String> {
    let mut object = object.clone();
    if let Some(m) = object
        .pointer_mut("/metadata")
        .and_then(Value::as_object_mut)
    {
        m.remove("managedFields");
    }
    let mut secrets = Vec::new();
    mask_env(&mut object, &mut secrets);
    let text = serde_saphyr::to_string(&object).map_err(|e| format!("cannot write YAML: {e}"))?;
    let mut doc = Document::default();
    for line in text.lines() {
        if line == "---" {
            continue;
        }
        match stand_in(line) {
            Some((head, n)) if n < secrets.len() => doc.lines.push(DocLine {
                text: crate::model::text::clean(head).into_owned(),
                kind: LineKind::Plain,
                secret: Some(crate::model::text::clean(&secrets[n]).into_owned()),
            }),
            _ => doc.line(line),
        }
    }
    Ok(doc)
}

/// `value:` of every `env` entry whose name looks secret, replaced by a
/// numbered stand-in; the values are pushed to `secrets`.
fn mask_env(v: &mut Value, secrets: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "env"
                    && let Value::Array(vars) = child
                {
                    for var in vars.iter_mut() {
                        let secret = var
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(looks_secret);
                        if let (true, Some(Value::String(value))) = (secret, var.get_mut("value")) {
                            secrets.push(std::mem::take(value));
                            *value = format!("{STAND_IN}{}", secrets.len() - 1);
                        }
                    }
                } else {
                    mask_env(child, secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mask_env(i, secrets)),
        _ => {}
    }
}

/// `("    value: ", 3)` for a line ending in the stand-in number 3.
fn stand_in(line: &str) -> Option<(&str, usize)> {
    let at = line.find(STAND_IN)?;
    let n = line[at + STAND_IN.len()..].trim().parse().ok()?;
    Some((&line[..at], n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn managed_fields_dropped_and_secret_env_masked() {
        let o = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "managedFields": [{"manager": "kubectl"}]},
            "spec": {"template": {"spec": {"containers": [{
                "name": "api",
                "env": [
                    {"name": "DB_PASSWORD", "value": "canary-xyz"},
                    {"name": "PORT", "value": "8080"}
                ]
            }]}}}
        });
        let doc = yaml(&o).unwrap();
        let shown: Vec<String> = doc.lines.iter().map(|l| l.shown(false)).collect();
        let all = shown.join("\n");
        assert!(all.contains("apiVersion: apps/v1"), "{all}");
        assert!(!all.contains("managedFields"), "{all}");
        assert!(!all.contains("canary-xyz"), "{all}");
        assert!(all.contains("value: ••••••"), "{all}");
        assert!(all.contains("8080"), "{all}");
        let revealed: Vec<String> = doc.lines.iter().map(|l| l.shown(true)).collect();
        assert!(revealed.iter().any(|l| l.ends_with("value: canary-xyz")));
    }

    #[test]
    fn control_characters_never_reach_a_line() {
        let o = json!({"metadata": {"name": "x", "annotations": {"a": "b\u{1b}[2J\nc"}}});
        let doc = yaml(&o).unwrap();
        for l in &doc.lines {
            assert!(
                !l.text.chars().any(crate::model::text::is_unsafe_char),
                "{l:?}"
            );
        }
    }
}
