//! DNS resolution that only ever hands vetted addresses to the connector.
//!
//! Checking a host name's addresses *before* the request and then letting the HTTP stack
//! resolve it again would leave a window: a hostile DNS server can answer with a public
//! address for the check and `127.0.0.1` for the connection (DNS rebinding). Plugging the
//! guard into the resolver itself closes that window, because the addresses we vet are the
//! very addresses the connector dials.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::OutboundError;
use crate::policy::GuardPolicy;

/// A [`Resolve`] that resolves with the system resolver and drops refused addresses.
pub(crate) struct GuardedResolver {
    policy: Arc<GuardPolicy>,
}

impl GuardedResolver {
    pub(crate) fn new(policy: Arc<GuardPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest substitutes the URL's port afterwards.
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let vetted = vet(&host, found, &policy)?;
            let addrs: Addrs = Box::new(vetted.into_iter());
            Ok(addrs)
        })
    }
}

/// Keeps the addresses `policy` allows.
///
/// A name with some refused addresses among allowed ones still works through the allowed
/// ones: we never dial the refused ones, so nothing is gained by failing. A name whose
/// addresses are all refused fails with the first refusal, which names the address and reason.
fn vet(
    host: &str,
    found: Vec<SocketAddr>,
    policy: &GuardPolicy,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let mut refusal = None;
    let mut vetted = Vec::with_capacity(found.len());
    for addr in found {
        match policy.check_ip(host, addr.ip()) {
            Ok(()) => vetted.push(addr),
            Err(err) => {
                tracing::debug!(host, addr = %addr.ip(), %err, "outbound: dropped resolved address");
                refusal.get_or_insert(err);
            }
        }
    }
    match (vetted.is_empty(), refusal) {
        (false, _) => Ok(vetted),
        (true, Some(err)) => Err(Box::new(err)),
        (true, None) => Err(Box::new(OutboundError::Connect(format!(
            "the name {host} has no addresses"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn sa(addr: &str) -> SocketAddr {
        SocketAddr::new(addr.parse().expect("test address"), 0)
    }

    fn refusal(
        result: Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>>,
    ) -> OutboundError {
        let err = result.expect_err("should be refused");
        err.downcast_ref::<OutboundError>()
            .expect("the error must be an OutboundError")
            .clone()
    }

    #[test]
    fn public_addresses_pass() {
        let got = vet(
            "example.org",
            vec![sa("93.184.216.34")],
            &GuardPolicy::default(),
        )
        .expect("public address");
        assert_eq!(got, vec![sa("93.184.216.34")]);
    }

    #[test]
    fn refused_addresses_are_dropped_from_a_mixed_answer() {
        let got = vet(
            "mixed.example",
            vec![sa("127.0.0.1"), sa("93.184.216.34"), sa("10.0.0.1")],
            &GuardPolicy::default(),
        )
        .expect("one public address");
        assert_eq!(got, vec![sa("93.184.216.34")]);
    }

    #[test]
    fn all_refused_fails_with_the_first_refusal() {
        let err = refusal(vet(
            "localhost",
            vec![sa("::1"), sa("127.0.0.1")],
            &GuardPolicy::default(),
        ));
        assert_eq!(
            err,
            OutboundError::Forbidden {
                host: "localhost".into(),
                addr: "::1".parse().expect("address"),
                reason: "loopback address",
            }
        );
    }

    #[test]
    fn no_addresses_is_a_connect_error() {
        let err = refusal(vet("nothing.example", Vec::new(), &GuardPolicy::default()));
        assert!(matches!(err, OutboundError::Connect(_)), "{err:?}");
    }

    #[test]
    fn allow_list_and_allow_private_are_honoured() {
        let lan = GuardPolicy {
            allow_private_addresses: false,
            allowed_private: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        };
        let got = vet("localhost", vec![sa("::1"), sa("127.0.0.1")], &lan).expect("allowed");
        assert_eq!(got, vec![sa("127.0.0.1")]);

        let open = GuardPolicy {
            allow_private_addresses: true,
            allowed_private: Vec::new(),
        };
        let got = vet("localhost", vec![sa("::1"), sa("127.0.0.1")], &open).expect("open");
        assert_eq!(got.len(), 2);
    }
}
