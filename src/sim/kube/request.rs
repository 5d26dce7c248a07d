//! What a request on a resource path is to its handler: the server
//! instance it runs in ([`App`]), the request parsed ([`Req`]) and the
//! format the client asked for ([`Format`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::Method;
use tokio_util::sync::CancellationToken;

use super::managed_fields::Writer;
use super::resources::Res;
use super::state::Shared;

#[derive(Clone)]
pub struct App {
    pub shared: Arc<Shared>,
    /// Cancelled when this server instance stops (ends open watches).
    pub cancel: CancellationToken,
    pub addr: SocketAddr,
}

/// What the client asked the response to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
    PartialMetadata,
}

impl Format {
    pub(super) fn from_accept(accept: &str) -> Format {
        // The first acceptable alternative wins, like content negotiation.
        for alt in accept.split(',') {
            let alt = alt.trim();
            if alt.contains("as=Table") {
                return Format::Table;
            }
            if alt.contains("as=PartialObjectMetadata") {
                return Format::PartialMetadata;
            }
            if alt.starts_with("application/json") || alt.starts_with("*/*") || alt.is_empty() {
                return Format::Json;
            }
        }
        Format::Json
    }
}

/// A parsed request on a resource path.
pub struct Req {
    pub method: Method,
    pub res: Res,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    pub query: HashMap<String, String>,
    pub format: Format,
    pub content_type: String,
    pub body: Bytes,
    /// The field manager its writes are made by (`fieldManager`, else the
    /// User-Agent's first word).
    pub manager: String,
}

impl Req {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> bool {
        self.q("dryRun") == Some("All")
    }

    pub fn ns(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }

    /// Who this request's writes are by, through which subresource.
    pub fn writer(&self) -> Writer {
        Writer::client(&self.manager, self.sub.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert_eq!(
            Format::from_accept(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            ),
            Format::Table
        );
        assert_eq!(Format::from_accept("application/json, */*"), Format::Json);
        assert_eq!(Format::from_accept(""), Format::Json);
        assert_eq!(
            Format::from_accept(
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
            ),
            Format::PartialMetadata
        );
    }
}
