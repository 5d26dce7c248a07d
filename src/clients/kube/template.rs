//! What a pod template says that both the board and the actions show.

use k8s_openapi::api::core::v1::PodTemplateSpec;

/// The container images of a pod template, in order.
pub fn images(t: Option<&PodTemplateSpec>) -> Vec<String> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}
