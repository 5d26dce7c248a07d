//! The Compose label conventions: which labels name a container's
//! project, service and replica number, and reading them.

use std::collections::HashMap;

use crate::model::ComposeLabels;

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_CONFIG_HASH: &str = "com.docker.compose.config-hash";

/// The Compose labels of a container, when it has a project and service.
pub fn compose_labels(labels: &HashMap<String, String>) -> Option<ComposeLabels> {
    let project = labels.get(LABEL_PROJECT)?;
    let service = labels.get(LABEL_SERVICE)?;
    Some(ComposeLabels {
        project: project.clone(),
        service: service.clone(),
        number: labels
            .get(LABEL_NUMBER)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0),
        oneoff: labels
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        config_hash: labels.get(LABEL_CONFIG_HASH).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_labels_parse() {
        let l: HashMap<String, String> = [
            (LABEL_PROJECT, "shop"),
            (LABEL_SERVICE, "web"),
            (LABEL_NUMBER, "3"),
            (LABEL_ONEOFF, "False"),
            (LABEL_CONFIG_HASH, "abc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = compose_labels(&l).unwrap();
        assert_eq!(
            (c.project.as_str(), c.service.as_str(), c.number, c.oneoff),
            ("shop", "web", 3, false)
        );
        assert_eq!(c.config_hash.as_deref(), Some("abc"));
        assert!(compose_labels(&HashMap::new()).is_none());
    }
}
