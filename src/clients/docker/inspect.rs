//! Asking the daemon about containers: one inspect (for an action, or for
//! the board with its failures told apart) and a list.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerSummary};
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};

/// Inspects one container; `Ok(None)` when it no longer exists.
pub async fn inspect(
    docker: &Docker,
    id: &str,
) -> Result<Option<ContainerInspectResponse>, String> {
    match docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
    {
        Ok(c) => Ok(Some(c)),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(super::describe(&e)),
    }
}

/// What inspecting one listed container found.
#[derive(Debug)]
pub enum Inspected {
    Found(Box<ContainerInspectResponse>),
    /// No such container: removed since it was listed (or named by an
    /// event).
    Gone,
    /// The daemon answered with an error about this container alone (e.g.
    /// while it is being removed): it must not fail the whole snapshot.
    Refused(String),
}

/// Inspects one container for the board. Only a request that failed (the
/// daemon unreachable, a timeout, a garbled answer) is an `Err`.
pub async fn inspect_listed(
    docker: &Docker,
    id: &str,
) -> Result<Inspected, bollard::errors::Error> {
    use bollard::errors::Error as E;
    match docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
    {
        Ok(c) => Ok(Inspected::Found(Box::new(c))),
        Err(E::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(Inspected::Gone),
        Err(e @ E::DockerResponseServerError { .. }) => Ok(Inspected::Refused(super::describe(&e))),
        Err(e) => Err(e),
    }
}

/// Lists containers (stopped ones too), optionally only the given ids.
pub async fn list(
    docker: &Docker,
    ids: Option<&[String]>,
) -> Result<Vec<ContainerSummary>, bollard::errors::Error> {
    let filters = ids.map(|ids| HashMap::from([("id".to_string(), ids.to_vec())]));
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters,
            ..Default::default()
        }))
        .await
}
