//! The redirect policy: every hop is vetted like the first request.
//!
//! A public server answering `302 Location: http://169.254.169.254/` is the classic way around
//! a guard that only looks at the first URL. Host names in redirect targets are still vetted by
//! the resolver when the connection is made; what must happen here is the scheme check and the
//! check of IP literals, which the resolver never sees.

use std::sync::Arc;

use reqwest::redirect::{Attempt, Policy};

use crate::error::OutboundError;
use crate::policy::{GuardPolicy, check_parsed_url};

/// Builds the policy: at most `max_redirects` hops, each one passing the guard.
///
/// With `max_redirects == 0` redirects are not followed and the 3xx response is returned.
pub(crate) fn policy(guard: Arc<GuardPolicy>, max_redirects: usize) -> Policy {
    Policy::custom(move |attempt| decide(attempt, &guard, max_redirects))
}

fn decide(
    attempt: Attempt<'_>,
    guard: &GuardPolicy,
    max_redirects: usize,
) -> reqwest::redirect::Action {
    if max_redirects == 0 {
        return attempt.stop();
    }
    // `previous` holds the first URL plus every URL already redirected to.
    if attempt.previous().len() > max_redirects {
        return attempt.error(OutboundError::TooManyRedirects {
            limit: max_redirects,
        });
    }
    match check_parsed_url(attempt.url(), guard) {
        Ok(()) => attempt.follow(),
        Err(err) => {
            tracing::debug!(%err, "outbound: redirect refused");
            attempt.error(err)
        }
    }
}
